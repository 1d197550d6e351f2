package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.server.Tls;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.testing.DaemonProcess;
import io.apixx.flow.sidecar.testing.TestPki;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code flow-sidecar collector} as a separate process: start, migrate, serve over mTLS, SIGTERM, exit. */
class CollectorProcessIT {
  static final Pattern READY = Pattern.compile(
      "flow-sidecar collector SERVING on (\\S+):(\\d+) \\(health (\\S+):(\\d+)\\) \\(metrics (http://\\S+/metrics)\\)");

  @TempDir static Path tmp;
  static TestPki pki;
  static TestPki.Identity server;
  static TestPki.Identity daemon;

  @BeforeAll
  static void pki() throws Exception {
    pki = TestPki.create(tmp.resolve("pki"));
    server = pki.server("collector");
    daemon = pki.client("daemon");
  }

  /** A collector configuration for {@code db}, with {@code extra} lines appended to the collector section. */
  static String yaml(AuditDatabase db, String address, String extra) {
    return "server:\n"
        + "  socket_path: " + tmp.resolve("run/collector.sock") + "\n"
        + "  health_address: 127.0.0.1:0\n"
        + "  shutdown_grace: 5s\n"
        + "metrics:\n"
        + "  address: 127.0.0.1:0\n"
        + "collector:\n"
        + "  address: " + address + "\n"
        + "  tls:\n"
        + "    cert_file: " + server.cert() + "\n"
        + "    key_file: " + server.key() + "\n"
        + "    client_ca_file: " + pki.caFile() + "\n"
        + "  database:\n"
        + "    url: " + db.jdbcUrl() + "\n"
        + "    password_file: " + db.collectorPasswordFile() + "\n"
        + "    owner_password_file: " + db.ownerPasswordFile() + "\n"
        + "    migrate: true\n"
        + extra;
  }

  @Test
  void collector_validConfig_migratesServesOverMtlsAndExitsZeroOnSigterm() throws Exception {
    AuditDatabase db = AuditDatabase.createUnmigrated("process");
    Path config = Files.writeString(tmp.resolve("collector.yaml"), yaml(db, "127.0.0.1:0", ""));

    try (DaemonProcess p = DaemonProcess.launch("collector-process", tmp, Map.of(), List.of("collector", "--config", config.toString()))) {
      Matcher ready = p.awaitLine(READY, Duration.ofSeconds(60));
      int port = Integer.parseInt(ready.group(2));
      ManagedChannel health = NettyChannelBuilder.forAddress(ready.group(3), Integer.parseInt(ready.group(4))).usePlaintext().build();
      ManagedChannel grpc = NettyChannelBuilder.forAddress("127.0.0.1", port)
          .sslContext(Tls.client(pki.caFile(), Optional.of(daemon.cert()), Optional.of(daemon.key()))).build();
      try {
        assertThat(HealthGrpc.newBlockingStub(health).check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
        assertThat(HealthGrpc.newBlockingStub(health).check(HealthCheckRequest.newBuilder().setService("db").build()).getStatus())
            .isEqualTo(ServingStatus.SERVING);

        AuditChain chain = new AuditChain("process-daemon");
        assertThat(stream(grpc, chain.instance(), chain.releases(100, "acme", Instant.now()))).isEqualTo(100);
        assertThat(db.sql().count("SELECT count(*) FROM audit.events WHERE daemon_instance = ?", chain.instance())).isEqualTo(100);
        String metrics = HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(ready.group(5))).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("flow_collector_events_stored_total 100.0");
        // JVM figures, without the native-memory ones (they would start the platform MBean server).
        assertThat(metrics).contains("jvm_memory_used_bytes", "jvm_threads_current", "jvm_gc_collection_seconds", "process_cpu_seconds_total")
            .doesNotContain("jvm_native_memory");
      } finally {
        health.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      p.terminate();
      assertThat(p.awaitExit(Duration.ofSeconds(20))).isZero();
      assertThat(p.stderr()).contains("collector shutdown complete");
    }
  }

  /** Streams one batch and returns the acknowledged sequence. */
  static long stream(ManagedChannel channel, String instance, List<io.apixx.flow.sidecar.v1.AuditEvent> events) throws Exception {
    CompletableFuture<Long> acked = new CompletableFuture<>();
    StreamObserver<StreamRequest> requests = AuditIngestServiceGrpc.newStub(channel).stream(new StreamObserver<>() {
      @Override
      public void onNext(StreamResponse r) {
        acked.complete(r.getAckedSequence());
      }

      @Override
      public void onError(Throwable t) {
        acked.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    requests.onNext(StreamRequest.newBuilder().setDaemonInstance(instance).addAllEvents(events).build());
    long seq = acked.get(30, TimeUnit.SECONDS);
    requests.onCompleted();
    return seq;
  }

  static Stream<Arguments> badConfigs() {
    return Stream.of(
        Arguments.of("retention-beyond-seven-years", "127.0.0.1:0", "  retention_months: 85\n", "collector.retention_months"),
        Arguments.of("remote-without-allow", "0.0.0.0:0", "", "collector.address"),
        Arguments.of("unknown-key", "127.0.0.1:0", "  retension_months: 13\n", "collector.retension_months"),
        Arguments.of("no-address", "\"\"", "", "collector.address"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConfigs")
  void collector_badConfig_exitsTwoNamingTheKey(String name, String address, String extra, String key) throws Exception {
    AuditDatabase db = AuditDatabase.createUnmigrated("bad");
    Path config = Files.writeString(tmp.resolve(name + ".yaml"), yaml(db, address, extra));

    DaemonProcess.Result r =
        DaemonProcess.run("collector-badconfig-" + name, tmp, Map.of(), List.of("collector", "--config", config.toString()), Duration.ofSeconds(30));

    assertThat(r.exitCode()).isEqualTo(2);
    List<String> lines = r.stderr().lines().filter(l -> l.startsWith("flow-sidecar:")).toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).startsWith("flow-sidecar: configuration error: " + key + ": ");
  }
}
