package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import io.apixx.flow.sidecar.testing.Canaries;
import org.apache.commons.codec.binary.Base32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Password login, throttling and TOTP against real PostgreSQL, on a fake clock. */
class LoginAndMfaTest {
  @TempDir Path dir;
  AuthFixture f;
  UUID ada;
  UUID admin;

  @BeforeEach
  void setUp() throws Exception {
    f = new AuthFixture(dir, 10);
    ada = f.accounts.ensureUser(f.tenant, "ada@example.com", Canaries.register("correct horse battery"), List.of("member"));
    admin = f.accounts.ensureUser(f.tenant, "root@example.com", Canaries.register("admin passphrase!"), List.of("admin"));
    Canaries.register("canary-password-123");
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  PasswordLogin.Outcome login(String email, String password) {
    try {
      return f.passwords.login(f.tenant, email, password, f.meta()).join();
    } catch (CompletionException e) {
      throw (RuntimeException) e.getCause();
    }
  }

  static SidecarException failure(Runnable r) {
    try {
      r.run();
    } catch (SidecarException e) {
      return e;
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void login_wrongPasswordAndUnknownUser_sameAnswerAndBothAudited() throws Exception {
    SidecarException wrong = failure(() -> login("ada@example.com", "not the password"));
    SidecarException unknown = failure(() -> login("nobody@example.com", "not the password"));
    assertThat(wrong.kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
    assertThat(unknown.kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
    assertThat(wrong.getMessage()).isEqualTo(unknown.getMessage()).doesNotContain("not the password");
    assertThat(f.audited(Actions.AUTH_LOGIN, AuditEvent.Outcome.DENIED)).isEqualTo(2);
  }

  @Test
  void login_tooLongPassword_rejectedNotTruncated() {
    SidecarException e = failure(() -> f.passwords.login(f.tenant, "ada@example.com", "x".repeat(73), f.meta()));
    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
  }

  @Test
  void login_repeatedFailures_growingDelayThenLockoutWithRetryHint() {
    failure(() -> login("ada@example.com", "guess 1"));
    SidecarException tooSoon = failure(() -> login("ada@example.com", "correct horse battery"));
    assertThat(tooSoon.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
    assertThat(tooSoon.retryAfter()).hasValueSatisfying(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(1)));
    for (int i = 2; i <= 5; i++) {
      f.clock.advance(Duration.ofSeconds(31));
      int n = i;
      failure(() -> login("ada@example.com", "guess " + n));
    }
    f.clock.advance(Duration.ofSeconds(31));
    SidecarException locked = failure(() -> login("ada@example.com", "correct horse battery"));
    assertThat(locked.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
    assertThat(locked.reasonCode()).isEqualTo("throttled_locked");
    assertThat(locked.retryAfter().orElseThrow()).isGreaterThan(Duration.ofMinutes(10));
    f.clock.advance(Duration.ofMinutes(16));
    assertThat(login("ada@example.com", "correct horse battery").session()).isPresent();
  }

  @Test
  void login_lowerCostHash_upgradedToCost() throws Exception {
    f.fixtures.execute("UPDATE flow.users SET password_hash = ? WHERE id = ?",
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ada);
    assertThat(login("ada@example.com", "U*U").session()).isPresent();
    String stored = (String) f.fixtures.rows("SELECT password_hash FROM flow.users WHERE id = ?", ada).get(0).get("password_hash");
    assertThat(stored).startsWith("$2b$10$");
  }

  @Test
  void adminWithoutTotp_getsNoAdminRole() {
    String token = login("root@example.com", "admin passphrase!").session().orElseThrow().token();
    UserPrincipal p = (UserPrincipal) f.sessions.validate(token).principal();
    assertThat(p.roles()).doesNotContain(UserPrincipal.ADMIN);
  }

  private SecretBytes enrollAndConfirm(UUID user, String email, String password) {
    String token = login(email, password).session().orElseThrow().token();
    UserPrincipal p = (UserPrincipal) f.sessions.validate(token).principal();
    MfaService.Enrollment e = f.mfa.enroll(p, f.meta());
    String secret = URI.create(e.otpauthUri()).getQuery().replaceAll(".*secret=([A-Z2-7]+).*", "$1");
    SecretBytes seed = SecretBytes.adopt(Canaries.register(new Base32().decode(secret)));
    SessionService.Issued confirmed = f.mfa.confirm(p, f.totp.codeAt(seed, f.clock.instant()), f.meta());
    assertThat(confirmed.token()).isNotEqualTo(token);
    // Confirming TOTP revoked the session that enrolled.
    assertThat(failure(() -> f.sessions.validate(token)).kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
    UserPrincipal after = (UserPrincipal) f.sessions.validate(confirmed.token()).principal();
    assertThat(after.mfaTime()).isPresent();
    return seed;
  }

  @Test
  void totp_confirmedSeed_storedOnlySealedUnderTheTenantKey() {
    SecretBytes seed = enrollAndConfirm(admin, "root@example.com", "admin passphrase!");
    var row = f.fixtures.rows(
        "SELECT mfa_secret, mfa_wrapped_dek, mfa_key_ref FROM flow.users WHERE id = ?", admin).get(0);
    byte[] stored = (byte[]) row.get("mfa_secret");
    byte[] plain = seed.reveal(io.apixx.flow.sidecar.secret.SecretAccess.RELEASE);
    assertThat(stored).isNotNull();
    // Sealed: an envelope (header, IV, tag) around the seed, never the seed itself or containing it.
    assertThat(stored.length).isGreaterThan(plain.length + 16);
    assertThat(indexOf(stored, plain)).isEqualTo(-1);
    assertThat((byte[]) row.get("mfa_wrapped_dek")).isNotEmpty();
    assertThat((String) row.get("mfa_key_ref")).isNotBlank();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void totp_enrolledAdmin_loginNeedsSecondStepAndGetsAdminRole() {
    SecretBytes seed = enrollAndConfirm(admin, "root@example.com", "admin passphrase!");
    PasswordLogin.Outcome o = login("root@example.com", "admin passphrase!");
    assertThat(o.session()).isEmpty();
    String challenge = o.challenge().orElseThrow().token();
    assertThat(challenge).startsWith("fsm_");
    f.clock.advance(Duration.ofSeconds(30));
    SessionService.Issued s = f.mfa.verify(challenge, f.totp.codeAt(seed, f.clock.instant()), f.meta());
    UserPrincipal p = (UserPrincipal) f.sessions.validate(s.token()).principal();
    assertThat(p.roles()).contains(UserPrincipal.ADMIN);
    assertThat(p.mfaWithin(Duration.ofMinutes(15), f.clock.instant())).isTrue();
    f.clock.advance(Duration.ofMinutes(16));
    assertThat(p.mfaWithin(Duration.ofMinutes(15), f.clock.instant())).isFalse();
  }

  @Test
  void totp_codeReplayedInsideItsWindow_rejected() {
    SecretBytes seed = enrollAndConfirm(admin, "root@example.com", "admin passphrase!");
    f.clock.advance(Duration.ofSeconds(30));
    String code = f.totp.codeAt(seed, f.clock.instant());
    String c1 = login("root@example.com", "admin passphrase!").challenge().orElseThrow().token();
    f.mfa.verify(c1, code, f.meta());
    f.clock.advance(Duration.ofSeconds(5));
    String c2 = login("root@example.com", "admin passphrase!").challenge().orElseThrow().token();
    SidecarException replay = failure(() -> f.mfa.verify(c2, code, f.meta()));
    assertThat(replay.kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
  }

  @Test
  void totp_challengeUsedTwice_rejected() {
    SecretBytes seed = enrollAndConfirm(admin, "root@example.com", "admin passphrase!");
    f.clock.advance(Duration.ofSeconds(30));
    String c = login("root@example.com", "admin passphrase!").challenge().orElseThrow().token();
    f.mfa.verify(c, f.totp.codeAt(seed, f.clock.instant()), f.meta());
    f.clock.advance(Duration.ofSeconds(30));
    assertThat(failure(() -> f.mfa.verify(c, f.totp.codeAt(seed, f.clock.instant()), f.meta())).kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
  }

  @Test
  void totp_wrongCodes_throttled() {
    enrollAndConfirm(admin, "root@example.com", "admin passphrase!");
    String c = login("root@example.com", "admin passphrase!").challenge().orElseThrow().token();
    assertThat(failure(() -> f.mfa.verify(c, "000000", f.meta())).kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
    assertThat(failure(() -> f.mfa.verify(c, "000001", f.meta())).kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
  }

  @Test
  void audit_noSecretInAnyEvent() throws Exception {
    failure(() -> login("ada@example.com", "canary-password-123"));
    f.clock.advance(Duration.ofSeconds(2));
    String token = login("ada@example.com", "correct horse battery").session().orElseThrow().token();
    for (io.apixx.flow.sidecar.v1.AuditEvent e : f.events()) {
      assertThat(e.toString()).doesNotContain("canary-password-123").doesNotContain("correct horse battery").doesNotContain(token);
    }
  }
}
