package io.apixx.flow.sidecar.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * The load generator: closed loop (a fixed number of calls in flight, each slot issuing its next
 * call when the previous one completes) and open loop (a fixed rate, whatever the latency), on
 * asynchronous calls. Latencies in nanoseconds into HdrHistogram.
 */
final class Load {
  private Load() {}

  /** One asynchronous call; {@code n} is a global call counter (for round-robin over sessions). */
  interface Op {
    ListenableFuture<?> call(long n);
  }

  /** What one measured phase produced. */
  static final class Result {
    final Histogram histogram = new Histogram(TimeUnit.MINUTES.toNanos(2), 3);
    long calls;
    long errors;
    double seconds;
    /** CPU seconds (user + system) the daemon spent during the run; NaN when not measured. */
    double daemonCpuSeconds = Double.NaN;
    final Map<String, Long> errorCodes = new TreeMap<>();

    double cpuMicrosPerCall() {
      return calls == 0 ? Double.NaN : daemonCpuSeconds / calls * 1e6;
    }

    double throughput() {
      return seconds == 0 ? 0 : calls / seconds;
    }

    void add(Result other) {
      histogram.add(other.histogram);
      calls += other.calls;
      errors += other.errors;
      seconds += other.seconds;
      if (!Double.isNaN(other.daemonCpuSeconds)) {
        daemonCpuSeconds = (Double.isNaN(daemonCpuSeconds) ? 0 : daemonCpuSeconds) + other.daemonCpuSeconds;
      }
      other.errorCodes.forEach((k, v) -> errorCodes.merge(k, v, Long::sum));
    }

    double pMicros(double percentile) {
      return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1e3;
    }
  }

  private static final AtomicLong COUNTER = new AtomicLong();

  /** {@code inflight} calls in flight for {@code nanos}; errors are counted and not timed. */
  static Result closed(Op op, int inflight, long nanos) throws InterruptedException {
    return closed(op, inflight, nanos, false);
  }

