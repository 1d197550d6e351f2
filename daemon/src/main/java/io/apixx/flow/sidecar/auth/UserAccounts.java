package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Account changes that are not RPCs of the v1 contract (dev seeding, administration): creating a
 * user and changing a password. A password change revokes every session of the user.
 */
public final class UserAccounts {
  /** Audit action of a password change. */
  public static final String PASSWORD_CHANGE = "auth.password_change";

  private final TenantScope tenants;
  private final PasswordHasher hasher;
  private final SessionService sessions;
  private final AuditSink audit;
  private final Clock clock;

  public UserAccounts(TenantScope tenants, PasswordHasher hasher, SessionService sessions, AuditSink audit, Clock clock) {
    this.tenants = tenants;
    this.hasher = hasher;
    this.sessions = sessions;
    this.audit = audit;
    this.clock = clock;
  }

  /** Creates a user with a password and roles, as the daemon itself (a system actor), if missing. */
  public UUID ensureUser(String tenantId, String email, String password, List<String> roles) {
    String hash = hasher.hash(password).join();
    return tenants.inTenant(
        tenantId,
        DbActor.system(),
        tx -> {
          UUID id = tx.queryOne("SELECT id FROM flow.users WHERE lower(email) = lower(?)", r -> r.getUuid("id"), email).orElse(null);
          if (id == null) {
            id = tx.queryOne("INSERT INTO flow.users (tenant_id, email, password_hash, password_changed_at) VALUES (?, ?, ?, ?) RETURNING id",
                r -> r.getUuid("id"), tenantId, email, hash, clock.instant()).orElseThrow();
          }
          for (String role : roles) {
            tx.update("INSERT INTO flow.user_roles (user_id, tenant_id, role, granted_by, granted_at) VALUES (?, ?, ?, 'system', ?) ON CONFLICT DO NOTHING",
                id, tenantId, role, clock.instant());
          }
          return id;
        });
  }

  /** Sets a new password (policy: 8 characters to 72 bytes) and revokes every session of the user. */
  public int changePassword(String tenantId, UUID userId, String newPassword, RequestMeta meta) {
    String hash = hasher.hash(newPassword).join();
    return tenants.inTenant(
        tenantId,
        DbActor.user(userId),
        tx -> {
          tx.update("UPDATE flow.users SET password_hash = ?, password_changed_at = ? WHERE id = ?", hash, clock.instant(), userId);
          int revoked = sessions.revokeAllForUser(tx, userId, "password_changed");
          audit.record(new AuditEvent(tenantId, new AuditEvent.Actor(AuditEvent.Kind.USER, userId.toString(), ""), PASSWORD_CHANGE,
              "user/" + userId, AuditEvent.Outcome.SUCCESS, "", meta.requestId(), meta.peer(), clock.instant(),
              Map.of("sessions_revoked", Integer.toString(revoked))));
          return revoked;
        });
  }
}
