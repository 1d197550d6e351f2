package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.testing.Canaries;
import io.apixx.flow.sidecar.testing.FakeTicker;
import io.apixx.flow.sidecar.v1.IdentityServiceGrpc;
import io.grpc.Metadata;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which calls may run on the transport thread: only when everything their path needs is in memory
 * for at least the margin. Real PostgreSQL, a fake clock and a fake cache ticker.
 */
class InlineCallPolicyTest {
  static final String VALIDATE = IdentityServiceGrpc.getValidateSessionMethod().getFullMethodName();
  static final String LOGOUT = IdentityServiceGrpc.getLogoutMethod().getFullMethodName();

  @TempDir Path dir;
  AuthFixture f;
  FakeTicker ticker;
  SessionService sessions;
  InlineCallPolicy policy;
  UUID user;

  @BeforeEach
  void setUp() throws Exception {
    f = new AuthFixture(dir, 4);
    ticker = new FakeTicker();
    sessions = new SessionService(f.tenants, f.directory, f.config.auth().sessions(), f.clock, ticker);
    policy = new InlineCallPolicy(Set.of(VALIDATE), sessions);
    user = f.accounts.ensureUser(f.tenant, "inline@example.com", Canaries.register("correct horse battery"), List.of("member"));
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  static Metadata bearer(String... values) {
    Metadata h = new Metadata();
    for (String v : values) {
      h.put(AuthInterceptor.AUTHORIZATION, v);
    }
    return h;
  }

  String userSession() {
    String t = f.tenants.inTenant(f.tenant, DbActor.user(user), tx -> sessions.issueUser(tx, user, Optional.empty())).token();
    return Canaries.register(t);
  }

  String runSession(Instant expiresAt) {
    String t = f.tenants.inTenant(f.tenant, DbActor.system(), tx -> sessions.issueRun(tx, "run-1", "wf-1", Set.of("c1"), expiresAt)).token();
    return Canaries.register(t);
  }

  @Test
  void runSession_inlineOnlyOnceCached() {
    String t = runSession(f.clock.instant().plus(Duration.ofHours(1)));
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).as("not yet cached: needs the database").isFalse();
    sessions.validate(t);
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).isTrue();
    assertThat(policy.test(VALIDATE, bearer("bearer " + t))).as("scheme is case-insensitive, as in the interceptor").isTrue();
  }

  @Test
  void otherMethods_neverInline() {
    String t = runSession(f.clock.instant().plus(Duration.ofHours(1)));
    sessions.validate(t);
    assertThat(policy.test(LOGOUT, bearer("Bearer " + t))).isFalse();
  }

  @Test
  void userSession_notInlineWhenItsIdleTimerWriteBackIsDueWithinTheMargin() {
    String t = userSession();
    sessions.validate(t);
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).isTrue();
    Duration touch = f.config.auth().sessions().touchInterval();
    // Keep the cache entry young: only the write-back is due.
    f.clock.advance(touch.minus(InlineCallPolicy.MARGIN).plusMillis(1));
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).as("touch() would write to the database").isFalse();
    f.clock.advance(InlineCallPolicy.MARGIN);
    sessions.touch(t); // the write-back, on a worker
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).as("written back: memory again").isTrue();
  }

  @Test
  void cacheEntryNearItsEnd_notInline() {
    String t = runSession(f.clock.instant().plus(Duration.ofHours(1)));
    sessions.validate(t);
    Duration ttl = f.config.auth().sessions().cacheTtl();
    ticker.advance(ttl.minus(InlineCallPolicy.MARGIN).minusMillis(1));
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).isTrue();
    ticker.advance(Duration.ofMillis(2));
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).as("entry could expire before the call reads it").isFalse();
  }

  @Test
  void sessionEndingWithinTheMargin_notInline() {
    String t = runSession(f.clock.instant().plus(Duration.ofMinutes(1)));
    sessions.validate(t);
    f.clock.advance(Duration.ofMinutes(1).minus(InlineCallPolicy.MARGIN).plusMillis(1));
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).isFalse();
  }

  @Test
  void revokedSession_notInline() {
    String t = runSession(f.clock.instant().plus(Duration.ofHours(1)));
    sessions.validate(t);
    sessions.revoke(t, "test");
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t))).isFalse();
  }

  @Test
  void malformedOrForeignBearers_notInlineAndNeverThrow() {
    String t = runSession(f.clock.instant().plus(Duration.ofHours(1)));
    sessions.validate(t);
    assertThat(policy.test(VALIDATE, new Metadata())).isFalse();
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t, "Bearer " + t))).as("two authorization headers").isFalse();
    assertThat(policy.test(VALIDATE, bearer("Basic " + t))).isFalse();
    assertThat(policy.test(VALIDATE, bearer("Bearer fst_service_abc"))).isFalse();
    assertThat(policy.test(VALIDATE, bearer("Bearer " + t.replace("fss_", "fsm_")))).as("an MFA challenge").isFalse();
    assertThat(policy.test(VALIDATE, bearer("Bearer fss_"))).isFalse();
  }
}
