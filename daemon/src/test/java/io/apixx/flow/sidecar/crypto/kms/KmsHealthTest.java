package io.apixx.flow.sidecar.crypto.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.server.HealthRegistry;
import io.apixx.flow.sidecar.testing.FakeTicker;
import io.apixx.flow.sidecar.testing.MutableClock;
import io.apixx.flow.sidecar.testing.SwitchableKms;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KmsHealth}: the "kms" health service follows KMS calls and recovers by probing. */
class KmsHealthTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  /** A scheduler whose only thread is held, so no probe runs unless the test calls it. */
  private final ScheduledExecutorService paused = Executors.newSingleThreadScheduledExecutor();
  private final CountDownLatch release = new CountDownLatch(1);
  private final HealthRegistry health = new HealthRegistry(Metrics.forTesting());
  private SwitchableKms backend;
  private KmsHealth monitored;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void setUp() throws Exception {
    LocalKeyringKms closed = LocalKeyringKms.open(dir.resolve("closed.json"), clock);
    closed.close();
    backend = new SwitchableKms(LocalKeyringKms.open(dir.resolve("keyring.json"), clock), closed);
    paused.submit(() -> {
      release.await();
      return null;
    });
    String name = "health-" + UUID.randomUUID();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(health.service()).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (monitored != null) {
      monitored.close();
    }
    scheduler.shutdownNow();
    release.countDown();
    paused.shutdownNow();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** The statuses a Watch of "kms" reports, as they arrive. */
  private BlockingQueue<ServingStatus> watch() {
    BlockingQueue<ServingStatus> seen = new LinkedBlockingQueue<>();
    HealthGrpc.newStub(channel)
        .watch(
            HealthCheckRequest.newBuilder().setService(KmsHealth.DEPENDENCY).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(HealthCheckResponse r) {
                seen.add(r.getStatus());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    return seen;
  }

  private static ServingStatus next(BlockingQueue<ServingStatus> q) throws InterruptedException {
    ServingStatus s = q.poll(5, TimeUnit.SECONDS);
    assertThat(s).as("a status within 5 s").isNotNull();
    return s;
  }

  @Test
  void monitor_beforeFirstProbe_notServingThenServing() throws Exception {
    BlockingQueue<ServingStatus> watched = watch();
    assertThat(next(watched)).isIn(ServingStatus.NOT_SERVING, ServingStatus.SERVICE_UNKNOWN);

    monitored = KmsHealth.monitor(backend, health, scheduler, Duration.ofMillis(50), Duration.ofMinutes(5));

    await().atMost(5, TimeUnit.SECONDS).until(() -> health.isServing(KmsHealth.DEPENDENCY));
    assertThat(watched).contains(ServingStatus.SERVING);
  }

  @Test
  void generateDataKey_kmsUnavailable_notServingAtOnceAndWatchSeesItWithinFiveSeconds() throws Exception {
    monitored = KmsHealth.monitor(backend, health, paused, Duration.ofHours(1), Duration.ofHours(1));
    monitored.probe();
    assertThat(health.isServing(KmsHealth.DEPENDENCY)).isTrue();
    BlockingQueue<ServingStatus> watched = watch();
    assertThat(next(watched)).isEqualTo(ServingStatus.SERVING);

    backend.down(true);
    long start = System.nanoTime();
    assertThatThrownBy(() -> monitored.generateDataKey("acme"))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE));

    assertThat(next(watched)).isEqualTo(ServingStatus.NOT_SERVING);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("kms NOT_SERVING seen by Health Watch after %d ms%n", ms);
    assertThat(ms).isLessThan(5000);
    assertThat(health.isOverallServing()).isFalse();
  }

  @Test
  void probe_kmsReturnsAfterOutage_servingAgainByItself() {
    monitored = KmsHealth.monitor(backend, health, scheduler, Duration.ofMillis(50), Duration.ofMinutes(5));
    await().atMost(5, TimeUnit.SECONDS).until(() -> health.isServing(KmsHealth.DEPENDENCY));
    backend.down(true);
    assertThatThrownBy(() -> monitored.generateDataKey("acme")).isInstanceOf(KmsException.class);
    assertThat(health.isServing(KmsHealth.DEPENDENCY)).isFalse();
    long callsWhileDown = backend.calls();
    await().atMost(5, TimeUnit.SECONDS).until(() -> backend.calls() > callsWhileDown + 2);
    assertThat(health.isServing(KmsHealth.DEPENDENCY)).as("still down: probes keep failing").isFalse();

    backend.down(false);

    await().atMost(5, TimeUnit.SECONDS).until(() -> health.isServing(KmsHealth.DEPENDENCY));
    monitored.generateDataKey("acme").close();
  }

  @Test
  void unwrap_invalidCiphertext_countsAsKmsAnswering() {
    monitored = KmsHealth.monitor(backend, health, paused, Duration.ofHours(1), Duration.ofHours(1));
    assertThat(health.isServing(KmsHealth.DEPENDENCY)).isFalse();
    assertThatThrownBy(() -> monitored.unwrap("acme", new byte[65])).isInstanceOf(InvalidCiphertextException.class);
    assertThat(health.isServing(KmsHealth.DEPENDENCY)).isTrue();
  }

  @Test
  void unwrap_cacheHitUnderDekCache_needsNoKmsAndKeepsState() {
    monitored = KmsHealth.monitor(backend, health, paused, Duration.ofHours(1), Duration.ofHours(1));
    DekCache cache = DekCache.wrap(monitored, new DekCacheConfig(Duration.ofMinutes(5), 100, 100), new FakeTicker());
    DataKey key = cache.generateDataKey("acme");
    backend.down(true);

    cache.unwrap("acme", key.wrapped().bytes()).close(); // a hit: no KMS call, no verdict

    assertThat(health.isServing(KmsHealth.DEPENDENCY)).isTrue();
    cache.invalidateAll();
    assertThatThrownBy(() -> cache.unwrap("acme", key.wrapped().bytes())).isInstanceOf(KmsException.class);
    assertThat(health.isServing(KmsHealth.DEPENDENCY)).isFalse();
    key.close();
  }

  @Test
  void monitor_badInterval_rejected() {
    assertThatThrownBy(() -> KmsHealth.monitor(backend, health, scheduler, Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
