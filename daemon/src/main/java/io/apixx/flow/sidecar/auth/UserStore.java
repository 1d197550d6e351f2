package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.Row;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.persistence.TenantTx;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/** Users of a tenant, as authentication needs them. Roles live in {@code user_roles}, never here. */
public final class UserStore {
  private final TenantScope tenants;

  public UserStore(TenantScope tenants) {
    this.tenants = tenants;
  }

  /**
   * A user's authentication facts. {@code passwordHash} is absent for SSO-only users. The sealed
   * TOTP seed is the ciphertext, its wrapped data key and that key's reference.
   */
  public record User(
      String tenantId,
      UUID id,
      String email,
      Optional<String> passwordHash,
      String status,
      Optional<Sealed> mfaSecret,
      Optional<Instant> mfaConfirmedAt,
      long mfaLastUsedStep,
      Optional<Sealed> mfaPending,
      Optional<Instant> mfaPendingExpiresAt) {

    public boolean active() {
      return "active".equals(status);
    }

    public boolean mfaConfirmed() {
      return mfaConfirmedAt.isPresent() && mfaSecret.isPresent();
    }

    @Override
    public String toString() {
      return "User[" + tenantId + "/" + id + ", status=" + status + ", mfa=" + mfaConfirmed() + "]";
    }
  }

  /** A sealed value as stored: ciphertext, wrapped DEK, key reference. */
  public record Sealed(byte[] ciphertext, byte[] wrappedDek, String keyRef) {
    @Override
    public String toString() {
      return "Sealed[keyRef=" + keyRef + "]";
    }
  }

  private static final String COLUMNS =
      "tenant_id, id, email, password_hash, status, mfa_secret, mfa_wrapped_dek, mfa_key_ref, mfa_confirmed_at,"
          + " mfa_last_used_step, mfa_pending_secret, mfa_pending_wrapped_dek, mfa_pending_key_ref, mfa_pending_expires_at";

  static User map(Row r) {
    byte[] secret = r.getBytes("mfa_secret");
    byte[] pending = r.getBytes("mfa_pending_secret");
    Long step = r.getLong("mfa_last_used_step");
    return new User(
        r.getString("tenant_id"),
        r.getUuid("id"),
        r.getString("email"),
        Optional.ofNullable(r.getString("password_hash")),
        r.getString("status"),
        secret == null ? Optional.empty() : Optional.of(new Sealed(secret, r.getBytes("mfa_wrapped_dek"), r.getString("mfa_key_ref"))),
        Optional.ofNullable(r.getInstant("mfa_confirmed_at")),
        step == null ? -1 : step,
        pending == null ? Optional.empty() : Optional.of(new Sealed(pending, r.getBytes("mfa_pending_wrapped_dek"), r.getString("mfa_pending_key_ref"))),
        Optional.ofNullable(r.getInstant("mfa_pending_expires_at")));
  }

  /** The user with {@code email} (case-insensitive) in the tenant. */
  public Optional<User> findByEmail(String tenantId, String email) {
    return tenants.inTenantStatement(
        tenantId,
        DbActor.system(),
        tx -> tx.queryOne("SELECT " + COLUMNS + " FROM flow.users WHERE lower(email) = ?", UserStore::map, email.toLowerCase(Locale.ROOT)));
  }

  /** The user with {@code id} in the tenant. */
  public Optional<User> find(String tenantId, UUID id) {
    return tenants.inTenantStatement(
        tenantId, DbActor.user(id), tx -> find(tx, id));
  }

  /** Inside a transaction. */
  public Optional<User> find(TenantTx tx, UUID id) {
    return tx.queryOne("SELECT " + COLUMNS + " FROM flow.users WHERE id = ?", UserStore::map, id);
  }

  /** Replaces a password hash (re-hash at login); does not revoke sessions. */
  public void updatePasswordHash(String tenantId, UUID id, String hash) {
    tenants.inTenantStatement(
        tenantId, DbActor.user(id), tx -> tx.update("UPDATE flow.users SET password_hash = ? WHERE id = ?", hash, id));
  }
}
