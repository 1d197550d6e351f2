package io.apixx.flow.sidecar.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** The in-process parts: JMH (AEAD), the paired tenant read, the collector. */
final class Micro {
  private Micro() {}

  static void aead() throws Exception {
    var opts = new OptionsBuilder()
        .include(AeadBenchmark.class.getName() + "\\.(envelopeOpen|rawJceDecrypt)$")
        .forks(1)
        .warmupIterations(BenchMain.QUICK ? 1 : 3)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(BenchMain.QUICK ? 2 : 5)
        .measurementTime(TimeValue.seconds(1))
        .jvmArgs("-Xmx256m")
        .build();
    Map<String, Object> m = new LinkedHashMap<>();
    for (RunResult r : new Runner(opts).run()) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("ns_per_op", r.getPrimaryResult().getScore());
      one.put("error_ns", r.getPrimaryResult().getScoreError());
      m.put(name, one);
    }
    m.put("config", "JMH average time, 1 fork, 1 KiB credential, AES-256-GCM, thread-local Cipher for the raw baseline");
    BenchMain.put("aead", m);
  }

  static void tenantRead() {
    Map<String, Double> medians = TenantReadBenchmark.paired(BenchMain.QUICK ? 3_000 : 20_000);
    Map<String, Object> m = new LinkedHashMap<>();
    medians.forEach((k, v) -> m.put(k + "_p50_us", v));
    m.put("config", "paired: the three reads interleaved one by one in one JVM (test harness's embedded PostgreSQL), median latency each");
    BenchMain.put("tenant_read", m);
  }

  static void inProcess() throws Exception {
    BenchMain.put("in_process", io.apixx.flow.sidecar.api.BenchInProcess.measure(
        java.nio.file.Files.createTempDirectory(BenchMain.work, "in-process-"), BenchMain.QUICK ? 2_000 : 10_000));
  }

  static void collector() throws Exception {
    int events = BenchMain.QUICK ? 20_000 : 100_000;
    int streams = 4;
    Map<String, Object> m = new LinkedHashMap<>();
    try (BenchCollector c = BenchCollector.start("ingestbench")) {
      CollectorIngestBenchmark.runGrpc(c, CollectorIngestBenchmark.batches("warm-grpc", 20_000, streams));
      double grpc = CollectorIngestBenchmark.runGrpc(c, CollectorIngestBenchmark.batches("grpc", events, streams));
      m.put("ingest_events_per_s_per_replica", grpc);
      m.put("ingest_config", events + " events over AuditIngestService.Stream (mutual TLS, loopback), " + streams
          + " daemon streams, batches of 500; collector, PostgreSQL and senders share the machine's cores");
    }
    int rate = 500;
    int seconds = BenchMain.QUICK ? 4 : 10;
    Histogram h = AuditDeliveryLatencyBenchmark.measure(rate, seconds);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("p50_ms", h.getValueAtPercentile(50) / 1e6);
    d.put("p99_ms", h.getValueAtPercentile(99) / 1e6);
    d.put("p999_ms", h.getValueAtPercentile(99.9) / 1e6);
    d.put("max_ms", h.getMaxValue() / 1e6);
    d.put("samples", h.getTotalCount());
    d.put("config", "release recorded (fsynced in the spool) -> uploader -> mTLS -> collector -> row visible to another connection; open loop " + rate
        + " events/s for " + seconds + " s after a 5 s warm-up; visibility polled every 200 us");
    m.put("delivery_delay", d);
    BenchMain.put("collector", m);
    BenchMain.plotted.put("collector_delivery", h);
  }

  static double nanos(long v, TimeUnit unit) {
    return unit.toNanos(v);
  }
}
