package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import io.apixx.flow.sidecar.secret.SecretBytes;
import io.apixx.flow.sidecar.testing.MutableClock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class TotpTest {
  private static final SecretBytes RFC_SEED = SecretBytes.ofUtf8("12345678901234567890");

  @Test
  void generator_rfc6238AppendixB_allVectorsMatch() throws Exception {
    int checked = 0;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(TotpTest.class.getResourceAsStream("/rfc6238/appendix-b.tsv"), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t");
        String alg = f[1];
        String ascii = switch (alg) {
          case "HmacSHA1" -> "12345678901234567890";
          case "HmacSHA256" -> "12345678901234567890123456789012";
          default -> "1234567890123456789012345678901234567890123456789012345678901234";
        };
        TimeBasedOneTimePasswordGenerator g = new TimeBasedOneTimePasswordGenerator(Duration.ofSeconds(30), 8, alg);
        String code = g.generateOneTimePasswordString(
            new SecretKeySpec(ascii.getBytes(StandardCharsets.US_ASCII), alg), Instant.ofEpochSecond(Long.parseLong(f[0])));
        assertThat(code).as("T=%s %s", f[0], alg).isEqualTo(f[2]);
        checked++;
      }
    }
    assertThat(checked).isEqualTo(18);
  }

  @Test
  void verify_currentCode_acceptedOnceThenReplayRejected() {
    MutableClock clock = MutableClock.startingAt("2026-11-29T12:00:10Z");
    Totp totp = new Totp(clock);
    String code = totp.codeAt(RFC_SEED, clock.instant());
    OptionalLong step = totp.verify(RFC_SEED, code, Long.MIN_VALUE);
    assertThat(step).hasValue(Totp.stepOf(clock.instant()));
    // The same code again, still inside its window: refused because its step was used.
    clock.advance(Duration.ofSeconds(5));
    assertThat(totp.verify(RFC_SEED, code, step.getAsLong())).isEmpty();
  }

  @Test
  void verify_oneStepEitherSide_accepted() {
    MutableClock clock = MutableClock.startingAt("2026-11-29T12:00:10Z");
    Totp totp = new Totp(clock);
    Instant now = clock.instant();
    assertThat(totp.verify(RFC_SEED, totp.codeAt(RFC_SEED, now.minusSeconds(30)), Long.MIN_VALUE)).isPresent();
    assertThat(totp.verify(RFC_SEED, totp.codeAt(RFC_SEED, now.plusSeconds(30)), Long.MIN_VALUE)).isPresent();
  }

  @Test
  void verify_twoStepsEitherSide_rejected() {
    MutableClock clock = MutableClock.startingAt("2026-11-29T12:00:10Z");
    Totp totp = new Totp(clock);
    Instant now = clock.instant();
    assertThat(totp.verify(RFC_SEED, totp.codeAt(RFC_SEED, now.minusSeconds(60)), Long.MIN_VALUE)).isEmpty();
    assertThat(totp.verify(RFC_SEED, totp.codeAt(RFC_SEED, now.plusSeconds(60)), Long.MIN_VALUE)).isEmpty();
  }

  @Test
  void verify_malformedCodes_rejected() {
    Totp totp = new Totp(MutableClock.startingAt("2026-11-29T12:00:10Z"));
    assertThat(totp.verify(RFC_SEED, "12345", Long.MIN_VALUE)).isEmpty();
    assertThat(totp.verify(RFC_SEED, "12345a", Long.MIN_VALUE)).isEmpty();
    assertThat(totp.verify(RFC_SEED, null, Long.MIN_VALUE)).isEmpty();
  }

  @Test
  void otpauthUri_carriesBase32SeedAndIssuer() {
    String uri = Totp.otpauthUri("Flow", "ada@example.com", RFC_SEED);
    assertThat(uri)
        .startsWith("otpauth://totp/Flow%3Aada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        .contains("issuer=Flow")
        .contains("digits=6")
        .contains("period=30");
  }
}
