package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.AuditEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A person, authenticated by a user session (password with optional TOTP, or OIDC).
 *
 * @param tenantId the user's tenant
 * @param userId the user's id
 * @param email the user's email (not a secret; appears in audit targets)
 * @param roles roles from {@code user_roles} when the session was validated; "admin" only if the
 *     user has confirmed TOTP
 * @param mfaTime when the user last passed a TOTP check in this session, if ever
 * @param sessionHash SHA-256 hex of the session token
 */
public record UserPrincipal(
    String tenantId,
    UUID userId,
    String email,
    Set<String> roles,
    Optional<Instant> mfaTime,
    String sessionHash)
    implements Principal {

  /** The role that may seal, rotate and revoke credentials. */
  public static final String ADMIN = "admin";

  public UserPrincipal {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(userId, "userId");
    email = Objects.requireNonNullElse(email, "");
    roles = Set.copyOf(roles);
    mfaTime = Objects.requireNonNullElse(mfaTime, Optional.empty());
    sessionHash = Objects.requireNonNullElse(sessionHash, "");
  }

  @Override
  public String id() {
    return userId.toString();
  }

  @Override
  public AuditEvent.Actor actor() {
    return new AuditEvent.Actor(AuditEvent.Kind.USER, userId.toString(), sessionHash);
  }

  @Override
  public boolean mayActOn(String tenant) {
    return tenantId.equals(tenant);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /** Whether the user passed MFA within {@code maxAge} before {@code now} (step-up check). */
  public boolean mfaWithin(Duration maxAge, Instant now) {
    return mfaTime.map(t -> !t.isBefore(now.minus(maxAge)) && !t.isAfter(now.plusSeconds(60))).orElse(false);
  }
}
