package io.apixx.flow.sidecar.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.testing.PostgresHarness;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Security checklist item 6, from the catalog: the roles are what the design says, every table
 * with tenant data has ENABLE and FORCE row level security with a policy per command, and every
 * SECURITY DEFINER function pins its search_path. Tables and functions are discovered, not listed,
 * so a new migration cannot slip past.
 */
class SchemaIntrospectionTest {
  private static PostgresHarness pg;

  @BeforeAll
  static void start() {
    pg = PostgresHarness.shared();
  }

  @Test
  void appRole_attributes_notSuperuserNoBypassRlsOwnsNothing() {
    Map<String, Object> role =
        one(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin,"
                + " (SELECT count(*) FROM pg_class WHERE relowner = r.oid) AS relations,"
                + " (SELECT count(*) FROM pg_proc WHERE proowner = r.oid) AS functions,"
                + " (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) AS schemas,"
                + " pg_has_role(r.oid, 'flow_service', 'MEMBER') AS service_member,"
                + " pg_has_role(r.oid, 'flow_owner', 'MEMBER') AS owner_member,"
                + " has_database_privilege(r.oid, current_database(), 'TEMP') AS temp,"
                + " has_schema_privilege(r.oid, 'public', 'CREATE') AS create_public,"
                + " has_schema_privilege(r.oid, 'flow', 'CREATE') AS create_flow"
                + " FROM pg_roles r WHERE rolname = 'flow_app'");
    assertThat(role)
        .containsEntry("rolsuper", false)
        .containsEntry("rolbypassrls", false)
        .containsEntry("rolcreaterole", false)
        .containsEntry("rolcreatedb", false)
        .containsEntry("rolcanlogin", true)
        .containsEntry("relations", 0L)
        .containsEntry("functions", 0L)
        .containsEntry("schemas", 0L)
        .containsEntry("service_member", false)
        .containsEntry("owner_member", false)
        .containsEntry("temp", false)
        .containsEntry("create_public", false)
        .containsEntry("create_flow", false);
  }

  @Test
  void otherRoles_attributes_noBypassRlsAndServiceCannotLogIn() {
    assertThat(one("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'flow_service'"))
        .containsEntry("rolsuper", false)
        .containsEntry("rolbypassrls", false)
        .containsEntry("rolcanlogin", false);
    assertThat(one("SELECT rolsuper, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = 'flow_owner'"))
        .containsEntry("rolsuper", false)
        .containsEntry("rolbypassrls", false)
        .containsEntry("rolinherit", false);
  }

  @Test
  void appRole_searchPath_setOnTheRole() {
    List<String> settings =
        column(
            "SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
                + " WHERE r.rolname = 'flow_app'");
    assertThat(settings).contains("search_path=pg_catalog, flow, pg_temp");
  }

  @Test
  void tenantTables_rowLevelSecurity_enabledAndForced() {
    List<Map<String, Object>> tables =
        all(
            "SELECT n.nspname || '.' || c.relname AS name, c.relrowsecurity, c.relforcerowsecurity"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p')"
                + "   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
                + "   AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
                + "                AND a.attname = 'tenant_id' AND NOT a.attisdropped)"
                + "        OR (n.nspname = 'flow' AND c.relname = 'tenants'))"
                + " ORDER BY 1");
    System.out.println("tenant tables checked for ENABLE+FORCE RLS: " + tables.size());
    assertThat(tables).hasSizeGreaterThanOrEqualTo(8);
    for (Map<String, Object> t : tables) {
      assertThat(t).as("%s", t.get("name")).containsEntry("relrowsecurity", true).containsEntry("relforcerowsecurity", true);
    }
  }

  @Test
  void tenantTables_policies_coverEveryCommandForEveryone() {
    List<Map<String, Object>> gaps =
        all(
            "SELECT n.nspname || '.' || c.relname AS name, cmd"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " CROSS JOIN unnest(ARRAY['r', 'a', 'w', 'd']) AS cmd"
                + " WHERE c.relrowsecurity AND n.nspname IN ('flow', 'flow_maint')"
                + "   AND n.nspname || '.' || c.relname <> 'flow_maint.service_role_events'"
                + "   AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid"
                + "                   AND p.polcmd IN (cmd::\"char\", '*') AND p.polroles = '{0}')");
    assertThat(gaps).as("tables lacking a policy for a command (r=select a=insert w=update d=delete)").isEmpty();
  }

  @Test
  void schemaTables_everyTable_holdsTenantDataOrIsKnown() {
    Set<String> without =
        new TreeSet<>(
            column(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname IN ('flow', 'flow_maint', 'public')"
                    + "   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
                    + "                   AND a.attname = 'tenant_id' AND NOT a.attisdropped)"));
    // tenants is keyed on id; Flyway's history is not granted to flow_app.
    assertThat(without).containsExactlyInAnyOrder("flow.tenants", "flow.flyway_schema_history");
    assertThat(
            one(
                "SELECT has_table_privilege('flow_app', 'flow.flyway_schema_history', 'SELECT')"
                    + " OR has_table_privilege('flow_app', 'flow.flyway_schema_history', 'INSERT') AS any"))
        .containsEntry("any", false);
  }

  @Test
  void securityDefinerFunctions_searchPath_pinned() {
    List<Map<String, Object>> functions =
        all(
            "SELECT p.oid::regprocedure::text AS name, p.proconfig::text AS config"
                + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')");
    System.out.println("SECURITY DEFINER functions checked: " + functions.size());
    assertThat(functions).extracting(f -> f.get("name")).contains("flow.has_role(uuid,text,text)");
    for (Map<String, Object> f : functions) {
      assertThat((String) f.get("config")).as("%s", f.get("name")).isEqualTo("{\"search_path=pg_catalog, pg_temp\"}");
    }
  }

  @Test
  void maintenanceFunctions_owner_isServiceRoleAndNotPublic() {
    List<Map<String, Object>> functions =
        all(
            "SELECT p.oid::regprocedure::text AS name, pg_get_userbyid(p.proowner) AS owner,"
                + " has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute"
                + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname = 'flow_maint' AND p.prosecdef");
    assertThat(functions).hasSize(5);
    for (Map<String, Object> f : functions) {
      assertThat(f).as("%s", f.get("name")).containsEntry("owner", "flow_service").containsEntry("public_execute", false);
    }
  }

  private static Map<String, Object> one(String sql) {
    List<Map<String, Object>> rows = all(sql);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  private static List<String> column(String sql) {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> row : all(sql)) {
      out.add(String.valueOf(row.values().iterator().next()));
    }
    return out;
  }

  private static List<Map<String, Object>> all(String sql) {
    return pg.fixtures().rows(sql);
  }
}
