package io.apixx.flow.sidecar.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs Project Wycheproof's {@code aes_gcm_test.json} (test resources, source in {@code
 * wycheproof/SOURCE.md}) through {@link AesGcm}, the primitive under {@link EnvelopeAead}. Every
 * group with the sizes the layer accepts (256-bit key, 96-bit IV, 128-bit tag) is run; other sizes
 * are not accepted by the layer and are skipped.
 */
class WycheproofAesGcmTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void decryptAndEncrypt_allAcceptedSizeVectors_zeroMismatches() throws IOException {
    JsonNode root = load();
    int run = 0;
    int valid = 0;
    int invalid = 0;
    List<String> mismatches = new ArrayList<>();
    for (JsonNode group : root.get("testGroups")) {
      if (group.get("keySize").asInt() != 256
          || group.get("ivSize").asInt() != 96
          || group.get("tagSize").asInt() != 128) {
        continue;
      }
      for (JsonNode t : group.get("tests")) {
        run++;
        byte[] key = hex(t, "key");
        byte[] iv = hex(t, "iv");
        byte[] aad = hex(t, "aad");
        byte[] msg = hex(t, "msg");
        byte[] ctAndTag = concat(hex(t, "ct"), hex(t, "tag"));
        String result = t.get("result").asText();
        int tcId = t.get("tcId").asInt();
        byte[] decrypted = tryDecrypt(key, iv, ctAndTag, aad);
        if ("invalid".equals(result)) {
          invalid++;
          if (decrypted != null) {
            mismatches.add("tcId " + tcId + ": invalid vector decrypted");
          }
          continue;
        }
        valid++;
        if (decrypted == null || !Arrays.equals(decrypted, msg)) {
          mismatches.add("tcId " + tcId + ": valid vector did not decrypt to msg");
        }
        byte[] encrypted = AesGcm.encrypt(key, iv, msg, aad);
        if (!Arrays.equals(encrypted, ctAndTag)) {
          mismatches.add("tcId " + tcId + ": encryption differs from ct||tag");
        }
      }
    }
    System.out.printf(
        "Wycheproof aes_gcm_test.json (256-bit key, 96-bit IV, 128-bit tag): %d vectors run"
            + " (%d valid, %d invalid), %d mismatches%n",
        run, valid, invalid, mismatches.size());
    // The copied file (commit dac1dd4) has 66 such vectors: 39 valid, 27 invalid.
    assertThat(run).isEqualTo(66);
    assertThat(run).isPositive();
    assertThat(valid).isPositive();
    assertThat(invalid).isPositive();
    assertThat(mismatches).isEmpty();
  }

  @Test
  void decrypt_vectorWithOtherKeySize_isRejected() throws IOException {
    // The layer accepts 256-bit keys only; a 128-bit-key vector must not decrypt.
    JsonNode root = load();
    JsonNode aes128 = null;
    for (JsonNode group : root.get("testGroups")) {
      if (group.get("keySize").asInt() == 128 && group.get("ivSize").asInt() == 96) {
        for (JsonNode t : group.get("tests")) {
          if ("valid".equals(t.get("result").asText())) {
            aes128 = t;
            break;
          }
        }
      }
      if (aes128 != null) {
        break;
      }
    }
    assertThat(aes128).isNotNull();
    byte[] ctAndTag = concat(hex(aes128, "ct"), hex(aes128, "tag"));
    assertThat(tryDecrypt(hex(aes128, "key"), hex(aes128, "iv"), ctAndTag, hex(aes128, "aad")))
        .isNull();
  }

  private static byte[] tryDecrypt(byte[] key, byte[] iv, byte[] ctAndTag, byte[] aad) {
    try {
      return AesGcm.decrypt(key, iv, ctAndTag, aad);
    } catch (InvalidCiphertextException e) {
      assertThat(e).hasMessage("invalid ciphertext").hasNoCause();
      return null;
    }
  }

  private static JsonNode load() throws IOException {
    try (InputStream in =
        WycheproofAesGcmTest.class.getResourceAsStream("/wycheproof/aes_gcm_test.json")) {
      assertThat(in).as("wycheproof/aes_gcm_test.json on the test classpath").isNotNull();
      return new ObjectMapper().readTree(in);
    }
  }

  private static byte[] hex(JsonNode test, String field) {
    return HEX.parseHex(test.get(field).asText());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
