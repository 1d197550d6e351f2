package io.apixx.flow.sidecar.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvelopeAeadTest {
  private static final byte[] SECRET =
      "{\"api_key\":\"CANARY-3f9c1e-credential-value\"}".getBytes(StandardCharsets.UTF_8);
  private static final SealContext CTX =
      new SealContext("tenant-a", "github-main", "cred-1", 3, SealContext.PURPOSE_CONNECTOR_CREDENTIAL);

  private final EnvelopeAead aead = EnvelopeAead.create();
  private final SecureRandom random = new SecureRandom();

  @Test
  void open_sealedWithSameDekAndContext_returnsPlaintext() {
    SecretBytes dek = newDek();

    byte[] sealed = aead.seal(dek, SECRET, CTX);

    try (SecretBytes opened = aead.open(dek, sealed, CTX)) {
      assertThat(opened.reveal(SecretAccess.RELEASE)).isEqualTo(SECRET);
    }
  }

  @Test
  void seal_anyPlaintext_hasDocumentedLayout() {
    byte[] sealed = aead.seal(newDek(), SECRET, CTX);

    assertThat(sealed).hasSize(1 + 12 + SECRET.length + 16);
    assertThat(sealed[0]).isEqualTo(EnvelopeAead.FORMAT_V1);
    EnvelopeAead.Layout layout = EnvelopeAead.layout(sealed);
    assertThat(layout.ivOffset()).isEqualTo(1);
    assertThat(layout.ciphertextOffset()).isEqualTo(13);
    assertThat(layout.plaintextLength()).isEqualTo(SECRET.length);
    // The plaintext does not appear in the output.
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1))
        .doesNotContain(new String(SECRET, 0, 8, StandardCharsets.ISO_8859_1));
  }

  @Test
  void open_emptyPlaintext_roundTrips() {
    SecretBytes dek = newDek();
    byte[] sealed = aead.seal(dek, new byte[0], CTX);

    assertThat(sealed).hasSize(EnvelopeAead.MIN_CIPHERTEXT_BYTES);
    assertThat(aead.open(dek, sealed, CTX).length()).isZero();
  }

  @Test
  void open_ciphertextMovedToAnyOtherContext_alwaysFailsWithoutPlaintext() {
    SecretBytes dek = newDek();
    List<SealContext> others =
        List.of(
            new SealContext("tenant-b", "github-main", "cred-1", 3, CTX.purpose()),
            new SealContext("tenant-a", "github-other", "cred-1", 3, CTX.purpose()),
            new SealContext("tenant-a", "github-main", "cred-2", 3, CTX.purpose()),
            new SealContext("tenant-a", "github-main", "cred-1", 2, CTX.purpose()),
            new SealContext("tenant-a", "github-main", "cred-1", 4, CTX.purpose()),
            new SealContext("tenant-a", "github-main", "cred-1", 3, SealContext.PURPOSE_TOTP_SEED));
    int attempts = 0;
    int failures = 0;
    for (int i = 0; i < 200; i++) {
      byte[] sealed = aead.seal(dek, SECRET, CTX);
      for (SealContext other : others) {
        attempts++;
        try {
          SecretBytes leaked = aead.open(dek, sealed, other);
          throw new AssertionError("opened under " + other + ": " + leaked.length() + " bytes");
        } catch (InvalidCiphertextException e) {
          assertThat(e).hasMessage("invalid ciphertext").hasNoCause();
          failures++;
        }
      }
    }
    System.out.printf("context swaps: %d attempts, %d failed, 0 plaintexts%n", attempts, failures);
    assertThat(failures).isEqualTo(attempts).isEqualTo(200 * others.size());
  }

  @Test
  void open_ciphertextSwappedBetweenCredentialsWithTheirOwnDeks_fails() {
    // Two credentials, each with its own DEK: swapping the stored ciphertexts fails both ways.
    SealContext other = new SealContext("tenant-a", "github-main", "cred-2", 1, CTX.purpose());
    SecretBytes dek1 = newDek();
    SecretBytes dek2 = newDek();
    byte[] sealed1 = aead.seal(dek1, SECRET, CTX);
    byte[] sealed2 = aead.seal(dek2, SECRET, other);

    assertThatThrownBy(() -> aead.open(dek1, sealed2, CTX))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> aead.open(dek2, sealed1, other))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> aead.open(dek2, sealed1, CTX))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void open_anySingleBitFlipped_fails() {
    SecretBytes dek = newDek();
    byte[] sealed = aead.seal(dek, SECRET, CTX);
    for (int i = 0; i < sealed.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] tampered = sealed.clone();
        tampered[i] ^= (byte) (1 << bit);
        assertThatThrownBy(() -> aead.open(dek, tampered, CTX))
            .as("byte %d bit %d", i, bit)
            .isInstanceOf(InvalidCiphertextException.class)
            .hasMessage("invalid ciphertext");
      }
    }
  }

  @Test
  void open_wrongDek_fails() {
    byte[] sealed = aead.seal(newDek(), SECRET, CTX);

    assertThatThrownBy(() -> aead.open(newDek(), sealed, CTX))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> aead.open(SecretBytes.copyOf(new byte[16]), sealed, CTX))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void open_wipedDek_failsAsInvalidCiphertext() {
    SecretBytes dek = newDek();
    byte[] sealed = aead.seal(dek, SECRET, CTX);
    dek.wipe();

    assertThatThrownBy(() -> aead.open(dek, sealed, CTX))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void layout_truncatedOversizedOrUnknownVersion_rejected() {
    byte[] sealed = aead.seal(newDek(), SECRET, CTX);
    for (int len = 0; len < sealed.length; len++) {
      byte[] prefix = Arrays.copyOf(sealed, len);
      if (len < EnvelopeAead.MIN_CIPHERTEXT_BYTES) {
        assertThatThrownBy(() -> EnvelopeAead.layout(prefix))
            .isInstanceOf(InvalidCiphertextException.class);
      }
    }
    byte[] oversized = new byte[EnvelopeAead.MIN_CIPHERTEXT_BYTES + EnvelopeAead.MAX_PLAINTEXT_BYTES + 1];
    oversized[0] = EnvelopeAead.FORMAT_V1;
    assertThatThrownBy(() -> EnvelopeAead.layout(oversized))
        .isInstanceOf(InvalidCiphertextException.class);
    for (int version : new int[] {0x00, 0x02, 0x7f, 0xff}) {
      byte[] other = sealed.clone();
      other[0] = (byte) version;
      assertThatThrownBy(() -> EnvelopeAead.layout(other))
          .isInstanceOf(InvalidCiphertextException.class);
    }
    assertThatThrownBy(() -> EnvelopeAead.layout(null))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void open_truncatedAtEveryLength_failsCleanly() {
    SecretBytes dek = newDek();
    byte[] sealed = aead.seal(dek, SECRET, CTX);
    for (int len = 0; len < sealed.length; len++) {
      byte[] prefix = Arrays.copyOf(sealed, len);
      assertThatThrownBy(() -> aead.open(dek, prefix, CTX))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void open_randomInputs_onlyEverThrowInvalidCiphertext() {
    SecretBytes dek = newDek();
    Random r = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      byte[] junk = new byte[r.nextInt(120)];
      r.nextBytes(junk);
      if (r.nextBoolean() && junk.length > 0) {
        junk[0] = EnvelopeAead.FORMAT_V1;
      }
      assertThatThrownBy(() -> aead.open(dek, junk, CTX))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void seal_plaintextOverLimit_rejected() {
    assertThatThrownBy(
            () -> aead.seal(newDek(), new byte[EnvelopeAead.MAX_PLAINTEXT_BYTES + 1], CTX))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void seal_millionEncryptions_noIvRepeats() {
    SecretBytes dek = newDek();
    byte[] one = {42};
    int n = 1_000_000;
    Set<Iv> seen = new HashSet<>(2 * n);
    for (int i = 0; i < n; i++) {
      byte[] sealed = aead.seal(dek, one, CTX);
      ByteBuffer iv = ByteBuffer.wrap(sealed, 1, 12);
      assertThat(seen.add(new Iv(iv.getLong(), iv.getInt()))).as("IV repeated at %d", i).isTrue();
    }
    System.out.printf("IV uniqueness: %d encryptions, %d distinct IVs%n", n, seen.size());
    assertThat(seen).hasSize(n);
  }

  private record Iv(long high, int low) {}

  private SecretBytes newDek() {
    byte[] k = new byte[32];
    random.nextBytes(k);
    return SecretBytes.adopt(k);
  }

}
