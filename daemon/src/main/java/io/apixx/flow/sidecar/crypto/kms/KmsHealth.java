package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.secret.SecretBytes;
import io.apixx.flow.sidecar.server.HealthRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the KMS as the {@value #DEPENDENCY} dependency of {@code grpc.health.v1}: a {@link Kms}
 * decorator that watches every call to the backend.
 *
 * <ul>
 *   <li>A call that fails with {@link KmsException} of kind UNAVAILABLE turns {@value #DEPENDENCY}
 *       NOT_SERVING at once (so Health Watch shows it within the time of that call).
 *   <li>A call that gets an answer from the KMS turns it SERVING: a success, or {@link
 *       InvalidCiphertextException} (the KMS answered; the ciphertext was bad). Other failures
 *       (invalid arguments, configuration errors) leave the state as it is.
 *   <li>A probe runs every {@code probeInterval}: always while NOT_SERVING, so the state recovers
 *       by itself when the KMS returns; while SERVING only when no call has succeeded for {@code
 *       idleInterval}, so an outage is noticed on an idle daemon without loading a busy KMS. The
 *       probe wraps a random key for the tenant {@value #PROBE_TENANT} (the backend creates that
 *       tenant's key on first use; it protects nothing). The first probe runs at once, and the
 *       state is NOT_SERVING until it answers.
 * </ul>
 *
 * Put it directly over the backend and under {@link DekCache}, so that cache hits (which need no
 * KMS) do not count as evidence either way:
 *
 * <pre>{@code
 * Kms backend = KmsFactory.create(config.kms(), clock, scheduler);
 * KmsHealth monitored = KmsHealth.monitor(backend, health, scheduler, Duration.ofSeconds(2), Duration.ofSeconds(30));
 * Kms kms = DekCache.wrap(monitored, config.kms().dekCache(), Ticker.systemTicker());
 * }</pre>
 *
 * Thread-safe. {@link #close()} stops the probe and closes the backend.
 */
public final class KmsHealth implements Kms {
  private static final Logger log = LoggerFactory.getLogger(KmsHealth.class);

  /** The dependency name in {@code grpc.health.v1}. */
  public static final String DEPENDENCY = "kms";
  /** The tenant whose key the probe wraps under. */
  public static final String PROBE_TENANT = "flow-health";

  private final Kms backend;
  private final HealthRegistry health;
  private final long idleNanos;
  private final SecureRandom random = new SecureRandom();
  private volatile boolean serving;
  private volatile long lastSuccessNanos;
  private volatile ScheduledFuture<?> probeTask;

  private KmsHealth(Kms backend, HealthRegistry health, Duration idleInterval) {
    this.backend = backend;
    this.health = health;
    this.idleNanos = idleInterval.toNanos();
  }

  /**
   * Registers {@value #DEPENDENCY} (NOT_SERVING) with {@code health}, schedules the probe on
   * {@code scheduler} (first run at once) and returns the monitoring decorator.
   *
   * @param probeInterval time between probe checks (e.g. 2 s); recovery is noticed within it
   * @param idleInterval while SERVING, probe only after this long without a successful call
   * @throws IllegalArgumentException for a non-positive interval
   */
  public static KmsHealth monitor(
      Kms backend, HealthRegistry health, ScheduledExecutorService scheduler, Duration probeInterval, Duration idleInterval) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(scheduler, "scheduler");
    if (probeInterval.isNegative() || probeInterval.isZero() || idleInterval.isNegative() || idleInterval.isZero()) {
      throw new IllegalArgumentException("probe and idle intervals must be positive");
    }
    KmsHealth monitor = new KmsHealth(backend, health, idleInterval);
    health.register(DEPENDENCY);
    monitor.probeTask =
        scheduler.scheduleWithFixedDelay(monitor::probeIfDue, 0, probeInterval.toMillis(), TimeUnit.MILLISECONDS);
    return monitor;
  }

  /** Whether the KMS answered the last call or probe. */
  public boolean isServing() {
    return serving;
  }

  /**
   * Probes now, whatever the state: wraps a random key for {@value #PROBE_TENANT}.
   *
   * @return whether the KMS answered
   */
  public boolean probe() {
    byte[] dek = new byte[32];
    random.nextBytes(dek);
    try (SecretBytes key = SecretBytes.adopt(dek)) {
      wrap(PROBE_TENANT, key);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void probeIfDue() {
    try {
      if (!serving || System.nanoTime() - lastSuccessNanos > idleNanos) {
        probe();
      }
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again; the probe must survive anything.
      log.warn("kms health probe failed unexpectedly", e);
    }
  }

  @Override
  public DataKey generateDataKey(String tenantId) {
    return watch(() -> backend.generateDataKey(tenantId));
  }

  @Override
  public SecretBytes unwrap(String tenantId, byte[] wrapped) {
    return watch(() -> backend.unwrap(tenantId, wrapped));
  }

  @Override
  public WrappedKey wrap(String tenantId, SecretBytes dek) {
    return watch(() -> backend.wrap(tenantId, dek));
  }

  @Override
  public WrappedKey rewrap(String tenantId, byte[] wrapped) {
    return watch(() -> backend.rewrap(tenantId, wrapped));
  }

  private <T> T watch(Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (InvalidCiphertextException e) {
      reachable();
      throw e;
    } catch (KmsException e) {
      if (e.kind() == ErrorKind.UNAVAILABLE) {
        set(false);
      }
      throw e;
    }
    reachable();
    return result;
  }

  private void reachable() {
    lastSuccessNanos = System.nanoTime();
    set(true);
  }

  private synchronized void set(boolean ok) {
    // Under the lock, so that the state and what the registry shows never disagree.
    if (serving != ok) {
      serving = ok;
      health.set(DEPENDENCY, ok);
    }
  }

  /** Stops the probe and closes the backend. */
  @Override
  public void close() {
    ScheduledFuture<?> task = probeTask;
    if (task != null) {
      task.cancel(false);
    }
    backend.close();
  }

  @Override
  public String toString() {
    return "KmsHealth[backend=" + backend + ", serving=" + serving + "]";
  }
}
