package io.apixx.flow.sidecar.audit.collector;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * The keyset position of a Query page: time and id of its last row. Opaque to callers: base64url
 * (no padding) of 28 bytes, epoch seconds (8), nanoseconds (4), event id (16), big-endian.
 */
record PageToken(Instant time, UUID id) {
  private static final int LENGTH = 28;

  String encode() {
    ByteBuffer b = ByteBuffer.allocate(LENGTH);
    b.putLong(time.getEpochSecond()).putInt(time.getNano()).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /**
   * Parses a token from {@link #encode}; empty for an empty token (the first page).
   *
   * @throws CollectorException INVALID_ARGUMENT for anything else
   */
  static Optional<PageToken> parse(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    try {
      ByteBuffer b = ByteBuffer.wrap(Base64.getUrlDecoder().decode(token));
      if (b.remaining() != LENGTH) {
        throw CollectorException.invalid("page_token: malformed");
      }
      long seconds = b.getLong();
      int nanos = b.getInt();
      Instant time = Instant.ofEpochSecond(seconds, nanos);
      java.time.OffsetDateTime.ofInstant(time, java.time.ZoneOffset.UTC); // in range for queries
      return Optional.of(new PageToken(time, new UUID(b.getLong(), b.getLong())));
    } catch (IllegalArgumentException | java.time.DateTimeException | ArithmeticException e) {
      throw CollectorException.invalid("page_token: malformed");
    }
  }
}
