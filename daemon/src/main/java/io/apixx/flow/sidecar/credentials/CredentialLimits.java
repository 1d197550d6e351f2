package io.apixx.flow.sidecar.credentials;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds of the credential capability's in-memory state.
 *
 * @param rowCacheTtl how long a stored (encrypted) credential row is served from memory: 0 turns
 *     the cache off, at most {@link #MAX_ROW_CACHE_TTL}. Rotation and revocation invalidate rows
 *     at once through {@code LISTEN/NOTIFY}; this lifetime is the bound when notifications are
 *     lost, so it must stay well under the one-second revocation promise.
 * @param rowCacheMaxEntries most cached rows
 * @param redactMaxSessions most run sessions whose released values are kept for Redact
 * @param redactMaxValuesPerSession most distinct released values kept per run session
 * @param redactMaxBytes most bytes of released values and their encodings kept in all (a soft
 *     bound: releases that run at the same moment may exceed it by their own size)
 * @param redactMaxOutputBytes longest Redact result, in UTF-8 bytes
 */
public record CredentialLimits(
    Duration rowCacheTtl,
    long rowCacheMaxEntries,
    int redactMaxSessions,
    int redactMaxValuesPerSession,
    long redactMaxBytes,
    int redactMaxOutputBytes) {

  /** Longest accepted {@link #rowCacheTtl()}: half of the one-second revocation promise. */
  public static final Duration MAX_ROW_CACHE_TTL = Duration.ofMillis(500);

  /**
   * @throws IllegalArgumentException naming the bound that is out of range
   */
  public CredentialLimits {
    Objects.requireNonNull(rowCacheTtl, "rowCacheTtl");
    if (rowCacheTtl.isNegative() || rowCacheTtl.compareTo(MAX_ROW_CACHE_TTL) > 0) {
      throw new IllegalArgumentException("rowCacheTtl must be between 0 and " + MAX_ROW_CACHE_TTL.toMillis() + " ms");
    }
    positive("rowCacheMaxEntries", rowCacheMaxEntries);
    positive("redactMaxSessions", redactMaxSessions);
    positive("redactMaxValuesPerSession", redactMaxValuesPerSession);
    positive("redactMaxBytes", redactMaxBytes);
    positive("redactMaxOutputBytes", redactMaxOutputBytes);
  }

  /**
   * The defaults: rows cached 250 ms (10,000 rows); Redact keeps up to 10,000 sessions, 256 values
   * per session, 64 MiB in all, and answers up to 1 MiB.
   */
  public static CredentialLimits defaults() {
    return new CredentialLimits(Duration.ofMillis(250), 10_000, 10_000, 256, 64L << 20, 1 << 20);
  }

  /** The same limits with another row-cache lifetime. */
  public CredentialLimits withRowCacheTtl(Duration ttl) {
    return new CredentialLimits(
        ttl, rowCacheMaxEntries, redactMaxSessions, redactMaxValuesPerSession, redactMaxBytes, redactMaxOutputBytes);
  }

  /** The same limits with other Redact memory bounds. */
  public CredentialLimits withRedactMemory(int maxSessions, int maxValuesPerSession, long maxBytes) {
    return new CredentialLimits(
        rowCacheTtl, rowCacheMaxEntries, maxSessions, maxValuesPerSession, maxBytes, redactMaxOutputBytes);
  }

  private static void positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }
}
