package io.apixx.flow.sidecar.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Security checklist item 6, by behaviour: as the application role, on raw connections (so that
 * nothing in the Java API helps), SELECT, INSERT, UPDATE and DELETE against another tenant's rows
 * touch 0 rows or are refused, in three contexts: no tenant ever set on the connection; a tenant
 * that was set transaction-locally in an earlier transaction (the setting then reads as '', not
 * NULL); and a transaction of another tenant acting as 'system', the most privileged actor. Every
 * table with tenant data, every view and every function flow_app may execute is discovered from
 * the catalog, so a new one fails this test until it is covered.
 */
class TenantIsolationTest {
  private static PostgresHarness pg;
  private static String victim;
  private static String attacker;
  private static UUID victimAdmin;

  private enum Context {
    NO_TENANT,
    TENANT_OF_ENDED_TRANSACTION,
    OTHER_TENANT_AS_SYSTEM
  }

  private enum Outcome {
    ZERO_ROWS,
    REFUSED,
    LEAKED
  }

  @BeforeAll
  static void setUp() {
    pg = PostgresHarness.shared();
    Fixtures fx = pg.fixtures();
    victim = Fixtures.uniqueTenantId("victim");
    attacker = Fixtures.uniqueTenantId("attacker");
    for (String t : List.of(victim, attacker)) {
      fx.tenant(t);
      UUID admin = fx.user(t, "admin@" + t + ".example", "admin", "member");
      if (t.equals(victim)) {
        victimAdmin = admin;
      }
      fx.connector(t, "github");
      fx.credentialVersion(t, "github", "file://" + t);
      Instant now = Instant.now();
      fx.execute(
          "INSERT INTO flow.sessions (token_hash, tenant_id, kind, user_id, idle_expires_at, absolute_expires_at)"
              + " VALUES (sha256(convert_to(?, 'UTF8')), ?, 'user', ?, ?, ?)",
          "token-" + t, t, admin, at(now.plusSeconds(3600)), at(now.plusSeconds(7200)));
      fx.execute(
          "INSERT INTO flow.used_run_tokens (tenant_id, jti, expires_at) VALUES (?, 'jti-1', ?)",
          t, at(now.plusSeconds(600)));
      fx.execute(
          "INSERT INTO flow.auth_throttle (tenant_id, scope, key, failures, first_failure_at, last_failure_at)"
              + " VALUES (?, 'source', '10.0.0.1', 2, now(), now())",
          t);
      fx.execute(
          "INSERT INTO flow_maint.service_role_events (function_name, tenant_id, rows_affected, actor_kind, actor_id)"
              + " VALUES ('rewrap_credential', ?, 1, 'service', 'fixture')",
          t);
    }
  }

