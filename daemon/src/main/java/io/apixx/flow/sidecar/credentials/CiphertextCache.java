package io.apixx.flow.sidecar.credentials;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.apixx.flow.sidecar.persistence.ChangeFeed;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short-lived cache of stored credential rows (ciphertext and wrapped key, never plaintext), so
 * a burst of GetCredential calls for one connector costs one database read.
 *
 * <h2>Why a rotated or revoked credential stops being served within one second</h2>
 *
 * <ol>
 *   <li>Every write to {@code flow.connector_credentials} (a new version, a revocation, a re-wrap)
 *       fires a {@code flow_credentials} notification at commit; {@link #notified} drops that
 *       connector's row, so the next release reads the committed state. With the change feed
 *       connected this takes the notification's delivery time (milliseconds).
 *   <li>When the feed reconnects, notifications sent meanwhile are lost: {@link #resync} drops
 *       every row.
 *   <li>While the feed is down nothing tells this cache about changes, so a row is never served
 *       longer than the TTL after it was read (at most {@link CredentialLimits#MAX_ROW_CACHE_TTL},
 *       250 ms by default). Time comes from a monotonic {@link Ticker}, never the wall clock, so
 *       a clock step cannot stretch it.
 *   <li>A read that started before a change committed but finishes after its notification must
 *       not put the old row back. Each invalidation first advances an epoch and then removes the
 *       entry; a load remembers the epoch it started in, inserts, and removes its own entry again
 *       if the epoch moved. Whichever order the two threads run in, the stale row is gone once
 *       both are done.
 * </ol>
 *
 * Absence is not cached (a freshly sealed credential is served at once). Thread-safe.
 */
final class CiphertextCache implements ChangeFeed.Listener {
  private static final Logger log = LoggerFactory.getLogger(CiphertextCache.class);

  private record Key(String tenantId, String connectorId) {}

  private record Entry(StoredCredential row, long epoch) {}

  private final Cache<Key, Entry> cache;
  private final boolean enabled;
  private final AtomicLong epoch = new AtomicLong();

  CiphertextCache(Duration ttl, long maxEntries, Ticker ticker) {
    this.enabled = !ttl.isZero();
    this.cache =
        Caffeine.newBuilder()
            .expireAfterWrite(enabled ? ttl : Duration.ofNanos(1))
            .maximumSize(maxEntries)
            .ticker(ticker)
            .executor(Runnable::run)
            .build();
  }

  /** The cached row of the connector, or what {@code loader} reads (cached if present). */
  Optional<StoredCredential> get(String tenantId, String connectorId, Supplier<Optional<StoredCredential>> loader) {
    if (!enabled) {
      return loader.get();
    }
    Key key = new Key(tenantId, connectorId);
    Entry cached = cache.getIfPresent(key);
    if (cached != null) {
      return Optional.of(cached.row());
    }
    long started = epoch.get();
    Optional<StoredCredential> loaded = loader.get();
    if (loaded.isPresent()) {
      Entry fresh = new Entry(loaded.get(), started);
      cache.put(key, fresh);
      if (epoch.get() != started) {
        // An invalidation ran while we read: our row may predate it.
        cache.asMap().remove(key, fresh);
      }
    }
    return loaded;
  }

  /** Drops one connector's row (after this daemon changed it, or on a notification). */
  void invalidate(String tenantId, String connectorId) {
    epoch.incrementAndGet();
    cache.invalidate(new Key(tenantId, connectorId));
  }

  void invalidateAll() {
    epoch.incrementAndGet();
    cache.invalidateAll();
  }

  /**
   * A {@code flow_credentials} payload: {@code {"tenant_id", "connector_id", "version", "event"}}.
   * Anything unreadable drops every row (the safe direction): not a JSON object, or {@code
   * tenant_id} or {@code connector_id} missing, empty or not a string.
   */
  @Override
  public void notified(String payload) {
    try {
      Map<String, Object> n = JSONObjectUtils.parse(payload); // null for the payload "null"
      if (n != null
          && n.get("tenant_id") instanceof String tenant
          && !tenant.isEmpty()
          && n.get("connector_id") instanceof String connector
          && !connector.isEmpty()) {
        invalidate(tenant, connector);
        return;
      }
    } catch (Exception e) {
      // fall through
    }
    log.warn("unreadable flow_credentials notification; dropping every cached credential row");
    invalidateAll();
  }

  @Override
  public void resync() {
    invalidateAll();
  }

  long size() {
    return cache.estimatedSize();
  }
}
