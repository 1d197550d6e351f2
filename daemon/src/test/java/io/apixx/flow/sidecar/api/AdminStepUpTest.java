package io.apixx.flow.sidecar.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.apixx.flow.sidecar.auth.PasswordHasher;
import io.apixx.flow.sidecar.auth.Totp;
import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.client.FlowSidecarException;
import io.apixx.flow.sidecar.secret.SecretBytes;
import io.apixx.flow.sidecar.server.BoundedExecutors;
import io.apixx.flow.sidecar.testing.Canaries;
import io.apixx.flow.sidecar.testing.InProcessSidecar;
import io.apixx.flow.sidecar.testing.MutableClock;
import io.apixx.flow.sidecar.v1.ConfirmTotpRequest;
import io.apixx.flow.sidecar.v1.EnrollTotpRequest;
import io.apixx.flow.sidecar.v1.LoginRequest;
import io.apixx.flow.sidecar.v1.LoginResponse;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.apixx.flow.sidecar.v1.VerifyMfaRequest;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.commons.codec.binary.Base32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Admin RPCs need an admin who passed TOTP within the last 15 minutes (step-up), over the wire. */
class AdminStepUpTest {
  @TempDir Path dir;

  @Test
  void adminWrites_needTotpWithinFifteenMinutes() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MICROS));
    String password = Canaries.register("admin step-up passphrase");
    try (InProcessSidecar s = InProcessSidecar.start(dir, clock); FlowSidecarClient c = s.unixClient()) {
      PasswordHasher h = new PasswordHasher(10, BoundedExecutors.fixed("t", 1, 4));
      java.util.UUID admin = java.util.UUID.randomUUID();
      s.fixtures.execute("INSERT INTO flow.users (tenant_id, id, email, password_hash) VALUES (?, ?, ?, ?)", s.tenant, admin, "root@example.com",
          h.hash(password).join());
      s.fixtures.execute("INSERT INTO flow.user_roles (tenant_id, user_id, role, granted_by) VALUES (?, ?, 'admin', 'system')", s.tenant, admin);
      h.close();
      LoginRequest login = LoginRequest.newBuilder().setTenantId(s.tenant).setEmail("root@example.com").setPassword(password).build();

      // 1. Without TOTP: a session, but no admin role, so no admin RPC.
      String plain = Canaries.register(FlowSidecarClient.call(() -> c.identity().login(login)).getSession().getToken());
      assertThat(c.withToken(plain).whoAmI().getPrincipal().getRolesList()).doesNotContain("admin");
      assertThat(catchThrowableOfType(FlowSidecarException.PermissionDenied.class, () -> seal(c, plain, "first"))).isNotNull();

      // 2. Enroll and confirm TOTP: a fresh session with a recent MFA time may write.
      String uri = FlowSidecarClient.call(() -> c.withToken(plain).identity().enrollTotp(EnrollTotpRequest.getDefaultInstance())).getOtpauthUri();
      SecretBytes seed = SecretBytes.adopt(Canaries.register(new Base32().decode(URI.create(uri).getQuery().replaceAll(".*secret=([A-Z2-7]+).*", "$1"))));
      Totp totp = new Totp(clock);
      String confirmed = Canaries.register(FlowSidecarClient.call(() -> c.withToken(plain).identity()
          .confirmTotp(ConfirmTotpRequest.newBuilder().setCode(totp.codeAt(seed, clock.instant())).build())).getSession().getToken());
      assertThat(c.withToken(confirmed).whoAmI().getPrincipal().getRolesList()).contains("admin");
      seal(c, confirmed, "second");

      // 3. Sixteen minutes later the same session may no longer write: step up.
      clock.advance(Duration.ofMinutes(16));
      FlowSidecarException.PermissionDenied stale = catchThrowableOfType(FlowSidecarException.PermissionDenied.class, () -> seal(c, confirmed, "third"));
      assertThat(stale).isNotNull();
      assertThat(stale.getMessage()).contains("TOTP check within the last 15 minutes");

      // 4. Password + TOTP again: the new session writes.
      LoginResponse r = FlowSidecarClient.call(() -> c.identity().login(login));
      assertThat(r.hasMfaChallenge()).isTrue();
      String challenge = Canaries.register(r.getMfaChallenge().getChallengeToken());
      String stepped = Canaries.register(FlowSidecarClient.call(() -> c.withToken(challenge).identity()
          .verifyMfa(VerifyMfaRequest.newBuilder().setCode(totp.codeAt(seed, clock.instant())).build())).getSession().getToken());
      seal(c, stepped, "fourth");
    }
  }

  private static void seal(FlowSidecarClient c, String token, String connector) {
    FlowSidecarClient.call(() -> c.withToken(token).credentials().sealCredential(SealCredentialRequest.newBuilder()
        .setConnectorId(connector).putSecretFields("api_token", Canaries.register("value-of-" + connector + "-" + System.nanoTime())).build()));
  }
}