  private static OffsetDateTime at(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  /** A table holding tenant data and the column naming the tenant. */
  private record TenantTable(String name, String tenantColumn) {}

  private static List<TenantTable> tenantTables() throws SQLException {
    List<TenantTable> out = new ArrayList<>();
    for (Map<String, Object> row :
        pg.fixtures().rows(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,"
                + " CASE WHEN n.nspname = 'flow' AND c.relname = 'tenants' THEN 'id' ELSE 'tenant_id' END AS col"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                + "   AND n.nspname NOT LIKE 'pg_toast%'"
                + "   AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'"
                + "                AND NOT a.attisdropped) OR (n.nspname = 'flow' AND c.relname = 'tenants'))"
                + " ORDER BY 1")) {
      out.add(new TenantTable((String) row.get("name"), (String) row.get("col")));
    }
    return out;
  }

  @Test
  void everyTenantTable_crossTenantAndTenantless_touchZeroRowsOrAreRefused() throws SQLException {
    List<TenantTable> tables = tenantTables();
    Map<String, Long> before = victimCounts(tables);
    assertThat(before).as("every tenant table needs a victim fixture row").allSatisfy((t, n) -> assertThat(n).as(t).isPositive());

    Map<Outcome, Integer> totals = new TreeMap<>();
    List<String> leaks = new ArrayList<>();
    try (Connection c = pg.appDataSource().getConnection()) {
      c.setAutoCommit(false);
      for (TenantTable table : tables) {
        String victimRow = victimRowJson(table);
        String updatable = updatableColumn(table);
        for (Context context : Context.values()) {
          Map<String, String> statements = new LinkedHashMap<>();
          statements.put("SELECT", "SELECT count(*) FROM " + table.name() + " WHERE " + table.tenantColumn() + " = ?");
          statements.put(
              "UPDATE",
              "UPDATE " + table.name() + " SET " + updatable + " = " + updatable + " WHERE " + table.tenantColumn() + " = ?");
          statements.put("DELETE", "DELETE FROM " + table.name() + " WHERE " + table.tenantColumn() + " = ?");
          String columns = insertableColumns(table);
          statements.put(
              "INSERT",
              "INSERT INTO " + table.name() + " (" + columns + ") SELECT " + columns
                  + " FROM jsonb_populate_record(NULL::" + table.name() + ", ?::jsonb)");
          for (Map.Entry<String, String> st : statements.entrySet()) {
            Object param = st.getKey().equals("INSERT") ? victimRow : victim;
            Outcome o = attempt(c, context, st.getValue(), param);
            totals.merge(o, 1, Integer::sum);
            if (o == Outcome.LEAKED) {
              leaks.add(table.name() + " " + st.getKey() + " in " + context);
            }
          }
        }
      }
    }
    int checks = totals.values().stream().mapToInt(Integer::intValue).sum();
    System.out.println(
        "isolation: tables=" + tables.size() + " contexts=" + Context.values().length
            + " commands=4 checks=" + checks + " outcomes=" + totals + " tables=" + tables.stream().map(TenantTable::name).toList());
    assertThat(leaks).isEmpty();
    assertThat(checks).isEqualTo(tables.size() * Context.values().length * 4);
    assertThat(victimCounts(tables)).as("the victim's rows, unchanged").isEqualTo(before);
  }

  @Test
  void views_crossTenantAndTenantless_showNothing() throws SQLException {
    List<String> views = new ArrayList<>();
    for (Map<String, Object> row :
        pg.fixtures().rows(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(viewname) AS name FROM pg_views"
                + " WHERE schemaname IN ('flow', 'flow_maint', 'public')"
                + " UNION ALL SELECT quote_ident(schemaname) || '.' || quote_ident(matviewname) FROM pg_matviews"
                + " WHERE schemaname IN ('flow', 'flow_maint', 'public')")) {
      views.add((String) row.get("name"));
    }
    List<String> visible = new ArrayList<>();
    try (Connection c = pg.appDataSource().getConnection()) {
      c.setAutoCommit(false);
      for (String view : views) {
        for (Context context : Context.values()) {
          if (attempt(c, context, "SELECT count(*) FROM " + view + " WHERE ? IS NOT NULL", victim) == Outcome.LEAKED) {
            visible.add(view + " in " + context);
          }
        }
      }
    }
    System.out.println("isolation: views=" + views.size() + " " + views);
    assertThat(visible).isEmpty();
  }

  @Test
  void executableFunctions_crossTenantAndTenantless_revealNothingAndChangeNothing() throws SQLException {
    Set<String> executable = new TreeSet<>();
    for (Map<String, Object> row :
        pg.fixtures().rows(
            "SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname IN ('flow', 'flow_maint', 'public')"
                + "   AND has_function_privilege('flow_app', p.oid, 'EXECUTE')")) {
      executable.add((String) row.get("name"));
    }
    // Each of these is exercised below; a new function must be added here and tested.
    assertThat(executable)
        .containsExactlyInAnyOrder(
            "flow.has_role(uuid,text,text)",
            "flow.actor_is_admin()",
            "flow_maint.list_credentials_for_rewrap(text,text,text,integer,integer)",
            "flow_maint.rewrap_credential(text,text,integer,bytea,bytea,text)",
            "flow_maint.list_mfa_secrets_for_rewrap(text,uuid,text,integer)",
            "flow_maint.rewrap_mfa_secret(text,uuid,text,bytea,bytea,text)",
            "flow_maint.purge_expired(timestamp with time zone,interval)");

    List<String> problems = new ArrayList<>();
    int checks = 0;
    try (Connection c = pg.appDataSource().getConnection()) {
      c.setAutoCommit(false);
      for (Context context : Context.values()) {
        // has_role answers only inside the current tenant: never true for the victim's admin.
        checks++;
        if (attempt(c, context, "SELECT flow.has_role(?::uuid, '" + victim + "', 'admin')", victimAdmin.toString())
            == Outcome.LEAKED) {
          problems.add("has_role revealed the victim's admin in " + context);
        }
        // The victim's admin is no admin anywhere else.
        checks++;
        if (attemptAsUser(c, context, "SELECT flow.actor_is_admin() AND ? IS NOT NULL", victim) == Outcome.LEAKED) {
          problems.add("actor_is_admin true for the victim's admin in " + context);
        }
        // Maintenance functions refuse every actor but service and system.
        for (String call :
            List.of(
                "SELECT count(*) FROM flow_maint.list_credentials_for_rewrap(NULL, NULL, NULL, NULL, 100) WHERE ? IS NOT NULL",
                "SELECT flow_maint.rewrap_credential('" + victim + "', 'github', 1, 'x'::bytea, 'y'::bytea, 'k') AND ? IS NOT NULL",
                "SELECT count(*) FROM flow_maint.list_mfa_secrets_for_rewrap(NULL, NULL, NULL, 100) WHERE ? IS NOT NULL",
                "SELECT flow_maint.rewrap_mfa_secret('" + victim + "', '" + victimAdmin + "', 'confirmed', 'x'::bytea, 'y'::bytea, 'k') AND ? IS NOT NULL",
                "SELECT count(*) FROM flow_maint.purge_expired(now() + interval '100 years', interval '0') WHERE ? IS NOT NULL")) {
          checks++;
          if (attemptAsUser(c, context, call, victim) != Outcome.REFUSED) {
            problems.add("not refused in " + context + ": " + call);
          }
        }
      }
    }
    System.out.println("isolation: executable functions=" + executable.size() + " checks=" + checks + " problems=" + problems.size());
    assertThat(problems).isEmpty();
  }

  // ---- attempts -----------------------------------------------------------------------------

  /** Prepares the connection's transaction for {@code context}, acting as {@code actor} (app.actor). */
  private static void enter(Connection c, Context context, String actor) throws SQLException {
    switch (context) {
      case NO_TENANT -> {}
      case TENANT_OF_ENDED_TRANSACTION -> {
        // Set the victim's tenant transaction-locally, end that transaction: '' remains.
        try (PreparedStatement ps =
            c.prepareStatement("SELECT set_config('app.tenant_id', ?, true), set_config('app.actor', ?, true)")) {
          ps.setString(1, victim);
          ps.setString(2, actor);
          ps.executeQuery().close();
        }
        c.commit();
      }
      case OTHER_TENANT_AS_SYSTEM -> {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT set_config('app.tenant_id', ?, true), set_config('app.actor', ?, true)")) {
          ps.setString(1, attacker);
          ps.setString(2, actor);
          ps.executeQuery().close();
        }
      }
    }
  }

