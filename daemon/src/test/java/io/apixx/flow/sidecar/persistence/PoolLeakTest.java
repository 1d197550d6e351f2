package io.apixx.flow.sidecar.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.PgBouncer;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Security checklist item 7: 1,000 concurrent tenant scopes alternating between four tenants over
 * a pool of four connections, with failures injected in the middle of transactions (exceptions
 * thrown by the work, SQL errors, statement timeouts), directly and through a real PgBouncer in
 * transaction mode whose server pool is smaller than the client pool. Every scope checks that it
 * sees exactly its tenant's rows; every checkout checks that the connection carries no tenant.
 */
class PoolLeakTest {
  private static final int TRANSACTIONS = 1_000;
  private static final int POOL = 4;
  private static final int THREADS = 32;

  private static PostgresHarness pg;
  private static final List<String> TENANTS = new ArrayList<>();
  /** Tenant i has CONNECTORS[i] connectors, so a row count identifies the tenant too. */
  private static final int[] CONNECTORS = {3, 4, 5, 6};

  @BeforeAll
  static void setUp() {
    pg = PostgresHarness.shared();
    for (int i = 0; i < CONNECTORS.length; i++) {
      String tenant = Fixtures.uniqueTenantId("leak" + i);
      pg.fixtures().tenant(tenant);
      for (int c = 0; c < CONNECTORS[i]; c++) {
        pg.fixtures().connector(tenant, "c" + c);
      }
      TENANTS.add(tenant);
    }
  }

  @Test
  void concurrentScopes_direct_noCrossTenantRowsAndCleanCheckouts() throws Exception {
    Report r = run(config());
    r.assertClean();
  }

  @Test
  void concurrentScopes_throughPgBouncerTransactionMode_noCrossTenantRowsAndCleanCheckouts() throws Exception {
    try (PgBouncer bouncer = pg.startPgBouncer()) {
      Report r = run(bouncer.config(config()));
      r.assertClean();
    }
  }

  /** The probe is not vacuous: a session-level setting left on a connection is detected. */
  @Test
  void checkoutProbe_sessionLevelSettingLeftOnConnection_isDetected() {
    Report r = new Report("probe");
    try (Database db = DatabaseTestAccess.openWithCheckoutProbe(config().withPool(1, 0), r::probe)) {
      DatabaseTestAccess.withRawConnection(db, c -> {
        try (Statement s = c.createStatement()) {
          s.execute("SELECT set_config('app.tenant_id', 'leaked', false)"); // what must never happen
        }
        return null;
      });
      db.tenants().inTenantStatement(TENANTS.get(0), DbActor.system(), tx -> tx.query("SELECT 1 AS one", row -> 1));
      DatabaseTestAccess.withRawConnection(db, c -> {
        try (Statement s = c.createStatement()) {
          s.execute("SELECT set_config('app.tenant_id', '', false)");
        }
        return null;
      });
    }
    assertThat(r.dirtyCheckouts.sum()).isGreaterThanOrEqualTo(1);
  }

  private static DatabaseConfig config() {
    // Long enough a connect timeout for 1,000 scopes queueing for 4 connections; a short query
    // timeout so that injected timeouts are quick.
    return pg.config().withPool(POOL, 0).withTimeouts(Duration.ofSeconds(60), Duration.ofMillis(200));
  }

  private enum Step {
    READ_TX,
    READ_FAST,
    WRITE_THEN_THROW,
    READ_THEN_SQL_ERROR,
    READ_THEN_TIMEOUT,
    FAST_SQL_ERROR,
    FAST_TIMEOUT,
    MULTI_STATEMENT_TX
  }

  /** Each timeout step once in 16 (they hold a connection for the whole query timeout). */
  private static final Step[] SCHEDULE = {
    Step.READ_TX, Step.READ_FAST, Step.WRITE_THEN_THROW, Step.READ_THEN_SQL_ERROR,
    Step.READ_TX, Step.READ_FAST, Step.FAST_SQL_ERROR, Step.MULTI_STATEMENT_TX,
    Step.READ_TX, Step.READ_FAST, Step.READ_THEN_TIMEOUT, Step.WRITE_THEN_THROW,
    Step.READ_TX, Step.READ_FAST, Step.FAST_TIMEOUT, Step.MULTI_STATEMENT_TX
  };

