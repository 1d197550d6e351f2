package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.testing.MutableClock;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JWT negative suite (RFC 8725; security checklist item 8) and Wycheproof JWS vectors. */
class RunTokenVerifierTest {
  static final String ISS = "flow-orchestrator";
  static final String AUD = "flow-sidecar";
  static ECKey ec;
  static OctetKeyPair ed;
  static RSAKey rsa;
  static ECKey attacker;

  final MutableClock clock = MutableClock.startingAt("2026-11-29T12:00:00Z");

  @BeforeAll
  static void keys() throws Exception {
    ec = new ECKeyGenerator(Curve.P_256).keyID("orchestrator-ec-1").generate();
    ed = new OctetKeyPairGenerator(Curve.Ed25519).keyID("orchestrator-ed-1").generate();
    rsa = new RSAKeyGenerator(2048).keyID("orchestrator-ec-1").generate();
    attacker = new ECKeyGenerator(Curve.P_256).keyID("orchestrator-ec-1").generate();
  }

  RunTokenVerifier verifier(JwkSource source) {
    return new RunTokenVerifier(source, ISS, AUD, List.of("ES256", "EdDSA"), Duration.ofSeconds(60), Duration.ofHours(24), clock);
  }

  RunTokenVerifier verifier() {
    return verifier(JwkSource.of(new JWKSet(List.of(ec.toPublicJWK(), ed.toPublicJWK()))));
  }

