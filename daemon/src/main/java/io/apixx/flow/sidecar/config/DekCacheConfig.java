package io.apixx.flow.sidecar.config;

import java.time.Duration;

/**
 * The cache of unwrapped data keys ({@code kms.dek_cache.*}). A cached DEK saves a KMS round trip
 * per decrypt; the bounds limit how long and how often one plaintext key lives in memory.
 *
 * @param maxAge a DEK is dropped (and wiped) this long after it was unwrapped, however often it is
 *     used; 1s to 1h
 * @param maxUses a DEK is dropped after serving this many decrypts; 1 to 1,000,000,000
 * @param maxEntries at most this many DEKs are held; 0 turns the cache off (every decrypt unwraps)
 */
public record DekCacheConfig(Duration maxAge, long maxUses, long maxEntries) {

  void validate() {
    Check.positive("kms.dek_cache.max_age", maxAge);
    Check.range("kms.dek_cache.max_age", maxAge.toMillis(), 1000, 3_600_000);
    Check.range("kms.dek_cache.max_uses", maxUses, 1, 1_000_000_000L);
    Check.range("kms.dek_cache.max_entries", maxEntries, 0, 10_000_000L);
  }
}
