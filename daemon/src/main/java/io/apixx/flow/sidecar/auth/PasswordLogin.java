package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.tenancy.Tenancy;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Login}: email and password within a tenant.
 *
 * <p>Throttled per account and per source before any work; bcrypt runs on the hasher's bounded
 * executor (an unknown user is checked against a dummy hash of the same cost, so both take as long
 * as a wrong password and answer the same); everything after the hash runs on {@code executor}
 * (the daemon's workers), never on the hashing threads. A user with confirmed TOTP gets an MFA
 * challenge instead of a session. A hash with a lower cost (or another prefix) is upgraded. Every
 * attempt is audited; passwords never leave this class except into the hasher.
 */
public final class PasswordLogin {
  private static final Logger log = LoggerFactory.getLogger(PasswordLogin.class);
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,256}@[^@\\s]{1,256}");

  private final UserStore users;
  private final PasswordHasher hasher;
  private final Throttle throttle;
  private final SessionService sessions;
  private final TenantScope tenants;
  private final AuditSink audit;
  private final Clock clock;
  private final Executor executor;

  public PasswordLogin(
      UserStore users, PasswordHasher hasher, Throttle throttle, SessionService sessions, TenantScope tenants, AuditSink audit,
      Clock clock, Executor executor) {
    this.users = users;
    this.hasher = hasher;
    this.throttle = throttle;
    this.sessions = sessions;
    this.tenants = tenants;
    this.audit = audit;
    this.clock = clock;
    this.executor = executor;
  }

  /** A successful password check: a session, or a challenge to answer with a TOTP code. */
  public record Outcome(Optional<SessionService.Issued> session, Optional<SessionService.Issued> challenge, UserStore.User user) {}

  /**
   * Checks the password. The future fails with {@link AuthException} UNAUTHENTICATED for a wrong
   * password or unknown user (indistinguishable), RESOURCE_EXHAUSTED when throttled or when the
   * hashing queue is full (then synchronously, before any database read),
   * FAILED_PRECONDITION for a disabled account.
   *
   * @throws AuthException INVALID_ARGUMENT for malformed input (synchronously)
   */
  public CompletableFuture<Outcome> login(String tenantId, String email, String password, RequestMeta meta) {
    if (tenantId == null || !Tenancy.TENANT_ID.matcher(tenantId).matches()) {
      throw AuthException.invalid("bad_tenant_id", "tenant_id: expected a lowercase slug of at most 63 characters");
    }
    if (email == null || !EMAIL.matcher(email).matches() || email.length() > 320) {
      throw AuthException.invalid("bad_email", "email: expected an email address of at most 320 characters");
    }
    PasswordHasher.checkLength(password);
    // Before any database read: a storm of logins the hashing queue cannot take is refused for
    // the price of this check (not audited: it is load shedding, not a decision about an account).
    hasher.checkCapacity();
    String account = "email:" + email.toLowerCase(Locale.ROOT);
    try {
      throttle.check(tenantId, Throttle.Scope.ACCOUNT, account);
      throttle.check(tenantId, Throttle.Scope.SOURCE, meta.sourceKey());
    } catch (RuntimeException e) {
      record(tenantId, AuditEvent.Actor.unknown(), account, AuditEvent.Outcome.DENIED, "throttled", meta);
      throw e;
    }
    Optional<UserStore.User> user = users.findByEmail(tenantId, email);
    return hasher
        .verify(password, user.flatMap(UserStore.User::passwordHash))
        .thenApplyAsync(v -> finish(tenantId, user, v, password, account, meta), executor);
  }

  private Outcome finish(
      String tenantId, Optional<UserStore.User> user, PasswordHasher.Verification v, String password, String account, RequestMeta meta) {
    if (!v.matches() || user.isEmpty()) {
      throttle.recordFailure(tenantId, Throttle.Scope.ACCOUNT, account);
      throttle.recordFailure(tenantId, Throttle.Scope.SOURCE, meta.sourceKey());
      record(tenantId, user.map(u -> new AuditEvent.Actor(AuditEvent.Kind.USER, u.id().toString(), "")).orElse(AuditEvent.Actor.unknown()),
          account, AuditEvent.Outcome.DENIED, user.isEmpty() ? "unknown_user" : "wrong_password", meta);
      throw AuthException.unauthenticated("bad_credentials", "invalid email or password");
    }
    UserStore.User u = user.get();
    AuditEvent.Actor actor = new AuditEvent.Actor(AuditEvent.Kind.USER, u.id().toString(), "");
    if (!u.active()) {
      record(tenantId, actor, "user/" + u.id(), AuditEvent.Outcome.DENIED, "account_disabled", meta);
      throw AuthException.precondition("account_disabled", "this account is disabled");
    }
    throttle.reset(tenantId, Throttle.Scope.ACCOUNT, account);
    if (v.needsRehash()) {
      try {
        users.updatePasswordHash(tenantId, u.id(), hasher.rehash(password).join());
      } catch (RuntimeException e) {
        // The login stands; the upgrade is retried at the next one.
        log.warn("could not upgrade the password hash of a user in tenant {}: {}", tenantId, e.getMessage());
      }
    }
    return tenants.inTenant(
        tenantId,
        DbActor.user(u.id()),
        tx -> {
          if (u.mfaConfirmed()) {
            SessionService.Issued challenge = sessions.issueChallenge(tx, u.id());
            recordIn(tenantId, actor, "user/" + u.id(), "mfa_required", meta, Map.of("next", "verify_mfa"));
            return new Outcome(Optional.empty(), Optional.of(challenge), u);
          }
          SessionService.Issued s = sessions.issueUser(tx, u.id(), Optional.empty());
          recordIn(tenantId, new AuditEvent.Actor(AuditEvent.Kind.USER, u.id().toString(), Tokens.hashHex(s.token())), "user/" + u.id(), "", meta, Map.of());
          return new Outcome(Optional.of(s), Optional.empty(), u);
        });
  }

  private void recordIn(String tenant, AuditEvent.Actor actor, String target, String reason, RequestMeta meta, Map<String, String> attrs) {
    audit.record(new AuditEvent(tenant, actor, Actions.AUTH_LOGIN, target, AuditEvent.Outcome.SUCCESS, reason, meta.requestId(), meta.peer(), clock.instant(), attrs));
  }

  private void record(String tenant, AuditEvent.Actor actor, String target, AuditEvent.Outcome outcome, String reason, RequestMeta meta) {
    audit.record(new AuditEvent(tenant, actor, Actions.AUTH_LOGIN, target, outcome, reason, meta.requestId(), meta.peer(), clock.instant(), Map.of()));
  }
}
