package io.apixx.flow.sidecar.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tenant-scoped API against a real PostgreSQL: confinement, transaction semantics, the
 * single-statement fast path, error mapping, the admin write policies, and worked examples of the
 * queries the other capabilities need (sessions, run-token replay, throttling, credential
 * rotation).
 */
class TenantScopeTest {
  private static PostgresHarness pg;
  private static Fixtures fx;
  private static Database db;
  /** A pool of one connection: consecutive calls see the same physical connection. */
  private static Database single;
  private static String tenantA;
  private static String tenantB;
  private static UUID adminA;
  private static UUID memberA;

  @BeforeAll
  static void setUp() {
    pg = PostgresHarness.shared();
    fx = pg.fixtures();
    tenantA = Fixtures.uniqueTenantId("scope-a");
    tenantB = Fixtures.uniqueTenantId("scope-b");
    fx.tenant(tenantA);
    fx.tenant(tenantB);
    adminA = fx.user(tenantA, "admin@a.example", "admin");
    memberA = fx.user(tenantA, "member@a.example", "member");
    fx.user(tenantB, "admin@b.example", "admin");
    fx.connector(tenantA, "github");
    fx.connector(tenantA, "slack");
    fx.connector(tenantB, "github");
    db = pg.openDatabase();
    single = Database.open(pg.config().withPool(1, 0));
  }

  @AfterAll
  static void tearDown() {
    db.close();
    single.close();
  }

  /** Asserts that {@code call} fails with a {@link DatabaseException} of {@code kind}. */
  private static void assertDatabaseError(ErrorKind kind, ThrowingCallable call) {
    assertThatThrownBy(call)
        .asInstanceOf(type(DatabaseException.class))
        .satisfies(e -> assertThat(e.kind()).isEqualTo(kind));
  }

  /** One statement in {@code tenant} acting as the daemon itself. */
  private static <T> T statementAsSystem(String tenant, TenantWork<T> work) {
    return db.tenants().inTenantStatement(tenant, DbActor.system(), work);
  }

  private static List<String> connectorsOf(TenantTx tx) {
    return tx.query(
        "SELECT tenant_id || '/' || id AS ref FROM flow.connectors ORDER BY id", row -> row.getString("ref"));
  }

  @Test
  void inTenant_selectWithoutWhere_seesOnlyItsTenant() {
    List<String> a = db.tenants().inTenant(tenantA, DbActor.system(), TenantScopeTest::connectorsOf);
    List<String> b = statementAsSystem(tenantB, TenantScopeTest::connectorsOf);

    // Other tests add connectors to tenant A; tenant B gets none.
    assertThat(a).allMatch(ref -> ref.startsWith(tenantA + "/")).contains(tenantA + "/github", tenantA + "/slack");
    assertThat(b).containsExactly(tenantB + "/github");
  }

  @Test
  void inTenant_settings_visibleToEveryStatementOfTheTransaction() {
    List<String> seen =
        db.tenants()
            .inTenant(
                tenantA,
                DbActor.user(memberA),
                tx -> {
                  List<String> out = new ArrayList<>();
                  for (int i = 0; i < 3; i++) {
                    out.add(
                        tx.queryOne(
                                "SELECT current_setting('app.tenant_id') || ',' || current_setting('app.actor')"
                                    + " || ',' || current_setting('statement_timeout') AS s",
                                row -> row.getString("s"))
                            .orElseThrow());
                  }
                  return out;
                });
    assertThat(seen).containsOnly(tenantA + ",user:" + memberA + ",5s").hasSize(3);
  }

  @Test
  void inTenantStatement_settings_endWithTheStatementOnThatConnection() {
    String inside =
        single
            .tenants()
            .inTenantStatement(
                tenantA,
                DbActor.run("run-1"),
                tx -> tx.queryOne("SELECT current_setting('app.tenant_id') AS t", row -> row.getString("t")).orElseThrow());
    // The same physical connection (pool of one), outside any scope.
    String after = DatabaseTestAccess.withRawConnection(single, DatabaseTestAccess::scopeSettings);

    assertThat(inside).isEqualTo(tenantA);
    assertThat(after).isEqualTo("||30s"); // the role default, not the transaction's 5s
  }

