package io.apixx.flow.sidecar.auth;

import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import javax.crypto.spec.SecretKeySpec;
import org.apache.commons.codec.binary.Base32;

/**
 * RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps) through java-otp. A code is accepted for the
 * current step and one step either side, and only for a step later than the last one the user
 * used, so each code works once. Thread-safe.
 */
public final class Totp {
  /** Length of a new seed in bytes (RFC 4226 recommends 160 bits). */
  public static final int SEED_BYTES = 20;
  /** Steps accepted either side of the current one. */
  public static final int WINDOW = 1;

  private static final Duration STEP = Duration.ofSeconds(30);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Clock clock;
  private final TimeBasedOneTimePasswordGenerator generator;

  public Totp(Clock clock) {
    this.clock = clock;
    this.generator = new TimeBasedOneTimePasswordGenerator(STEP, 6, TimeBasedOneTimePasswordGenerator.TOTP_ALGORITHM_HMAC_SHA1);
  }

  /** A fresh random seed. */
  public static SecretBytes newSeed() {
    byte[] seed = new byte[SEED_BYTES];
    RANDOM.nextBytes(seed);
    return SecretBytes.adopt(seed);
  }

  /** The time step containing {@code t}. */
  public static long stepOf(Instant t) {
    return Math.floorDiv(t.getEpochSecond(), STEP.toSeconds());
  }

  /**
   * The {@code otpauth://} URI for authenticator apps. It contains the seed: return it once, never
   * log it.
   */
  public static String otpauthUri(String issuer, String account, SecretBytes seed) {
    String secret = new Base32().encodeToString(seed.reveal(SecretAccess.RELEASE)).replace("=", "");
    String label = URLEncoder.encode(issuer + ":" + account, StandardCharsets.UTF_8).replace("+", "%20");
    return "otpauth://totp/" + label + "?secret=" + secret + "&issuer="
        + URLEncoder.encode(issuer, StandardCharsets.UTF_8).replace("+", "%20")
        + "&algorithm=SHA1&digits=6&period=30";
  }

  /**
   * Checks {@code code} against {@code seed}.
   *
   * @param lastUsedStep the last step the user successfully used (codes for it and earlier steps
   *     are refused)
   * @return the matched step, to be stored as the new last used step; empty when refused
   */
  public OptionalLong verify(SecretBytes seed, String code, long lastUsedStep) {
    if (code == null || !code.matches("\\d{6}")) {
      return OptionalLong.empty();
    }
    Instant now = clock.instant();
    long current = stepOf(now);
    SecretKeySpec key = new SecretKeySpec(seed.reveal(SecretAccess.RELEASE), "HmacSHA1");
    byte[] given = code.getBytes(StandardCharsets.US_ASCII);
    long matched = Long.MIN_VALUE;
    // Check every candidate step, without stopping early, so timing does not tell which matched.
    for (long step = current - WINDOW; step <= current + WINDOW; step++) {
      String expected;
      try {
        expected = generator.generateOneTimePasswordString(key, Instant.ofEpochSecond(step * STEP.toSeconds()));
      } catch (InvalidKeyException e) {
        throw new IllegalStateException("TOTP seed is not a valid HMAC key", e);
      }
      if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), given) && step > lastUsedStep) {
        matched = Math.max(matched, step);
      }
    }
    return matched == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(matched);
  }

  /** The code for {@code seed} at {@code t} (tests and the dev tooling). */
  public String codeAt(SecretBytes seed, Instant t) {
    try {
      return generator.generateOneTimePasswordString(new SecretKeySpec(seed.reveal(SecretAccess.RELEASE), "HmacSHA1"), t);
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("TOTP seed is not a valid HMAC key", e);
    }
  }
}
