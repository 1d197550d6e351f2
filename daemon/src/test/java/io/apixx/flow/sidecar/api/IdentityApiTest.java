package io.apixx.flow.sidecar.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.client.FlowSidecarException;
import io.apixx.flow.sidecar.testing.InProcessSidecar;
import io.apixx.flow.sidecar.v1.LoginRequest;
import io.apixx.flow.sidecar.v1.LoginResponse;
import io.apixx.flow.sidecar.v1.LogoutRequest;
import io.apixx.flow.sidecar.v1.PrincipalKind;
import io.apixx.flow.sidecar.v1.Session;
import io.apixx.flow.sidecar.v1.ValidateSessionRequest;
import io.apixx.flow.sidecar.v1.WhoAmIRequest;
import io.apixx.flow.sidecar.v1.WhoAmIResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IdentityService over the wire, through the real interceptor chain. */
class IdentityApiTest {
  @TempDir static Path dir;
  static InProcessSidecar s;
  static FlowSidecarClient unix;
  static FlowSidecarClient tcp;

  @BeforeAll
  static void start() throws Exception {
    s = InProcessSidecar.start(dir);
    unix = s.unixClient();
    tcp = s.tcpClient();
    // A user with a bcrypt hash made here (cost 10, the test configuration).
    io.apixx.flow.sidecar.persistence.Database db = io.apixx.flow.sidecar.testing.PostgresHarness.shared().openDatabase();
    try (db) {
      io.apixx.flow.sidecar.auth.PasswordHasher h =
          new io.apixx.flow.sidecar.auth.PasswordHasher(10, io.apixx.flow.sidecar.server.BoundedExecutors.fixed("t", 1, 4));
      s.fixtures.execute("INSERT INTO flow.users (tenant_id, email, password_hash) VALUES (?, ?, ?)", s.tenant, "ada@example.com",
          h.hash(io.apixx.flow.sidecar.testing.Canaries.register("correct horse battery")).join());
      h.close();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    unix.close();
    tcp.close();
    s.close();
  }

  static LoginRequest ada() {
    return LoginRequest.newBuilder().setTenantId(s.tenant).setEmail("ada@example.com").setPassword("correct horse battery").build();
  }

  @Test
  void login_overTheSocketWithoutToken_returnsASession() {
    LoginResponse r = FlowSidecarClient.call(() -> unix.identity().login(ada()));
    assertThat(r.getSession().getToken()).startsWith("fss_" + s.tenant + "_");
    assertThat(r.getSession().getPrincipal().getKind()).isEqualTo(PrincipalKind.PRINCIPAL_KIND_USER);
  }

  @Test
  void login_overTcpWithoutToken_unauthenticated() {
    assertThatThrownBy(() -> FlowSidecarClient.call(() -> tcp.identity().login(ada()))).isInstanceOf(FlowSidecarException.Unauthenticated.class);
  }

  @Test
  void login_overTcpWithServiceToken_returnsASession() {
    LoginResponse r = FlowSidecarClient.call(() -> tcp.withToken(s.serviceToken).identity().login(ada()));
    assertThat(r.getSession().getToken()).isNotEmpty();
  }

  @Test
  void tcp_everyProtectedCallNeedsABearerToken() {
    assertThatThrownBy(() -> tcp.whoAmI()).isInstanceOf(FlowSidecarException.Unauthenticated.class);
    assertThatThrownBy(() -> FlowSidecarClient.call(() -> tcp.identity().validateSession(ValidateSessionRequest.getDefaultInstance())))
        .isInstanceOf(FlowSidecarException.Unauthenticated.class);
    assertThatThrownBy(() -> tcp.getCredential("anything")).isInstanceOf(FlowSidecarException.Unauthenticated.class);
  }

  @Test
  void runToken_exchangeThenWhoAmIAndValidateOverBothTransports() {
    Session session = unix.exchangeRunToken(s.runToken("github-main"));
    WhoAmIResponse me = tcp.withToken(session.getToken()).whoAmI();
    assertThat(me.getPrincipal().getKind()).isEqualTo(PrincipalKind.PRINCIPAL_KIND_RUN);
    assertThat(me.getPrincipal().getAllowedConnectorsList()).containsExactly("github-main");
    assertThat(me.getTransport()).isEqualTo("tcp");
    assertThat(unix.withToken(session.getToken()).whoAmI().getTransport()).isEqualTo("unix");
    Session v = FlowSidecarClient.call(() -> unix.withToken(session.getToken()).identity().validateSession(ValidateSessionRequest.getDefaultInstance())).getSession();
    assertThat(v.getToken()).isEmpty();
    assertThat(v.getPrincipal().getTenantId()).isEqualTo(s.tenant);
  }

  @Test
  void runToken_replayed_unauthenticated() {
    String token = s.runToken("github-main");
    unix.exchangeRunToken(token);
    assertThatThrownBy(() -> unix.exchangeRunToken(token))
        .isInstanceOf(FlowSidecarException.Unauthenticated.class)
        .hasMessageContaining("replayed")
        .hasMessageNotContaining(token);
  }

  @Test
  void logout_sessionNoLongerValid() {
    String token = FlowSidecarClient.call(() -> unix.identity().login(ada())).getSession().getToken();
    FlowSidecarClient.call(() -> unix.withToken(token).identity().logout(LogoutRequest.getDefaultInstance()));
    assertThatThrownBy(() -> unix.withToken(token).whoAmI()).isInstanceOf(FlowSidecarException.Unauthenticated.class);
  }

  @Test
  void whoAmI_serviceToken_servicePrincipal() {
    assertThat(tcp.withToken(s.serviceToken).whoAmI().getPrincipal().getKind()).isEqualTo(PrincipalKind.PRINCIPAL_KIND_SERVICE);
  }

  @Test
  void badBearerHeaders_unauthenticatedWithoutEcho() {
    assertThatThrownBy(() -> unix.withToken("fss_" + s.tenant + "_" + "A".repeat(43)).whoAmI())
        .isInstanceOf(FlowSidecarException.Unauthenticated.class);
    assertThatThrownBy(() -> unix.withToken("not-a-token-at-all").whoAmI())
        .isInstanceOf(FlowSidecarException.Unauthenticated.class)
        .hasMessageNotContaining("not-a-token-at-all");
  }

  @Test
  void userSession_cannotFetchCredentials() {
    String token = FlowSidecarClient.call(() -> unix.identity().login(ada())).getSession().getToken();
    assertThatThrownBy(() -> unix.withToken(token).getCredential("github-main")).isInstanceOf(FlowSidecarException.PermissionDenied.class);
    assertThat(List.of(token)).isNotEmpty();
  }
}
