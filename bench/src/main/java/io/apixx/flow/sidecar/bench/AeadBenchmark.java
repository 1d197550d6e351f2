package io.apixx.flow.sidecar.bench;

import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.SealContext;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decrypting a 1 KiB credential with {@link EnvelopeAead#open} (format parsing, associated-data
 * encoding, AES-256-GCM, {@code SecretBytes} wrapping) against raw JCE AES-256-GCM on the same key
 * with associated data of the same length. Acceptance target: envelope within 1.1x of raw JCE.
 *
 * <p>Baselines: {@code rawJceDecrypt} reuses one {@link Cipher} per thread and builds the key and
 * parameter specs per call, as the envelope does (each credential has its own DEK);
 * {@code rawJceDecryptNewCipher} also calls {@code Cipher.getInstance} per call, as naive code does.
 *
 * <p>Run: {@code java -cp <bench classpath> org.openjdk.jmh.Main AeadBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AeadBenchmark {
  private static final int CREDENTIAL_BYTES = 1024;

  private EnvelopeAead aead;
  private SecretBytes dek;
  private SealContext context;
  private byte[] sealed;

  private byte[] rawKey;
  private byte[] aad;
  private byte[] iv;
  private byte[] rawCiphertext;
  private Cipher cipher;

  @Setup
  public void setUp() throws GeneralSecurityException {
    SecureRandom random = new SecureRandom();
    rawKey = new byte[32];
    random.nextBytes(rawKey);
    byte[] credential = new byte[CREDENTIAL_BYTES];
    random.nextBytes(credential);

    aead = EnvelopeAead.create();
    dek = SecretBytes.copyOf(rawKey);
    context =
        new SealContext(
            "7f3c2a9e-tenant",
            "github-main",
            "cred-0001",
            3,
            SealContext.PURPOSE_CONNECTOR_CREDENTIAL);
    sealed = aead.seal(dek, credential, context);

    aad = new byte[context.associatedData().length];
    random.nextBytes(aad);
    iv = new byte[12];
    random.nextBytes(iv);
    cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(rawKey, "AES"), new GCMParameterSpec(128, iv));
    cipher.updateAAD(aad);
    rawCiphertext = cipher.doFinal(credential);
  }

  @Benchmark
  public SecretBytes envelopeOpen() {
    return aead.open(dek, sealed, context);
  }

  @Benchmark
  public byte[] rawJceDecrypt() throws GeneralSecurityException {
    cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(rawKey, "AES"), new GCMParameterSpec(128, iv));
    cipher.updateAAD(aad);
    return cipher.doFinal(rawCiphertext);
  }

  @Benchmark
  public byte[] rawJceDecryptNewCipher() throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(rawKey, "AES"), new GCMParameterSpec(128, iv));
    c.updateAAD(aad);
    return c.doFinal(rawCiphertext);
  }
}
