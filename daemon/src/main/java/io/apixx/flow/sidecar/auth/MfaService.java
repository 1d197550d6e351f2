package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.SealContext;
import io.apixx.flow.sidecar.crypto.kms.DataKey;
import io.apixx.flow.sidecar.crypto.kms.Kms;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * TOTP second factor: enrollment ({@code EnrollTotp}, {@code ConfirmTotp}) and the second login step
 * ({@code VerifyMfa}).
 *
 * <p>Seeds are sealed under the tenant's KMS key like credentials (a fresh data key, AES-256-GCM,
 * bound to tenant, user and purpose {@code totp-seed}); the plaintext seed exists only while a code
 * is checked and is wiped after. A code counts once: its time step must be later than the last one
 * the user used, which is advanced with a conditional UPDATE so that two daemons cannot both
 * accept it. Failures are throttled per user. Confirming TOTP revokes every other session of the
 * user; every successful check issues a new session token.
 */
public final class MfaService {
  private static final String SEED_CONNECTOR = "user-totp";

  private final TenantScope tenants;
  private final UserStore users;
  private final SessionService sessions;
  private final Throttle throttle;
  private final Kms kms;
  private final EnvelopeAead aead;
  private final Totp totp;
  private final AuditSink audit;
  private final Clock clock;
  private final String issuer;
  private final Duration enrollmentTtl;

  public MfaService(
      TenantScope tenants, UserStore users, SessionService sessions, Throttle throttle, Kms kms, EnvelopeAead aead, Totp totp,
      AuditSink audit, Clock clock, String issuer, Duration enrollmentTtl) {
    this.tenants = tenants;
    this.users = users;
    this.sessions = sessions;
    this.throttle = throttle;
    this.kms = kms;
    this.aead = aead;
    this.totp = totp;
    this.audit = audit;
    this.clock = clock;
    this.issuer = issuer;
    this.enrollmentTtl = enrollmentTtl;
  }

  /** A pending enrollment: the {@code otpauth://} URI (contains the seed: show once) and its expiry. */
  public record Enrollment(String otpauthUri, Instant expiresAt) {
    @Override
    public String toString() {
      return "Enrollment[uri=REDACTED, expiresAt=" + expiresAt + "]";
    }
  }

  private static SealContext context(String tenant, UUID user) {
    return new SealContext(tenant, SEED_CONNECTOR, user.toString(), 1, SealContext.PURPOSE_TOTP_SEED);
  }

  /** Starts (or restarts) TOTP enrollment for the calling user. */
  public Enrollment enroll(UserPrincipal p, RequestMeta meta) {
    UserStore.User u = users.find(p.tenantId(), p.userId()).orElseThrow(() -> AuthException.unauthenticated("unknown_user", "unknown user"));
    Instant expires = clock.instant().plus(enrollmentTtl);
    try (SecretBytes seed = Totp.newSeed(); DataKey dek = kms.generateDataKey(p.tenantId())) {
      byte[] sealed = aead.seal(dek.plaintext(), seed.reveal(SecretAccess.RELEASE), context(p.tenantId(), p.userId()));
      tenants.inTenant(
          p.tenantId(),
          DbActor.user(p.userId()),
          tx -> {
            tx.update(
                "UPDATE flow.users SET mfa_pending_secret = ?, mfa_pending_wrapped_dek = ?, mfa_pending_key_ref = ?, mfa_pending_expires_at = ? WHERE id = ?",
                sealed, dek.wrapped().bytes(), dek.wrapped().keyRef(), expires, p.userId());
            record(p.tenantId(), p.actor(), Actions.MFA_ENROLL, p.userId(), AuditEvent.Outcome.SUCCESS, "", meta);
            return null;
          });
      return new Enrollment(Totp.otpauthUri(issuer, u.email(), seed), expires);
    }
  }