  private static Report run(DatabaseConfig config) throws Exception {
    Report report = new Report(config.pgbouncer() ? "pgbouncer" : "direct");
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (Database db = DatabaseTestAccess.openWithCheckoutProbe(config, report::probe)) {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < TRANSACTIONS; i++) {
        int n = i;
        futures.add(pool.submit(() -> report.scope(db, n)));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    report.rolledBackRowsLeft =
        pg.fixtures().count("SELECT count(*) FROM flow.connectors WHERE id LIKE 'must-roll-back-%'");
    System.out.println(report);
    return report;
  }

  private static final class Report {
    final String variant;
    final LongAdder checkouts = new LongAdder();
    final LongAdder dirtyCheckouts = new LongAdder();
    final LongAdder crossTenantRows = new LongAdder();
    final LongAdder wrongCounts = new LongAdder();
    final LongAdder wrongSettings = new LongAdder();
    final Map<Step, AtomicInteger> planned = new ConcurrentHashMap<>();
    final Map<Step, AtomicInteger> expectedOutcome = new ConcurrentHashMap<>();
    final List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    long rolledBackRowsLeft;

    Report(String variant) {
      this.variant = variant;
    }

    Void probe(java.sql.Connection c) throws SQLException {
      checkouts.increment();
      // Tenant and actor must be empty; statement_timeout must be the role's default.
      if (!DatabaseTestAccess.scopeSettings(c).equals("||30s")) {
        dirtyCheckouts.increment();
      }
      return null;
    }

    void scope(Database db, int n) {
      int t = n % TENANTS.size();
      String tenant = TENANTS.get(t);
      Step step = SCHEDULE[(n / TENANTS.size()) % SCHEDULE.length];
      planned.computeIfAbsent(step, k -> new AtomicInteger()).incrementAndGet();
      TenantScope scope = db.tenants();
      DbActor actor = DbActor.service("leak-test");
      try {
        switch (step) {
          case READ_TX -> scope.inTenant(tenant, actor, tx -> check(tx, t));
          case READ_FAST -> scope.inTenantStatement(tenant, actor, tx -> check(tx, t));
          case WRITE_THEN_THROW -> scope.inTenant(tenant, actor, tx -> {
            tx.update("INSERT INTO flow.connectors (tenant_id, id, display_name) VALUES (?, ?, 'x')", tenant, "must-roll-back-" + n);
            check(tx, t);
            throw new InjectedFailure();
          });
          case READ_THEN_SQL_ERROR -> scope.inTenant(tenant, actor, tx -> {
            check(tx, t);
            return tx.query("SELECT 1 / (count(*) - count(*)) AS boom FROM flow.connectors", row -> 1);
          });
          case READ_THEN_TIMEOUT -> scope.inTenant(tenant, actor, tx -> {
            check(tx, t);
            return tx.query("SELECT pg_sleep(2)", row -> 1);
          });
          case FAST_SQL_ERROR -> scope.inTenantStatement(tenant, actor, tx ->
              tx.query("SELECT 1 / (count(*) - count(*)) AS boom FROM flow.connectors", row -> 1));
          case FAST_TIMEOUT -> scope.inTenantStatement(tenant, actor, tx -> tx.query("SELECT pg_sleep(2)", row -> 1));
          case MULTI_STATEMENT_TX -> scope.inTenant(tenant, actor, tx -> {
            check(tx, t);
            tx.query("SELECT id FROM flow.users", row -> row.getUuid("id"));
            return check(tx, t);
          });
        }
        if (step == Step.READ_TX || step == Step.READ_FAST || step == Step.MULTI_STATEMENT_TX) {
          outcome(step);
        } else {
          unexpected.add(new AssertionError(step + " did not fail"));
        }
      } catch (InjectedFailure e) {
        outcome(step);
      } catch (DatabaseException e) {
        boolean expected =
            switch (step) {
              case READ_THEN_SQL_ERROR, FAST_SQL_ERROR -> e.kind() == ErrorKind.INVALID_ARGUMENT;
              case READ_THEN_TIMEOUT, FAST_TIMEOUT -> "database_timeout".equals(e.reasonCode());
              default -> false;
            };
        if (expected) {
          outcome(step);
        } else {
          unexpected.add(e);
        }
      } catch (RuntimeException | Error e) {
        unexpected.add(e);
      }
    }

    private void outcome(Step step) {
      expectedOutcome.computeIfAbsent(step, k -> new AtomicInteger()).incrementAndGet();
    }

    /**
     * Reads every connector the scope can see, with the tenant setting in force, in one statement
     * (so that the single-statement fast path can use it too).
     */
    private Integer check(TenantTx tx, int t) {
      String tenant = TENANTS.get(t);
      List<String[]> rows =
          tx.query(
              "SELECT tenant_id, current_setting('app.tenant_id') AS setting FROM flow.connectors"
                  + " WHERE id NOT LIKE 'must-roll-back-%'",
              row -> new String[] {row.getString("tenant_id"), row.getString("setting")});
      for (String[] row : rows) {
        if (!row[0].equals(tenant)) {
          crossTenantRows.increment();
        }
        if (!row[1].equals(tenant)) {
          wrongSettings.increment();
        }
      }
      if (rows.size() != CONNECTORS[t]) {
        wrongCounts.increment();
      }
      return rows.size();
    }

    void assertClean() {
      assertThat(unexpected).as("unexpected outcomes").isEmpty();
      assertThat(crossTenantRows.sum()).as("cross-tenant rows seen").isZero();
      assertThat(wrongCounts.sum()).as("scopes that saw the wrong number of rows").isZero();
      assertThat(wrongSettings.sum()).as("scopes that saw another tenant setting").isZero();
      assertThat(dirtyCheckouts.sum()).as("checkouts carrying a tenant or actor").isZero();
      assertThat(checkouts.sum()).as("checkouts").isEqualTo(TRANSACTIONS);
      assertThat(rolledBackRowsLeft).as("rows of rolled-back transactions").isZero();
      for (Step step : Step.values()) {
        assertThat(expectedOutcome.getOrDefault(step, new AtomicInteger()).get())
            .as("%s scopes ending as planned", step)
            .isEqualTo(planned.get(step).get());
      }
    }

    @Override
    public String toString() {
      return "pool-leak[" + variant + "]: transactions=" + TRANSACTIONS + " pool=" + POOL
          + " checkouts=" + checkouts.sum() + " dirtyCheckouts=" + dirtyCheckouts.sum()
          + " crossTenantRows=" + crossTenantRows.sum() + " wrongCounts=" + wrongCounts.sum()
          + " wrongSettings=" + wrongSettings.sum() + " rolledBackRowsLeft=" + rolledBackRowsLeft
          + " unexpected=" + unexpected.size() + " planned=" + new java.util.TreeMap<>(planned)
          + " asPlanned=" + new java.util.TreeMap<>(expectedOutcome);
    }
  }

  private static final class InjectedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedFailure() {
      super("injected", null, false, false);
    }
  }
}
