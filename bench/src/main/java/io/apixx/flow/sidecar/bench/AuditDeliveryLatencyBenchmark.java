package io.apixx.flow.sidecar.bench;

import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.audit.AuditUploader;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The delay from {@code AuditSink.record()} returning (the event fsynced in the daemon's spool) to
 * the row being queryable at the collector (committed, visible to another connection), through the
 * real path: {@link AuditSpool} → {@link AuditUploader} → mutual TLS → collector → PostgreSQL.
 *
 * <p>One thread records at a fixed rate (open loop: the schedule does not wait for slow records,
 * so stalls are measured, not hidden); sequence {@code n} is the {@code n}-th record. A poller
 * reads the chain's highest stored sequence on its own connection every 200 µs; when it moves, each
 * newly visible sequence gets its latency (resolution: one poll). Percentiles by HdrHistogram,
 * after a warm-up.
 *
 * <p>Run: {@code java -cp <bench classpath> io.apixx.flow.sidecar.bench.AuditDeliveryLatencyBenchmark
 * [events per second, default 500] [seconds, default 20]}.
 */
public final class AuditDeliveryLatencyBenchmark {
  private AuditDeliveryLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    measure(rate, seconds);
    System.exit(0);
  }

  /** Runs the benchmark, prints its figures and returns the latency histogram (nanoseconds). */
  static Histogram measure(int rate, int seconds) throws Exception {
    int warmup = Math.max(1, rate * 5);
    int total = warmup + rate * seconds;
    AtomicLongArray recordedAt = new AtomicLongArray(total + 1);
    Histogram latency = new Histogram(Duration.ofMinutes(1).toNanos(), 3);
    Path dir = Files.createTempDirectory("flow-bench-latency-");

    try (BenchCollector c = BenchCollector.start("latencybench");
        AuditSpool spool = AuditSpool.open(new AuditSpool.Settings(dir.resolve("spool"), 256L << 20, 16L << 20, 65_536, 4096), "us-east-1", "bench", ok -> {})) {
      ManagedChannel channel = c.channel();
      AuditUploader uploader =
          new AuditUploader(spool, channel, 500, 20_000, Duration.ofMillis(200), Duration.ofSeconds(30), Metrics.forTesting()).start();
      AtomicBoolean polling = new AtomicBoolean(true);
      Thread poller = Thread.ofPlatform().name("visibility-poller").start(() -> poll(c, spool.instance(), recordedAt, warmup, total, latency, polling));

      long interval = 1_000_000_000L / rate;
      long next = System.nanoTime();
      long behind = 0;
      for (int n = 1; n <= total; n++) {
        LockSupport.parkNanos(next - System.nanoTime());
        spool.record(AuditChain.release("acme", "run-bench", "connector/github/v1", Instant.now()));
        recordedAt.set(n, System.nanoTime());
        behind = Math.max(behind, recordedAt.get(n) - next);
        next += interval;
      }
      poller.join(Duration.ofMinutes(2).toMillis());
      polling.set(false);
      uploader.close();
      BenchCollector.shutdown(channel);

      System.out.printf("record() return -> row queryable at the collector, %d events/s for %d s (after %d warm-up events), mTLS loopback:%n",
          rate, seconds, warmup);
      System.out.printf("  samples %d, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
          latency.getTotalCount(), ms(latency, 50), ms(latency, 90), ms(latency, 99), ms(latency, 99.9), latency.getMaxValue() / 1e6);
      System.out.printf("  recorder fell behind its schedule by at most %.2f ms; spool group commits %d%n", behind / 1e6, spool.syncCount());
    }
    return latency;
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1e6;
  }

  private static void poll(BenchCollector c, String instance, AtomicLongArray recordedAt, int warmup, int total, Histogram latency, AtomicBoolean polling) {
    long seen = 0;
    try (Connection conn = c.db.superuser().getConnection();
        PreparedStatement ps = conn.prepareStatement("SELECT coalesce(max(sequence), 0) FROM audit.events WHERE daemon_instance = ?")) {
      ps.setString(1, instance);
      while (seen < total && polling.get()) {
        long max;
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          max = rs.getLong(1);
        }
        long now = System.nanoTime();
        for (long s = seen + 1; s <= max; s++) {
          long at = recordedAt.get((int) s);
          // 0: visible before record() returned to its caller (the latency is then ~0; not counted).
          if (s > warmup && at != 0) {
            latency.recordValue(Math.max(0, now - at));
          }
        }
        seen = Math.max(seen, max);
        LockSupport.parkNanos(200_000);
      }
    } catch (Exception e) {
      throw new IllegalStateException("visibility poller failed", e);
    }
  }
}
