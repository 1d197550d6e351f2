package io.apixx.flow.sidecar.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * Mints run tokens the way the orchestrator does. Production daemons never mint; dev mode uses it
 * (with a local key under {@code .dev/}) for {@code flow-sidecar mint-run-token}, and tests use it.
 */
public final class RunTokenMinter {
  private final JWK privateKey;
  private final String issuer;
  private final String audience;
  private final Clock clock;

  /**
   * @param privateKey an EC P-256 or Ed25519 private JWK with a key id
   */
  public RunTokenMinter(JWK privateKey, String issuer, String audience, Clock clock) {
    if (!privateKey.isPrivate() || privateKey.getKeyID() == null) {
      throw new IllegalArgumentException("a private key with a key id is required");
    }
    this.privateKey = privateKey;
    this.issuer = issuer;
    this.audience = audience;
    this.clock = clock;
  }

  /** A token for {@code runId} of {@code tenantId} allowed to use {@code connectors}, valid for {@code ttl}. */
  public String mint(String tenantId, String runId, String workflowId, List<String> connectors, Duration ttl) {
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(audience)
            .subject(runId)
            .claim("tenant_id", tenantId)
            .claim("workflow_id", workflowId)
            .claim("connectors", connectors)
            .jwtID(UUID.randomUUID().toString())
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .build();
    return sign(claims);
  }

  /** Signs arbitrary claims with the right header (tests build negative cases from it). */
  public String sign(JWTClaimsSet claims) {
    try {
      JWSAlgorithm alg;
      JWSSigner signer;
      if (privateKey instanceof ECKey ec) {
        alg = JWSAlgorithm.ES256;
        signer = new ECDSASigner(ec);
      } else if (privateKey instanceof OctetKeyPair okp) {
        alg = JWSAlgorithm.EdDSA;
        signer = new Ed25519Signer(okp);
      } else {
        throw new IllegalArgumentException("unsupported key type " + privateKey.getKeyType());
      }
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(alg).type(new JOSEObjectType(RunTokenVerifier.TYPE)).keyID(privateKey.getKeyID()).build(),
              claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign run token", e);
    }
  }
}
