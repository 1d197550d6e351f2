package io.apixx.flow.sidecar.crypto.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Kms} backend must show (after SPIRE's keymanagertest). Each backend's
 * test extends this class and supplies a fresh instance plus a way to rotate a tenant's key.
 */
abstract class KmsContractTest {
  static final String TENANT = "acme";
  static final String OTHER_TENANT = "globex";

  /** The backend under test, fresh for each test. */
  abstract Kms kms();

  /** Rotates the tenant's key the way an operator would for this backend. */
  abstract void rotate(String tenantId);

  /** Key references of {@code tenantId} start with this, followed by the version. */
  abstract String keyRefPrefix(String tenantId);

  @Test
  void generateDataKey_newTenant_returns256BitKeyAndWrappedFormAtVersion1() {
    try (DataKey key = kms().generateDataKey(TENANT)) {
      assertThat(key.plaintext().length()).isEqualTo(32);
      assertThat(key.wrapped().bytes()).isNotEmpty();
      assertThat(key.wrapped().keyRef()).isEqualTo(keyRefPrefix(TENANT) + "1");
      byte[] plain = key.plaintext().reveal(SecretAccess.RELEASE);
      assertThat(new String(key.wrapped().bytes(), StandardCharsets.ISO_8859_1))
          .doesNotContain(new String(plain, StandardCharsets.ISO_8859_1));
    }
  }

  @Test
  void unwrap_generatedKey_returnsSamePlaintext() {
    try (DataKey key = kms().generateDataKey(TENANT);
        SecretBytes unwrapped = kms().unwrap(TENANT, key.wrapped().bytes())) {
      assertThat(unwrapped.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
      assertThat(unwrapped).isNotSameAs(key.plaintext());
    }
  }

  @Test
  void generateDataKey_calledTwice_returnsDistinctKeys() {
    try (DataKey a = kms().generateDataKey(TENANT);
        DataKey b = kms().generateDataKey(TENANT)) {
      assertThat(a.plaintext().contentEquals(b.plaintext().reveal(SecretAccess.RELEASE))).isFalse();
      assertThat(a.wrapped().bytes()).isNotEqualTo(b.wrapped().bytes());
    }
  }

  @Test
  void wrap_existingDek_unwrapsToSameDek() {
    SecretBytes dek = SecretBytes.copyOf(randomBytes(32));
    WrappedKey wrapped = kms().wrap(TENANT, dek);

    try (SecretBytes back = kms().unwrap(TENANT, wrapped.bytes())) {
      assertThat(back.contentEquals(dek.reveal(SecretAccess.RELEASE))).isTrue();
    }
    assertThat(dek.isWiped()).as("the caller keeps ownership of the DEK it wrapped").isFalse();
  }

  @Test
  void unwrap_underAnotherTenant_throwsInvalidCiphertext() {
    kms().generateDataKey(OTHER_TENANT).close();
    try (DataKey key = kms().generateDataKey(TENANT)) {
      byte[] wrapped = key.wrapped().bytes();

      assertThatThrownBy(() -> kms().unwrap(OTHER_TENANT, wrapped))
          .isInstanceOf(InvalidCiphertextException.class)
          .hasMessage("invalid ciphertext");
      assertThatThrownBy(() -> kms().rewrap(OTHER_TENANT, wrapped))
          .isInstanceOf(InvalidCiphertextException.class);
      assertThatThrownBy(() -> kms().unwrap("never-used", wrapped))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void unwrap_anyByteAltered_throwsInvalidCiphertext() {
    try (DataKey key = kms().generateDataKey(TENANT)) {
      byte[] wrapped = key.wrapped().bytes();
      for (int i = 0; i < wrapped.length; i++) {
        byte[] altered = wrapped.clone();
        altered[i] = (byte) (altered[i] == 'A' ? 'B' : altered[i] ^ 0x01);
        if (Arrays.equals(altered, wrapped)) {
          continue;
        }
        int at = i;
        assertThatThrownBy(() -> kms().unwrap(TENANT, altered))
            .as("byte %d altered", at)
            .isInstanceOf(InvalidCiphertextException.class);
      }
    }
  }

  @Test
  void unwrap_truncatedEmptyOrGarbage_throwsInvalidCiphertext() {
    try (DataKey key = kms().generateDataKey(TENANT)) {
      byte[] wrapped = key.wrapped().bytes();
      for (int len : new int[] {0, 1, wrapped.length / 2, wrapped.length - 1}) {
        byte[] cut = Arrays.copyOf(wrapped, len);
        assertThatThrownBy(() -> kms().unwrap(TENANT, cut))
            .isInstanceOf(InvalidCiphertextException.class);
      }
      byte[] longer = Arrays.copyOf(wrapped, wrapped.length + 1);
      assertThatThrownBy(() -> kms().unwrap(TENANT, longer))
          .isInstanceOf(InvalidCiphertextException.class);
      assertThatThrownBy(() -> kms().unwrap(TENANT, randomBytes(10_000)))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void unwrap_afterRotation_olderWrappedKeysStillOpen() {
    try (DataKey before = kms().generateDataKey(TENANT)) {
      rotate(TENANT);

      try (SecretBytes back = kms().unwrap(TENANT, before.wrapped().bytes())) {
        assertThat(back.contentEquals(before.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
      }
      try (DataKey after = kms().generateDataKey(TENANT)) {
        assertThat(after.wrapped().keyRef()).isEqualTo(keyRefPrefix(TENANT) + "2");
      }
    }
  }

  @Test
  void rewrap_afterRotation_movesToNewestVersionWithSamePlaintext() {
    try (DataKey key = kms().generateDataKey(TENANT)) {
      rotate(TENANT);
      rotate(TENANT);

      WrappedKey rewrapped = kms().rewrap(TENANT, key.wrapped().bytes());

      assertThat(rewrapped.keyRef()).isEqualTo(keyRefPrefix(TENANT) + "3");
      assertThat(rewrapped.bytes()).isNotEqualTo(key.wrapped().bytes());
      try (SecretBytes back = kms().unwrap(TENANT, rewrapped.bytes())) {
        assertThat(back.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
      }
    }
  }

  @Test
  void rotateAndRewrap_whileOtherThreadsUnwrap_noReadFails() throws Exception {
    int keys = 12;
    List<byte[]> plaintexts = new ArrayList<>();
    AtomicReferenceArray<byte[]> stored = new AtomicReferenceArray<>(keys);
    for (int i = 0; i < keys; i++) {
      try (DataKey k = kms().generateDataKey(TENANT)) {
        plaintexts.add(k.plaintext().reveal(SecretAccess.RELEASE).clone());
        stored.set(i, k.wrapped().bytes());
      }
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    int readers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(readers);
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < readers; t++) {
      running.add(
          pool.submit(
              () -> {
                while (!stop.get()) {
                  int i = ThreadLocalRandom.current().nextInt(keys);
                  try (SecretBytes dek = kms().unwrap(TENANT, stored.get(i))) {
                    if (!dek.contentEquals(plaintexts.get(i))) {
                      failures.incrementAndGet();
                      firstFailure.compareAndSet(null, new AssertionError("wrong DEK " + i));
                    }
                  } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    firstFailure.compareAndSet(null, e);
                  }
                  reads.incrementAndGet();
                }
              }));
    }
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> reads.get() >= 50);
      int rounds = 3;
      for (int round = 1; round <= rounds; round++) {
        rotate(TENANT);
        for (int i = 0; i < keys; i++) {
          WrappedKey next = kms().rewrap(TENANT, stored.get(i));
          assertThat(next.keyRef()).isEqualTo(keyRefPrefix(TENANT) + (round + 1));
          stored.set(i, next.bytes());
        }
      }
      long afterRewrap = reads.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> reads.get() >= afterRewrap + 50);
    } finally {
      stop.set(true);
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    for (Future<?> f : running) {
      f.get();
    }
    System.out.printf(
        "%s rotation under load: 3 rotations, %d rewraps, %d concurrent reads, %d failed%n",
        getClass().getSimpleName(), 3 * keys, reads.get(), failures.get());
    assertThat(firstFailure.get()).isNull();
    assertThat(failures.get()).isZero();
    assertThat(reads.get()).isGreaterThanOrEqualTo(100);
  }

  @Test
  void generateDataKey_manyThreadsAndTenantsOnFirstUse_allUnwrap() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 36; i++) {
        String tenant = "tenant-" + (i % 6);
        results.add(
            pool.submit(
                () -> {
                  try (DataKey k = kms().generateDataKey(tenant);
                      SecretBytes back = kms().unwrap(tenant, k.wrapped().bytes())) {
                    return back.contentEquals(k.plaintext().reveal(SecretAccess.RELEASE))
                        && k.wrapped().keyRef().equals(keyRefPrefix(tenant) + "1");
                  }
                }));
      }
      for (Future<Boolean> r : results) {
        assertThat(r.get(30, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void operations_malformedTenantId_throwInvalidArgumentWithoutEchoingIt() {
    byte[] someWrapped = {1, 2, 3};
    SecretBytes dek = SecretBytes.copyOf(randomBytes(32));
    for (String bad : new String[] {null, "", "../etc", "a/b", "x".repeat(129), "-leading", "sp ace"}) {
      assertInvalidArgument(() -> kms().generateDataKey(bad), bad);
      assertInvalidArgument(() -> kms().unwrap(bad, someWrapped), bad);
      assertInvalidArgument(() -> kms().wrap(bad, dek), bad);
      assertInvalidArgument(() -> kms().rewrap(bad, someWrapped), bad);
    }
  }

  @Test
  void wrap_dekOfWrongSizeOrWiped_throwsInvalidArgument() {
    assertInvalidArgument(() -> kms().wrap(TENANT, SecretBytes.copyOf(new byte[16])), null);
    SecretBytes wiped = SecretBytes.copyOf(randomBytes(32));
    wiped.wipe();
    assertInvalidArgument(() -> kms().wrap(TENANT, wiped), null);
  }

  @Test
  void toStringAndKeyRefs_afterUse_containNoKeyMaterial() {
    byte[] canary = "CANARY-DEK-0123456789abcdef-xyz".getBytes(StandardCharsets.US_ASCII);
    assertThat(canary).hasSize(31);
    byte[] dekBytes = Arrays.copyOf(canary, 32);
    SecretBytes dek = SecretBytes.copyOf(dekBytes);
    WrappedKey wrapped = kms().wrap(TENANT, dek);
    DataKey generated = kms().generateDataKey(TENANT);
    String generatedHex = HexFormat.of().formatHex(generated.plaintext().reveal(SecretAccess.RELEASE));

    List<String> rendered =
        List.of(
            kms().toString(),
            wrapped.toString(),
            wrapped.keyRef(),
            generated.toString(),
            generated.wrapped().keyRef(),
            dek.toString());
    for (String s : rendered) {
      assertThat(s)
          .doesNotContain("CANARY")
          .doesNotContain(HexFormat.of().formatHex(dekBytes))
          .doesNotContain(Base64.getEncoder().encodeToString(dekBytes))
          .doesNotContain(generatedHex)
          .doesNotContain(
              Base64.getEncoder().encodeToString(generated.plaintext().reveal(SecretAccess.RELEASE)));
    }
  }

  private static void assertInvalidArgument(Runnable r, String value) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
              if (value != null && !value.isEmpty()) {
                assertThat(e.getMessage()).doesNotContain(value);
              }
            });
  }

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

}