  private static final java.util.concurrent.ScheduledExecutorService RETRY =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("load-retry").unstarted(r));
  private static final io.grpc.Metadata.Key<String> RETRY_AFTER = io.grpc.Metadata.Key.of("retry-after-ms", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

  /**
   * As {@link #closed(Op, int, long)}; with {@code politeRetry} a refused call's slot waits what
   * the daemon's {@code retry-after-ms} trailer says (at most 1 s; 50 ms without one) before its
   * next call, as a well-behaved client does.
   */
  static Result closed(Op op, int inflight, long nanos, boolean politeRetry) throws InterruptedException {
    return closed(op, inflight, nanos, politeRetry ? 1000 : -1, null);
  }

  /**
   * As a polite {@link #closed(Op, int, long, boolean)}, but a refused slot waits at most
   * {@code maxRetryWaitMs}: for warming up the load generator's own retry code (its JIT) at a
   * higher call rate than polite clients reach, before a measured storm.
   */
  static Result closedRetryingSooner(Op op, int inflight, long nanos, long maxRetryWaitMs) throws InterruptedException {
    return closed(op, inflight, nanos, maxRetryWaitMs, null);
  }

  // maxRetryWaitMs < 0: not polite (retry after 1 ms whatever the daemon says).
  private static Result closed(Op op, int inflight, long nanos, long maxRetryWaitMs, java.util.Queue<String> slowCalls)
      throws InterruptedException {
    SynchronizedHistogram h = new SynchronizedHistogram(TimeUnit.MINUTES.toNanos(2), 3);
    AtomicLong calls = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    Map<String, Long> codes = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(inflight);
    long start = System.nanoTime();
    long end = start + nanos;
    for (int s = 0; s < inflight; s++) {
      new Slot(op, end, h, calls, errors, codes, done, maxRetryWaitMs, slowCalls).issue();
    }
    if (!done.await(nanos / 1_000_000 + 60_000, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("calls still in flight 60 s after the phase");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Result r = new Result();
    r.histogram.add(h);
    r.calls = calls.get();
    r.errors = errors.get();
    r.seconds = seconds;
    r.errorCodes.putAll(codes);
    return r;
  }

  /**
   * Tuning aid ({@code BENCH_SLOW_US}): calls slower than this many microseconds are listed by
   * {@link #closedListingSlow}, with their start on {@link System#nanoTime()}'s clock
   * (CLOCK_MONOTONIC on Linux), so they can be laid over a {@code perf sched record -k
   * CLOCK_MONOTONIC} trace of the same seconds.
   */
  static final long SLOW_CALL_NANOS =
      System.getenv("BENCH_SLOW_US") == null ? 0 : TimeUnit.MICROSECONDS.toNanos(Long.parseLong(System.getenv("BENCH_SLOW_US")));

  /** As {@link #closed(Op, int, long)}, also writing "start-nanos latency-nanos" of each slow call to {@code out}. */
  static Result closedListingSlow(Op op, int inflight, long nanos, java.nio.file.Path out) throws InterruptedException, java.io.IOException {
    if (SLOW_CALL_NANOS == 0) {
      return closed(op, inflight, nanos);
    }
    java.util.Queue<String> slow = new java.util.concurrent.ConcurrentLinkedQueue<>();
    try {
      return closed(op, inflight, nanos, -1, slow);
    } finally {
      java.nio.file.Files.write(out, slow);
    }
  }

  private static final class Slot implements FutureCallback<Object> {
    final Op op;
    final long end;
    final SynchronizedHistogram h;
    final AtomicLong calls;
    final AtomicLong errors;
    final Map<String, Long> codes;
    final CountDownLatch done;
    final long maxRetryWaitMs;
    final java.util.Queue<String> slowCalls;
    long t0;

    Slot(Op op, long end, SynchronizedHistogram h, AtomicLong calls, AtomicLong errors, Map<String, Long> codes, CountDownLatch done, long maxRetryWaitMs,
        java.util.Queue<String> slowCalls) {
      this.maxRetryWaitMs = maxRetryWaitMs;
      this.slowCalls = slowCalls;
      this.op = op;
      this.end = end;
      this.h = h;
      this.calls = calls;
      this.errors = errors;
      this.codes = codes;
      this.done = done;
    }

    void issue() {
      t0 = System.nanoTime();
      ListenableFuture<?> f;
      try {
        f = op.call(COUNTER.getAndIncrement());
      } catch (RuntimeException e) {
        f = Futures.immediateFailedFuture(e);
      }
      Futures.addCallback(f, this, MoreExecutors.directExecutor());
    }

    @Override
    public void onSuccess(Object result) {
      long latency = System.nanoTime() - t0;
      if (slowCalls != null && latency > SLOW_CALL_NANOS) {
        slowCalls.add(t0 + " " + latency);
      }
      h.recordValue(latency);
      calls.incrementAndGet();
      next();
    }

    @Override
    public void onFailure(Throwable t) {
      errors.incrementAndGet();
      codes.merge(code(t), 1L, Long::sum);
      if (maxRetryWaitMs >= 0 && System.nanoTime() < end) {
        long waitMs = 50;
        io.grpc.Metadata trailers = Status.trailersFromThrowable(t);
        if (trailers != null && trailers.get(RETRY_AFTER) != null) {
          try {
            waitMs = Long.parseLong(trailers.get(RETRY_AFTER));
          } catch (NumberFormatException e) {
            // keep 50 ms
          }
        }
        RETRY.schedule(this::next, Math.min(maxRetryWaitMs, waitMs), TimeUnit.MILLISECONDS);
        return;
      }
      if (System.nanoTime() < end) {
        // Back off a little so that a failing path does not spin.
        LockSupport.parkNanos(1_000_000);
      }
      next();
    }

    private void next() {
      if (System.nanoTime() < end) {
        issue();
      } else {
        done.countDown();
      }
    }
  }

  static String code(Throwable t) {
    Status s = Status.fromThrowable(t);
    return s.getCode() == Status.Code.UNKNOWN ? t.getClass().getSimpleName() : s.getCode().name();
  }

  /**
   * Open loop: one call every {@code 1/rate} s for {@code nanos}, whatever the latency (calls the
   * schedule cannot start in time start late; their latency counts from the scheduled time).
   */
  static Result open(Op op, int rate, long nanos) throws InterruptedException {
    SynchronizedHistogram h = new SynchronizedHistogram(TimeUnit.MINUTES.toNanos(2), 3);
    AtomicLong calls = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong outstanding = new AtomicLong();
    Map<String, Long> codes = new ConcurrentHashMap<>();
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long next = start;
    long end = start + nanos;
    while (next < end) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      long scheduled = next;
      outstanding.incrementAndGet();
      ListenableFuture<?> f = op.call(COUNTER.getAndIncrement());
      Futures.addCallback(f, new FutureCallback<Object>() {
        @Override
        public void onSuccess(Object result) {
          h.recordValue(Math.max(0, System.nanoTime() - scheduled));
          calls.incrementAndGet();
          outstanding.decrementAndGet();
        }

        @Override
        public void onFailure(Throwable t) {
          errors.incrementAndGet();
          codes.merge(code(t), 1L, Long::sum);
          outstanding.decrementAndGet();
        }
      }, MoreExecutors.directExecutor());
      next += interval;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    Result r = new Result();
    r.histogram.add(h);
    r.calls = calls.get();
    r.errors = errors.get();
    r.seconds = (System.nanoTime() - start) / 1e9;
    r.errorCodes.putAll(codes);
    return r;
  }
}
