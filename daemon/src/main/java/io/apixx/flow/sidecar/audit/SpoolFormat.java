package io.apixx.flow.sidecar.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The on-disk format of the audit spool.
 *
 * <p>A spool is a directory of append-only segment files named {@code seg-<first sequence, 20
 * digits>.log}. A segment is:
 *
 * <pre>
 * offset 0  4 bytes  magic "FSAS"
 *        4  1 byte   format version (1)
 *        5  3 bytes  zero
 *        8  records, each:
 *             4 bytes  payload length N, unsigned big-endian, 1..{@value #MAX_PAYLOAD}
 *             4 bytes  CRC-32C of the payload, big-endian
 *             N bytes  payload: a serialized apixx.flow.sidecar.v1.AuditEvent
 * </pre>
 *
 * A record is valid when its length is in range, its checksum matches and its payload parses.
 * Reading stops at the first invalid record: after a crash that is the torn tail of the last
 * write, and {@link #scan} reports the offset where the valid prefix ends so it can be cut.
 *
 * <p>The file may be longer than its records: the spool reserves the rest of a segment ahead
 * as a sparse tail of zeros (its size set once, so that each sync of an append has no file size
 * to write back: one write to the disk instead of two). A frame header of eight zero bytes (a
 * record is never empty) is therefore the clean end of the records, not a torn tail.
 */
public final class SpoolFormat {
  static final byte[] MAGIC = "FSAS".getBytes(StandardCharsets.US_ASCII);
  static final byte VERSION = 1;
  /** Size of the segment header. */
  public static final int HEADER = 8;
  /** Size of a record's frame before its payload. */
  public static final int FRAME = 8;
  /** Largest payload accepted. */
  public static final int MAX_PAYLOAD = 64 * 1024;

  private static final Pattern NAME = Pattern.compile("seg-(\\d{20})\\.log");

  private SpoolFormat() {}

  static String segmentName(long firstSequence) {
    return String.format("seg-%020d.log", firstSequence);
  }

  /** The first sequence of a segment file name, or -1 if it is not one. */
  static long firstSequenceOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  static ByteBuffer header() {
    ByteBuffer b = ByteBuffer.allocate(HEADER);
    b.put(MAGIC).put(VERSION).put(new byte[3]).flip();
    return b;
  }

  /** Appends a framed record for {@code payload} to {@code out}. */
  static void frame(byte[] payload, ByteBuffer out) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    out.putInt(payload.length).putInt((int) crc.getValue()).put(payload);
  }

  /** A record read back, with where it ends in its segment. */
  public record Entry(io.apixx.flow.sidecar.v1.AuditEvent event, long endOffset) {}

  /** What a scan found. */
  public record Scan(List<Entry> entries, long validEnd, boolean headerValid, boolean tornTail) {}

  /**
   * Reads every valid record of a segment from {@code fromOffset} (the header is checked when
   * reading from 0) up to {@code limit} bytes of the file, stopping at the first invalid one.
   */
  public static Scan scan(Path segment, long fromOffset, long limit) throws IOException {
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
      return scan(ch, fromOffset, Math.min(limit, ch.size()));
    }
  }

  static Scan scan(FileChannel ch, long fromOffset, long end) throws IOException {
    List<Entry> out = new ArrayList<>();
    long pos = fromOffset;
    if (pos == 0) {
      if (end < HEADER) {
        return new Scan(out, 0, false, end > 0);
      }
      ByteBuffer h = ByteBuffer.allocate(HEADER);
      readFully(ch, h, 0);
      h.flip();
      byte[] magic = new byte[4];
      h.get(magic);
      if (!java.util.Arrays.equals(magic, MAGIC) || h.get() != VERSION) {
        return new Scan(out, 0, false, true);
      }
      pos = HEADER;
    }
    ByteBuffer frame = ByteBuffer.allocate(FRAME);
    while (pos + FRAME <= end) {
      frame.clear();
      readFully(ch, frame, pos);
      frame.flip();
      int len = frame.getInt();
      int crc = frame.getInt();
      if (len == 0 && crc == 0) {
        return new Scan(out, pos, true, false); // the reserved tail
      }
      if (len <= 0 || len > MAX_PAYLOAD || pos + FRAME + len > end) {
        return new Scan(out, pos, true, true);
      }
      ByteBuffer payload = ByteBuffer.allocate(len);
      readFully(ch, payload, pos + FRAME);
      CRC32C c = new CRC32C();
      c.update(payload.array());
      if ((int) c.getValue() != crc) {
        return new Scan(out, pos, true, true);
      }
      try {
        out.add(new Entry(io.apixx.flow.sidecar.v1.AuditEvent.parseFrom(payload.array()), pos + FRAME + len));
      } catch (InvalidProtocolBufferException e) {
        return new Scan(out, pos, true, true);
      }
      pos += FRAME + len;
    }
    return new Scan(out, pos, true, pos != end);
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    long p = pos;
    while (b.hasRemaining()) {
      int n = ch.read(b, p);
      if (n < 0) {
        throw new IOException("unexpected end of segment");
      }
      p += n;
    }
  }
}
