package io.apixx.flow.sidecar.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.secret.SecretAccess;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The secret payload encoding ({@link SecretPayload}): known answer, round trips, strict decoding. */
class CredentialPayloadTest {
  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h.replace(" ", ""));
  }

  private static byte[] encode(Map<String, String> values) {
    try (SecretFields f = SecretFields.fromStrings(values)) {
      return SecretPayload.encode(f);
    }
  }

  private static void assertMalformed(byte[] payload) {
    assertThatThrownBy(() -> SecretPayload.decode(payload))
        .isInstanceOfSatisfying(CredentialException.class, e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.INTERNAL);
          assertThat(e.getMessage()).isEqualTo("invalid credential payload");
        });
  }

  @Test
  void encode_javadocExample_matchesKnownAnswer() {
    assertThat(encode(Map.of("token", "ab"))).isEqualTo(hex("01 01 05 746f6b656e 0002 6162"));
  }

  @Test
  void encode_namesInAnyOrder_sortedCanonically() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("user", "octo");
    a.put("api_token", "t");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("api_token", "t");
    b.put("user", "octo");
    assertThat(encode(a)).isEqualTo(encode(b)).isEqualTo(hex("01 02 09 6170695f746f6b656e 0001 74 04 75736572 0004 6f63746f"));
  }

  @Test
  void decode_encoded_roundTripsUnicodeEmptyAndMaximalValues() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("emoji", "k\u00e9y-\uD83D\uDE00-\u2028");
    values.put("empty", "");
    values.put("max", "z".repeat(SecretFields.MAX_TOTAL_VALUE_BYTES - 13));
    byte[] encoded = encode(values);
    try (SecretFields decoded = SecretPayload.decode(encoded)) {
      assertThat(decoded.revealUtf8(SecretAccess.RELEASE)).isEqualTo(values);
    }
  }

  @Test
  void decode_sixtyFourFields_accepted() {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < SecretFields.MAX_FIELDS; i++) {
      values.put("f" + (100 + i), "v");
    }
    try (SecretFields decoded = SecretPayload.decode(encode(values))) {
      assertThat(decoded.size()).isEqualTo(64);
    }
  }

  @Test
  void decode_malformed_rejectedWithGenericError() {
    assertMalformed(null);
    assertMalformed(new byte[0]);
    assertMalformed(hex("01"));
    assertMalformed(hex("02 01 01 61 0000")); // unknown version
    assertMalformed(hex("01 00")); // no fields
    assertMalformed(hex("01 41")); // 65 fields
    assertMalformed(hex("01 01 00 0000")); // empty name
    assertMalformed(hex("01 01 01 20 0000")); // name with a space
    assertMalformed(hex("01 01 01 61 0002 61")); // value runs past the end
    assertMalformed(hex("01 01 01 61 0001 61 00")); // trailing byte
    assertMalformed(hex("01 02 01 62 0000 01 61 0000")); // names out of order
    assertMalformed(hex("01 02 01 61 0000 01 61 0000")); // duplicate name
    assertMalformed(hex("01 01 01 61 0002 c0af")); // overlong UTF-8
    assertMalformed(hex("01 01 01 61 0003 eda080")); // UTF-16 surrogate in UTF-8
    assertMalformed(hex("01 01 01 61 0001 ff"));
    byte[] tooBig = new byte[2 + 2 + 2 + 16385];
    tooBig[0] = 1;
    tooBig[1] = 1;
    tooBig[2] = 1;
    tooBig[3] = 'a';
    tooBig[4] = (byte) (16385 >>> 8);
    tooBig[5] = (byte) 16385;
    Arrays.fill(tooBig, 6, tooBig.length, (byte) 'x');
    assertMalformed(Arrays.copyOf(tooBig, 6 + 16385)); // values over 16 KiB
  }

  @Test
  void decode_randomAndMutatedInput_neverThrowsAnythingElse() {
    Random random = new Random(20261129);
    byte[] valid = encode(Map.of("api_token", "abcdefgh", "user", "octo"));
    int rejected = 0;
    for (int i = 0; i < 200_000; i++) {
      byte[] input;
      if (i % 2 == 0) {
        input = new byte[random.nextInt(64)];
        random.nextBytes(input);
        if (input.length > 0 && random.nextBoolean()) {
          input[0] = SecretPayload.FORMAT_V1;
        }
      } else {
        input = valid.clone();
        input[random.nextInt(input.length)] = (byte) random.nextInt(256);
        if (random.nextInt(4) == 0) {
          input = Arrays.copyOf(input, random.nextInt(input.length + 4));
        }
      }
      try (SecretFields ignored = SecretPayload.decode(input)) {
        // accepted: a valid encoding (e.g. a mutation inside a value)
      } catch (CredentialException e) {
        rejected++;
      }
    }
    assertThat(rejected).isGreaterThan(100_000);
  }

  @Test
  void secretFields_toString_listsNamesOnly() {
    try (SecretFields f = SecretFields.fromStrings(Map.of("api_token", "super-secret-value"))) {
      assertThat(f.toString()).contains("api_token").doesNotContain("super-secret-value");
    }
  }

  @Test
  void secretFields_close_wipesEveryValue() {
    SecretFields f = SecretFields.fromStrings(Map.of("a", "value-a", "b", "value-b"));
    f.close();
    assertThat(f.entries().values()).allSatisfy(v -> assertThat(v.isWiped()).isTrue());
  }
}
