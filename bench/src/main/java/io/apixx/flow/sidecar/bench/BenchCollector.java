package io.apixx.flow.sidecar.bench;

import io.apixx.flow.sidecar.CollectorMain;
import io.apixx.flow.sidecar.RunningCollector;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.server.Tls;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.testing.TestConfigs;
import io.apixx.flow.sidecar.testing.TestPki;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One collector replica for the benchmarks, as in production but on loopback: {@code
 * CollectorMain.start} with mutual TLS (a throwaway CA), a fresh migrated audit database in the
 * harness's embedded PostgreSQL, default pools. Channels to it present a daemon certificate.
 */
final class BenchCollector implements AutoCloseable {
  final AuditDatabase db;
  final RunningCollector collector;
  private final TestPki pki;
  private final TestPki.Identity daemon;

  private BenchCollector(AuditDatabase db, RunningCollector collector, TestPki pki, TestPki.Identity daemon) {
    this.db = db;
    this.collector = collector;
    this.pki = pki;
    this.daemon = daemon;
  }

  static BenchCollector start(String purpose) throws Exception {
    Path dir = Files.createTempDirectory("flow-bench-collector-");
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TestPki.Identity server = pki.server("collector");
    AuditDatabase db = AuditDatabase.create(purpose);
    List<String> flags = db.flags();
    flags.addAll(List.of(
        "collector.address=127.0.0.1:0",
        "collector.tls.cert_file=" + server.cert(),
        "collector.tls.key_file=" + server.key(),
        "collector.tls.client_ca_file=" + pki.caFile(),
        "metrics.address="));
    RunningCollector collector =
        CollectorMain.start(TestConfigs.isolated(dir, flags.toArray(String[]::new)), new CollectorMain.Options(Metrics.forTesting(), Clock.systemUTC(), Optional.empty()));
    return new BenchCollector(db, collector, pki, pki.client("daemon"));
  }

  /** A daemon's channel: mutual TLS to the collector's port. */
  ManagedChannel channel() throws Exception {
    return NettyChannelBuilder.forAddress("127.0.0.1", collector.address().orElseThrow().getPort())
        .sslContext(Tls.client(pki.caFile(), Optional.of(daemon.cert()), Optional.of(daemon.key())))
        .build();
  }

  static void shutdown(ManagedChannel channel) throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    collector.shutdown();
  }
}
