package io.apixx.flow.sidecar.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.tenancy.Tenancy;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import io.apixx.flow.sidecar.tenancy.TenantInfo;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code ExchangeOidcToken}: an ID token from the tenant's OpenID provider for a user session, on
 * plans with SSO only. Checks, in order: plan and configuration; header (RS256, ES256 or EdDSA; no
 * {@code jwk}/{@code jku}/{@code x5u}/{@code x5c}); {@code iss} equal to the tenant's issuer;
 * {@code aud} containing its client id; {@code exp}/{@code iat}/{@code nbf} within the skew;
 * {@code nonce} equal to the caller's (constant-time); a verified {@code email}; then the key by
 * {@code kid} from the provider's JWKS (its {@code jwks_uri}, or discovery from the issuer; cached
 * per tenant; refetched on an unknown {@code kid} at most once a minute) and the signature. The user
 * is found by email within the tenant. SAML and SCIM would plug in beside this class.
 */
public final class OidcLogin {
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA);

  private final TenantDirectory directory;
  private final UserStore users;
  private final SessionService sessions;
  private final TenantScope tenants;
  private final AuditSink audit;
  private final Clock clock;
  private final Duration skew;
  private final boolean allowHttpLoopback;
  // Built on the first discovery fetch: a JDK HttpClient initializes TLS and reads the trust store
  // when it is built (about 0.1 s and 300 classes at start), and most daemons never see an ID
  // token. Guarded by this (discovery runs once per issuer, so the lock is never contended).
  private HttpClient http;
  private final Cache<String, JwkSource> keySources = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofHours(1)).executor(Runnable::run).build();

  public OidcLogin(
      TenantDirectory directory, UserStore users, SessionService sessions, TenantScope tenants, AuditSink audit, Clock clock,
      Duration skew, boolean allowHttpLoopback) {
    this.directory = directory;
    this.users = users;
    this.sessions = sessions;
    this.tenants = tenants;
    this.audit = audit;
    this.clock = clock;
    this.skew = skew;
    this.allowHttpLoopback = allowHttpLoopback;
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).followRedirects(HttpClient.Redirect.NEVER).build();
    }
    return http;
  }

  private static AuthException reject(String reason) {
    return AuthException.unauthenticated(reason, "ID token rejected (" + reason + ")");
  }

  /**
   * @throws AuthException UNAUTHENTICATED for a bad token, FAILED_PRECONDITION when the tenant has
   *     no SSO, NOT_FOUND-kind when no user has the email
   */
  public SessionService.Issued exchange(String tenantId, String idToken, String nonce, RequestMeta meta) {
    if (tenantId == null || !Tenancy.TENANT_ID.matcher(tenantId).matches()) {
      throw AuthException.invalid("bad_tenant_id", "tenant_id: expected a lowercase slug of at most 63 characters");
    }
    if (nonce == null || nonce.isEmpty() || nonce.length() > 512) {
      throw AuthException.invalid("bad_nonce", "nonce: required, at most 512 characters");
    }
    TenantInfo tenant = directory.find(tenantId).filter(TenantInfo::ssoEnabled)
        .orElseThrow(() -> AuthException.precondition("sso_not_enabled", "single sign-on is not enabled for this tenant"));
    String email;
    try {
      email = verify(tenant, idToken, nonce);
    } catch (AuthException e) {
      record(tenantId, AuditEvent.Actor.unknown(), "oidc", AuditEvent.Outcome.DENIED, e.reasonCode(), meta);
      throw e;
    }
    UserStore.User u = users.findByEmail(tenantId, email).orElseThrow(() -> {
      record(tenantId, AuditEvent.Actor.unknown(), "oidc", AuditEvent.Outcome.DENIED, "unknown_user", meta);
      return new SidecarException(ErrorKind.NOT_FOUND, "unknown_user", "no user with the token's email in this tenant");
    });
    if (!u.active()) {
      record(tenantId, new AuditEvent.Actor(AuditEvent.Kind.USER, u.id().toString(), ""), "user/" + u.id(), AuditEvent.Outcome.DENIED, "account_disabled", meta);
      throw AuthException.precondition("account_disabled", "this account is disabled");
    }
    return tenants.inTenant(
        tenantId,
        DbActor.user(u.id()),
        tx -> {
          SessionService.Issued s = sessions.issueUser(tx, u.id(), Optional.empty());
          record(tenantId, new AuditEvent.Actor(AuditEvent.Kind.USER, u.id().toString(), Tokens.hashHex(s.token())), "user/" + u.id(),
              AuditEvent.Outcome.SUCCESS, "", meta);
          return s;
        });
  }

  /** Returns the verified email of the token's subject. */
  private String verify(TenantInfo tenant, String idToken, String nonce) {
    if (idToken == null || idToken.isEmpty() || idToken.length() > 16_384) {
      throw reject("malformed");
    }
    SignedJWT jwt;
    JWTClaimsSet c;
    try {
      jwt = SignedJWT.parse(idToken);
      c = jwt.getJWTClaimsSet();
    } catch (ParseException | RuntimeException e) {
      throw reject("malformed");
    }
    JWSHeader h = jwt.getHeader();
    if (!ALGORITHMS.contains(h.getAlgorithm())) {
      throw reject("algorithm_not_allowed");
    }
    if (h.getJWK() != null || h.getJWKURL() != null || h.getX509CertURL() != null || h.getX509CertChain() != null || h.getCriticalParams() != null) {
      throw reject("forbidden_header");
    }
    if (h.getKeyID() == null || !h.getKeyID().matches("[A-Za-z0-9._:+/=-]{1,256}")) {
      throw reject("bad_key_id");
    }
    Instant now = clock.instant();
    if (!tenant.oidcIssuer().get().equals(c.getIssuer())) {
      throw reject("wrong_issuer");
    }
    if (c.getAudience() == null || !c.getAudience().contains(tenant.oidcAudience().get())) {
      throw reject("wrong_audience");
    }
    Date exp = c.getExpirationTime();
    if (exp == null || !now.isBefore(exp.toInstant().plus(skew))) {
      throw reject("expired");
    }
    Date iat = c.getIssueTime();
    if (iat == null || iat.toInstant().isAfter(now.plus(skew))) {
      throw reject("issued_in_future");
    }
    if (c.getNotBeforeTime() != null && c.getNotBeforeTime().toInstant().isAfter(now.plus(skew))) {
      throw reject("not_yet_valid");
    }
    Object tokenNonce = c.getClaim("nonce");
    if (!(tokenNonce instanceof String n)
        || !MessageDigest.isEqual(n.getBytes(StandardCharsets.UTF_8), nonce.getBytes(StandardCharsets.UTF_8))) {
      throw reject("wrong_nonce");
    }
    Object email = c.getClaim("email");
    Object verified = c.getClaim("email_verified");
    if (!(email instanceof String e) || e.isEmpty() || !Boolean.TRUE.equals(verified)) {
      throw reject("email_not_verified");
    }
    JWK key = keySource(tenant).find(h.getKeyID()).orElseThrow(() -> reject("unknown_key"));
    if (!verifySignature(jwt, h.getAlgorithm(), key)) {
      throw reject("bad_signature");
    }
    return e;
  }

  private JwkSource keySource(TenantInfo tenant) {
    return keySources.get(tenant.id() + "|" + tenant.oidcIssuer().get(), k -> {
      String uri = tenant.oidcJwksUri().orElseGet(() -> discover(tenant.oidcIssuer().get()));
      checkUrl(uri);
      try {
        return JwkSource.url(URI.create(uri).toURL(), Duration.ofMinutes(15), Duration.ofMinutes(1));
      } catch (IOException | IllegalArgumentException e) {
        throw new SidecarException(ErrorKind.FAILED_PRECONDITION, "bad_jwks_uri", "the tenant's JWKS URI is not usable");
      }
    });
  }

  /**
   * OpenID Connect discovery: {@code <issuer>/.well-known/openid-configuration} → {@code jwks_uri}.
   * Anything but a 200 with one JSON object holding a non-null {@code jwks_uri} is UNAVAILABLE; a
   * {@code jwks_uri} that is not a string is refused like one that is not https.
   */
  private String discover(String issuer) {
    String url = issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration";
    checkUrl(url);
    try {
      HttpResponse<String> r = http().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      Map<String, Object> doc = JSONObjectUtils.parse(r.body()); // null for the body "null"
      Object jwksUri = doc == null ? null : doc.get("jwks_uri");
      if (r.statusCode() != 200 || jwksUri == null) {
        throw new IOException("no jwks_uri");
      }
      if (!(jwksUri instanceof String uri)) {
        // A number, boolean, array or object is no https URL: refused as one that is not https.
        throw insecureJwksUri();
      }
      return uri;
    } catch (IOException | ParseException | IllegalArgumentException e) {
      throw new SidecarException(ErrorKind.UNAVAILABLE, "oidc_discovery_failed", "the identity provider's configuration is unavailable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SidecarException(ErrorKind.UNAVAILABLE, "oidc_discovery_failed", "interrupted");
    }
  }

  private void checkUrl(String url) {
    if (!url.startsWith("https://") && !(allowHttpLoopback && url.startsWith("http://127.0.0.1"))) {
      throw insecureJwksUri();
    }
  }

  private static SidecarException insecureJwksUri() {
    return new SidecarException(ErrorKind.FAILED_PRECONDITION, "insecure_jwks_uri", "the tenant's identity provider must use https");
  }

  private static boolean verifySignature(SignedJWT jwt, JWSAlgorithm alg, JWK key) {
    try {
      JWSVerifier v;
      if (alg.equals(JWSAlgorithm.RS256) && key instanceof RSAKey rsa && rsa.size() >= 2048) {
        v = new RSASSAVerifier(rsa);
      } else if (alg.equals(JWSAlgorithm.ES256) && key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())) {
        v = new ECDSAVerifier(ec);
      } else if (alg.equals(JWSAlgorithm.EdDSA) && key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
        v = new Ed25519Verifier(okp.toPublicJWK());
      } else {
        return false;
      }
      if (key.getAlgorithm() != null && !key.getAlgorithm().equals(alg)) {
        return false;
      }
      return jwt.verify(v);
    } catch (JOSEException | RuntimeException e) {
      return false;
    }
  }

  private void record(String tenant, AuditEvent.Actor actor, String target, AuditEvent.Outcome outcome, String reason, RequestMeta meta) {
    audit.record(new AuditEvent(tenant, actor, Actions.AUTH_OIDC, target, outcome, reason, meta.requestId(), meta.peer(), clock.instant(), Map.of()));
  }
}
