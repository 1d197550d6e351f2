package io.apixx.flow.sidecar.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.server.HealthRegistry;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fail closed, recover by itself: PostgreSQL is stopped under load and started again on the same
 * port and data. While it is down every call fails with UNAVAILABLE within the configured timeout
 * (no hang), the {@code db} health service goes NOT_SERVING, and afterwards the same
 * {@link Database} object serves again and health returns to SERVING.
 */
class DatabaseOutageTest {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(1);
  /** Generous for a loaded 2-core machine: the timeouts plus 3 s of scheduling slack. */
  private static final Duration FAILURE_BOUND = CONNECT_TIMEOUT.plus(QUERY_TIMEOUT).plusSeconds(3);

  private static PostgresHarness pg;
  private static String tenant;

  @BeforeAll
  static void start() {
    pg = PostgresHarness.startPrivate();
    tenant = Fixtures.uniqueTenantId("outage");
    pg.fixtures().tenant(tenant);
    pg.fixtures().connector(tenant, "github");
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  /** One call's outcome. */
  private record Call(long startNanos, long nanos, ErrorKind failure) {}

  @Test
  void monitorStart_databaseUp_servingWhenStartReturns() {
    HealthRegistry health = new HealthRegistry(Metrics.forTesting());
    try (Database db = Database.open(pg.config().withTimeouts(CONNECT_TIMEOUT, QUERY_TIMEOUT));
        DatabaseHealthMonitor monitor =
            DatabaseHealthMonitor.start(db, health, Duration.ofSeconds(30), Duration.ofSeconds(5))) {
      // No waiting: the first probe ran inside start (the next one would come only after 30 s).
      assertThat(health.isServing("db")).isTrue();
    }
  }

  @Test
  void databaseStoppedUnderLoad_callsFailUnavailableInTime_thenRecoverWithSameDatabase() throws Exception {
    HealthRegistry health = new HealthRegistry(Metrics.forTesting());
    List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong lastSuccess = new AtomicLong();
    ExecutorService load = Executors.newFixedThreadPool(4);
    try (Database db = Database.open(pg.config().withTimeouts(CONNECT_TIMEOUT, QUERY_TIMEOUT));
        DatabaseHealthMonitor monitor =
            DatabaseHealthMonitor.start(db, health, Duration.ofMillis(200), Duration.ofMillis(500))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> health.isServing("db"));
      for (int i = 0; i < 4; i++) {
        load.submit(() -> {
          while (running.get()) {
            long t0 = System.nanoTime();
            ErrorKind failure = null;
            try {
              db.tenants().inTenantStatement(tenant, DbActor.system(), tx ->
                  tx.queryOne("SELECT id FROM flow.connectors", r -> r.getString("id")).orElseThrow());
              lastSuccess.set(System.nanoTime());
            } catch (DatabaseException e) {
              failure = e.kind();
            } catch (RuntimeException e) {
              failure = ErrorKind.INTERNAL;
            }
            calls.add(new Call(t0, System.nanoTime() - t0, failure));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // pace the load
          }
        });
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() >= 20);

      long stoppedAt = System.nanoTime();
      pg.stop();
      await().atMost(Duration.ofSeconds(10)).until(() -> !health.isServing("db"));
      long healthDownNanos = System.nanoTime() - stoppedAt;
      await().atMost(Duration.ofSeconds(30)).until(() -> failuresSince(calls, stoppedAt) >= 12);
      long downCalls = failuresSince(calls, stoppedAt);

      long restartedAt = System.nanoTime();
      pg.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> lastSuccess.get() > restartedAt);
      await().atMost(Duration.ofSeconds(10)).until(() -> health.isServing("db"));
      long recoveryNanos = System.nanoTime() - restartedAt;
      running.set(false);
      load.shutdown();
      assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

      List<Call> failures;
      synchronized (calls) {
        failures = calls.stream().filter(c -> c.failure() != null).toList();
      }
      long maxFailureMillis = failures.stream().mapToLong(Call::nanos).max().orElse(0) / 1_000_000;
      System.out.printf(
          "outage: calls=%d failures=%d (after stop: %d) kinds=%s maxFailureMs=%d bound=%dms healthDownMs=%d recoveryMs=%d%n",
          calls.size(),
          failures.size(),
          downCalls,
          failures.stream().map(Call::failure).distinct().toList(),
          maxFailureMillis,
          FAILURE_BOUND.toMillis(),
          healthDownNanos / 1_000_000,
          recoveryNanos / 1_000_000);
      assertThat(failures).isNotEmpty().allSatisfy(c -> assertThat(c.failure()).isEqualTo(ErrorKind.UNAVAILABLE));
      assertThat(maxFailureMillis).isLessThanOrEqualTo(FAILURE_BOUND.toMillis());
      assertThat(Duration.ofNanos(healthDownNanos)).isLessThan(Duration.ofSeconds(5)); // checklist item 14
    } finally {
      running.set(false);
      load.shutdownNow();
    }
  }

  private static long failuresSince(List<Call> calls, long since) {
    synchronized (calls) {
      return calls.stream().filter(c -> c.failure() != null && c.startNanos() >= since).count();
    }
  }
}
