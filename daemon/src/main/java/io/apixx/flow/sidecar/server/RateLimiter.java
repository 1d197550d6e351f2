package io.apixx.flow.sidecar.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Token buckets by key (a principal, a tenant): {@code ratePerSecond} tokens a second up to
 * {@code burst}. Buckets of idle keys are forgotten after a minute; at most {@code maxKeys} are
 * kept. Thread-safe.
 */
public final class RateLimiter {
  private final double ratePerNano;
  private final double burst;
  private final LongSupplier nanoTime;
  private final Cache<String, Bucket> buckets;

  private static final class Bucket {
    double tokens;
    long updated;

    Bucket(double tokens, long updated) {
      this.tokens = tokens;
      this.updated = updated;
    }
  }

  public RateLimiter(double ratePerSecond, int burst, int maxKeys, LongSupplier nanoTime) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.nanoTime = nanoTime;
    // Maintenance (expiry, eviction) on the calling thread: no hand-off to the common pool, whose
    // wake-ups cost more than the cache saves on this hot path.
    this.buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(1)).maximumSize(maxKeys).executor(Runnable::run).build();
  }

  /** Takes one token for {@code key}; returns zero when allowed, else how long until one is available. */
  public Duration acquire(String key) {
    long now = nanoTime.getAsLong();
    Bucket b = buckets.get(key, k -> new Bucket(burst, now));
    synchronized (b) {
      b.tokens = Math.min(burst, b.tokens + (now - b.updated) * ratePerNano);
      b.updated = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return Duration.ZERO;
      }
      return Duration.ofNanos((long) Math.ceil((1 - b.tokens) / ratePerNano));
    }
  }
}
