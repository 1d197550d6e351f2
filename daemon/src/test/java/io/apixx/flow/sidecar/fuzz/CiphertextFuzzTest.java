package io.apixx.flow.sidecar.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.crypto.SealContext;
import io.apixx.flow.sidecar.secret.SecretBytes;

/** The stored ciphertext format: any bytes parse or fail with "invalid ciphertext", never anything else. */
public class CiphertextFuzzTest {
  private static final EnvelopeAead AEAD = EnvelopeAead.create();
  private static final SecretBytes DEK = SecretBytes.copyOf(new byte[32]);
  private static final SealContext CONTEXT = new SealContext("acme", "github-main", "00000000-0000-0000-0000-000000000001", 1, SealContext.PURPOSE_CONNECTOR_CREDENTIAL);

  public static void fuzzerTestOneInput(FuzzedDataProvider data) {
    byte[] bytes = data.consumeRemainingAsBytes();
    try {
      EnvelopeAead.layout(bytes);
    } catch (InvalidCiphertextException e) {
      Fuzz.check("invalid ciphertext".equals(e.getMessage()), "layout message");
    }
    try (SecretBytes opened = AEAD.open(DEK, bytes, CONTEXT)) {
      // Only a forged GCM tag could get here: 2^-128.
      throw new AssertionError("random bytes decrypted");
    } catch (InvalidCiphertextException e) {
      Fuzz.check("invalid ciphertext".equals(e.getMessage()), "open message");
    }
  }

  @FuzzTest(maxDuration = "10s")
  void open_anyBytes_onlyInvalidCiphertext(FuzzedDataProvider data) {
    fuzzerTestOneInput(data);
  }
}
