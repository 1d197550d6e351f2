package io.apixx.flow.sidecar.audit.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.testing.MutableClock;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * audit.events is append-only, by two walls: flow_collector has no UPDATE, DELETE or TRUNCATE
 * privilege (on the table or any partition), and even when a superuser grants them, the triggers
 * refuse the change. Both are proven here against real PostgreSQL.
 */
class AuditStoreAppendOnlyTest {
  static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  static final String PARTITION = "audit.events_y2026m11";
  static AuditDatabase db;
  static AuditChain chain;

  @BeforeAll
  static void storeSomeEvents() {
    db = AuditDatabase.create("appendonly");
    new PartitionMaintenance(db.owner(), 13, new MutableClock(NOW)).run();
    chain = new AuditChain("append-only-daemon");
    new AuditStore(db.collector(), db.collector(), AuditStore.Observer.NONE).store(chain.instance(), chain.releases(10, "acme", NOW));
  }

  @AfterEach
  void revokeGrants() {
    db.sql().execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit.events, " + PARTITION + ", audit.events_default FROM flow_collector");
  }

  static Stream<String> changes() {
    return Stream.of(
        "UPDATE audit.events SET target = 'x'",
        "DELETE FROM audit.events",
        "TRUNCATE audit.events",
        "UPDATE " + PARTITION + " SET target = 'x'",
        "DELETE FROM " + PARTITION,
        "TRUNCATE " + PARTITION,
        "TRUNCATE audit.events_default");
  }

  /** How PostgreSQL refused a statement. */
  record Refusal(String sqlState, String message) {}

  /** Runs {@code sql} as {@code as}; the refusal, or null when it ran. */
  static Refusal refused(DataSource as, String sql) {
    SQLException e = catchThrowableOfType(SQLException.class, () -> {
      try (Connection c = as.getConnection(); Statement s = c.createStatement()) {
        s.execute(sql);
      }
    });
    return e == null ? null : new Refusal(e.getSQLState(), e.getMessage());
  }

  long rows() {
    return db.sql().count("SELECT count(*) FROM audit.events WHERE daemon_instance = ?", chain.instance());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("changes")
  void change_asCollectorRole_refusedByPrivileges(String sql) {
    Refusal e = refused(db.collector(), sql);

    assertThat(e).as(sql).isNotNull();
    assertThat(e.sqlState()).isEqualTo("42501");
    assertThat(e.message()).contains("permission denied");
    assertThat(rows()).isEqualTo(10);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("changes")
  void change_asCollectorRoleAfterSuperuserGrants_refusedByTrigger(String sql) {
    db.sql().execute("GRANT UPDATE, DELETE, TRUNCATE ON audit.events, " + PARTITION + ", audit.events_default TO flow_collector");
    // The grants work: the same role may now read the partition, so only the trigger stands.
    db.sql().execute("GRANT SELECT ON " + PARTITION + " TO flow_collector");

    Refusal e = refused(db.collector(), sql);

    assertThat(e).as(sql).isNotNull();
    assertThat(e.sqlState()).isEqualTo("42501");
    assertThat(e.message()).contains("audit.events is append-only");
    assertThat(rows()).isEqualTo(10);
    db.sql().execute("REVOKE SELECT ON " + PARTITION + " FROM flow_collector");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("changes")
  void change_asOwner_refusedByTrigger(String sql) {
    Refusal e = refused(db.owner(), sql);

    assertThat(e).as(sql).isNotNull();
    assertThat(e.message()).contains("audit.events is append-only");
    assertThat(rows()).isEqualTo(10);
  }

  @Test
  void insertAndSelect_asCollectorRole_allowedOnTableOnly() {
    assertThat(refused(db.collector(), "SELECT count(*) FROM audit.events")).isNull();
    assertThat(refused(db.collector(), "SELECT count(*) FROM " + PARTITION)).isNotNull();
    assertThat(refused(db.collector(), "INSERT INTO " + PARTITION + " SELECT * FROM audit.events LIMIT 0")).isNotNull();
  }

  @Test
  void collectorRole_catalog_notOwnerNotSuperuserOnlyInsertSelectOnEvents() {
    List<java.util.Map<String, Object>> role =
        db.sql().rows("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'flow_collector'");
    assertThat(role.get(0).values()).containsOnly(false);
    assertThat(db.sql().count("SELECT count(*) FROM pg_tables WHERE schemaname = 'audit' AND tableowner = 'flow_collector'")).isZero();
    List<java.util.Map<String, Object>> privileges =
        db.sql().rows("SELECT privilege_type FROM information_schema.role_table_grants"
            + " WHERE grantee = 'flow_collector' AND table_schema = 'audit' AND table_name = 'events' ORDER BY 1");
    assertThat(privileges).extracting(r -> r.get("privilege_type")).containsExactly("INSERT", "SELECT");
  }

  @Test
  void otherRolesOfTheCluster_cannotConnectToTheAuditDatabase() {
    assertThat(db.sql().rows("SELECT has_database_privilege('flow_app', current_database(), 'CONNECT') AS app,"
            + " has_database_privilege('flow_collector', current_database(), 'CONNECT') AS collector")
        .get(0)).containsEntry("app", false).containsEntry("collector", true);
  }
}
