package io.apixx.flow.sidecar.crypto.kms;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Kms} decorator that caches unwrapped data keys, so a warm decrypt needs no KMS round
 * trip. Bounds ({@code kms.dek_cache.*}): an entry lives at most {@code max_age} after it was
 * unwrapped (expire-after-write, however often it is used), serves at most {@code max_uses}
 * unwraps, and at most {@code max_entries} entries are held.
 *
 * <ul>
 *   <li><b>Key</b>: tenant id plus the exact wrapped bytes (compared by content). The same wrapped
 *       bytes under another tenant are a different key, so nothing crosses tenants: such a miss
 *       goes to the backend, which refuses it.
 *   <li><b>Wiping</b>: each cached DEK sits in a {@link SecretBytes} that the removal listener
 *       wipes when the entry expires, is evicted for size, is used up, or is invalidated.
 *   <li><b>Readers never hold the cached array</b> (the choice made against use-after-wipe): a hit
 *       returns a fresh copy made under the entry's lock, and the wipe takes the same lock, so a
 *       reader gets either a complete copy or a miss, never a zeroed key. The caller owns and
 *       wipes its copy, as with any {@link Kms#unwrap}.
 *   <li><b>Age</b> is also checked on every hit against the entry's own load time, so no DEK is
 *       served after {@code max_age} whatever the state of the cache's maintenance.
 *   <li><b>Outage</b>: a miss calls the backend; its {@code UNAVAILABLE} passes through (fail
 *       closed). Cached keys keep serving until they expire.
 * </ul>
 *
 * <p>Time comes from the injected Caffeine {@link Ticker}; removal runs on the calling thread (and
 * on Caffeine's system scheduler for timely expiry in production). Counters are exposed through
 * {@link #stats()} for the metrics layer. Thread-safe.
 */
public final class DekCache implements Kms {
  private final Kms backend;
  private final Ticker ticker;
  private final long maxUses;
  private final long maxAgeNanos;
  private final boolean enabled;
  private final Cache<Key, Entry> cache;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder loadFailures = new LongAdder();

  /**
   * Counters since start.
   *
   * @param hits unwraps answered from the cache
   * @param misses unwraps that went to the backend
   * @param evictions entries dropped for age, size or use count
   * @param loadFailures backend unwraps that failed (bad ciphertext or outage)
   * @param size entries currently held (approximate)
   */
  public record Stats(long hits, long misses, long evictions, long loadFailures, long size) {}

  private DekCache(Kms backend, DekCacheConfig config, Ticker ticker, Scheduler scheduler) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    Duration maxAge = config.maxAge();
    this.maxAgeNanos = maxAge.toNanos();
    this.maxUses = config.maxUses();
    this.enabled = config.maxEntries() > 0;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(config.maxEntries())
            .expireAfterWrite(maxAge)
            .ticker(ticker)
            .executor(Runnable::run)
            .scheduler(scheduler)
            .removalListener(
                (Key key, Entry entry, RemovalCause cause) -> {
                  if (entry != null) {
                    entry.wipe();
                  }
                  if (cause.wasEvicted()) {
                    evictions.increment();
                  }
                })
            .build();
  }

  /**
   * Puts a cache in front of {@code backend}.
   *
   * @param ticker the time source ({@code Ticker.systemTicker()} in production, a fake in tests)
   */
  public static DekCache wrap(Kms backend, DekCacheConfig config, Ticker ticker) {
    Objects.requireNonNull(config, "config");
    Scheduler scheduler =
        ticker == Ticker.systemTicker() ? Scheduler.systemScheduler() : Scheduler.disabledScheduler();
    return new DekCache(backend, config, ticker, scheduler);
  }

  /** Delegates, and caches the new DEK (the first unwrap of a freshly sealed credential hits). */
  @Override
  public DataKey generateDataKey(String tenantId) {
    DataKey key = backend.generateDataKey(tenantId);
    if (enabled) {
      insert(new Key(tenantId, key.wrapped().bytes()), key.plaintext(), 0);
    }
    return key;
  }

  @Override
  public SecretBytes unwrap(String tenantId, byte[] wrapped) {
    Objects.requireNonNull(wrapped, "wrapped");
    Key key = new Key(Objects.requireNonNull(tenantId, "tenantId"), wrapped.clone());
    Entry entry = cache.getIfPresent(key);
    if (entry != null) {
      SecretBytes copy = entry.borrow(ticker.read(), maxUses, maxAgeNanos);
      if (copy != null) {
        hits.increment();
        if (entry.usedUp(maxUses) && cache.asMap().remove(key, entry)) {
          evictions.increment();
        }
        return copy;
      }
      cache.asMap().remove(key, entry);
    }
    misses.increment();
    SecretBytes dek;
    try {
      dek = backend.unwrap(tenantId, wrapped);
    } catch (RuntimeException e) {
      loadFailures.increment();
      throw e;
    }
    if (enabled && maxUses > 1) {
      // This unwrap is the entry's first use.
      insert(key, dek, 1);
    }
    return dek;
  }

  @Override
  public WrappedKey wrap(String tenantId, SecretBytes dek) {
    return backend.wrap(tenantId, dek);
  }

  @Override
  public WrappedKey rewrap(String tenantId, byte[] wrapped) {
    return backend.rewrap(tenantId, wrapped);
  }

  /** Drops (and wipes) every cached DEK of {@code tenantId}, e.g. after a key compromise. */
  public void invalidateTenant(String tenantId) {
    cache.asMap().keySet().removeIf(k -> k.tenantId().equals(tenantId));
  }

  /** Drops (and wipes) every cached DEK. */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  /** Runs pending expiry now (tests; production relies on the scheduler and ongoing traffic). */
  void cleanUp() {
    cache.cleanUp();
  }

  /** The cached (not copied) key for a cache entry, or null: for tests that check wiping. */
  SecretBytes peekCachedForTest(String tenantId, byte[] wrapped) {
    Entry e = cache.asMap().get(new Key(tenantId, wrapped.clone()));
    return e == null ? null : e.dek;
  }

  public Stats stats() {
    return new Stats(
        hits.sum(), misses.sum(), evictions.sum(), loadFailures.sum(), cache.estimatedSize());
  }

  /** Wipes every cached DEK and closes the backend. */
  @Override
  public void close() {
    cache.invalidateAll();
    cache.cleanUp();
    backend.close();
  }

  @Override
  public String toString() {
    return "DekCache[backend=" + backend + ", " + stats() + "]";
  }

  private void insert(Key key, SecretBytes dek, long usesSoFar) {
    Entry fresh = new Entry(SecretBytes.copyOf(dek.reveal(SecretAccess.RELEASE)), ticker.read(), usesSoFar);
    if (cache.asMap().putIfAbsent(key, fresh) != null) {
      // Another thread cached the same key first; ours was never visible.
      fresh.wipe();
    }
  }

  /** Cache key: tenant plus wrapped bytes, compared by content. Neither part is secret. */
  private record Key(String tenantId, byte[] wrapped) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && tenantId.equals(k.tenantId) && Arrays.equals(wrapped, k.wrapped);
    }

    @Override
    public int hashCode() {
      return 31 * tenantId.hashCode() + Arrays.hashCode(wrapped);
    }

    @Override
    public String toString() {
      return "Key[tenant=" + tenantId + "]";
    }
  }

  /** One cached DEK. All access to the key bytes happens under this object's monitor. */
  private static final class Entry {
    private final SecretBytes dek;
    private final long loadedAtNanos;
    private long uses;
    private boolean wiped;

    Entry(SecretBytes dek, long loadedAtNanos, long uses) {
      this.dek = dek;
      this.loadedAtNanos = loadedAtNanos;
      this.uses = uses;
    }

    /** A copy of the DEK counting one use, or null if wiped, too old or used up. */
    synchronized SecretBytes borrow(long nowNanos, long maxUses, long maxAgeNanos) {
      if (wiped || nowNanos - loadedAtNanos >= maxAgeNanos || uses >= maxUses) {
        return null;
      }
      uses++;
      return SecretBytes.copyOf(dek.reveal(SecretAccess.RELEASE));
    }

    synchronized boolean usedUp(long maxUses) {
      return uses >= maxUses;
    }

    synchronized void wipe() {
      wiped = true;
      dek.wipe();
    }

    @Override
    public String toString() {
      return "Entry[REDACTED]";
    }
  }
}
