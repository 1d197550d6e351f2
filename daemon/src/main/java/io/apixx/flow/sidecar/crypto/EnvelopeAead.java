package io.apixx.flow.sidecar.crypto;

import io.apixx.flow.sidecar.secret.SecretBytes;
import java.util.Objects;

/**
 * Seals and opens secrets (connector credentials, TOTP seeds) under a data key (DEK) with
 * AES-256-GCM, bound to a {@link SealContext}. One DEK per credential version; the DEK itself is
 * wrapped by the tenant's KMS key ({@code io.apixx.flow.sidecar.crypto.kms.Kms}) and stored beside
 * the ciphertext.
 *
 * <h2>Stored ciphertext format, version 0x01</h2>
 *
 * <pre>
 * byte  0              format version, 0x01
 * bytes 1..12          IV: 96 bits from SecureRandom, fresh for every seal
 * bytes 13..n+12       AES-256-GCM ciphertext of the n-byte plaintext
 * bytes n+13..n+28     GCM tag, 128 bits
 * </pre>
 *
 * The total is {@code n + }{@value #OVERHEAD} bytes. The associated data is {@link
 * SealContext#associatedData()}, whose first byte is the same format version, so the header is
 * authenticated too. Plaintexts are limited to {@value #MAX_PLAINTEXT_BYTES} bytes, so a valid
 * ciphertext is {@value #MIN_CIPHERTEXT_BYTES} to {@value #MIN_CIPHERTEXT_BYTES} + {@value
 * #MAX_PLAINTEXT_BYTES} bytes long. A later format gets a new version byte; this class rejects
 * versions it does not know.
 *
 * <h2>Errors</h2>
 *
 * {@link #open} and {@link #layout} throw {@link InvalidCiphertextException} ("invalid ciphertext",
 * nothing more) for every failure: too short, too long, unknown version, wrong DEK, another
 * context, tampering. They never throw anything else for any content of {@code ciphertext}.
 *
 * <p>Thread-safe; one instance serves the whole daemon.
 */
public final class EnvelopeAead {
  /** The only format this version writes and reads. */
  public static final byte FORMAT_V1 = 0x01;
  /** Bytes a sealed value has beyond its plaintext: version byte, IV and tag. */
  public static final int OVERHEAD = 1 + AesGcmAead.OVERHEAD;
  /** The shortest valid ciphertext (an empty plaintext). */
  public static final int MIN_CIPHERTEXT_BYTES = OVERHEAD;
  /** Largest plaintext accepted by {@link #seal} (1 MiB; credentials are kilobytes). */
  public static final int MAX_PLAINTEXT_BYTES = 1 << 20;

  private final AesGcmAead aead;

  private EnvelopeAead(AesGcmAead aead) {
    this.aead = aead;
  }

  /** The production instance: IVs from the platform {@code SecureRandom}. */
  public static EnvelopeAead create() {
    return new EnvelopeAead(AesGcmAead.create());
  }

  /** An instance over a given primitive (tests that control the IV source). */
  static EnvelopeAead using(AesGcmAead aead) {
    return new EnvelopeAead(Objects.requireNonNull(aead, "aead"));
  }

  /**
   * Where the parts of a format-0x01 ciphertext lie.
   *
   * @param version the format version byte (always {@link #FORMAT_V1} today)
   * @param ivOffset index of the 12-byte IV
   * @param ciphertextOffset index of the GCM ciphertext (followed by the tag)
   * @param ciphertextLength length of the GCM ciphertext plus the 16-byte tag
   */
  public record Layout(int version, int ivOffset, int ciphertextOffset, int ciphertextLength) {
    /** Length of the plaintext this ciphertext decrypts to, if authentic. */
    public int plaintextLength() {
      return ciphertextLength - AesGcm.TAG_BYTES;
    }
  }

  /**
   * Parses the header of a stored ciphertext without decrypting it. Total function: any byte
   * array gives either a layout or {@link InvalidCiphertextException}.
   *
   * @throws InvalidCiphertextException if {@code ciphertext} is null, shorter than {@value
   *     #MIN_CIPHERTEXT_BYTES} bytes, longer than the format allows, or of an unknown version
   */
  public static Layout layout(byte[] ciphertext) {
    if (ciphertext == null
        || ciphertext.length < MIN_CIPHERTEXT_BYTES
        || ciphertext.length > MIN_CIPHERTEXT_BYTES + MAX_PLAINTEXT_BYTES
        || ciphertext[0] != FORMAT_V1) {
      throw new InvalidCiphertextException();
    }
    int ivOffset = 1;
    int ctOffset = ivOffset + AesGcm.IV_BYTES;
    return new Layout(FORMAT_V1, ivOffset, ctOffset, ciphertext.length - ctOffset);
  }

  /**
   * Encrypts {@code plaintext} under {@code dek} for {@code context}. The caller keeps ownership
   * of {@code plaintext} (and wipes it when done).
   *
   * @return a new array in the format described in the class comment
   * @throws IllegalArgumentException if the DEK is not 32 bytes or the plaintext exceeds {@value
   *     #MAX_PLAINTEXT_BYTES} bytes
   * @throws IllegalStateException if the DEK was wiped
   */
  public byte[] seal(SecretBytes dek, byte[] plaintext, SealContext context) {
    Objects.requireNonNull(dek, "dek");
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(context, "context");
    if (plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw new IllegalArgumentException(
          "plaintext must be at most " + MAX_PLAINTEXT_BYTES + " bytes");
    }
    byte[] out = new byte[OVERHEAD + plaintext.length];
    out[0] = FORMAT_V1;
    aead.encryptInto(dek, plaintext, context.associatedDataShared(), out, 1);
    return out;
  }

  /**
   * Decrypts a ciphertext made by {@link #seal} with the same DEK and an equal context.
   *
   * @return the plaintext in a new {@link SecretBytes}; the caller wipes it ({@code
   *     try-with-resources})
   * @throws InvalidCiphertextException on any failure (see the class comment)
   */
  public SecretBytes open(SecretBytes dek, byte[] ciphertext, SealContext context) {
    Objects.requireNonNull(dek, "dek");
    Objects.requireNonNull(context, "context");
    Layout layout = layout(ciphertext);
    return aead.decryptAt(dek, ciphertext, layout.ivOffset(), context.associatedDataShared());
  }
}