  private static Outcome attempt(Connection c, Context context, String sql, Object param) throws SQLException {
    return run(c, context, "system:sidecar", sql, param);
  }

  private static Outcome attemptAsUser(Connection c, Context context, String sql, Object param) throws SQLException {
    return run(c, context, "user:" + victimAdmin, sql, param);
  }

  private static Outcome run(Connection c, Context context, String actor, String sql, Object param)
      throws SQLException {
    try {
      enter(c, context, actor);
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setObject(1, param);
        if (ps.execute()) {
          try (ResultSet rs = ps.getResultSet()) {
            rs.next();
            Object v = rs.getObject(1);
            return v instanceof Number n && n.longValue() == 0 || Boolean.FALSE.equals(v) || v == null
                ? Outcome.ZERO_ROWS
                : Outcome.LEAKED;
          }
        }
        return ps.getUpdateCount() == 0 ? Outcome.ZERO_ROWS : Outcome.LEAKED;
      }
    } catch (SQLException e) {
      // 42501: insufficient privilege or a row level security policy. Anything else is a defect of
      // the test or the schema, not a refusal.
      if ("42501".equals(e.getSQLState())) {
        return Outcome.REFUSED;
      }
      throw e;
    } finally {
      c.rollback();
    }
  }

  // ---- fixtures and catalog ------------------------------------------------------------------

  private static Map<String, Long> victimCounts(List<TenantTable> tables) {
    Map<String, Long> counts = new TreeMap<>();
    for (TenantTable t : tables) {
      counts.put(
          t.name(),
          pg.fixtures().count("SELECT count(*) FROM " + t.name() + " WHERE " + t.tenantColumn() + " = ?", victim));
    }
    return counts;
  }

  private static String victimRowJson(TenantTable t) throws SQLException {
    try (Connection c = pg.superuserDataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT to_jsonb(t)::text FROM " + t.name() + " t WHERE " + t.tenantColumn() + " = ? LIMIT 1")) {
      ps.setString(1, victim);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /** The columns an INSERT may name (not GENERATED ALWAYS), comma-separated. */
  private static String insertableColumns(TenantTable t) {
    return (String)
        pg.fixtures()
            .rows(
                "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute"
                    + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
                    + " AND attidentity <> 'a' AND attgenerated = ''",
                t.name())
            .get(0)
            .get("cols");
  }

  /** A column flow_app may update in {@code t}, or the tenant column when there is none. */
  private static String updatableColumn(TenantTable t) throws SQLException {
    try (Connection c = pg.superuserDataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0"
                    + " AND NOT a.attisdropped AND has_column_privilege('flow_app', a.attrelid, a.attnum, 'UPDATE')"
                    + " ORDER BY a.attnum LIMIT 1")) {
      ps.setString(1, t.name());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : t.tenantColumn();
      }
    }
  }
}
