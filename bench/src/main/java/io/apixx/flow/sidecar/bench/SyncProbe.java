package io.apixx.flow.sidecar.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * The physical floor of making one audit record durable: write a record-sized chunk and {@code
 * fdatasync} it, with nothing else around it. {@link Mode#RESERVED} writes the way the spool does,
 * into space reserved ahead (a sparse file of the spool's segment size, so no write changes the
 * file size); {@link Mode#APPEND} grows the file with every write (what a naive spool pays: the
 * new size is written back too), reported beside it for comparison. Thread-safe (one write at a
 * time).
 */
public final class SyncProbe implements AutoCloseable {
  /** How the probe writes. */
  public enum Mode {
    RESERVED,
    APPEND
  }

  /** The spool's default segment size. */
  static final long FILE_BYTES = 16L << 20;

  private final RandomAccessFile file;
  private final FileChannel channel;
  private final ByteBuffer record;
  private final Mode mode;
  private long position;

  public SyncProbe(Path path, int recordBytes, Mode mode) throws IOException {
    this.file = new RandomAccessFile(path.toFile(), "rw");
    this.channel = file.getChannel();
    byte[] r = new byte[recordBytes];
    new SecureRandom().nextBytes(r);
    this.record = ByteBuffer.wrap(r);
    this.mode = mode;
    restart();
  }

  /** Writes one record and syncs it. */
  public synchronized void sync() throws IOException {
    if (position + record.capacity() > FILE_BYTES) {
      restart();
    }
    record.clear();
    while (record.hasRemaining()) {
      channel.write(record, position + record.position());
    }
    channel.force(false);
    position += record.capacity();
  }

  private void restart() throws IOException {
    file.setLength(0);
    if (mode == Mode.RESERVED) {
      file.setLength(FILE_BYTES);
    }
    channel.force(true);
    position = 0;
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
