package io.apixx.flow.sidecar.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.config.AuthConfig;
import io.apixx.flow.sidecar.persistence.ChangeFeed;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.Row;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.persistence.TenantTx;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import io.apixx.flow.sidecar.tenancy.TenantInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sessions: issue, validate, refresh, revoke.
 *
 * <p>Tokens are 256 random bits ({@link Tokens}); only their SHA-256 is stored. A session ends
 * after {@code idle_timeout} without use (12 h by default) and at {@code absolute_timeout} after
 * it began (30 days) whatever its use; a tenant's plan may shorten both. Run sessions end at their
 * run token's {@code exp}. Logout, a password change and a TOTP change revoke sessions; the
 * database then notifies every daemon ({@code flow_session_revoked}), which drops the session from
 * its cache at once. Validated sessions are served from memory for at most
 * {@code auth.sessions.cache_ttl}, re-checking expiry against the clock on every use.
 *
 * <p>Thread-safe.
 */
public final class SessionService implements ChangeFeed.Listener {
  /** Channel of revocation notifications (sent by a trigger on flow.sessions). */
  public static final String CHANNEL = "flow_session_revoked";
  private static final Pattern HASH = Pattern.compile("\"token_hash\"\\s*:\\s*\"([0-9a-f]{64})\"");

  private final TenantScope tenants;
  private final TenantDirectory directory;
  private final AuthConfig.Sessions config;
  private final Clock clock;
  private final Cache<String, Stored> cache;

  /** A newly issued session; the token is in the clear here only. */
  public record Issued(String token, Instant idleExpiresAt, Instant absoluteExpiresAt) {
    @Override
    public String toString() {
      return "Issued[token=REDACTED, idleExpiresAt=" + idleExpiresAt + ", absoluteExpiresAt=" + absoluteExpiresAt + "]";
    }
  }

  /** A validated session. */
  public record Validated(Principal principal, Instant idleExpiresAt, Instant absoluteExpiresAt) {}

  /** What the store holds for a session, plus what the principal needs. */
  record Stored(
      String tenant,
      String kind,
      UUID userId,
      String runId,
      String workflowId,
      List<String> connectors,
      Instant lastSeen,
      Instant idleExpires,
      Instant absoluteExpires,
      Instant mfaAt,
      Instant revokedAt,
      String email,
      String userStatus,
      boolean mfaConfirmed,
      List<String> roles) {}

  public SessionService(TenantScope tenants, TenantDirectory directory, AuthConfig.Sessions config, Clock clock, Ticker ticker) {
    this.tenants = tenants;
    this.directory = directory;
    this.config = config;
    this.clock = clock;
    // Maintenance (expiry, eviction) on the calling thread: no hand-off to the common pool, whose
    // wake-ups cost more than the cache saves on this hot path.
    this.cache = Caffeine.newBuilder().expireAfterWrite(config.cacheTtl()).maximumSize(100_000).ticker(ticker).executor(Runnable::run).build();
  }

  /** The idle and absolute lifetimes for a tenant: the tenant's overrides, else the defaults. */
  public Duration[] lifetimes(String tenantId) {
    Optional<TenantInfo> t = directory.find(tenantId);
    Duration idle = t.flatMap(TenantInfo::sessionIdleTimeout).orElse(config.idleTimeout());
    Duration absolute = t.flatMap(TenantInfo::sessionAbsoluteTimeout).orElse(config.absoluteTimeout());
    return new Duration[] {idle.compareTo(absolute) > 0 ? absolute : idle, absolute};
  }

  /** Issues a user session inside {@code tx} (the caller's transaction, confined to the user's tenant). */
  public Issued issueUser(TenantTx tx, UUID userId, Optional<Instant> mfaAt) {
    Duration[] life = lifetimes(tx.tenantId());
    Instant now = clock.instant();
    return insert(tx, "user", userId, null, null, List.of(), now.plus(life[0]), now.plus(life[1]), mfaAt.orElse(null), Tokens.SESSION);
  }

  /** Issues a run session that ends at {@code expiresAt}. */
  public Issued issueRun(TenantTx tx, String runId, String workflowId, Set<String> connectors, Instant expiresAt) {
    return insert(tx, "run", null, runId, workflowId, List.copyOf(connectors), expiresAt, expiresAt, null, Tokens.SESSION);
  }

  /** Issues an MFA challenge (a short-lived token that proves the password step). */
  public Issued issueChallenge(TenantTx tx, UUID userId) {
    Instant until = clock.instant().plus(config.mfaChallengeTtl());
    return insert(tx, "mfa_challenge", userId, null, null, List.of(), until, until, null, Tokens.MFA_CHALLENGE);
  }

