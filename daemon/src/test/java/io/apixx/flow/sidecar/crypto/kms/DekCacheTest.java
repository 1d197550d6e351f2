package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.testing.FakeTicker;
import io.apixx.flow.sidecar.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DekCacheTest {
  private static final Duration MAX_AGE = Duration.ofMinutes(5);

  @TempDir Path dir;
  private final FakeTicker ticker = new FakeTicker();
  private CountingKms backend;
  private DekCache cache;

  @BeforeEach
  void setUp() {
    backend = new CountingKms(LocalKeyringKms.open(dir.resolve("k.json"), new MutableClock()));
    cache = DekCache.wrap(backend, new DekCacheConfig(MAX_AGE, 100, 50), ticker);
  }

  @AfterEach
  void tearDown() {
    cache.close();
  }

  @Test
  void unwrap_secondTime_answeredFromCacheWithoutKms() {
    WrappedKey w = backend.generateDataKey("acme").wrapped();

    SecretBytes first = cache.unwrap("acme", w.bytes());
    SecretBytes second = cache.unwrap("acme", w.bytes());

    assertThat(backend.unwraps.get()).isEqualTo(1);
    assertThat(second.contentEquals(first.reveal(SecretAccess.RELEASE))).isTrue();
    assertThat(second).isNotSameAs(first);
    assertThat(cache.stats()).isEqualTo(new DekCache.Stats(1, 1, 0, 0, 1));
  }

  @Test
  void generateDataKey_throughCache_firstUnwrapIsAHit() {
    DataKey key = cache.generateDataKey("acme");

    try (SecretBytes dek = cache.unwrap("acme", key.wrapped().bytes())) {
      assertThat(dek.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
    }
    assertThat(backend.unwraps.get()).isZero();
    // The caller wiping its DataKey does not wipe the cached copy.
    key.close();
    try (SecretBytes again = cache.unwrap("acme", key.wrapped().bytes())) {
      assertThat(again.isWiped()).isFalse();
      assertThat(again.reveal(SecretAccess.RELEASE)).isNotEqualTo(new byte[32]);
    }
  }

  @Test
  void unwrap_callerWipesItsCopy_cachedKeyUnaffected() {
    WrappedKey w = backend.generateDataKey("acme").wrapped();
    SecretBytes first = cache.unwrap("acme", w.bytes());
    byte[] expected = first.reveal(SecretAccess.RELEASE).clone();

    first.wipe();

    try (SecretBytes second = cache.unwrap("acme", w.bytes())) {
      assertThat(second.contentEquals(expected)).isTrue();
    }
  }

  @Test
  void unwrap_sameWrappedBytesUnderAnotherTenant_missesAndIsRefused() {
    cache.generateDataKey("globex").close();
    WrappedKey w = cache.generateDataKey("acme").wrapped();
    cache.unwrap("acme", w.bytes()).close();

    assertThatThrownBy(() -> cache.unwrap("globex", w.bytes()))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThat(backend.unwraps.get()).as("the other tenant went to the KMS").isEqualTo(1);
    assertThat(cache.stats().loadFailures()).isEqualTo(1);
  }

  @Test
  void unwrap_afterMaxAge_goesToKmsAndOldCopyIsWiped() {
    WrappedKey w = backend.generateDataKey("acme").wrapped();
    cache.unwrap("acme", w.bytes()).close();

    ticker.advance(MAX_AGE.minusNanos(1));
    cache.unwrap("acme", w.bytes()).close();
    assertThat(backend.unwraps.get()).isEqualTo(1);

    ticker.advance(Duration.ofNanos(1));
    cache.unwrap("acme", w.bytes()).close();
    assertThat(backend.unwraps.get()).as("exactly max age: reloaded").isEqualTo(2);
    cache.cleanUp();
    assertThat(cache.stats().evictions()).isEqualTo(1);
  }

  @Test
  void unwrap_kmsOutage_cachedKeyServedUntilMaxAgeThenFailsClosed() {
    WrappedKey cachedKey = backend.generateDataKey("acme").wrapped();
    WrappedKey uncachedKey = backend.generateDataKey("acme").wrapped();
    cache.unwrap("acme", cachedKey.bytes()).close();
    backend.down.set(true);

    assertThatThrownBy(() -> cache.unwrap("acme", uncachedKey.bytes()))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE));
    cache.unwrap("acme", cachedKey.bytes()).close();

    ticker.advance(MAX_AGE);
    assertThatThrownBy(() -> cache.unwrap("acme", cachedKey.bytes()))
        .as("no DEK outlives its max age, even during an outage")
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE));

    backend.down.set(false);
    cache.unwrap("acme", cachedKey.bytes()).close();
    cache.unwrap("acme", uncachedKey.bytes()).close();
  }

  @Test
  void cachedDek_afterMaxAge_isWipedInMemory() {
    WrappedKey w = backend.generateDataKey("acme").wrapped();
    SecretBytes mine = cache.unwrap("acme", w.bytes());
    SecretBytes cachedCopy = cache.peekCachedForTest("acme", w.bytes());
    assertThat(cachedCopy.isWiped()).isFalse();

    ticker.advance(MAX_AGE);
    cache.cleanUp();

    assertThat(cachedCopy.isWiped()).isTrue();
    assertThat(mine.isWiped()).as("the caller's copy is the caller's").isFalse();
  }

  @Test
  void unwrap_maxUsesReached_entryDroppedWipedAndReloaded() {
    DekCache twoUses = DekCache.wrap(backend, new DekCacheConfig(MAX_AGE, 2, 50), ticker);
    WrappedKey w = backend.generateDataKey("acme").wrapped();

    twoUses.unwrap("acme", w.bytes()).close(); // load = use 1
    SecretBytes cachedCopy = twoUses.peekCachedForTest("acme", w.bytes());
    twoUses.unwrap("acme", w.bytes()).close(); // hit = use 2, then dropped
    assertThat(cachedCopy.isWiped()).isTrue();
    twoUses.unwrap("acme", w.bytes()).close(); // reload

    assertThat(backend.unwraps.get()).isEqualTo(2);
    assertThat(twoUses.stats().hits()).isEqualTo(1);
    assertThat(twoUses.stats().evictions()).isEqualTo(1);
  }

  @Test
  void unwrap_moreKeysThanMaxEntries_boundedAndEvicted() {
    DekCache small = DekCache.wrap(backend, new DekCacheConfig(MAX_AGE, 100, 3), ticker);
    for (int i = 0; i < 10; i++) {
      small.unwrap("acme", backend.generateDataKey("acme").wrapped().bytes()).close();
    }
    small.cleanUp();

    assertThat(small.stats().size()).isLessThanOrEqualTo(3);
    assertThat(small.stats().evictions()).isGreaterThanOrEqualTo(7);
  }

  @Test
  void unwrap_maxEntriesZero_neverCaches() {
    DekCache off = DekCache.wrap(backend, new DekCacheConfig(MAX_AGE, 100, 0), ticker);
    WrappedKey w = off.generateDataKey("acme").wrapped();

    off.unwrap("acme", w.bytes()).close();
    off.unwrap("acme", w.bytes()).close();

    assertThat(backend.unwraps.get()).isEqualTo(2);
    assertThat(off.stats().size()).isZero();
  }

  @Test
  void invalidateTenant_dropsOnlyThatTenantAndWipes() {
    WrappedKey a = backend.generateDataKey("acme").wrapped();
    WrappedKey g = backend.generateDataKey("globex").wrapped();
    cache.unwrap("acme", a.bytes()).close();
    cache.unwrap("globex", g.bytes()).close();
    SecretBytes acmeCached = cache.peekCachedForTest("acme", a.bytes());

    cache.invalidateTenant("acme");

    assertThat(acmeCached.isWiped()).isTrue();
    cache.unwrap("globex", g.bytes()).close();
    cache.unwrap("acme", a.bytes()).close();
    assertThat(backend.unwraps.get()).isEqualTo(3);
  }

  @Test
  void unwrap_readersRacingEvictions_neverSeeAWipedOrWrongKey() throws Exception {
    int keys = 8;
    List<WrappedKey> wrapped = new ArrayList<>();
    List<byte[]> plain = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      DataKey k = backend.generateDataKey("acme");
      wrapped.add(k.wrapped());
      plain.add(k.plaintext().reveal(SecretAccess.RELEASE).clone());
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    AtomicLong bad = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> readers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      readers.add(
          pool.submit(
              () -> {
                int i = 0;
                while (!stop.get()) {
                  int k = i++ % keys;
                  try (SecretBytes dek = cache.unwrap("acme", wrapped.get(k).bytes())) {
                    if (!dek.contentEquals(plain.get(k))) {
                      bad.incrementAndGet();
                    }
                  }
                  reads.incrementAndGet();
                }
              }));
    }
    Future<?> evictor =
        pool.submit(
            () -> {
              while (!stop.get()) {
                cache.invalidateAll();
              }
            });
    while (reads.get() < 20_000 && readers.stream().noneMatch(Future::isDone)) {
      Thread.onSpinWait();
    }
    stop.set(true);
    for (Future<?> f : readers) {
      f.get(30, TimeUnit.SECONDS);
    }
    evictor.get(30, TimeUnit.SECONDS);
    pool.shutdown();

    System.out.printf("DEK cache race: %d reads, %d wrong or wiped%n", reads.get(), bad.get());
    assertThat(bad.get()).isZero();
  }

  @Test
  void close_wipesEveryCachedKey() {
    WrappedKey w = backend.generateDataKey("acme").wrapped();
    cache.unwrap("acme", w.bytes()).close();
    SecretBytes cachedCopy = cache.peekCachedForTest("acme", w.bytes());

    cache.close();

    assertThat(cachedCopy.isWiped()).isTrue();
  }

  /** Counts backend unwraps and can simulate an outage. */
  private static final class CountingKms implements Kms {
    final Kms delegate;
    final AtomicInteger unwraps = new AtomicInteger();
    final AtomicBoolean down = new AtomicBoolean();

    CountingKms(Kms delegate) {
      this.delegate = delegate;
    }

    @Override
    public DataKey generateDataKey(String tenantId) {
      return delegate.generateDataKey(tenantId);
    }

    @Override
    public SecretBytes unwrap(String tenantId, byte[] wrapped) {
      if (down.get()) {
        throw KmsException.unavailable("kms_unavailable", "KMS decrypt failed: HTTP 503", null);
      }
      unwraps.incrementAndGet();
      return delegate.unwrap(tenantId, wrapped);
    }

    @Override
    public WrappedKey wrap(String tenantId, SecretBytes dek) {
      return delegate.wrap(tenantId, dek);
    }

    @Override
    public WrappedKey rewrap(String tenantId, byte[] wrapped) {
      return delegate.rewrap(tenantId, wrapped);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
