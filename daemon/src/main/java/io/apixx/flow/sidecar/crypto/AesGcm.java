package io.apixx.flow.sidecar.crypto;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The raw AES-256-GCM primitive of this package, with the IV supplied by the caller: JCE's
 * {@code AES/GCM/NoPadding}, 256-bit keys, 96-bit IVs, 128-bit tags and nothing else. Everything
 * that encrypts in this daemon goes through here ({@link AesGcmAead} draws the IVs), so the
 * Wycheproof known-answer test, which needs explicit IVs, tests exactly the code in use.
 *
 * <p>Output layout of {@link #encrypt}: {@code ciphertext || tag}, the ciphertext as long as the
 * plaintext and the 16-byte tag after it.
 *
 * <p>Thread-safe. Each thread keeps one {@link Cipher} and re-initialises it on every call (a
 * {@code Cipher.getInstance} costs more than decrypting a credential). Known limit: the expanded
 * key schedule of the last key a thread used stays inside its cipher object until the next call.
 */
final class AesGcm {
  /** AES-256 key length in bytes. */
  static final int KEY_BYTES = 32;
  /** GCM IV length in bytes (96 bits, the size GCM is defined for without GHASH-ing the IV). */
  static final int IV_BYTES = 12;
  /** GCM tag length in bytes (128 bits). */
  static final int TAG_BYTES = 16;

  private static final String TRANSFORMATION = "AES/GCM/NoPadding";
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(AesGcm::newCipher);

  private AesGcm() {}

  /**
   * Encrypts {@code in[inOffset, inOffset + inLength)} and writes {@code ciphertext || tag}
   * ({@code inLength + TAG_BYTES} bytes) into {@code out} at {@code outOffset}.
   *
   * @throws IllegalArgumentException if the key is not 32 bytes or the IV range is not 12 bytes
   */
  static void encrypt(
      byte[] key,
      byte[] iv,
      int ivOffset,
      byte[] in,
      int inOffset,
      int inLength,
      byte[] aad,
      byte[] out,
      int outOffset) {
    checkKey(key);
    if (ivOffset < 0 || iv.length - ivOffset < IV_BYTES) {
      throw new IllegalArgumentException("IV must be " + IV_BYTES + " bytes");
    }
    try {
      Cipher cipher = initialized(Cipher.ENCRYPT_MODE, key, iv, ivOffset, aad);
      int written = cipher.doFinal(in, inOffset, inLength, out, outOffset);
      if (written != inLength + TAG_BYTES) {
        throw new IllegalStateException("AES-GCM wrote an unexpected length");
      }
    } catch (GeneralSecurityException e) {
      // Only reachable through a broken JCE provider: the inputs were checked above.
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /** Convenience form of {@link #encrypt(byte[], byte[], int, byte[], int, int, byte[], byte[], int)}. */
  static byte[] encrypt(byte[] key, byte[] iv, byte[] plaintext, byte[] aad) {
    byte[] out = new byte[plaintext.length + TAG_BYTES];
    encrypt(key, iv, 0, plaintext, 0, plaintext.length, aad, out, 0);
    return out;
  }

  /**
   * Decrypts {@code in[ctOffset, ctOffset + ctLength)} ({@code ciphertext || tag}) with the IV at
   * {@code in[ivOffset, ivOffset + 12)}. The plaintext is only returned after the tag verified
   * (JCE buffers GCM decryption until {@code doFinal}).
   *
   * @return a new array with the plaintext, owned by the caller
   * @throws InvalidCiphertextException on any failure, including a key of the wrong size
   */
  static byte[] decrypt(
      byte[] key, byte[] in, int ivOffset, int ctOffset, int ctLength, byte[] aad) {
    if (key.length != KEY_BYTES
        || ivOffset < 0
        || ctOffset < 0
        || ctLength < TAG_BYTES
        || in.length - ivOffset < IV_BYTES
        || in.length - ctOffset < ctLength) {
      throw new InvalidCiphertextException();
    }
    try {
      return initialized(Cipher.DECRYPT_MODE, key, in, ivOffset, aad).doFinal(in, ctOffset, ctLength);
    } catch (GeneralSecurityException | IllegalArgumentException | IllegalStateException e) {
      // Deliberately no cause: which check failed is not to be learned from outside.
      throw new InvalidCiphertextException();
    }
  }

  /** Convenience form: {@code ciphertextAndTag} is {@code ciphertext || tag}. */
  static byte[] decrypt(byte[] key, byte[] iv, byte[] ciphertextAndTag, byte[] aad) {
    if (iv.length != IV_BYTES) {
      throw new InvalidCiphertextException();
    }
    byte[] joined = new byte[IV_BYTES + ciphertextAndTag.length];
    System.arraycopy(iv, 0, joined, 0, IV_BYTES);
    System.arraycopy(ciphertextAndTag, 0, joined, IV_BYTES, ciphertextAndTag.length);
    return decrypt(key, joined, 0, IV_BYTES, ciphertextAndTag.length, aad);
  }

  /** This thread's cipher, initialised for one message. */
  private static Cipher initialized(int mode, byte[] key, byte[] iv, int ivOffset, byte[] aad)
      throws GeneralSecurityException {
    Cipher cipher = CIPHERS.get();
    cipher.init(
        mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, iv, ivOffset, IV_BYTES));
    cipher.updateAAD(aad);
    return cipher;
  }

  private static void checkKey(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("AES-256 key must be " + KEY_BYTES + " bytes");
    }
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance(TRANSFORMATION);
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new IllegalStateException("this JVM has no " + TRANSFORMATION, e);
    }
  }
}
