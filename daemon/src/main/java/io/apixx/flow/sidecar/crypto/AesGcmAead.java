package io.apixx.flow.sidecar.crypto;

import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * AES-256-GCM with a fresh random 96-bit IV for every message, drawn from {@link SecureRandom}.
 * Used for key wrapping (the local keyring) and, under a versioned header, by
 * {@link EnvelopeAead} for credentials.
 *
 * <p>Output layout of {@link #encrypt} ({@value #OVERHEAD} bytes longer than the plaintext):
 *
 * <pre>
 * bytes 0..11        IV (random, 96 bits)
 * bytes 12..n+11     AES-GCM ciphertext (n = plaintext length)
 * bytes n+12..n+27   GCM tag (128 bits)
 * </pre>
 *
 * <p>Random IVs keep the collision probability below 2^-32 for up to 2^32 messages under one key
 * (NIST SP 800-38D, 8.3); keys here encrypt far fewer (one data key per credential version).
 *
 * <p>Thread-safe.
 */
public final class AesGcmAead {
  /** Bytes added to a plaintext: IV plus tag. */
  public static final int OVERHEAD = AesGcm.IV_BYTES + AesGcm.TAG_BYTES;
  /** Required key length: AES-256. */
  public static final int KEY_BYTES = AesGcm.KEY_BYTES;

  private static final AesGcmAead DEFAULT = new AesGcmAead(new SecureRandom());

  private final SecureRandom random;

  private AesGcmAead(SecureRandom random) {
    this.random = random;
  }

  /** The shared instance, backed by the platform's default {@link SecureRandom}. */
  public static AesGcmAead create() {
    return DEFAULT;
  }

  /** An instance drawing IVs from {@code random} (tests). */
  static AesGcmAead withRandom(SecureRandom random) {
    return new AesGcmAead(Objects.requireNonNull(random, "random"));
  }

  /**
   * Encrypts {@code plaintext} bound to {@code aad}.
   *
   * @return {@code IV || ciphertext || tag}, a new array
   * @throws IllegalArgumentException if the key is not {@value #KEY_BYTES} bytes
   * @throws IllegalStateException if the key was wiped
   */
  public byte[] encrypt(SecretBytes key, byte[] plaintext, byte[] aad) {
    byte[] out = new byte[OVERHEAD + plaintext.length];
    encryptInto(key, plaintext, aad, out, 0);
    return out;
  }

  /**
   * Writes {@code IV || ciphertext || tag} into {@code out} at {@code offset}, which must leave
   * room for {@code plaintext.length + OVERHEAD} bytes.
   */
  void encryptInto(SecretBytes key, byte[] plaintext, byte[] aad, byte[] out, int offset) {
    Objects.requireNonNull(aad, "aad");
    byte[] iv = new byte[AesGcm.IV_BYTES];
    random.nextBytes(iv);
    System.arraycopy(iv, 0, out, offset, AesGcm.IV_BYTES);
    AesGcm.encrypt(
        key.reveal(SecretAccess.RELEASE),
        out,
        offset,
        plaintext,
        0,
        plaintext.length,
        aad,
        out,
        offset + AesGcm.IV_BYTES);
  }

  /**
   * Decrypts {@code IV || ciphertext || tag}.
   *
   * @return the plaintext in a new {@link SecretBytes} owned (and to be wiped) by the caller
   * @throws InvalidCiphertextException on any failure: too short, wrong key or AAD, tampering, a
   *     wiped key
   */
  public SecretBytes decrypt(SecretBytes key, byte[] ciphertext, byte[] aad) {
    return decryptAt(key, ciphertext, 0, aad);
  }

  /** Like {@link #decrypt} for the {@code IV || ciphertext || tag} starting at {@code offset}. */
  SecretBytes decryptAt(SecretBytes key, byte[] in, int offset, byte[] aad) {
    Objects.requireNonNull(aad, "aad");
    if (key.isWiped() || offset < 0 || in.length - offset < OVERHEAD) {
      throw new InvalidCiphertextException();
    }
    byte[] raw;
    try {
      raw = key.reveal(SecretAccess.RELEASE);
    } catch (IllegalStateException wipedMeanwhile) {
      throw new InvalidCiphertextException();
    }
    int ctOffset = offset + AesGcm.IV_BYTES;
    return SecretBytes.adopt(AesGcm.decrypt(raw, in, offset, ctOffset, in.length - ctOffset, aad));
  }
}
