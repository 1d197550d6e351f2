package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.config.AuthConfig;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Failed-attempt throttling, shared by every daemon through PostgreSQL ({@code flow.auth_throttle}):
 * per account and per source (TCP address or Unix peer uid). After a failure of an account the next
 * attempt on it must wait {@code base_delay * 2^(failures-1)} (at most {@code max_delay}); after
 * {@code account_max_failures} the account is locked for {@code lockout}. A source is only locked,
 * after {@code source_max_failures}: a source is often a service that fronts many users, and one
 * user's typo must not slow the others down. Failures older than {@code window} are forgotten. A refused
 * attempt is RESOURCE_EXHAUSTED with the remaining wait as the retry hint.
 *
 * <p>Thread-safe; each call is one statement.
 */
public final class Throttle {
  /** What is being throttled. */
  public enum Scope {
    ACCOUNT("account"),
    SOURCE("source");

    final String column;

    Scope(String column) {
      this.column = column;
    }
  }

  private final TenantScope tenants;
  private final AuthConfig.Throttle config;
  private final Clock clock;

  public Throttle(TenantScope tenants, AuthConfig.Throttle config, Clock clock) {
    this.tenants = tenants;
    this.config = config;
    this.clock = clock;
  }

  private record State(int failures, Instant first, Instant last, Instant lockedUntil) {}

  /**
   * Refuses the attempt when {@code key} is locked or still inside its back-off delay.
   *
   * @throws SidecarException RESOURCE_EXHAUSTED with a retry hint
   */
  public void check(String tenantId, Scope scope, String key) {
    boolean backoff = scope == Scope.ACCOUNT;
    Optional<State> st =
        tenants.inTenantStatement(
            tenantId,
            DbActor.system(),
            tx -> tx.queryOne(
                "SELECT failures, first_failure_at, last_failure_at, locked_until FROM flow.auth_throttle WHERE tenant_id = ? AND scope = ? AND key = ?",
                r -> new State(r.getInt("failures"), r.getInstant("first_failure_at"), r.getInstant("last_failure_at"), r.getInstant("locked_until")),
                tenantId, scope.column, key));
    if (st.isEmpty()) {
      return;
    }
    State s = st.get();
    Instant now = clock.instant();
    if (s.lockedUntil() != null && now.isBefore(s.lockedUntil())) {
      throw refused(Duration.between(now, s.lockedUntil()), "locked");
    }
    if (!backoff || s.first().plus(config.window()).isBefore(now)) {
      return;
    }
    Instant next = s.last().plus(delay(s.failures()));
    if (now.isBefore(next)) {
      throw refused(Duration.between(now, next), "backoff");
    }
  }

  /** Counts a failure; locks the key when the limit is reached. */
  public void recordFailure(String tenantId, Scope scope, String key) {
    Instant now = clock.instant();
    int max = scope == Scope.ACCOUNT ? config.accountMaxFailures() : config.sourceMaxFailures();
    Instant windowStart = now.minus(config.window());
    tenants.inTenantStatement(
        tenantId,
        DbActor.system(),
        tx -> tx.update(
            "INSERT INTO flow.auth_throttle AS t (tenant_id, scope, key, failures, first_failure_at, last_failure_at, locked_until)"
                + " VALUES (?, ?, ?, 1, ?, ?, NULL)"
                + " ON CONFLICT (tenant_id, scope, key) DO UPDATE SET"
                + "  failures = CASE WHEN t.first_failure_at < ? THEN 1 ELSE t.failures + 1 END,"
                + "  first_failure_at = CASE WHEN t.first_failure_at < ? THEN EXCLUDED.first_failure_at ELSE t.first_failure_at END,"
                + "  last_failure_at = EXCLUDED.last_failure_at,"
                + "  locked_until = CASE WHEN t.first_failure_at >= ? AND t.failures + 1 >= ? THEN ?::timestamptz ELSE t.locked_until END",
            tenantId, scope.column, key, now, now, windowStart, windowStart, windowStart, max, now.plus(config.lockout())));
  }

  /** Forgets the failures of {@code key} (after a success). */
  public void reset(String tenantId, Scope scope, String key) {
    tenants.inTenantStatement(
        tenantId,
        DbActor.system(),
        tx -> tx.update("DELETE FROM flow.auth_throttle WHERE tenant_id = ? AND scope = ? AND key = ?", tenantId, scope.column, key));
  }

  Duration delay(int failures) {
    if (failures <= 0) {
      return Duration.ZERO;
    }
    long base = config.baseDelay().toMillis();
    long d = base << Math.min(20, failures - 1);
    return Duration.ofMillis(Math.min(d, config.maxDelay().toMillis()));
  }

  private static SidecarException refused(Duration wait, String why) {
    Duration hint = wait.isNegative() || wait.isZero() ? Duration.ofMillis(1) : wait;
    return SidecarException.resourceExhausted(
        "throttled_" + why, "too many failed attempts; retry in " + Math.max(1, hint.toSeconds()) + "s", hint);
  }
}
