package io.apixx.flow.sidecar.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.testing.MutableClock;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Redact's memory and matching ({@link ReleasedSecrets}, {@link SecretEncodings}); the service-level
 * behaviour (only values released to the session) is in {@link CredentialServiceRedactTest}.
 */
class CredentialRedactTest {
  private static final String SESSION = ReleasedSecrets.key("t", "run-1", "hash-1");
  private static final String MASK = "[REDACTED]";

  private final MutableClock clock = new MutableClock();
  private final ReleasedSecrets secrets = new ReleasedSecrets(clock, 100, 16, 1 << 20);

  private void remember(String session, String... values) {
    List<byte[]> bytes = java.util.Arrays.stream(values).map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
    secrets.checkRoom(session, bytes);
    secrets.remember(session, clock.instant().plus(Duration.ofMinutes(15)), bytes);
  }

  private RedactionResult redact(String payload) {
    return secrets.redact(SESSION, payload, MASK, 1 << 20);
  }

  @Test
  void redact_everyEncoding_replaced() throws Exception {
    // Characters that every encoding treats differently: space, '+', '/', '"', '\', '<', '&',
    // non-ASCII and a character outside the BMP; the tail makes base64 use '+', '/' and padding.
    String secret = "p@ss w+rd/\"q\\<&>~*\u00e9\uD83D\uDE00-xyz~~~???";
    remember(SESSION, secret);
    byte[] utf8 = secret.getBytes(StandardCharsets.UTF_8);
    ObjectMapper json = new ObjectMapper();
    String jackson = json.writeValueAsString(secret);
    List<String> forms =
        List.of(
            secret,
            Base64.getEncoder().encodeToString(utf8),
            Base64.getEncoder().withoutPadding().encodeToString(utf8),
            Base64.getUrlEncoder().encodeToString(utf8),
            Base64.getUrlEncoder().withoutPadding().encodeToString(utf8),
            URLEncoder.encode(secret, StandardCharsets.UTF_8),
            URLEncoder.encode(secret, StandardCharsets.UTF_8).replace("+", "%20"),
            // RFC 3986 from form encoding, the classic conversion.
            URLEncoder.encode(secret, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~"),
            jackson.substring(1, jackson.length() - 1),
            "p@ss w+rd/\\\"q\\\\<&>~*\\u00e9\\ud83d\\ude00-xyz~~~???", // Python json.dumps
            "p@ss w+rd/\\\"q\\\\\\u003c\\u0026\\u003e~*\u00e9\uD83D\uDE00-xyz~~~???", // Go encoding/json
            "p@ss w+rd\\/\\\"q\\\\<&>~*\\u00e9\\ud83d\\ude00-xyz~~~???"); // PHP json_encode
    assertThat(forms).doesNotHaveDuplicates();

    for (String form : forms) {
      RedactionResult r = redact("before " + form + " after");
      assertThat(r.payload()).as(form).isEqualTo("before " + MASK + " after");
      assertThat(r.replacements()).as(form).isEqualTo(1);
    }
    RedactionResult all = redact(String.join("|", forms));
    assertThat(all.replacements()).isEqualTo(forms.size());
    assertThat(all.payload()).isEqualTo(String.join("|", java.util.Collections.nCopies(forms.size(), MASK)));
  }

  @Test
  void redact_unrelatedText_untouchedAndCountsZero() {
    remember(SESSION, "ghp_0123456789abcdef");
    String text = "{\"status\":\"ok\",\"note\":\"ghp_0123456789abcde and ghp_0123456789abcdeX? no: é ☃\"}";
    RedactionResult r = redact(text);
    assertThat(r.payload()).isSameAs(text);
    assertThat(r.replacements()).isZero();
  }

  @Test
  void redact_overlappingSecrets_longestMatchWins() {
    remember(SESSION, "token-0123", "token-0123456789");
    RedactionResult r = redact("a token-0123456789 b token-0123 c");
    assertThat(r.payload()).isEqualTo("a " + MASK + " b " + MASK + " c");
    assertThat(r.replacements()).isEqualTo(2);
  }

  @Test
  void redact_adjacentAndRepeatedOccurrences_allCounted() {
    remember(SESSION, "abcdefgh");
    assertThat(redact("abcdefghabcdefgh-abcdefgh").replacements()).isEqualTo(3);
  }

  @Test
  void redact_valuesShorterThanMinimum_ignored() {
    remember(SESSION, "demo", "1234567", "12345678");
    RedactionResult r = redact("user demo pin 1234567 code 12345678");
    assertThat(r.payload()).isEqualTo("user demo pin 1234567 code " + MASK);
    assertThat(SecretEncodings.MIN_SECRET_BYTES).isEqualTo(8);
  }

  @Test
  void redact_otherSession_notKnown() {
    remember(ReleasedSecrets.key("t", "run-2", "hash-2"), "other-run-secret");
    remember(ReleasedSecrets.key("t2", "run-1", "hash-1"), "other-tenant-secret");
    assertThat(redact("other-run-secret other-tenant-secret").replacements()).isZero();
  }

  @Test
  void redact_afterSessionExpiry_forgottenAndWiped() {
    remember(SESSION, "expiring-secret-1");
    assertThat(redact("expiring-secret-1").replacements()).isEqualTo(1);
    assertThat(secrets.byteCount()).isPositive();

    clock.advance(Duration.ofMinutes(15));

    assertThat(redact("expiring-secret-1").replacements()).isZero();
    assertThat(secrets.sessionCount()).isZero();
    assertThat(secrets.byteCount()).isZero();
  }

  @Test
  void expiry_sessionsWithDifferentExpiries_eachWipedAtItsOwnTime() {
    // Purging scans only once the earliest expiry has passed; every later one must still be
    // found when its own time comes, including sessions added after a purge.
    String later = ReleasedSecrets.key("t", "run-2", "hash-2");
    String latest = ReleasedSecrets.key("t", "run-3", "hash-3");
    Instant t0 = clock.instant();
    secrets.remember(later, t0.plus(Duration.ofMinutes(20)), List.of("secret-of-run-2".getBytes(StandardCharsets.UTF_8)));
    secrets.remember(SESSION, t0.plus(Duration.ofMinutes(10)), List.of("secret-of-run-1".getBytes(StandardCharsets.UTF_8)));
    assertThat(secrets.sessionCount()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(10));
    assertThat(secrets.redact(later, "x", MASK, 1 << 20).replacements()).isZero();
    assertThat(secrets.sessionCount()).isEqualTo(1);
    secrets.remember(latest, t0.plus(Duration.ofMinutes(25)), List.of("secret-of-run-3".getBytes(StandardCharsets.UTF_8)));
    assertThat(secrets.redact(later, "secret-of-run-2", MASK, 1 << 20).replacements()).isEqualTo(1);
    // Added after a purge and expiring before every other session.
    String early = ReleasedSecrets.key("t", "run-4", "hash-4");
    secrets.remember(early, t0.plus(Duration.ofMinutes(12)), List.of("secret-of-run-4".getBytes(StandardCharsets.UTF_8)));
    clock.advance(Duration.ofMinutes(2));
    assertThat(secrets.redact(early, "secret-of-run-4", MASK, 1 << 20).replacements()).isZero();
    assertThat(secrets.sessionCount()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(8));
    assertThat(secrets.redact(later, "secret-of-run-2", MASK, 1 << 20).replacements()).isZero();
    assertThat(secrets.sessionCount()).isEqualTo(1);
    assertThat(secrets.redact(latest, "secret-of-run-3", MASK, 1 << 20).replacements()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(5));
    assertThat(secrets.redact(latest, "secret-of-run-3", MASK, 1 << 20).replacements()).isZero();
    assertThat(secrets.sessionCount()).isZero();
    assertThat(secrets.byteCount()).isZero();
  }

  @Test
  void remember_expiredSession_keepsNothing() {
    secrets.remember(SESSION, clock.instant(), List.of("already-expired-1".getBytes(StandardCharsets.UTF_8)));
    assertThat(secrets.sessionCount()).isZero();
  }

  @Test
  void checkRoom_boundsReached_resourceExhaustedWithRetryAfter() {
    ReleasedSecrets small = new ReleasedSecrets(clock, 1, 2, 1 << 20);
    Instant expiry = clock.instant().plus(Duration.ofMinutes(5));
    small.remember(SESSION, expiry, List.of("value-one-1".getBytes(StandardCharsets.UTF_8)));

    // A second session does not fit.
    assertThatThrownBy(() -> small.checkRoom("other", List.of("value-two-2".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOfSatisfying(SidecarException.class, e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
          // The earliest expiry (5 min), capped at a minute.
          assertThat(e.retryAfter()).contains(Duration.ofMinutes(1));
        });
    // The same session: a known value costs nothing, a second new one fits, a third does not.
    small.checkRoom(SESSION, List.of("value-one-1".getBytes(StandardCharsets.UTF_8), "short".getBytes(StandardCharsets.UTF_8)));
    small.checkRoom(SESSION, List.of("value-two-2".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(
            () -> small.checkRoom(SESSION, List.of("value-two-2".getBytes(StandardCharsets.UTF_8), "value-3-333".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(SidecarException.class);
    ReleasedSecrets soon = new ReleasedSecrets(clock, 1, 2, 1 << 20);
    soon.remember(SESSION, clock.instant().plusSeconds(30), List.of("value-one-1".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> soon.checkRoom("other", List.of("value-two-2".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOfSatisfying(SidecarException.class, e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(30)));
    // Bytes.
    ReleasedSecrets tiny = new ReleasedSecrets(clock, 10, 10, 100);
    assertThatThrownBy(() -> tiny.checkRoom(SESSION, List.of("x".repeat(20).getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(SidecarException.class);
  }

  @Test
  void redact_resultLargerThanLimit_invalidArgumentNamingMask() {
    remember(SESSION, "abcdefgh");
    assertThatThrownBy(() -> secrets.redact(SESSION, "abcdefgh ".repeat(10), "M".repeat(100), 500))
        .isInstanceOfSatisfying(CredentialException.class, e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
          assertThat(e.getMessage()).startsWith("mask:");
        });
  }

  @Test
  void clear_rememberedSecrets_wipedAndForgotten() {
    remember(SESSION, "cleared-secret-1");
    secrets.clear();
    assertThat(redact("cleared-secret-1").replacements()).isZero();
    assertThat(secrets.byteCount()).isZero();
  }
}
