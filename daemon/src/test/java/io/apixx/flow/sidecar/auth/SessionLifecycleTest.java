package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.testing.Canaries;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Session expiry, rotation and revocation, proven on a fake clock against real PostgreSQL. */
class SessionLifecycleTest {
  @TempDir Path dir;
  AuthFixture f;
  UUID user;

  @BeforeEach
  void setUp() throws Exception {
    f = new AuthFixture(dir, 10);
    user = f.accounts.ensureUser(f.tenant, "ada@example.com", Canaries.register("correct horse battery"), List.of("member"));
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  SessionService.Issued issue() {
    SessionService.Issued s = f.tenants.inTenant(f.tenant, DbActor.user(user), tx -> f.sessions.issueUser(tx, user, Optional.empty()));
    Canaries.register(s.token());
    return s;
  }

  static void assertUnauthenticated(Runnable r) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(SidecarException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHENTICATED));
  }

  @Test
  void issue_tokenIs256RandomBitsAndStoredOnlyAsItsHash() throws Exception {
    SessionService.Issued s = issue();
    String secret = s.token().substring(("fss_" + f.tenant + "_").length());
    assertThat(Base64.getUrlDecoder().decode(secret)).hasSize(32);
    List<Map<String, Object>> rows = f.fixtures.rows("SELECT * FROM flow.sessions WHERE tenant_id = ?", f.tenant);
    assertThat(rows).hasSize(1);
    assertThat(MessageDigest.isEqual((byte[]) rows.get(0).get("token_hash"), MessageDigest.getInstance("SHA-256").digest(s.token().getBytes()))).isTrue();
    for (Object v : rows.get(0).values()) {
      assertThat(String.valueOf(v)).doesNotContain(secret);
    }
    assertThat(s.toString()).doesNotContain(secret);
  }

  @Test
  void validate_idleForTwelveHours_expires() {
    SessionService.Issued s = issue();
    f.clock.advance(Duration.ofHours(12).minusSeconds(1));
    assertThat(f.sessions.validate(s.token()).principal().id()).isEqualTo(user.toString());
    f.clock.advance(Duration.ofSeconds(2));
    assertUnauthenticated(() -> f.sessions.validate(s.token()));
  }

  @Test
  void touch_activeSessionStillEndsAfterThirtyDays() {
    SessionService.Issued s = issue();
    Duration elapsed = Duration.ZERO;
    while (elapsed.compareTo(Duration.ofDays(30).minusHours(11)) < 0) {
      f.clock.advance(Duration.ofHours(11));
      elapsed = elapsed.plusHours(11);
      f.sessions.touch(s.token());
    }
    // Used every 11 hours for almost 30 days: still valid, never past its absolute end.
    assertThat(f.sessions.validate(s.token()).absoluteExpiresAt()).isEqualTo(s.absoluteExpiresAt());
    f.clock.set(s.absoluteExpiresAt());
    assertUnauthenticated(() -> f.sessions.touch(s.token()));
  }

  @Test
  void login_eachLoginIssuesANewToken() throws Exception {
    String a = f.passwords.login(f.tenant, "ada@example.com", "correct horse battery", f.meta()).get().session().orElseThrow().token();
    String b = f.passwords.login(f.tenant, "ada@example.com", "correct horse battery", f.meta()).get().session().orElseThrow().token();
    assertThat(a).isNotEqualTo(b);
    assertThat(f.sessions.validate(a).principal().id()).isEqualTo(f.sessions.validate(b).principal().id());
  }

  @Test
  void logout_revokesOnlyThatSession() {
    SessionService.Issued a = issue();
    SessionService.Issued b = issue();
    f.sessions.logout(a.token(), f.sessions.validate(a.token()).principal(), f.meta(), f.spool);
    assertUnauthenticated(() -> f.sessions.validate(a.token()));
    assertThat(f.sessions.validate(b.token()).principal().id()).isEqualTo(user.toString());
  }

  @Test
  void changePassword_revokesEverySessionOfTheUser() {
    SessionService.Issued a = issue();
    SessionService.Issued b = issue();
    f.sessions.validate(a.token());
    f.sessions.validate(b.token());
    assertThat(f.accounts.changePassword(f.tenant, user, "another long passphrase", f.meta())).isEqualTo(2);
    assertUnauthenticated(() -> f.sessions.validate(a.token()));
    assertUnauthenticated(() -> f.sessions.validate(b.token()));
  }

  @Test
  void validate_otherTenantsToken_unknown() {
    SessionService.Issued s = issue();
    String other = "fss_someone-else_" + s.token().substring(("fss_" + f.tenant + "_").length());
    assertUnauthenticated(() -> f.sessions.validate(other));
    assertUnauthenticated(() -> f.sessions.validate("fss_garbage"));
  }
}