  /**
   * Activates the pending seed with a current code; revokes every other session of the user and
   * returns a new one (with {@code mfa_at} now).
   */
  public SessionService.Issued confirm(UserPrincipal p, String code, RequestMeta meta) {
    String key = "mfa:" + p.userId();
    throttle.check(p.tenantId(), Throttle.Scope.ACCOUNT, key);
    UserStore.User u = users.find(p.tenantId(), p.userId()).orElseThrow(() -> AuthException.unauthenticated("unknown_user", "unknown user"));
    Instant now = clock.instant();
    if (u.mfaPending().isEmpty() || u.mfaPendingExpiresAt().map(now::isAfter).orElse(true)) {
      throw AuthException.precondition("no_pending_enrollment", "no TOTP enrollment is pending (call EnrollTotp first)");
    }
    OptionalLong step;
    try (SecretBytes seed = open(p.tenantId(), p.userId(), u.mfaPending().get())) {
      step = totp.verify(seed, code, Long.MIN_VALUE);
    }
    if (step.isEmpty()) {
      throttle.recordFailure(p.tenantId(), Throttle.Scope.ACCOUNT, key);
      record(p.tenantId(), p.actor(), Actions.MFA_CONFIRM, p.userId(), AuditEvent.Outcome.DENIED, "wrong_code", meta);
      throw AuthException.unauthenticated("wrong_code", "the code is wrong or expired");
    }
    throttle.reset(p.tenantId(), Throttle.Scope.ACCOUNT, key);
    return tenants.inTenant(
        p.tenantId(),
        DbActor.user(p.userId()),
        tx -> {
          tx.update(
              "UPDATE flow.users SET mfa_secret = mfa_pending_secret, mfa_wrapped_dek = mfa_pending_wrapped_dek, mfa_key_ref = mfa_pending_key_ref,"
                  + " mfa_confirmed_at = ?, mfa_last_used_step = ?, mfa_pending_secret = NULL, mfa_pending_wrapped_dek = NULL,"
                  + " mfa_pending_key_ref = NULL, mfa_pending_expires_at = NULL WHERE id = ?",
              now, step.getAsLong(), p.userId());
          sessions.revokeAllForUser(tx, p.userId(), "mfa_changed");
          SessionService.Issued s = sessions.issueUser(tx, p.userId(), Optional.of(now));
          record(p.tenantId(), p.actor(), Actions.MFA_CONFIRM, p.userId(), AuditEvent.Outcome.SUCCESS, "", meta);
          return s;
        });
  }

  /** The second login step: a challenge from Login plus a current code; returns a new session. */
  public SessionService.Issued verify(String challenge, String code, RequestMeta meta) {
    String tenant = Tokens.tenantOf(Tokens.MFA_CHALLENGE, challenge)
        .orElseThrow(() -> AuthException.unauthenticated("malformed_challenge", "unknown or expired MFA challenge"));
    UUID userId = sessions.challengeUser(challenge)
        .orElseThrow(() -> AuthException.unauthenticated("unknown_challenge", "unknown or expired MFA challenge"));
    AuditEvent.Actor actor = new AuditEvent.Actor(AuditEvent.Kind.USER, userId.toString(), "");
    String key = "mfa:" + userId;
    try {
      throttle.check(tenant, Throttle.Scope.ACCOUNT, key);
    } catch (RuntimeException e) {
      record(tenant, actor, Actions.AUTH_MFA, userId, AuditEvent.Outcome.DENIED, "throttled", meta);
      throw e;
    }
    UserStore.User u = users.find(tenant, userId).orElseThrow(() -> AuthException.unauthenticated("unknown_user", "unknown or expired MFA challenge"));
    if (!u.mfaConfirmed() || !u.active()) {
      throw AuthException.unauthenticated("mfa_not_active", "unknown or expired MFA challenge");
    }
    OptionalLong step;
    try (SecretBytes seed = open(tenant, userId, u.mfaSecret().get())) {
      step = totp.verify(seed, code, u.mfaLastUsedStep());
    }
    if (step.isEmpty()) {
      throttle.recordFailure(tenant, Throttle.Scope.ACCOUNT, key);
      record(tenant, actor, Actions.AUTH_MFA, userId, AuditEvent.Outcome.DENIED, "wrong_code", meta);
      throw AuthException.unauthenticated("wrong_code", "the code is wrong, expired or already used");
    }
    Instant now = clock.instant();
    SessionService.Issued s =
        tenants.inTenant(
            tenant,
            DbActor.user(userId),
            tx -> {
              // Both conditions are checked by the database, so a code (or a challenge) used at the
              // same moment on another daemon counts only once.
              int advanced = tx.update(
                  "UPDATE flow.users SET mfa_last_used_step = ? WHERE id = ? AND (mfa_last_used_step IS NULL OR mfa_last_used_step < ?)",
                  step.getAsLong(), userId, step.getAsLong());
              if (advanced != 1 || !sessions.consumeChallenge(tx, challenge)) {
                throw AuthException.unauthenticated("replayed", "the code is wrong, expired or already used");
              }
              SessionService.Issued issued = sessions.issueUser(tx, userId, Optional.of(now));
              record(tenant, new AuditEvent.Actor(AuditEvent.Kind.USER, userId.toString(), Tokens.hashHex(issued.token())),
                  Actions.AUTH_MFA, userId, AuditEvent.Outcome.SUCCESS, "", meta);
              return issued;
            });
    throttle.reset(tenant, Throttle.Scope.ACCOUNT, key);
    return s;
  }

  private SecretBytes open(String tenant, UUID user, UserStore.Sealed sealed) {
    try (SecretBytes dek = kms.unwrap(tenant, sealed.wrappedDek())) {
      return aead.open(dek, sealed.ciphertext(), context(tenant, user));
    }
  }

  private void record(String tenant, AuditEvent.Actor actor, String action, UUID user, AuditEvent.Outcome outcome, String reason, RequestMeta meta) {
    audit.record(new AuditEvent(tenant, actor, action, "user/" + user, outcome, reason, meta.requestId(), meta.peer(), clock.instant(), Map.of()));
  }
}
