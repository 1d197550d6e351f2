package io.apixx.flow.sidecar.credentials;

import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.Row;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.persistence.TenantTx;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Every SQL statement on {@code flow.connectors} and {@code flow.connector_credentials}. Each runs
 * through {@link TenantScope}, so row level security confines it to the tenant; the statements
 * also name the tenant explicitly (the primary-key prefix). Writes need an admin actor (the
 * policies check it: a service, the daemon, or a user holding the admin role).
 *
 * <p>The current version of a credential is its highest version; the version triggers keep
 * versions contiguous and mark version n as rotated when n+1 is inserted.
 *
 * <p>Thread-safe (stateless).
 */
final class CredentialStore {
  /** The current version of one connector, with the time version 1 was sealed. */
  private static final String CURRENT =
      "SELECT c.tenant_id, c.connector_id, c.credential_id, c.version, c.ciphertext, c.wrapped_key, c.key_ref,"
          + " c.field_names, c.created_at, c.revoked_at,"
          + " coalesce((SELECT f.created_at FROM flow.connector_credentials f"
          + "   WHERE f.tenant_id = c.tenant_id AND f.connector_id = c.connector_id AND f.version = 1),"
          + "   c.created_at) AS first_created_at"
          + " FROM flow.connector_credentials c"
          + " WHERE c.tenant_id = ? AND c.connector_id = ?"
          + " ORDER BY c.version DESC LIMIT 1";

  /**
   * A page of current versions after a cursor. The window function runs before DISTINCT ON, so it
   * sees every version of the connector; ciphertext and wrapped key are not read.
   */
  private static final String PAGE =
      "SELECT DISTINCT ON (c.connector_id) c.tenant_id, c.connector_id, c.credential_id, c.version, c.key_ref,"
          + " c.field_names, c.created_at, c.revoked_at,"
          + " min(c.created_at) OVER (PARTITION BY c.connector_id) AS first_created_at"
          + " FROM flow.connector_credentials c"
          + " WHERE c.tenant_id = ? AND c.connector_id > ?%s"
          + " ORDER BY c.connector_id, c.version DESC LIMIT ?";

  private static final String INSERT_VERSION =
      "INSERT INTO flow.connector_credentials"
          + " (tenant_id, connector_id, credential_id, version, ciphertext, wrapped_key, key_ref, field_names)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
          + " RETURNING created_at";

  private final TenantScope scope;

  CredentialStore(TenantScope scope) {
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  /** A new version to insert. The ciphertext is sealed for exactly these coordinates. */
  record NewVersion(
      String connectorId, UUID credentialId, int version, byte[] ciphertext, byte[] wrappedKey, String keyRef, List<String> fieldNames) {
    @Override
    public String toString() {
      return "NewVersion[connector=" + connectorId + ", v" + version + ", keyRef=" + keyRef + "]";
    }
  }

  /** The current version, in one round trip (the hot path of GetCredential). */
  Optional<StoredCredential> current(String tenantId, String connectorId, DbActor actor) {
    return scope.inTenantStatement(tenantId, actor, tx -> current(tx, connectorId, false));
  }

  /**
   * The current version within {@code tx}; with {@code lock}, the row is locked until the
   * transaction ends, so concurrent rotations and revocations of one connector take turns.
   */
  Optional<StoredCredential> current(TenantTx tx, String connectorId, boolean lock) {
    return tx.queryOne(lock ? CURRENT + " FOR UPDATE OF c" : CURRENT, CredentialStore::full, tx.tenantId(), connectorId);
  }

  /**
   * Up to {@code limit} current versions with connector ids after {@code after} ("" for the
   * first page), ascending; when {@code only} is non-null, restricted to those connector ids.
   */
  List<StoredCredential> page(String tenantId, DbActor actor, String after, Collection<String> only, int limit) {
    String sql = String.format(PAGE, only == null ? "" : " AND c.connector_id = ANY (?)");
    return scope.inTenantStatement(
        tenantId,
        actor,
        tx ->
            only == null
                ? tx.query(sql, CredentialStore::metadataOnly, tenantId, after, limit)
                : tx.query(sql, CredentialStore::metadataOnly, tenantId, after, List.copyOf(only), limit));
  }

  /**
   * Creates the connector unless it exists; a non-empty {@code displayName} replaces the existing
   * one.
   */
  void upsertConnector(TenantTx tx, String connectorId, String displayName, boolean replaceName) {
    tx.update(
        "INSERT INTO flow.connectors (tenant_id, id, display_name) VALUES (?, ?, ?)"
            + (replaceName
                ? " ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = EXCLUDED.display_name"
                : " ON CONFLICT (tenant_id, id) DO NOTHING"),
        tx.tenantId(),
        connectorId,
        displayName);
  }

  /** Inserts a version; returns its creation time (the database's transaction time). */
  Instant insert(TenantTx tx, NewVersion v) {
    return tx.queryOne(
            INSERT_VERSION,
            r -> r.getInstant("created_at"),
            tx.tenantId(),
            v.connectorId(),
            v.credentialId(),
            v.version(),
            v.ciphertext(),
            v.wrappedKey(),
            v.keyRef(),
            v.fieldNames())
        .orElseThrow();
  }

  /** Marks every unrevoked version revoked; returns the revocation time. */
  Instant revokeAll(TenantTx tx, String connectorId) {
    List<Instant> times =
        tx.query(
            "UPDATE flow.connector_credentials SET revoked_at = now()"
                + " WHERE tenant_id = ? AND connector_id = ? AND revoked_at IS NULL RETURNING revoked_at",
            r -> r.getInstant("revoked_at"),
            tx.tenantId(),
            connectorId);
    return times.isEmpty() ? Instant.EPOCH : times.get(0);
  }

  private static StoredCredential full(Row r) {
    return row(r, true);
  }

  private static StoredCredential metadataOnly(Row r) {
    return row(r, false);
  }

  /** A row; without {@code sealed}, the query did not read ciphertext and wrapped key. */
  private static StoredCredential row(Row r, boolean sealed) {
    return new StoredCredential(
        r.getString("tenant_id"),
        r.getString("connector_id"),
        r.getUuid("credential_id"),
        r.getInt("version"),
        sealed ? r.getBytes("ciphertext") : new byte[0],
        sealed ? r.getBytes("wrapped_key") : new byte[0],
        r.getString("key_ref"),
        r.getStringList("field_names"),
        r.getInstant("first_created_at"),
        r.getInstant("created_at"),
        r.getInstant("revoked_at"));
  }
}
