package io.apixx.flow.sidecar.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verifies orchestrator-minted run tokens (compact JWS, RFC 8725 practices).
 *
 * <p>Order of checks, cheapest and most suspicious first, so that no malformed or attacker-shaped
 * token ever causes a key lookup (and so no outbound JWKS fetch): size; parse; header: {@code alg}
 * in the allowlist (ES256, EdDSA; never {@code none}, never HMAC), {@code typ} exactly
 * {@value #TYPE}, no {@code jwk}/{@code jku}/{@code x5u}/{@code x5c}/{@code crit}, a
 * well-formed {@code kid}; unverified claims: issuer, audience, times, required claims; then the key
 * by {@code kid} from the configured source, whose type and curve must match {@code alg}; then the
 * signature. Every failure is UNAUTHENTICATED with a short reason code and a generic message.
 *
 * <p>Required claims: {@code iss}, {@code aud}, {@code sub} (the run), {@code tenant_id},
 * {@code workflow_id}, {@code connectors} (array of connector ids), {@code exp}, {@code nbf},
 * {@code jti}. Thread-safe.
 */
public final class RunTokenVerifier {
  /** The required JOSE {@code typ} of run tokens. */
  public static final String TYPE = "flow-run+jwt";
  /** Longest accepted compact serialization. */
  public static final int MAX_TOKEN_LENGTH = 8192;

  private static final Pattern KID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern CONNECTOR = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final JwkSource keys;
  private final String issuer;
  private final String audience;
  private final Set<JWSAlgorithm> algorithms;
  private final Duration skew;
  private final Duration maxLifetime;
  private final Clock clock;

  /** The verified content of a run token. */
  public record Claims(
      String tenantId, String runId, String workflowId, Set<String> connectors, String jti, Instant notBefore, Instant expiresAt) {}

  public RunTokenVerifier(
      JwkSource keys, String issuer, String audience, List<String> algorithms, Duration skew, Duration maxLifetime, Clock clock) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.audience = Objects.requireNonNull(audience, "audience");
    Set<JWSAlgorithm> algs = new LinkedHashSet<>();
    for (String a : algorithms) {
      JWSAlgorithm alg = JWSAlgorithm.parse(a);
      if (!alg.equals(JWSAlgorithm.ES256) && !alg.equals(JWSAlgorithm.EdDSA)) {
        throw new IllegalArgumentException("run tokens may use ES256 or EdDSA only");
      }
      algs.add(alg);
    }
    this.algorithms = Set.copyOf(algs);
    this.skew = skew;
    this.maxLifetime = maxLifetime;
    this.clock = clock;
  }

  private static AuthException reject(String reason) {
    return AuthException.unauthenticated(reason, "run token rejected (" + reason + ")");
  }

  /**
   * Verifies {@code token}.
   *
   * @throws AuthException UNAUTHENTICATED with a reason code when anything is wrong
   */
  public Claims verify(String token) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      throw reject("malformed");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException | RuntimeException e) {
      throw reject("malformed");
    }
    JWSHeader h = jwt.getHeader();
    if (!algorithms.contains(h.getAlgorithm())) {
      throw reject("algorithm_not_allowed");
    }
    if (!new JOSEObjectType(TYPE).equals(h.getType())) {
      throw reject("wrong_type");
    }
    if (h.getJWK() != null || h.getJWKURL() != null || h.getX509CertURL() != null || h.getX509CertChain() != null
        || h.getX509CertSHA256Thumbprint() != null || h.getCriticalParams() != null) {
      throw reject("forbidden_header");
    }
    if (h.getKeyID() == null || !KID.matcher(h.getKeyID()).matches()) {
      throw reject("bad_key_id");
    }
    Claims c = checkClaims(claims);
    JWK key = keys.find(h.getKeyID()).orElseThrow(() -> reject("unknown_key"));
    if (!verifySignature(jwt, h.getAlgorithm(), key)) {
      throw reject("bad_signature");
    }
    return c;
  }

  private Claims checkClaims(JWTClaimsSet claims) {
    Instant now = clock.instant();
    if (!issuer.equals(claims.getIssuer())) {
      throw reject("wrong_issuer");
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(audience)) {
      throw reject("wrong_audience");
    }
    Date exp = claims.getExpirationTime();
    Date nbf = claims.getNotBeforeTime();
    if (exp == null || nbf == null) {
      throw reject("missing_claim");
    }
    Instant expiresAt = exp.toInstant();
    Instant notBefore = nbf.toInstant();
    if (!now.isBefore(expiresAt.plus(skew))) {
      throw reject("expired");
    }
    if (now.plus(skew).isBefore(notBefore)) {
      throw reject("not_yet_valid");
    }
    if (Duration.between(notBefore, expiresAt).compareTo(maxLifetime) > 0 || expiresAt.isBefore(notBefore)) {
      throw reject("lifetime_too_long");
    }
    String runId = claims.getSubject();
    String jti = claims.getJWTID();
    Object tenant = claims.getClaim("tenant_id");
    Object workflow = claims.getClaim("workflow_id");
    Object connectors = claims.getClaim("connectors");
    if (runId == null || !ID.matcher(runId).matches() || jti == null || !ID.matcher(jti).matches()) {
      throw reject("missing_claim");
    }
    if (!(tenant instanceof String t) || !TENANT.matcher(t).matches()) {
      throw reject("missing_claim");
    }
    if (!(workflow instanceof String w) || !ID.matcher(w).matches()) {
      throw reject("missing_claim");
    }
    if (!(connectors instanceof List<?> list) || list.size() > 256) {
      throw reject("missing_claim");
    }
    Set<String> allowed = new LinkedHashSet<>();
    for (Object o : list) {
      if (!(o instanceof String s) || !CONNECTOR.matcher(s).matches()) {
        throw reject("missing_claim");
      }
      allowed.add(s);
    }
    return new Claims(t, runId, w, Set.copyOf(allowed), jti, notBefore, expiresAt);
  }

  /** Checks the key fits the algorithm (type, curve, use, ops, alg) before verifying. */
  static boolean verifySignature(SignedJWT jwt, JWSAlgorithm alg, JWK key) {
    if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
      return false;
    }
    if (key.getKeyOperations() != null && !key.getKeyOperations().contains(KeyOperation.VERIFY)) {
      return false;
    }
    if (key.getAlgorithm() != null && !key.getAlgorithm().equals(alg)) {
      return false;
    }
    try {
      JWSVerifier verifier;
      if (alg.equals(JWSAlgorithm.ES256) && key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())) {
        verifier = new ECDSAVerifier(ec.toECPublicKey());
      } else if (alg.equals(JWSAlgorithm.EdDSA) && key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
        verifier = new Ed25519Verifier(okp.toPublicJWK());
      } else {
        return false;
      }
      return jwt.verify(verifier);
    } catch (JOSEException | RuntimeException e) {
      return false;
    }
  }
}
