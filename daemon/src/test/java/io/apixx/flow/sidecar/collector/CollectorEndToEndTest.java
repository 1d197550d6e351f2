package io.apixx.flow.sidecar.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.apixx.flow.sidecar.CollectorMain;
import io.apixx.flow.sidecar.RunningCollector;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.audit.AuditUploader;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.server.Tls;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.testing.TestConfigs;
import io.apixx.flow.sidecar.testing.TestPki;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's side for real (an {@link AuditSpool} and an {@link AuditUploader}) streaming to the
 * collector over mutual TLS, through outages and a collector that never acknowledges.
 *
 * <p>The collector-down test keeps the collector away for {@code -Dcollector.e2e.down=10s} (the
 * issue's acceptance run uses 60s) and prints its figures on standard output.
 */
class CollectorEndToEndTest {
  static final Duration DOWN = Duration.parse("PT" + System.getProperty("collector.e2e.down", "10s").toUpperCase());
  @TempDir static Path pkiDir;
  static TestPki pki;
  static TestPki.Identity serverCert;
  static TestPki.Identity daemonCert;
  static AuditDatabase db;

  @TempDir Path dir;
  final List<AutoCloseable> toClose = new ArrayList<>();
  final List<RunningCollector> collectors = new ArrayList<>();
  AuditSpool spool;

  @BeforeAll
  static void pki() throws Exception {
    pki = TestPki.create(pkiDir);
    serverCert = pki.server("collector");
    daemonCert = pki.client("daemon");
    db = AuditDatabase.create("e2e");
  }

  @BeforeEach
  void openSpool() throws Exception {
    spool = AuditSpool.open(new AuditSpool.Settings(dir.resolve("spool"), 256L << 20, 4L << 20, 65_536, 4096), "us-east-1", "e2e", ok -> {});
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    for (RunningCollector c : collectors) {
      c.shutdown();
    }
    spool.close();
  }

  RunningCollector startCollector(int port, boolean tls) throws Exception {
    List<String> flags = db.flags();
    flags.add("collector.address=127.0.0.1:" + port);
    flags.add("server.shutdown_grace=2s");
    if (tls) {
      flags.add("collector.tls.cert_file=" + serverCert.cert());
      flags.add("collector.tls.key_file=" + serverCert.key());
      flags.add("collector.tls.client_ca_file=" + pki.caFile());
    } else {
      flags.add("collector.tls.plaintext=true");
    }
    SidecarConfig config = TestConfigs.isolated(dir.resolve("collector"), flags.toArray(String[]::new));
    RunningCollector c = CollectorMain.start(config, new CollectorMain.Options(Metrics.forTesting(), java.time.Clock.systemUTC(), Optional.empty()));
    collectors.add(c);
    return c;
  }

  ManagedChannel channel(int port, boolean tls, boolean clientCertificate) throws Exception {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", port);
    if (tls) {
      b.sslContext(clientCertificate
          ? Tls.client(pki.caFile(), Optional.of(daemonCert.cert()), Optional.of(daemonCert.key()))
          : Tls.client(pki.caFile(), Optional.empty(), Optional.empty()));
    } else {
      b.usePlaintext();
    }
    ManagedChannel ch = b.build();
    toClose.add(() -> ch.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS));
    return ch;
  }

  AuditUploader uploader(ManagedChannel channel, int maxInFlight) {
    AuditUploader u = new AuditUploader(spool, channel, 500, maxInFlight, Duration.ofMillis(100), Duration.ofSeconds(1), Metrics.forTesting()).start();
    toClose.add(u);
    return u;
  }

  static int port(RunningCollector c) {
    return c.address().orElseThrow().getPort();
  }

  void record(int n) {
    for (int i = 0; i < n; i++) {
      spool.record(AuditChain.release("acme", "run-" + i, "connector/github/v1", Instant.now()));
    }
  }

  /** Row count, distinct sequences and ids, lowest and highest sequence of this spool's chain, and its alarms. */
  record Trail(long rows, long sequences, long ids, long min, long max, long alarms) {}

  Trail trail() {
    String i = spool.instance();
    return new Trail(
        db.sql().count("SELECT count(*) FROM audit.events WHERE daemon_instance = ?", i),
        db.sql().count("SELECT count(DISTINCT sequence) FROM audit.events WHERE daemon_instance = ?", i),
        db.sql().count("SELECT count(DISTINCT event_id) FROM audit.events WHERE daemon_instance = ?", i),
        db.sql().count("SELECT coalesce(min(sequence), 0) FROM audit.events WHERE daemon_instance = ?", i),
        db.sql().count("SELECT coalesce(max(sequence), 0) FROM audit.events WHERE daemon_instance = ?", i),
        db.sql().count("SELECT count(*) FROM audit.alarms WHERE daemon_instance = ?", i));
  }

  /** Re-verifies the whole stored chain from its records: every hash, every link. */
  long verifiedChainLength() throws Exception {
    long n = 0;
    ByteString previous = AuditRecords.GENESIS;
    try (Connection c = db.superuser().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT record FROM audit.events WHERE daemon_instance = ? ORDER BY sequence")) {
      ps.setString(1, spool.instance());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          AuditEvent e = AuditEvent.parseFrom(rs.getBytes(1));
          assertThat(e.getSequence()).isEqualTo(n + 1);
          assertThat(AuditRecords.verifies(e, previous)).as("link %d", e.getSequence()).isTrue();
          previous = e.getHash();
          n++;
        }
      }
    }
    return n;
  }

  void assertCompleteTrail(long expected) throws Exception {
    assertThat(trail()).isEqualTo(new Trail(expected, expected, expected, 1, expected, 0));
    assertThat(verifiedChainLength()).isEqualTo(expected);
  }

  @Test
  void stream_overMutualTls_everyEventStoredOnceChainIntact() throws Exception {
    RunningCollector collector = startCollector(0, true);
    uploader(channel(port(collector), true, true), 20_000);

    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      writers.add(Thread.ofPlatform().start(() -> record(1250)));
    }
    for (Thread w : writers) {
      w.join();
    }

    await().atMost(Duration.ofSeconds(60)).until(() -> spool.acknowledgedSequence() == 5000);
    assertCompleteTrail(5000);
    assertThat(collector.collectorMetrics().storedCount()).isEqualTo(5000);
  }

  @Test
  void connect_withoutClientCertificate_refusedAtHandshake() throws Exception {
    RunningCollector collector = startCollector(0, true);
    ManagedChannel noCert = channel(port(collector), true, false);

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> HealthGrpc.newBlockingStub(noCert).withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(HealthGrpc.newBlockingStub(channel(port(collector), true, true)).check(HealthCheckRequest.newBuilder().setService("db").build())
        .getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  private long settledAcknowledgement() throws InterruptedException {
    long acked = spool.acknowledgedSequence();
    for (long seen = -1; seen != acked; ) {
      seen = acked;
      Thread.sleep(500);
      acked = spool.acknowledgedSequence();
    }
    return acked;
  }

  @Test
  void stream_collectorDownUnderLoad_noLossNoDuplicatesBacklogDrains() throws Exception {
    RunningCollector first = startCollector(0, true);
    int port = port(first);
    uploader(channel(port, true, true), 20_000);
    AtomicBoolean loading = new AtomicBoolean(true);
    AtomicLong released = new AtomicLong();
    List<Thread> load = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      // Up to 1,000 audited releases per second per thread (each waits for its group commit).
      load.add(Thread.ofPlatform().start(() -> {
        long next = System.nanoTime();
        while (loading.get()) {
          spool.record(AuditChain.release("acme", "run-load", "connector/github/v1", Instant.now()));
          released.incrementAndGet();
          next += 1_000_000;
          LockSupport.parkNanos(next - System.nanoTime());
        }
      }));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> spool.acknowledgedSequence() >= 2000);

    first.shutdown();
    // Acknowledgements the collector sent before it stopped may still be on their way to the
    // uploader: take the figure once it has settled (no change for half a second).
    long ackedAtStop = settledAcknowledgement();
    long releasedAtStop = released.get();
    // Releases keep working while the collector is away: the spool takes them.
    await().pollDelay(DOWN).atMost(DOWN.plusSeconds(5)).until(() -> true);
    long releasedWhileDown = released.get() - releasedAtStop;
    assertThat(spool.acknowledgedSequence()).isEqualTo(ackedAtStop);

    long restart = System.nanoTime();
    RunningCollector second = startCollector(port, true);
    long backlog = spool.durableSequence();
    await().atMost(Duration.ofSeconds(60)).until(() -> spool.acknowledgedSequence() > ackedAtStop);
    Duration reconnected = Duration.ofNanos(System.nanoTime() - restart);
    await().atMost(Duration.ofSeconds(120)).until(() -> spool.acknowledgedSequence() >= backlog);
    Duration drained = Duration.ofNanos(System.nanoTime() - restart);
    loading.set(false);
    for (Thread t : load) {
      t.join();
    }
    long total = spool.durableSequence();
    await().atMost(Duration.ofSeconds(30)).until(() -> spool.acknowledgedSequence() == total);

    assertThat(total).isEqualTo(released.get());
    // Every release of the outage succeeded (a failed record() would have ended its thread).
    assertThat(releasedWhileDown).isGreaterThan(DOWN.toSeconds() * 100);
    assertCompleteTrail(total);
    double redelivered = first.collectorMetrics().duplicateCount() + second.collectorMetrics().duplicateCount();
    System.out.printf(
        "collector-down e2e: down %s, events %d (%d recorded while down), lost 0, stored once each, redeliveries ignored %.0f,"
            + " alarms 0; backlog %d events, first ack %d ms after restart, backlog acknowledged %d ms after restart%n",
        DOWN, total, releasedWhileDown, redelivered, backlog - ackedAtStop, reconnected.toMillis(), drained.toMillis());
  }

  /** A collector that takes every batch and never acknowledges one. */
  static final class SilentCollector extends AuditIngestServiceGrpc.AuditIngestServiceImplBase {
    final AtomicLong received = new AtomicLong();

    @Override
    public StreamObserver<StreamRequest> stream(StreamObserver<StreamResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(StreamRequest batch) {
          received.addAndGet(batch.getEventsCount());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
  }

  @Test
  void stream_collectorNeverAcks_inFlightWindowStopsSenderSpoolGrowsThenRecovers() throws Exception {
    SilentCollector silent = new SilentCollector();
    Server fake = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(silent).build().start();
    int port = fake.getPort();
    uploader(channel(port, false, false), 1000);

    record(3000);
    await().atMost(Duration.ofSeconds(30)).until(() -> silent.received.get() == 1000);
    long bytesBefore = spool.unacknowledgedBytes();
    record(2000);

    // The window is full: nothing more is sent however long we wait, and the spool keeps it all.
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> silent.received.get() == 1000);
    assertThat(spool.acknowledgedSequence()).isZero();
    assertThat(spool.durableSequence()).isEqualTo(5000);
    assertThat(spool.unacknowledgedBytes()).isGreaterThan(bytesBefore);

    fake.shutdownNow().awaitTermination();
    startCollector(port, false);
    await().atMost(Duration.ofSeconds(60)).until(() -> spool.acknowledgedSequence() == 5000);
    assertCompleteTrail(5000);
  }
}