  private Issued insert(
      TenantTx tx, String kind, UUID userId, String runId, String workflowId, List<String> connectors,
      Instant idle, Instant absolute, Instant mfaAt, String prefix) {
    String token = Tokens.newToken(prefix, tx.tenantId());
    Instant now = clock.instant();
    tx.update(
        "INSERT INTO flow.sessions (token_hash, tenant_id, kind, user_id, run_id, workflow_id, allowed_connectors, created_at,"
            + " last_seen_at, idle_expires_at, absolute_expires_at, mfa_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        Tokens.hash(token), tx.tenantId(), kind, userId, runId, workflowId, connectors, now, now, idle, absolute, mfaAt);
    return new Issued(token, idle, absolute);
  }

  /**
   * The principal of a session token, for the authentication interceptor. Serves from the cache
   * when it can; always checks expiry against the clock.
   *
   * @throws AuthException UNAUTHENTICATED for an unknown, expired, revoked or disabled session
   */
  public Validated validate(String token) {
    return validate(token, Tokens.hashHex(token));
  }

  private Validated validate(String token, String key) {
    String tenant = Tokens.tenantOf(Tokens.SESSION, token).orElseThrow(() -> invalid("malformed_session"));
    Stored s = cache.getIfPresent(key);
    if (s == null || !usable(s, clock.instant())) {
      // A cached entry may be stale-low on its idle expiry (another daemon refreshed it): re-read.
      s = load(tenant, token).orElseThrow(() -> invalid("unknown_session"));
      if (!"user".equals(s.kind()) && !"run".equals(s.kind())) {
        throw invalid("not_a_session");
      }
      cache.put(key, s);
    }
    Instant now = clock.instant();
    if (!usable(s, now)) {
      throw invalid(s.revokedAt() != null ? "revoked_session" : "expired_session");
    }
    return new Validated(principalOf(s, key), s.idleExpires(), s.absoluteExpires());
  }

  /**
   * Validates and refreshes the idle timer (written back at most every
   * {@code auth.sessions.touch_interval}, never beyond the absolute expiry).
   */
  public Validated touch(String token) {
    String key = Tokens.hashHex(token);
    Validated v = validate(token, key);
    Stored s = cache.getIfPresent(key);
    Instant now = clock.instant();
    if (s == null || !writeBackDue(s, now)) {
      return v;
    }
    Duration idle = lifetimes(s.tenant())[0];
    Instant newIdle = now.plus(idle).isAfter(s.absoluteExpires()) ? s.absoluteExpires() : now.plus(idle);
    int n =
        tenants.inTenantStatement(
            s.tenant(),
            DbActor.user(s.userId()),
            tx -> tx.update(
                "UPDATE flow.sessions SET last_seen_at = ?, idle_expires_at = ? WHERE token_hash = ? AND revoked_at IS NULL AND idle_expires_at > ?",
                now, newIdle, Tokens.hash(token), now));
    if (n != 1) {
      cache.invalidate(key);
      throw invalid("expired_session");
    }
    Stored touched = new Stored(s.tenant(), s.kind(), s.userId(), s.runId(), s.workflowId(), s.connectors(), now, newIdle,
        s.absoluteExpires(), s.mfaAt(), s.revokedAt(), s.email(), s.userStatus(), s.mfaConfirmed(), s.roles());
    cache.put(key, touched);
    return new Validated(v.principal(), newIdle, s.absoluteExpires());
  }

  /**
   * Whether {@link #touch} of {@code token} would be answered from memory now and for at least
   * {@code margin} more: its session is cached with that much cache life left, is usable beyond
   * {@code now + margin}, and is a run session (never written back) or a user session whose idle
   * timer is not due for its write-back within the margin. Reads memory only, never the database,
   * and never throws for a bad token (false). For deciding, before a call starts, that nothing on
   * its path can block.
   */
  public boolean answerableFromMemory(String token, Duration margin) {
    if (Tokens.tenantOf(Tokens.SESSION, token).isEmpty()) {
      return false;
    }
    String key = Tokens.hashHex(token);
    Stored s = cache.getIfPresent(key);
    if (s == null || !("run".equals(s.kind()) || "user".equals(s.kind()))) {
      return false;
    }
    Duration age = cache.policy().expireAfterWrite().flatMap(p -> p.ageOf(key)).orElse(config.cacheTtl());
    Instant until = clock.instant().plus(margin);
    return age.plus(margin).compareTo(config.cacheTtl()) < 0
        && usable(s, until)
        && !writeBackDue(s, until);
  }

  /** Whether {@link #touch} at {@code at} writes the idle timer back: user sessions, every touch_interval. */
  private boolean writeBackDue(Stored s, Instant at) {
    return "user".equals(s.kind()) && Duration.between(s.lastSeen(), at).compareTo(config.touchInterval()) >= 0;
  }

  /** {@code Logout}: ends the caller's own session and audits it. Idempotent. */
  public void logout(String token, Principal principal, RequestMeta meta, io.apixx.flow.sidecar.audit.AuditSink audit) {
    revoke(token, "logout");
    String tenant = Tokens.tenantOf(Tokens.SESSION, token).orElse("");
    audit.record(new io.apixx.flow.sidecar.audit.AuditEvent(tenant, principal.actor(), io.apixx.flow.sidecar.audit.Actions.SESSION_REVOKE,
        "session/" + Tokens.hashHex(token), io.apixx.flow.sidecar.audit.AuditEvent.Outcome.SUCCESS, "logout", meta.requestId(), meta.peer(),
        clock.instant(), java.util.Map.of()));
  }

  /** Ends the session of {@code token}. Idempotent. */
  public void revoke(String token, String reason) {
    String tenant = Tokens.tenantOf(Tokens.SESSION, token).orElseThrow(() -> invalid("malformed_session"));
    tenants.inTenantStatement(
        tenant,
        DbActor.system(),
        tx -> tx.update("UPDATE flow.sessions SET revoked_at = ?, revoke_reason = ? WHERE token_hash = ? AND revoked_at IS NULL",
            clock.instant(), reason, Tokens.hash(token)));
    cache.invalidate(Tokens.hashHex(token));
  }

  /** Ends every session of a user (password or TOTP change), inside the caller's transaction. */
  public int revokeAllForUser(TenantTx tx, UUID userId, String reason) {
    int n = tx.update(
        "UPDATE flow.sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL",
        clock.instant(), reason, userId);
    // Other daemons hear it through the change feed; this one forgets them now. (Should the
    // transaction roll back afterwards, the sessions are merely read again from the database.)
    cache.asMap().values().removeIf(st -> userId.equals(st.userId()));
    return n;
  }

  /**
   * Consumes an MFA challenge after a correct code: marks it used, atomically, so that it works
   * once. Returns false when it was already used or expired.
   */
  public boolean consumeChallenge(TenantTx tx, String challenge) {
    return tx.update(
            "UPDATE flow.sessions SET revoked_at = ?, revoke_reason = 'mfa_completed' WHERE token_hash = ? AND kind = 'mfa_challenge'"
                + " AND revoked_at IS NULL AND absolute_expires_at > ?",
            clock.instant(), Tokens.hash(challenge), clock.instant())
        == 1;
  }

  /** The user an unexpired, unused MFA challenge belongs to. */
  public Optional<UUID> challengeUser(String challenge) {
    String tenant = Tokens.tenantOf(Tokens.MFA_CHALLENGE, challenge).orElseThrow(() -> invalid("malformed_challenge"));
    Instant now = clock.instant();
    return load(tenant, challenge)
        .filter(s -> "mfa_challenge".equals(s.kind()) && usable(s, now))
        .map(Stored::userId);
  }

  private Optional<Stored> load(String tenant, String token) {
    return tenants.inTenantStatement(
        tenant,
        DbActor.system(),
        tx -> tx.queryOne(
            "SELECT s.tenant_id, s.kind, s.user_id, s.run_id, s.workflow_id, s.allowed_connectors, s.last_seen_at, s.idle_expires_at,"
                + " s.absolute_expires_at, s.mfa_at, s.revoked_at, u.email, u.status, (u.mfa_confirmed_at IS NOT NULL) AS mfa_confirmed,"
                + " ARRAY(SELECT r.role FROM flow.user_roles r WHERE r.tenant_id = s.tenant_id AND r.user_id = s.user_id ORDER BY r.role) AS roles"
                + " FROM flow.sessions s LEFT JOIN flow.users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id WHERE s.token_hash = ?",
            SessionService::map,
            Tokens.hash(token)));
  }

  private static Stored map(Row r) {
    return new Stored(
        r.getString("tenant_id"), r.getString("kind"), r.getUuid("user_id"), r.getString("run_id"), r.getString("workflow_id"),
        r.getStringList("allowed_connectors"), r.getInstant("last_seen_at"), r.getInstant("idle_expires_at"),
        r.getInstant("absolute_expires_at"), r.getInstant("mfa_at"), r.getInstant("revoked_at"), r.getString("email"),
        r.getString("status"), Boolean.TRUE.equals(r.getBoolean("mfa_confirmed")), r.getStringList("roles"));
  }

  private static boolean usable(Stored s, Instant now) {
    return s.revokedAt() == null
        && now.isBefore(s.idleExpires())
        && now.isBefore(s.absoluteExpires())
        && (s.userId() == null || "active".equals(s.userStatus()));
  }

  private static Principal principalOf(Stored s, String hashHex) {
    if ("run".equals(s.kind())) {
      return new RunPrincipal(s.tenant(), s.runId(), s.workflowId(), new HashSet<>(s.connectors()), s.absoluteExpires(), hashHex);
    }
    Set<String> roles = new HashSet<>(s.roles());
    if (!s.mfaConfirmed()) {
      // An admin without confirmed TOTP does not get an admin session (product rule: MFA is
      // required for admins). They can still enroll.
      roles.remove(UserPrincipal.ADMIN);
    }
    return new UserPrincipal(s.tenant(), s.userId(), s.email(), roles, Optional.ofNullable(s.mfaAt()), hashHex);
  }

  private static AuthException invalid(String reason) {
    return AuthException.unauthenticated(reason, "unknown, expired or revoked session");
  }

  @Override
  public void notified(String payload) {
    Matcher m = HASH.matcher(payload);
    if (m.find()) {
      cache.invalidate(m.group(1));
    }
  }

  @Override
  public void resync() {
    cache.invalidateAll();
  }

  /** For tests: whether the token's session is in the cache. */
  boolean cached(String token) {
    return cache.getIfPresent(Tokens.hashHex(token)) != null;
  }

}
