package io.apixx.flow.sidecar.credentials;

import io.apixx.flow.sidecar.error.SidecarException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What Redact needs to remember: for each run session, the secret values released to it and
 * their encodings ({@link SecretEncodings}), kept until the session's expiry and no longer.
 *
 * <h2>Memory and secret retention</h2>
 *
 * Redact can only mask what it remembers, and remembering means holding plaintext secrets (and
 * their encodings) in memory beyond the GetCredential call. The choices:
 *
 * <ul>
 *   <li><b>How long</b>: until the run session expires ({@code RunPrincipal.expiresAt}, the run
 *       token's {@code exp}) and no longer: after that the session cannot call Redact, so nothing
 *       is lost by forgetting. Expired sessions are wiped on the next call of any method, judged
 *       by the injected {@link Clock}. A session revoked early is kept until its expiry (its
 *       values are still known to the run, and the memory is bounded anyway).
 *   <li><b>How much</b>: at most {@code maxSessions} sessions, {@code maxValuesPerSession}
 *       distinct values per session, and about {@code maxBytes} of values plus encodings in all
 *       (a value of n bytes costs about 12n with its encodings). A live session's values are
 *       never evicted to make room: Redact silently missing a secret would let it into run
 *       payloads and logs. Instead a release that would exceed a bound fails with
 *       RESOURCE_EXHAUSTED <em>before</em> anything is released (fail closed), with a retry-after
 *       of the time until the earliest session expires (at most a minute). A run can only grow its own session by
 *       the values of the connectors its token lists (a repeated release adds nothing), so the
 *       bound is reached only by a daemon that serves far more sessions than it was sized for.
 *   <li><b>Wiping</b>: every array is zeroed when its session expires or is dropped. The payload
 *       and result strings of Redact calls are the caller's data and are not held.
 * </ul>
 *
 * <h2>Matching</h2>
 *
 * Byte-wise on the payload's UTF-8 form, leftmost-longest: at each position the longest known
 * pattern that matches is replaced and the scan continues after it, so an encoding that contains
 * another secret is masked whole. Patterns are well-formed UTF-8 that start with a lead byte, so a
 * match always covers whole characters. Candidates are found by their first byte; the cost is
 * about (payload length × patterns sharing a first byte), well under a millisecond for the sizes
 * involved (payloads up to the message size limit, tens of patterns per session).
 *
 * <p>Thread-safe: one lock guards the table; matching runs under its session's lock, which expiry
 * also takes before it wipes.
 */
final class ReleasedSecrets {
  private final Clock clock;
  private final int maxSessions;
  private final int maxValuesPerSession;
  private final long maxBytes;
  private final Map<String, Session> sessions = new HashMap<>();
  private long bytes;
  /** No session expires before this: purging is a comparison until then, not a scan. */
  private Instant earliestExpiry = Instant.MAX;

  ReleasedSecrets(Clock clock, int maxSessions, int maxValuesPerSession, long maxBytes) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxSessions = maxSessions;
    this.maxValuesPerSession = maxValuesPerSession;
    this.maxBytes = maxBytes;
  }

  /** One run session's patterns. Guarded by its own monitor. */
  private static final class Session {
    final Instant expiresAt;
    final List<byte[]> values = new ArrayList<>();
    final List<byte[]> patterns = new ArrayList<>();
    /** Patterns by first byte, longest first; rebuilt on every change. */
    byte[][][] byFirstByte = new byte[256][][];
    long bytes;
    boolean wiped;

    Session(Instant expiresAt) {
      this.expiresAt = expiresAt;
    }

    boolean knows(byte[] value) {
      for (byte[] v : values) {
        if (Arrays.equals(v, value)) {
          return true;
        }
      }
      return false;
    }

    void add(byte[] value, List<byte[]> variants) {
      values.add(value.clone());
      patterns.addAll(variants);
      bytes += value.length;
      for (byte[] p : variants) {
        bytes += p.length;
      }
      List<List<byte[]>> buckets = new ArrayList<>(256);
      for (int i = 0; i < 256; i++) {
        buckets.add(new ArrayList<>());
      }
      for (byte[] p : patterns) {
        buckets.get(p[0] & 0xff).add(p);
      }
      byte[][][] index = new byte[256][][];
      for (int i = 0; i < 256; i++) {
        List<byte[]> bucket = buckets.get(i);
        if (!bucket.isEmpty()) {
          bucket.sort(Comparator.comparingInt((byte[] p) -> p.length).reversed());
          index[i] = bucket.toArray(new byte[0][]);
        }
      }
      byFirstByte = index;
    }

    void wipe() {
      wiped = true;
      values.forEach(v -> Arrays.fill(v, (byte) 0));
      patterns.forEach(p -> Arrays.fill(p, (byte) 0));
      values.clear();
      patterns.clear();
      byFirstByte = new byte[256][][];
    }
  }

  /** The key of a run session: its tenant, run and session-token hash. */
  static String key(String tenantId, String runId, String sessionHash) {
    return tenantId + "\u0000" + runId + "\u0000" + sessionHash;
  }

  /**
   * Checks that {@code values} could be remembered for the session; call before releasing them.
   *
   * @throws SidecarException RESOURCE_EXHAUSTED when a bound would be exceeded
   */
  synchronized void checkRoom(String session, List<byte[]> values) {
    purgeExpired();
    Session s = sessions.get(session);
    long adding = 0;
    int newValues = 0;
    int known;
    synchronized (s == null ? this : s) {
      known = s == null ? 0 : s.values.size();
      for (byte[] v : values) {
        if (v.length >= SecretEncodings.MIN_SECRET_BYTES && (s == null || !s.knows(v))) {
          newValues++;
          // A value and its encodings: base64 (4/3, four forms), percent (up to 3n, three
          // forms), JSON (up to 6n): 13n is a safe estimate for planning.
          adding += v.length * 13L;
        }
      }
    }
    if (newValues == 0) {
      return;
    }
    if ((s == null && sessions.size() >= maxSessions)
        || known + newValues > maxValuesPerSession
        || bytes + adding > maxBytes) {
      throw SidecarException.resourceExhausted(
          "redaction_memory_full",
          "the daemon cannot remember more released secrets for redaction; retry later",
          untilEarliestExpiry());
    }
  }

  /**
   * Remembers {@code values} (well-formed UTF-8) as released to the session, which expires at
   * {@code expiresAt}. Values shorter than {@link SecretEncodings#MIN_SECRET_BYTES} and values
   * already known are skipped. The arrays stay owned by the caller.
   */
  synchronized void remember(String session, Instant expiresAt, List<byte[]> values) {
    purgeExpired();
    if (!expiresAt.isAfter(clock.instant())) {
      return;
    }
    Session s = sessions.computeIfAbsent(session, k -> new Session(expiresAt));
    if (s.expiresAt.isBefore(earliestExpiry)) {
      earliestExpiry = s.expiresAt;
    }
    synchronized (s) {
      for (byte[] v : values) {
        if (v.length < SecretEncodings.MIN_SECRET_BYTES || s.knows(v)) {
          continue;
        }
        long before = s.bytes;
        s.add(v, SecretEncodings.variants(v));
        bytes += s.bytes - before;
      }
    }
  }

  /**
   * Replaces every occurrence of the session's remembered patterns in {@code payload} with
   * {@code mask}.
   *
   * @throws CredentialException INVALID_ARGUMENT naming {@code mask} when the result would exceed
   *     {@code maxOutputBytes}
   */
  RedactionResult redact(String session, String payload, String mask, int maxOutputBytes) {
    Session s;
    synchronized (this) {
      purgeExpired();
      s = sessions.get(session);
    }
    if (s == null) {
      return new RedactionResult(payload, 0);
    }
    byte[] in = payload.getBytes(StandardCharsets.UTF_8);
    byte[] maskBytes = mask.getBytes(StandardCharsets.UTF_8);
    synchronized (s) {
      if (s.wiped) {
        return new RedactionResult(payload, 0);
      }
      byte[][][] index = s.byFirstByte;
      Output out = new Output(Math.min(in.length, maxOutputBytes), maxOutputBytes);
      int replacements = 0;
      int i = 0;
      while (i < in.length) {
        byte[] match = longestAt(index[in[i] & 0xff], in, i);
        if (match != null) {
          out.put(maskBytes, 0, maskBytes.length);
          replacements++;
          i += match.length;
        } else {
          int start = i++;
          // Copy the run of bytes up to the next byte that starts some pattern.
          while (i < in.length && index[in[i] & 0xff] == null) {
            i++;
          }
          out.put(in, start, i - start);
        }
      }
      if (replacements == 0) {
        return new RedactionResult(payload, 0);
      }
      return new RedactionResult(out.string(), replacements);
    }
  }

  private static byte[] longestAt(byte[][] candidates, byte[] in, int at) {
    if (candidates == null) {
      return null;
    }
    for (byte[] p : candidates) {
      if (p.length <= in.length - at && Arrays.equals(p, 0, p.length, in, at, at + p.length)) {
        return p;
      }
    }
    return null;
  }

  /** Number of sessions remembered (after dropping expired ones). */
  synchronized int sessionCount() {
    purgeExpired();
    return sessions.size();
  }

  /** Bytes of values and encodings remembered (after dropping expired sessions). */
  synchronized long byteCount() {
    purgeExpired();
    return bytes;
  }

  /** Wipes and forgets everything (shutdown). */
  synchronized void clear() {
    for (Session s : sessions.values()) {
      synchronized (s) {
        s.wipe();
      }
    }
    sessions.clear();
    bytes = 0;
    earliestExpiry = Instant.MAX;
  }

  private void purgeExpired() {
    Instant now = clock.instant();
    if (earliestExpiry.isAfter(now)) {
      return;
    }
    Instant earliest = Instant.MAX;
    for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
      Session s = it.next();
      if (!s.expiresAt.isAfter(now)) {
        synchronized (s) {
          bytes -= s.bytes;
          s.wipe();
        }
        it.remove();
      } else if (s.expiresAt.isBefore(earliest)) {
        earliest = s.expiresAt;
      }
    }
    earliestExpiry = earliest;
  }

  /** Until the earliest session expires, between a second and a minute (a hint, not a promise). */
  private Duration untilEarliestExpiry() {
    Instant now = clock.instant();
    Duration best = Duration.ofMinutes(1);
    for (Session s : sessions.values()) {
      Duration d = Duration.between(now, s.expiresAt);
      if (d.compareTo(best) < 0) {
        best = d;
      }
    }
    return best.isNegative() || best.isZero() ? Duration.ofSeconds(1) : best;
  }

  /** Output buffer with a hard size bound. */
  private static final class Output {
    private byte[] buf;
    private int len;
    private final int max;

    Output(int capacity, int max) {
      this.buf = new byte[Math.max(64, capacity)];
      this.max = max;
    }

    void put(byte[] src, int off, int n) {
      if ((long) len + n > max) {
        throw CredentialException.invalid("mask: the redacted payload would exceed " + max + " bytes");
      }
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max((long) buf.length * 2, (long) len + n)));
      }
      System.arraycopy(src, off, buf, len, n);
      len += n;
    }

    String string() {
      return new String(buf, 0, len, StandardCharsets.UTF_8);
    }
  }
}
