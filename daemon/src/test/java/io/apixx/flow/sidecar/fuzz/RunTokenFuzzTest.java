package io.apixx.flow.sidecar.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.JwkSource;
import io.apixx.flow.sidecar.auth.RunTokenVerifier;
import io.apixx.flow.sidecar.error.ErrorKind;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** The run-token parser and verifier: any input is either accepted or UNAUTHENTICATED, nothing else. */
public class RunTokenFuzzTest {
  private static final RunTokenVerifier VERIFIER;

  static {
    try {
      ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
      VERIFIER = new RunTokenVerifier(JwkSource.of(new JWKSet(key.toPublicJWK())), "flow-orchestrator", "flow-sidecar",
          List.of("ES256", "EdDSA"), Duration.ofSeconds(60), Duration.ofHours(24), Clock.systemUTC());
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Entry point of the Jazzer CLI ({@code make fuzz}). */
  public static void fuzzerTestOneInput(FuzzedDataProvider data) {
    String token = data.consumeRemainingAsString();
    try {
      VERIFIER.verify(token);
      throw new AssertionError("a fuzzed run token was accepted");
    } catch (AuthException e) {
      Fuzz.check(e.kind() == ErrorKind.UNAUTHENTICATED, "wrong kind " + e.kind());
      Fuzz.noEcho(e.getMessage(), token);
    }
  }

  @FuzzTest(maxDuration = "10s")
  void verify_anyInput_onlyUnauthenticated(FuzzedDataProvider data) {
    fuzzerTestOneInput(data);
  }
}
