package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** OIDC against a local identity provider (JWKS over http://127.0.0.1, allowed for tests only). */
class OidcLoginTest {
  @TempDir Path dir;
  AuthFixture f;
  HttpServer idp;
  RSAKey key;
  String issuer;
  OidcLogin oidc;

  @BeforeEach
  void setUp() throws Exception {
    f = new AuthFixture(dir, 10);
    key = new RSAKeyGenerator(2048).keyID("idp-1").generate();
    byte[] jwks = new JWKSet(key.toPublicJWK()).toString(true).getBytes(StandardCharsets.UTF_8);
    idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    issuer = "http://127.0.0.1:" + idp.getAddress().getPort();
    byte[] discovery = ("{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/keys\"}").getBytes(StandardCharsets.UTF_8);
    idp.createContext("/keys", ex -> { ex.sendResponseHeaders(200, jwks.length); ex.getResponseBody().write(jwks); ex.close(); });
    idp.createContext("/.well-known/openid-configuration", ex -> { ex.sendResponseHeaders(200, discovery.length); ex.getResponseBody().write(discovery); ex.close(); });
    idp.start();
    f.fixtures.execute("UPDATE flow.tenants SET oidc_issuer = ?, oidc_audience = 'flow-app' WHERE id = ?", issuer, f.tenant);
    f.accounts.ensureUser(f.tenant, "sso-user@example.com", "unused password 1", List.of("member"));
    oidc = new OidcLogin(f.directory, f.users, f.sessions, f.tenants, f.spool, f.clock, Duration.ofSeconds(60), true);
  }

  @AfterEach
  void tearDown() throws Exception {
    idp.stop(0);
    f.close();
  }

  String idToken(UnaryOperator<JWTClaimsSet.Builder> claims) throws Exception {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(issuer).audience("flow-app").subject("u-1")
        .claim("email", "sso-user@example.com").claim("email_verified", true).claim("nonce", "n-123")
        .issueTime(Date.from(f.clock.instant())).expirationTime(Date.from(f.clock.instant().plusSeconds(300)));
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("idp-1").build(), claims.apply(b).build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  static void assertKind(ErrorKind kind, Runnable r) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(SidecarException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }

  @Test
  void exchange_validIdTokenViaDiscovery_userSession() throws Exception {
    SessionService.Issued s = oidc.exchange(f.tenant, idToken(b -> b), "n-123", f.meta());
    assertThat(((UserPrincipal) f.sessions.validate(s.token()).principal()).email()).isEqualTo("sso-user@example.com");
  }

  @Test
  void exchange_badTokens_unauthenticated() throws Exception {
    assertKind(ErrorKind.UNAUTHENTICATED, () -> oidc.exchange(f.tenant, rethrow(() -> idToken(b -> b)), "other-nonce", f.meta()));
    assertKind(ErrorKind.UNAUTHENTICATED, () -> oidc.exchange(f.tenant, rethrow(() -> idToken(b -> b.audience("someone-else"))), "n-123", f.meta()));
    assertKind(ErrorKind.UNAUTHENTICATED, () -> oidc.exchange(f.tenant, rethrow(() -> idToken(b -> b.issuer("https://evil.example"))), "n-123", f.meta()));
    assertKind(ErrorKind.UNAUTHENTICATED, () -> oidc.exchange(f.tenant,
        rethrow(() -> idToken(b -> b.expirationTime(Date.from(f.clock.instant().minusSeconds(61))))), "n-123", f.meta()));
    assertKind(ErrorKind.UNAUTHENTICATED, () -> oidc.exchange(f.tenant, rethrow(() -> idToken(b -> b.claim("email_verified", false))), "n-123", f.meta()));
  }

  @Test
  void exchange_unknownEmail_notFound() {
    assertKind(ErrorKind.NOT_FOUND, () -> oidc.exchange(f.tenant, rethrow(() -> idToken(b -> b.claim("email", "stranger@example.com"))), "n-123", f.meta()));
  }

  @Test
  void exchange_planWithoutSso_failedPrecondition() {
    f.fixtures.execute("UPDATE flow.tenants SET plan = 'growth' WHERE id = ?", f.tenant);
    assertKind(ErrorKind.FAILED_PRECONDITION, () -> oidc.exchange(f.tenant, rethrow(() -> idToken(b -> b)), "n-123", f.meta()));
  }

  /** Serves {@code body} (with status 200) as the issuer's discovery document from now on. */
  void serveDiscovery(String body) {
    byte[] bytes = body.replace("<issuer>", issuer).getBytes(StandardCharsets.UTF_8);
    idp.removeContext("/.well-known/openid-configuration");
    idp.createContext("/.well-known/openid-configuration", ex -> {
      ex.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
      ex.getResponseBody().write(bytes);
      ex.close();
    });
  }

  void assertRefused(ErrorKind kind, String reason) {
    assertThatThrownBy(() -> oidc.exchange(f.tenant, rethrow(() -> idToken(b -> b)), "n-123", f.meta()))
        .isInstanceOfSatisfying(SidecarException.class, e -> {
          assertThat(e.kind()).isEqualTo(kind);
          assertThat(e.reasonCode()).isEqualTo(reason);
        });
  }

  /** A jwks_uri that is there but not a string is no https URL: refused as the old reader did. */
  @ParameterizedTest
  @ValueSource(strings = {"42", "4.5", "true", "[\"<issuer>/keys\"]", "{\"url\": \"<issuer>/keys\"}"})
  void exchange_discoveryJwksUriNotAString_refusedAsNotHttps(String jwksUri) {
    serveDiscovery("{\"issuer\": \"<issuer>\", \"jwks_uri\": " + jwksUri + "}");

    assertRefused(ErrorKind.FAILED_PRECONDITION, "insecure_jwks_uri");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"issuer\": \"<issuer>\"}", "{\"jwks_uri\": null}", "[\"<issuer>/keys\"]", "\"<issuer>/keys\"", "null", "",
      "<html>not found</html>", "{\"jwks_uri\": \"<issuer>/keys\",}"})
  void exchange_discoveryWithoutUsableJwksUri_unavailable(String body) {
    serveDiscovery(body);

    assertRefused(ErrorKind.UNAVAILABLE, "oidc_discovery_failed");
  }

  /** Stricter than the Jackson-based reader, which ignored what followed the object. */
  @Test
  void exchange_discoveryWithContentAfterTheObject_unavailable() {
    serveDiscovery("{\"jwks_uri\": \"<issuer>/keys\"} {\"jwks_uri\": \"https://elsewhere.example/keys\"}");

    assertRefused(ErrorKind.UNAVAILABLE, "oidc_discovery_failed");
  }

  /** Discovery reads jwks_uri only; the ID token's iss is what is checked against the tenant. */
  @ParameterizedTest
  @ValueSource(strings = {"42", "null", "{\"a\": 1}"})
  void exchange_discoveryIssuerNotAString_ignoredAsBefore(String discoveryIssuer) throws Exception {
    serveDiscovery("{\"issuer\": " + discoveryIssuer + ", \"jwks_uri\": \"<issuer>/keys\"}");

    SessionService.Issued s = oidc.exchange(f.tenant, idToken(b -> b), "n-123", f.meta());

    assertThat(((UserPrincipal) f.sessions.validate(s.token()).principal()).email()).isEqualTo("sso-user@example.com");
  }

  interface Call<T> {
    T get() throws Exception;
  }

  static <T> T rethrow(Call<T> c) {
    try {
      return c.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
