package io.apixx.flow.sidecar.credentials;

import static io.apixx.flow.sidecar.testing.CredentialsHarness.meta;
import static io.apixx.flow.sidecar.testing.CredentialsHarness.servicePrincipal;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.crypto.kms.DekCache;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.ChangeFeed;
import io.apixx.flow.sidecar.persistence.Database;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import io.apixx.flow.sidecar.testing.FakeTicker;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Two daemons on one database (two pools, two change feeds, two caches in one JVM): a rotation or
 * revocation made through one is no longer served by the other within one second. The second
 * daemon's row cache runs on a frozen ticker, so only a notification can make it let go; a third
 * case takes the feed away and relies on the cache lifetime alone.
 */
class CredentialPropagationTest extends CredentialsTestCase {
  private static final Duration PROMISE = Duration.ofSeconds(1);

  /** A second daemon's service: its own pool, feed (or a dead one), DEK cache and row cache. */
  private CredentialService secondDaemon(ChangeFeed feed, Ticker rowTicker) {
    Database db2 = h.openDatabase();
    DekCache kms2 = DekCache.wrap(h.switchable, new DekCacheConfig(Duration.ofMinutes(5), 10_000, 10_000), Ticker.systemTicker());
    return h.newService(db2, feed, kms2, h.spool, rowTicker, CredentialLimits.defaults());
  }

  private static long versionServed(CredentialService s, RunPrincipal run, String connector) {
    try (ReleasedCredential r = s.release(run, connector, meta())) {
      return r.metadata().version();
    }
  }

  /** Polls {@code s} until {@code done} holds for its answer; returns the time it took from {@code sinceNanos}. */
  private static Duration until(CredentialService s, RunPrincipal run, String connector, long sinceNanos, Predicate<Object> done) {
    long deadline = sinceNanos + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      Object answer;
      try {
        answer = versionServed(s, run, connector);
      } catch (SidecarException e) {
        answer = e.kind();
      }
      if (done.test(answer)) {
        return Duration.ofNanos(System.nanoTime() - sinceNanos);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    throw new AssertionError("the change never reached the second daemon");
  }

  /** Seals github for the tenant and has {@code other} serve (and cache) version 1 to a new run. */
  private RunPrincipal sealedAndServedBy(CredentialService other, String value) {
    h.seal(tenant, "github", Map.of("api_token", value));
    RunPrincipal run = h.run(tenant, "github");
    assertThat(versionServed(other, run, "github")).isEqualTo(1);
    return run;
  }

  /** Revokes github through the first daemon; returns how long until {@code other} refuses it. */
  private Duration revokeAndMeasure(CredentialService other, RunPrincipal run) {
    h.service.revoke(servicePrincipal(tenant), tenant, "github", "test", meta());
    long committed = System.nanoTime();
    return until(other, run, "github", committed, answer -> answer == ErrorKind.FAILED_PRECONDITION);
  }

  @Test
  void secondDaemon_rowCache_servesCachedRowWhenNothingIsNotified() {
    // Proves the second daemon really caches: a change that sends no notification (a superuser
    // DELETE) is not seen while its frozen ticker keeps the row.
    ChangeFeed feed = h.openFeed();
    CredentialService other = secondDaemon(feed, new FakeTicker());
    CredentialsHarness.Notifications notifications = CredentialsHarness.record(feed);
    h.seal(tenant, "cached", Map.of("api_token", "cached-value-0001"));
    notifications.await(tenant, "cached", 1);
    RunPrincipal run = h.run(tenant, "cached");
    assertThat(versionServed(other, run, "cached")).isEqualTo(1);

    h.fixtures.execute("DELETE FROM flow.connector_credentials WHERE tenant_id = ?", tenant);

    assertThat(versionServed(other, run, "cached")).isEqualTo(1);
  }

  @Test
  void rotate_onOneDaemon_otherStopsServingOldVersionWithinOneSecond() {
    CredentialService other = secondDaemon(h.openFeed(), new FakeTicker());
    RunPrincipal run = sealedAndServedBy(other, "version-one-value");

    h.rotate(h.service, tenant, "github", Map.of("api_token", "version-two-value"));
    long committed = System.nanoTime();

    Duration delay = until(other, run, "github", committed, answer -> answer.equals(2L));
    System.out.printf("rotation seen by the second daemon after %d ms (feed)%n", delay.toMillis());
    assertThat(delay).isLessThan(PROMISE);
    try (ReleasedCredential r = other.release(run, "github", meta())) {
      assertThat(r.fields().revealUtf8(SecretAccess.RELEASE)).containsEntry("api_token", "version-two-value");
    }
  }

  @Test
  void revoke_onOneDaemon_otherStopsServingWithinOneSecond() {
    CredentialService other = secondDaemon(h.openFeed(), new FakeTicker());
    RunPrincipal run = sealedAndServedBy(other, "revoked-soon-value");

    Duration delay = revokeAndMeasure(other, run);
    System.out.printf("revocation seen by the second daemon after %d ms (feed)%n", delay.toMillis());
    assertThat(delay).isLessThan(PROMISE);
  }

  @Test
  void revoke_withSecondDaemonsFeedDown_cacheLifetimeAloneKeepsThePromise() {
    ChangeFeed dead =
        new ChangeFeed(() -> { throw new SQLException("no route to host", "08001"); }, Set.of(CredentialService.CHANNEL), ok -> {});
    CredentialService other = secondDaemon(dead.start(), Ticker.systemTicker());
    RunPrincipal run = sealedAndServedBy(other, "revoked-soon-value");

    Duration delay = revokeAndMeasure(other, run);
    System.out.printf("revocation seen by the second daemon after %d ms (feed down, cache lifetime %d ms)%n",
        delay.toMillis(), CredentialLimits.defaults().rowCacheTtl().toMillis());
    assertThat(delay).isLessThan(PROMISE);
    try {
      dead.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
