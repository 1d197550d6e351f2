package io.apixx.flow.sidecar.audit;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;

/** UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, 74 random bits. Time-ordered. */
public final class EventIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private EventIds() {}

  public static UUID newId(Instant time) {
    long ms = time.toEpochMilli();
    byte[] r = new byte[10];
    RANDOM.nextBytes(r);
    long msb = (ms & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | ((r[0] & 0x0FL) << 8) | (r[1] & 0xFFL);
    long lsb = 0x8000_0000_0000_0000L | (bytesToLong(r, 2) & 0x3FFF_FFFF_FFFF_FFFFL);
    return new UUID(msb, lsb);
  }

  private static long bytesToLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFFL);
    }
    return v;
  }
}
