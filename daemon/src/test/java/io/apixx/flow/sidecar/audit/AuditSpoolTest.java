package io.apixx.flow.sidecar.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.apixx.flow.sidecar.auth.Peer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditSpoolTest {
  @TempDir Path dir;

  final List<Boolean> healthChanges = new CopyOnWriteArrayList<>();

  AuditSpool open(long maxBytes, long segmentBytes) throws IOException {
    return AuditSpool.open(new AuditSpool.Settings(dir, maxBytes, segmentBytes, 10_000, 1024), "us-east-1", "test-host", healthChanges::add);
  }

  static AuditEvent event(int i) {
    return new AuditEvent(
        "acme",
        new AuditEvent.Actor(AuditEvent.Kind.RUN, "run-" + i, "ab".repeat(32)),
        Actions.CREDENTIAL_RELEASE,
        "connector/github-main/v1",
        AuditEvent.Outcome.SUCCESS,
        "",
        "req-" + i,
        Peer.unix(100 + i, 1000),
        Instant.parse("2026-11-29T12:00:00Z").plusMillis(i),
        Map.of("n", Integer.toString(i)));
  }

  static void assertChain(List<io.apixx.flow.sidecar.v1.AuditEvent> events, long firstSeq, ByteString prev) {
    long expected = firstSeq;
    ByteString p = prev;
    for (io.apixx.flow.sidecar.v1.AuditEvent e : events) {
      assertThat(e.getSequence()).isEqualTo(expected++);
      assertThat(AuditRecords.verifies(e, p)).as("chain at %d", e.getSequence()).isTrue();
      p = e.getHash();
    }
  }

  @Test
  void record_thenRead_returnsChainedDurableEvents() throws Exception {
    try (AuditSpool spool = open(1 << 20, 1 << 16)) {
      for (int i = 0; i < 10; i++) {
        spool.record(event(i));
      }
      List<io.apixx.flow.sidecar.v1.AuditEvent> read = spool.read(0, 100);
      assertThat(read).hasSize(10);
      assertChain(read, 1, AuditRecords.GENESIS);
      assertThat(read.get(3).getActor().getId()).isEqualTo("run-3");
      assertThat(read.get(3).getDaemonInstance()).isEqualTo(spool.instance()).startsWith("test-host-");
      assertThat(read.get(3).getRegion()).isEqualTo("us-east-1");
      assertThat(read.stream().map(io.apixx.flow.sidecar.v1.AuditEvent::getEventId).distinct()).hasSize(10);
      assertThat(spool.read(7, 100)).extracting(io.apixx.flow.sidecar.v1.AuditEvent::getSequence).containsExactly(8L, 9L, 10L);
    }
  }

  @Test
  void record_concurrentWriters_contiguousChainAndGroupCommit() throws Exception {
    try (AuditSpool spool = open(64 << 20, 1 << 20)) {
      ExecutorService pool = Executors.newFixedThreadPool(32);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 32; t++) {
        int base = t * 100;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            spool.record(event(base + i));
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      List<io.apixx.flow.sidecar.v1.AuditEvent> read = spool.read(0, 10_000);
      assertThat(read).hasSize(3200);
      assertChain(read, 1, AuditRecords.GENESIS);
      Set<String> runs = new HashSet<>();
      read.forEach(e -> runs.add(e.getActor().getId()));
      assertThat(runs).hasSize(3200);
      // Group commit: many records share one fdatasync.
      assertThat(spool.syncCount()).isLessThan(3200 / 2);
    }
  }

  @Test
  void record_callerInterrupted_recordIsDurableInterruptKeptAndSpoolStillWrites() throws Exception {
    // Callers commit their own records; an interrupt must not close the FileChannel under them
    // (it is interruptible) nor abandon a record another caller may be writing.
    try (AuditSpool spool = open(1 << 20, 1 << 16)) {
      Thread.currentThread().interrupt();
      try {
        spool.record(event(1));
        assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
      } finally {
        Thread.interrupted();
      }
      spool.record(event(2));
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int base = 100 * (t + 1);
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 50; i++) {
            if (i % 7 == 0) {
              Thread.currentThread().interrupt();
            }
            spool.record(event(base + i));
            Thread.interrupted();
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      List<io.apixx.flow.sidecar.v1.AuditEvent> read = spool.read(0, 1000);
      assertThat(read).hasSize(2 + 8 * 50);
      assertChain(read, 1, AuditRecords.GENESIS);
      assertThat(spool.isHealthy()).isTrue();
    }
  }

  @Test
  void close_whileCallersCommit_everyCallerReturnsAndEveryAcceptedRecordIsDurable() throws Exception {
    AuditSpool spool = open(64 << 20, 1 << 20);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      int base = 1000 * (t + 1);
      fs.add(pool.submit(() -> {
        for (int i = 0; i < 1000; i++) {
          try {
            spool.record(event(base + i));
            ok.incrementAndGet();
          } catch (AuditUnavailableException e) {
            refused.incrementAndGet();
            assertThat(e.getMessage()).contains("closed");
            return null;
          }
        }
        return null;
      }));
    }
    Thread.sleep(200);
    spool.close();
    for (Future<?> f : fs) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(refused.get()).as("callers refused after close").isPositive();
    try (AuditSpool again = open(64 << 20, 1 << 20)) {
      List<io.apixx.flow.sidecar.v1.AuditEvent> read = again.read(0, 100_000);
      assertThat(read).hasSize(ok.get());
      assertChain(read, 1, AuditRecords.GENESIS);
    }
  }

  @Test
  void open_afterCrashWithTornTail_cutsItAndContinuesTheChain() throws Exception {
    AuditSpool spool = open(1 << 20, 1 << 20);
    for (int i = 0; i < 5; i++) {
      spool.record(event(i));
    }
    String instance = spool.instance();
    spool.close();
    Path seg;
    try (Stream<Path> s = Files.list(dir)) {
      seg = s.filter(p -> p.getFileName().toString().startsWith("seg-")).findFirst().orElseThrow();
    }
    // The file is reserved ahead (a zero tail); the records end where the scan stops cleanly.
    SpoolFormat.Scan before = SpoolFormat.scan(seg, 0, Long.MAX_VALUE);
    assertThat(before.tornTail()).isFalse();
    assertThat(before.entries()).hasSize(5);
    long validSize = before.validEnd();
    // A crash in the middle of the next write: a frame header promising more bytes than follow.
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(12).putInt(500).putInt(1234).putInt(42).flip(), validSize);
    }
    try (AuditSpool reopened = open(1 << 20, 1 << 20)) {
      assertThat(Files.size(seg)).isEqualTo(validSize);
      assertThat(reopened.instance()).isEqualTo(instance);
      reopened.record(event(5));
      List<io.apixx.flow.sidecar.v1.AuditEvent> read = reopened.read(0, 100);
      assertThat(read).hasSize(6);
      assertChain(read, 1, AuditRecords.GENESIS);
    }
  }

  @Test
  void segment_reservedAheadAsZeros_restartContinuesAtTheLastRecordWithoutCutting() throws Exception {
    long segmentBytes = 1 << 20;
    try (AuditSpool spool = open(8 << 20, segmentBytes)) {
      for (int i = 0; i < 10; i++) {
        spool.record(event(i));
      }
    }
    Path seg;
    try (Stream<Path> s = Files.list(dir)) {
      seg = s.filter(p -> p.getFileName().toString().startsWith("seg-")).findFirst().orElseThrow();
    }
    // The whole segment is reserved (sparse: no disk blocks for the zeros), so appends change no
    // file size; the records end at a zero frame header.
    assertThat(Files.size(seg)).isEqualTo(segmentBytes);
    SpoolFormat.Scan scan = SpoolFormat.scan(seg, 0, Long.MAX_VALUE);
    assertThat(scan.entries()).hasSize(10);
    assertThat(scan.tornTail()).isFalse();
    assertThat(scan.validEnd()).isLessThan(segmentBytes);

    try (AuditSpool reopened = open(8 << 20, segmentBytes)) {
      assertThat(reopened.durableSequence()).isEqualTo(10);
      reopened.record(event(10));
      assertThat(Files.size(seg)).isEqualTo(segmentBytes);
      List<io.apixx.flow.sidecar.v1.AuditEvent> read = reopened.read(0, 100);
      assertThat(read).hasSize(11);
      assertChain(read, 1, AuditRecords.GENESIS);
      assertThat(reopened.unacknowledgedBytes()).as("counts records, not the reserve").isLessThan(segmentBytes / 8);
    }
  }

  @Test
  void acknowledge_deletesAcknowledgedSegmentsAndSurvivesRestart() throws Exception {
    AuditSpool spool = open(8 << 20, 2048);
    for (int i = 0; i < 100; i++) {
      spool.record(event(i));
    }
    long segmentsBefore = segmentCount();
    assertThat(segmentsBefore).isGreaterThan(3);
    io.apixx.flow.sidecar.v1.AuditEvent e60 = spool.read(59, 1).get(0);
    spool.acknowledge(60, e60.getHash());
    assertThat(segmentCount()).isLessThan(segmentsBefore);
    assertThat(spool.read(0, 1000).get(0).getSequence()).isLessThanOrEqualTo(61);
    spool.close();
    try (AuditSpool reopened = open(8 << 20, 2048)) {
      assertThat(reopened.acknowledgedSequence()).isEqualTo(60);
      List<io.apixx.flow.sidecar.v1.AuditEvent> rest = reopened.read(60, 1000);
      assertThat(rest).hasSize(40);
      assertChain(rest, 61, e60.getHash());
      // Acknowledging everything still keeps the chain going after a restart.
      reopened.acknowledge(100, rest.get(39).getHash());
      reopened.record(event(100));
      assertChain(reopened.read(100, 10), 101, rest.get(39).getHash());
    }
  }

  @Test
  void record_spoolFull_unavailableUntilAcknowledged() throws Exception {
    try (AuditSpool spool = open(4096, 2048)) {
      AuditUnavailableException refused = null;
      int written = 0;
      for (int i = 0; i < 100 && refused == null; i++) {
        try {
          spool.record(event(i));
          written++;
        } catch (AuditUnavailableException e) {
          refused = e;
        }
      }
      assertThat(refused).isNotNull();
      assertThat(refused.getMessage()).contains("full");
      assertThat(spool.isHealthy()).isFalse();
      assertThat(healthChanges).contains(false);
      assertThat(spool.probe()).isFalse();
      io.apixx.flow.sidecar.v1.AuditEvent last = spool.read(written - 1, 1).get(0);
      spool.acknowledge(written, last.getHash());
      assertThat(spool.probe()).isTrue();
      assertThat(healthChanges.get(healthChanges.size() - 1)).isTrue();
      spool.record(event(1000));
      assertThat(spool.durableSequence()).isEqualTo(written + 1);
    }
  }

  @Test
  void record_diskFull_unavailableThenRecoversWhenSpaceReturns() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("tmpfs"));
    boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString()) == 0;
    assertThat(mounted).as("this test needs root to mount a 256 KiB tmpfs (CI runs as root)").isTrue();
    try {
      Path spoolDir = mount.resolve("spool");
      try (AuditSpool spool = AuditSpool.open(new AuditSpool.Settings(spoolDir, 64 << 20, 1 << 20, 1000, 64), "us-east-1", "h", healthChanges::add)) {
        spool.record(event(0));
        Path filler = mount.resolve("filler");
        // Fill the file system to the last block.
        try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
          ByteBuffer block = ByteBuffer.allocate(4096);
          try {
            while (true) {
              block.clear();
              ch.write(block);
            }
          } catch (IOException full) {
            // expected: ENOSPC
          }
        }
        int refused = 0;
        for (int i = 1; i <= 200; i++) {
          try {
            spool.record(event(i));
          } catch (AuditUnavailableException e) {
            refused++;
          }
        }
        assertThat(refused).isGreaterThan(0);
        assertThat(spool.isHealthy()).isFalse();
        assertThat(spool.probe()).isFalse();
        Files.delete(filler);
        assertThat(spool.probe()).isTrue();
        spool.record(event(999));
        List<io.apixx.flow.sidecar.v1.AuditEvent> all = spool.read(0, 10_000);
        assertChain(all, 1, AuditRecords.GENESIS);
        assertThat(all.get(all.size() - 1).getActor().getId()).isEqualTo("run-999");
      }
    } finally {
      run("umount", "-l", mount.toString());
    }
  }

  private long segmentCount() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("seg-")).count();
    }
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }
}