  JWTClaimsSet.Builder claims() {
    Instant now = clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer(ISS)
        .audience(AUD)
        .subject("run-123")
        .claim("tenant_id", "acme")
        .claim("workflow_id", "wf-9")
        .claim("connectors", List.of("github-main"))
        .jwtID("jti-" + now.toEpochMilli())
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(15))));
  }

  String sign(JWK key, JWSAlgorithm alg, UnaryOperator<JWSHeader.Builder> header, JWTClaimsSet c) throws Exception {
    JWSHeader.Builder h = new JWSHeader.Builder(alg).type(new JOSEObjectType(RunTokenVerifier.TYPE)).keyID(key.getKeyID());
    SignedJWT jwt = new SignedJWT(header.apply(h).build(), c);
    if (key instanceof ECKey k) {
      jwt.sign(new ECDSASigner(k));
    } else if (key instanceof RSAKey k) {
      jwt.sign(new RSASSASigner(k));
    } else {
      jwt.sign(new com.nimbusds.jose.crypto.Ed25519Signer((OctetKeyPair) key));
    }
    return jwt.serialize();
  }

  String validEs256() throws Exception {
    return sign(ec, JWSAlgorithm.ES256, h -> h, claims().build());
  }

  static void assertRejected(RunTokenVerifier v, String token, String reason) {
    assertThatThrownBy(() -> v.verify(token))
        .as(reason)
        .isInstanceOfSatisfying(
            SidecarException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
              assertThat(e.reasonCode()).isEqualTo(reason);
              if (!token.isEmpty()) {
                assertThat(e.getMessage()).doesNotContain(token);
              }
            });
  }

  @Test
  void verify_validEs256AndEdDsa_accepted() throws Exception {
    RunTokenVerifier.Claims c = verifier().verify(validEs256());
    assertThat(c.tenantId()).isEqualTo("acme");
    assertThat(c.runId()).isEqualTo("run-123");
    assertThat(c.connectors()).containsExactly("github-main");
    assertThat(verifier().verify(sign(ed, JWSAlgorithm.EdDSA, h -> h, claims().build())).workflowId()).isEqualTo("wf-9");
  }

  /** Every attack in the suite, by name; each must fail with the given reason. */
  Map<String, String[]> attacks() throws Exception {
    Map<String, String[]> a = new LinkedHashMap<>();
    JWTClaimsSet good = claims().build();
    a.put("alg none", new String[] {new PlainJWT(good).serialize(), "malformed"});
    String noneHeader = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"flow-run+jwt\",\"kid\":\"orchestrator-ec-1\"}").toString();
    a.put("alg none signed-shape", new String[] {noneHeader + "." + good.toPayload().toBase64URL() + ".", "malformed"});
    // HS256 keyed with the public key's bytes: the classic algorithm-confusion attack.
    SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType(RunTokenVerifier.TYPE)).keyID(ec.getKeyID()).build(), good);
    hs.sign(new MACSigner(ec.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
    a.put("HS256 with public key", new String[] {hs.serialize(), "algorithm_not_allowed"});
    a.put("RS256 with same kid", new String[] {sign(rsa, JWSAlgorithm.RS256, h -> h, good), "algorithm_not_allowed"});
    a.put("ES256 header, Ed25519 kid", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h.keyID(ed.getKeyID()), good), "bad_signature"});
    a.put("EdDSA header, EC kid", new String[] {sign(ed, JWSAlgorithm.EdDSA, h -> h.keyID(ec.getKeyID()), good), "bad_signature"});
    a.put("attacker key, trusted kid", new String[] {sign(attacker, JWSAlgorithm.ES256, h -> h, good), "bad_signature"});
    a.put("embedded jwk", new String[] {sign(attacker, JWSAlgorithm.ES256, h -> h.jwk(attacker.toPublicJWK()), good), "forbidden_header"});
    a.put("jku", new String[] {sign(attacker, JWSAlgorithm.ES256, h -> h.jwkURL(URI.create("https://attacker.example/jwks")), good), "forbidden_header"});
    a.put("x5u", new String[] {sign(attacker, JWSAlgorithm.ES256, h -> h.x509CertURL(URI.create("https://attacker.example/cert")), good), "forbidden_header"});
    a.put("x5c", new String[] {sign(attacker, JWSAlgorithm.ES256, h -> h.x509CertChain(List.of(Base64URL.encode("not a cert"))), good), "forbidden_header"});
    a.put("kid path traversal", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h.keyID("../../../../etc/passwd"), good), "bad_key_id"});
    a.put("kid sql injection", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h.keyID("x' OR '1'='1"), good), "bad_key_id"});
    a.put("kid missing", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h.keyID(null), good), "bad_key_id"});
    a.put("unknown kid", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h.keyID("rotated-away"), good), "unknown_key"});
    a.put("wrong typ", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h.type(JOSEObjectType.JWT), good), "wrong_type"});
    a.put("missing typ", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h.type(null), good), "wrong_type"});
    a.put("expired", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().notBeforeTime(Date.from(clock.instant().minusSeconds(3600))).expirationTime(Date.from(clock.instant().minusSeconds(61))).build()), "expired"});
    a.put("future nbf", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().notBeforeTime(Date.from(clock.instant().plusSeconds(61))).expirationTime(Date.from(clock.instant().plusSeconds(900))).build()), "not_yet_valid"});
    a.put("wrong aud", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().audience("another-pod").build()), "wrong_audience"});
    a.put("wrong iss", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().issuer("someone-else").build()), "wrong_issuer"});
    a.put("no tenant", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().claim("tenant_id", null).build()), "missing_claim"});
    a.put("no jti", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().jwtID(null).build()), "missing_claim"});
    a.put("no nbf", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().notBeforeTime(null).build()), "missing_claim"});
    a.put("lifetime 48h", new String[] {sign(ec, JWSAlgorithm.ES256, h -> h, claims().expirationTime(Date.from(clock.instant().plus(Duration.ofHours(48)))).build()), "lifetime_too_long"});
    String valid = validEs256();
    a.put("empty signature", new String[] {valid.substring(0, valid.lastIndexOf('.') + 1), "malformed"});
    a.put("tampered payload", new String[] {tamper(valid), "bad_signature"});
    a.put("garbage", new String[] {"not.a.jwt", "malformed"});
    a.put("empty", new String[] {"", "malformed"});
    a.put("huge", new String[] {"a".repeat(RunTokenVerifier.MAX_TOKEN_LENGTH + 1), "malformed"});
    return a;
  }

  private String tamper(String token) {
    String[] p = token.split("\\.");
    JWTClaimsSet c = claims().claim("connectors", List.of("github-main", "prod-database")).build();
    return p[0] + "." + c.toPayload().toBase64URL() + "." + p[2];
  }

  @Test
  void verify_negativeSuite_everyAttackUnauthenticated() throws Exception {
    RunTokenVerifier v = verifier();
    Map<String, String[]> attacks = attacks();
    for (Map.Entry<String, String[]> e : attacks.entrySet()) {
      assertThatThrownBy(() -> v.verify(e.getValue()[0]))
          .as(e.getKey())
          .isInstanceOfSatisfying(SidecarException.class, ex -> assertThat(ex.reasonCode()).as(e.getKey()).isEqualTo(e.getValue()[1]));
      assertRejected(v, e.getValue()[0], e.getValue()[1]);
    }
    System.err.printf("JWT negative suite: %d/%d attacks rejected as UNAUTHENTICATED%n", attacks.size(), attacks.size());
  }

  @Test
  void verify_clockSkew_sixtySecondsTolerated() throws Exception {
    String t = sign(ec, JWSAlgorithm.ES256, h -> h, claims().notBeforeTime(Date.from(clock.instant().minusSeconds(600))).expirationTime(Date.from(clock.instant().minusSeconds(30))).build());
    assertThat(verifier().verify(t).runId()).isEqualTo("run-123");
    clock.advance(Duration.ofSeconds(31));
    assertRejected(verifier(), t, "expired");
  }

  @Test
  void verify_jwksUrlSource_attackTokensCauseNoOutboundRequest() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] jwks = new JWKSet(List.of(ec.toPublicJWK())).toString(true).getBytes(StandardCharsets.UTF_8);
    http.createContext("/jwks", ex -> {
      fetches.incrementAndGet();
      ex.sendResponseHeaders(200, jwks.length);
      ex.getResponseBody().write(jwks);
      ex.close();
    });
    http.start();
    try {
      JwkSource source = JwkSource.url(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/jwks").toURL(), Duration.ofMinutes(5), Duration.ofSeconds(30));
      RunTokenVerifier v = verifier(source);
      for (Map.Entry<String, String[]> e : attacks().entrySet()) {
        if (!e.getValue()[1].equals("unknown_key") && !e.getValue()[1].equals("bad_signature")) {
          assertThatThrownBy(() -> v.verify(e.getValue()[0])).as(e.getKey()).isInstanceOf(SidecarException.class);
        }
      }
      assertThat(fetches.get()).as("JWKS fetches caused by attack tokens").isZero();
      // Control: a well-formed token does fetch (once), and repeated unknown kids are rate-limited.
      assertThat(v.verify(validEs256()).runId()).isEqualTo("run-123");
      assertThat(fetches.get()).isEqualTo(1);
      for (int i = 0; i < 5; i++) {
        assertRejected(v, sign(ec, JWSAlgorithm.ES256, h -> h.keyID("unknown-" + System.nanoTime()), claims().build()), "unknown_key");
      }
      assertThat(fetches.get()).isLessThanOrEqualTo(2);
    } finally {
      http.stop(0);
    }
  }

  @Test
  void verify_wycheproofJwsVectors_allUnauthenticated() throws Exception {
    JsonNode root = new ObjectMapper().readTree(getClass().getResourceAsStream("/wycheproof/json_web_signature_test.json"));
    List<JWK> published = new ArrayList<>();
    for (JsonNode g : root.get("testGroups")) {
      if (g.has("public")) {
        published.add(JWK.parse(g.get("public").toString()));
      }
    }
    // Trust every key the vectors were made with: the tokens must still fail our header and claims rules.
    RunTokenVerifier v = verifier(JwkSource.of(new JWKSet(published)));
    int total = 0;
    for (JsonNode g : root.get("testGroups")) {
      for (JsonNode t : g.get("tests")) {
        String jws = t.get("jws").asText();
        assertThatThrownBy(() -> v.verify(jws)).as("tcId %s", t.get("tcId")).isInstanceOfSatisfying(SidecarException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHENTICATED));
        total++;
      }
    }
    assertThat(total).isEqualTo(root.get("numberOfTests").asInt());
    System.err.printf("Wycheproof json_web_signature_test.json: %d/%d UNAUTHENTICATED%n", total, total);
  }

  @Test
  void verifySignature_wycheproofEs256Vectors_matchExpectedResults() throws Exception {
    JsonNode root = new ObjectMapper().readTree(getClass().getResourceAsStream("/wycheproof/json_web_signature_test.json"));
    int checked = 0;
    int mismatches = 0;
    for (JsonNode g : root.get("testGroups")) {
      if (!g.has("public") || !"ES256".equals(g.get("public").path("alg").asText())) {
        continue;
      }
      JWK key = JWK.parse(g.get("public").toString());
      for (JsonNode t : g.get("tests")) {
        boolean expected = "valid".equals(t.get("result").asText());
        boolean actual;
        try {
          SignedJWT jwt = SignedJWT.parse(t.get("jws").asText());
          actual = JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm()) && RunTokenVerifier.verifySignature(jwt, JWSAlgorithm.ES256, key);
        } catch (java.text.ParseException e) {
          actual = false;
        }
        checked++;
        if (actual != expected) {
          mismatches++;
          System.err.printf("mismatch tcId %s (%s)%n", t.get("tcId"), t.get("comment"));
        }
      }
    }
    System.err.printf("Wycheproof ES256 JWS signatures: %d checked, %d mismatches%n", checked, mismatches);
    assertThat(checked).isGreaterThan(10);
    assertThat(mismatches).isZero();
  }
}