  @Test
  void inTenant_settings_endWithTheTransactionOnThatConnection() {
    single.tenants().inTenant(tenantA, DbActor.system(), TenantScopeTest::connectorsOf);
    String after = DatabaseTestAccess.withRawConnection(single, DatabaseTestAccess::scopeSettings);
    assertThat(after).isEqualTo("||30s");
  }

  @Test
  void inTenant_workThrows_rollsBackAndPropagates() {
    RuntimeException boom = new IllegalStateException("boom");
    assertThatThrownBy(
            () ->
                db.tenants()
                    .inTenant(
                        tenantA,
                        DbActor.system(),
                        tx -> {
                          tx.update(
                              "INSERT INTO flow.connectors (tenant_id, id, display_name) VALUES (?, 'rolled-back', 'x')",
                              tenantA);
                          throw boom;
                        }))
        .isSameAs(boom);
    assertThat(fx.count("SELECT count(*) FROM flow.connectors WHERE tenant_id = ? AND id = 'rolled-back'", tenantA))
        .isZero();
  }

  @Test
  void inTenantStatement_secondStatement_isRefused() {
    assertThatThrownBy(
            () ->
                statementAsSystem(tenantA, tx -> {
                          connectorsOf(tx);
                          return connectorsOf(tx);
                        }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exactly one statement");
  }

  @Test
  void tenantTx_sqlWithSemicolon_isRefused() {
    assertThatThrownBy(() -> statementAsSystem(tenantA, tx -> tx.update("SELECT 1; RESET ALL")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tenantTx_usedAfterTheScope_isRefused() {
    AtomicReference<TenantTx> leaked = new AtomicReference<>();
    db.tenants().inTenant(tenantA, DbActor.system(), tx -> {
      leaked.set(tx);
      return null;
    });
    assertThatThrownBy(() -> connectorsOf(leaked.get()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("scope has ended");
  }

  @Test
  void inTenant_malformedTenantId_invalidArgumentWithoutTheValue() {
    assertThatThrownBy(() -> db.tenants().inTenant("Evil'; DROP", DbActor.system(), TenantScopeTest::connectorsOf))
        .asInstanceOf(type(SidecarException.class))
        .satisfies(e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Evil"));
  }

  @Test
  void insert_duplicateEmailAnyCase_alreadyExistsNamingTheConstraintNotTheValue() {
    assertThatThrownBy(
            () ->
                statementAsSystem(tenantA, tx ->
                            tx.update(
                                "INSERT INTO flow.users (tenant_id, email) VALUES (?, ?)", tenantA, "ADMIN@A.example")))
        .asInstanceOf(type(DatabaseException.class))
        .satisfies(e -> assertThat(e.kind()).isEqualTo(ErrorKind.ALREADY_EXISTS))
        .satisfies(e -> assertThat(e.constraint()).contains("users_tenant_email_key"))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContainIgnoringCase("admin@a"))
        .satisfies(e -> assertThat(e.getCause().getMessage()).doesNotContainIgnoringCase("admin@a"));
  }

  @Test
  void statement_longerThanQueryTimeout_unavailableTimeout() {
    try (Database quick = Database.open(pg.config().withTimeouts(Duration.ofSeconds(3), Duration.ofMillis(300)))) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  quick.tenants().inTenant(tenantA, DbActor.system(), tx -> tx.query("SELECT pg_sleep(5)", row -> 1)))
          .asInstanceOf(type(DatabaseException.class))
          .satisfies(e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE))
          .satisfies(e -> assertThat(e.reasonCode()).isEqualTo("database_timeout"));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }
  }

  // ---- admin-only writes: has_role() in the policies --------------------------------------------

  private static int insertConnector(DbActor actor, String tenant, String id) {
    return db.tenants()
        .inTenantStatement(
            tenant,
            actor,
            tx -> tx.update("INSERT INTO flow.connectors (tenant_id, id, display_name) VALUES (?, ?, 'n')", tenant, id));
  }

  @Test
  void connectorWrite_adminUser_allowed() {
    assertThat(insertConnector(DbActor.user(adminA), tenantA, "by-admin")).isEqualTo(1);
  }

  @Test
  void connectorWrite_memberUserOrRun_permissionDenied() {
    for (DbActor actor : List.of(DbActor.user(memberA), DbActor.run("run-7"))) {
      assertDatabaseError(ErrorKind.PERMISSION_DENIED, () -> insertConnector(actor, tenantA, "by-" + actor.kind()));
    }
  }

  @Test
  void connectorWrite_adminOfAnotherTenant_permissionDenied() {
    // adminA acting in tenant B: has_role(adminA, B, admin) is false.
    assertDatabaseError(ErrorKind.PERMISSION_DENIED, () -> insertConnector(DbActor.user(adminA), tenantB, "by-foreign-admin"));
  }

  @Test
  void connectorWrite_disabledAdmin_permissionDenied() {
    UUID disabled = fx.user(tenantA, "disabled-admin@a.example", "admin");
    fx.execute("UPDATE flow.users SET status = 'disabled' WHERE id = ?", disabled);
    assertDatabaseError(ErrorKind.PERMISSION_DENIED, () -> insertConnector(DbActor.user(disabled), tenantA, "by-disabled"));
  }

  @Test
  void hasRole_otherTenant_falseEvenForAnAdminThere() {
    boolean[] answers =
        statementAsSystem(tenantA, tx ->
                    tx.queryOne(
                            "SELECT flow.has_role(?, ?, 'admin') AS here, flow.has_role(u.id, ?, 'admin') AS there"
                                + " FROM (SELECT ?::uuid AS id) u",
                            row -> new boolean[] {row.getBoolean("here"), row.getBoolean("there")},
                            adminA,
                            tenantA,
                            tenantB,
                            UUID.randomUUID())
                        .orElseThrow());
    assertThat(answers).containsExactly(true, false);
  }

  // ---- worked examples for the auth and credential capabilities ---------------------------------

  @Test
  void example_sessionLookupByTokenHash_foundOnlyInItsTenant() throws NoSuchAlgorithmException {
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(("fss_" + tenantA + "_secret").getBytes());
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    statementAsSystem(tenantA, tx ->
                tx.update(
                    "INSERT INTO flow.sessions (token_hash, tenant_id, kind, user_id, idle_expires_at, absolute_expires_at)"
                        + " VALUES (?, ?, 'user', ?, ?, ?)",
                    hash,
                    tenantA,
                    memberA,
                    now.plus(Duration.ofHours(12)),
                    now.plus(Duration.ofDays(30))));
    String lookup =
        "SELECT user_id, absolute_expires_at FROM flow.sessions WHERE token_hash = ? AND revoked_at IS NULL";
    Optional<UUID> inA =
        statementAsSystem(tenantA, tx -> tx.queryOne(lookup, r -> r.getUuid("user_id"), hash));
    Optional<UUID> inB =
        statementAsSystem(tenantB, tx -> tx.queryOne(lookup, r -> r.getUuid("user_id"), hash));

    assertThat(inA).contains(memberA);
    assertThat(inB).isEmpty();
  }

  @Test
  void example_revokeUserSessions_cannotBeUndone() throws NoSuchAlgorithmException {
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(UUID.randomUUID().toString().getBytes());
    Instant now = Instant.now();
    db.tenants()
        .inTenant(
            tenantA,
            DbActor.system(),
            tx ->
                tx.update(
                    "INSERT INTO flow.sessions (token_hash, tenant_id, kind, user_id, idle_expires_at, absolute_expires_at)"
                        + " VALUES (?, ?, 'user', ?, ?, ?)",
                    hash, tenantA, adminA, now.plusSeconds(60), now.plusSeconds(120)));
    int revoked =
        statementAsSystem(tenantA, tx ->
                    tx.update(
                        "UPDATE flow.sessions SET revoked_at = now(), revoke_reason = 'password_changed'"
                            + " WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL",
                        tenantA,
                        adminA));
    assertThat(revoked).isEqualTo(1);
    assertDatabaseError(ErrorKind.INVALID_ARGUMENT, () ->
                statementAsSystem(tenantA, tx -> tx.update("UPDATE flow.sessions SET revoked_at = NULL, revoke_reason = NULL WHERE token_hash = ?", hash)));
  }

  @Test
  void example_runTokenJti_acceptedOnce() {
    String jti = UUID.randomUUID().toString();
    String sql =
        "INSERT INTO flow.used_run_tokens (tenant_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    Instant exp = Instant.now().plusSeconds(300);
    int first = statementAsSystem(tenantA, tx -> tx.update(sql, tenantA, jti, exp));
    int replay = statementAsSystem(tenantA, tx -> tx.update(sql, tenantA, jti, exp));
    int otherTenant = statementAsSystem(tenantB, tx -> tx.update(sql, tenantB, jti, exp));

    assertThat(first).isEqualTo(1);
    assertThat(replay).isZero();
    assertThat(otherTenant).isEqualTo(1); // jti are per issuer tenant
  }

  @Test
  void example_throttleUpsert_countsFailuresAndLocks() {
    String upsert =
        "INSERT INTO flow.auth_throttle AS t (tenant_id, scope, key, failures, first_failure_at, last_failure_at)"
            + " VALUES (?, 'account', ?, 1, now(), now())"
            + " ON CONFLICT (tenant_id, scope, key) DO UPDATE"
            + " SET failures = t.failures + 1, last_failure_at = now(),"
            + "     locked_until = CASE WHEN t.failures + 1 >= ? THEN now() + ?::interval ELSE t.locked_until END"
            + " RETURNING failures, locked_until IS NOT NULL AS locked";
    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      outcomes.add(
          statementAsSystem(tenantA, tx ->
                      tx.queryOne(
                              upsert,
                              r -> r.getInt("failures") + ":" + r.getBoolean("locked"),
                              tenantA,
                              "member@a.example",
                              3,
                              "5 minutes")
                          .orElseThrow()));
    }
    assertThat(outcomes).containsExactly("1:false", "2:false", "3:true");
  }

  @Test
  void example_credentialRotation_marksPreviousVersionAndKeepsVersionsContiguous() {
    String connector = "rotating";
    db.tenants().inTenantStatement(tenantA, DbActor.user(adminA), tx ->
        tx.update("INSERT INTO flow.connectors (tenant_id, id, display_name) VALUES (?, ?, 'Rotating')", tenantA, connector));
    UUID credentialId = UUID.randomUUID();
    String seal =
        "INSERT INTO flow.connector_credentials"
            + " (tenant_id, connector_id, credential_id, version, ciphertext, wrapped_key, key_ref, field_names)"
            + " VALUES (?, ?, ?, ?, ?, ?, 'file://demo', ?)";
    for (int version = 1; version <= 2; version++) {
      int v = version;
      db.tenants().inTenantStatement(tenantA, DbActor.user(adminA), tx ->
          tx.update(seal, tenantA, connector, credentialId, v, new byte[] {9}, new byte[] {8}, List.of("token")));
    }
    String current =
        "SELECT version, rotated_at IS NOT NULL AS rotated, field_names FROM flow.connector_credentials"
            + " WHERE tenant_id = ? AND connector_id = ? ORDER BY version";
    List<String> versions =
        db.tenants()
            .inTenantStatement(
                tenantA,
                DbActor.run("run-9"),
                tx -> tx.query(current, r -> r.getInt("version") + ":" + r.getBoolean("rotated") + ":" + r.getStringList("field_names"), tenantA, connector));

    assertThat(versions).containsExactly("1:true:[token]", "2:false:[token]");
    assertDatabaseError(ErrorKind.INVALID_ARGUMENT, () -> db.tenants().inTenantStatement(tenantA, DbActor.user(adminA), tx ->
            tx.update(seal, tenantA, connector, credentialId, 4, new byte[] {9}, new byte[] {8}, List.of("token"))));
  }
}
