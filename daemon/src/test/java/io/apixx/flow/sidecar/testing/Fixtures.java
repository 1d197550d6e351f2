package io.apixx.flow.sidecar.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Test data, written as the superuser (row level security does not apply), so fixtures never
 * depend on the policies a test examines. Every method commits at once. Thread-safe.
 */
public final class Fixtures {
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final Supplier<DataSource> superuser;

  Fixtures(Supplier<DataSource> superuser) {
    this.superuser = superuser;
  }

  /** A tenant id no other test in this JVM uses: {@code prefix-<n>-<random>}. */
  public static String uniqueTenantId(String prefix) {
    String suffix = Long.toString(SEQUENCE.incrementAndGet(), 36) + "-" + UUID.randomUUID().toString().substring(0, 8);
    String id = prefix + "-" + suffix;
    return id.length() > 63 ? id.substring(id.length() - 63).replaceFirst("^-+", "x") : id;
  }

  /** A tenant on the enterprise plan in us-east-1. */
  public void tenant(String tenantId) {
    execute(
        "INSERT INTO flow.tenants (id, name, plan, residency_region) VALUES (?, ?, 'enterprise', 'us-east-1')",
        tenantId,
        "Tenant " + tenantId);
  }

  /** An active user with the given roles (admin, member, viewer); returns its id. */
  public UUID user(String tenantId, String email, String... roles) {
    UUID id = UUID.randomUUID();
    execute("INSERT INTO flow.users (tenant_id, id, email) VALUES (?, ?, ?)", tenantId, id, email);
    for (String role : roles) {
      execute(
          "INSERT INTO flow.user_roles (tenant_id, user_id, role, granted_by) VALUES (?, ?, ?, 'system')",
          tenantId,
          id,
          role);
    }
    return id;
  }

  /** A connector without credentials. */
  public void connector(String tenantId, String connectorId) {
    execute(
        "INSERT INTO flow.connectors (tenant_id, id, display_name) VALUES (?, ?, ?)",
        tenantId,
        connectorId,
        "Connector " + connectorId);
  }

  /**
   * The next version of a connector's credential with placeholder sealed bytes (not a real
   * ciphertext); returns the version number.
   */
  public int credentialVersion(String tenantId, String connectorId, String keyRef) {
    long current =
        count(
            "SELECT count(*) FROM flow.connector_credentials WHERE tenant_id = ? AND connector_id = ?",
            tenantId,
            connectorId);
    UUID credentialId =
        UUID.nameUUIDFromBytes((tenantId + "/" + connectorId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    int version = (int) current + 1;
    execute(
        "INSERT INTO flow.connector_credentials"
            + " (tenant_id, connector_id, credential_id, version, ciphertext, wrapped_key, key_ref, field_names)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        tenantId,
        connectorId,
        credentialId,
        version,
        new byte[] {1, 2, 3},
        ("wrapped-" + version).getBytes(java.nio.charset.StandardCharsets.UTF_8),
        keyRef,
        new String[] {"api_key"});
    return version;
  }

  /** Runs one statement as the superuser; returns the update count. */
  public int execute(String sql, Object... params) {
    try (Connection c = superuser.get().getConnection();
        PreparedStatement ps = prepare(c, sql, params)) {
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("fixture statement failed: " + sql, e);
    }
  }

  /**
   * Runs one statement as the superuser with triggers off ({@code session_replication_role =
   * replica}, for this transaction only): what someone with write access to the database could do
   * around the immutability and notification triggers. Returns the update count.
   */
  public int executeBypassingTriggers(String sql, Object... params) {
    try (Connection c = superuser.get().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement off = c.prepareStatement("SET LOCAL session_replication_role = replica")) {
        off.execute();
      }
      int count;
      try (PreparedStatement ps = prepare(c, sql, params)) {
        count = ps.executeUpdate();
      }
      c.commit();
      return count;
    } catch (SQLException e) {
      throw new IllegalStateException("fixture statement failed: " + sql, e);
    }
  }

  /** Runs a query returning one number as the superuser (e.g. {@code SELECT count(*) ...}). */
  public long count(String sql, Object... params) {
    try (Connection c = superuser.get().getConnection();
        PreparedStatement ps = prepare(c, sql, params);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException("fixture query failed: " + sql, e);
    }
  }

  /** Runs a query as the superuser and returns every row as column label to value (catalog checks). */
  public List<Map<String, Object>> rows(String sql, Object... params) {
    try (Connection c = superuser.get().getConnection();
        PreparedStatement ps = prepare(c, sql, params);
        ResultSet rs = ps.executeQuery()) {
      List<Map<String, Object>> out = new ArrayList<>();
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= columns; i++) {
          row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
        }
        out.add(row);
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("fixture query failed: " + sql, e);
    }
  }

  private static PreparedStatement prepare(Connection c, String sql, Object[] params) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < params.length; i++) {
      if (params[i] instanceof String[] a) {
        ps.setArray(i + 1, c.createArrayOf("text", a));
      } else {
        ps.setObject(i + 1, params[i]);
      }
    }
    return ps;
  }
}
