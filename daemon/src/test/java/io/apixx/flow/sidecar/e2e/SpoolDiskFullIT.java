package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.testing.DaemonProcess;
import io.apixx.flow.sidecar.testing.E2eStack;
import io.apixx.flow.sidecar.testing.E2eStack.Release;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection (issue 9 item 3): the daemon's audit spool lives on a small tmpfs, which the test
 * fills up to a real ENOSPC while a client keeps releasing. Releases that cannot be made durable are
 * refused with UNAVAILABLE and no value, {@code audit} and overall health turn NOT_SERVING; once
 * space is freed the same daemon process serves again, and every successful release is at the
 * collector exactly once with an unbroken chain. Needs root (mount); fails, naming the reason, when
 * mounting is not permitted.
 */
class SpoolDiskFullIT {
  static final String CONNECTOR = "spool-api";

  @TempDir Path dir;

  @Test
  void spoolFilesystemFull_releasesRefusedAuditNotServingRecoversWhenSpaceReturns() throws Exception {
    Path mnt = Files.createDirectories(dir.resolve("spool-fs"));
    mount(mnt);
    try (E2eStack stack = E2eStack.create("spoolfull", dir, PostgresHarness.shared())) {
      stack.startCollector();
      DaemonProcess d = stack.startDaemon("spoold", Map.of(),
          "audit.spool_dir=" + mnt.resolve("audit"), "audit.segment_size=16KiB", "audit.spool_max_size=64MiB",
          "audit.health_interval=250ms");
      ManagedChannel ch = stack.channel(d);
      String value = "spool-canary-" + UUID.randomUUID();
      stack.seal(ch, CONNECTOR, value);
      FlowSidecarClient run = stack.runClient(ch, Duration.ofSeconds(10), CONNECTOR);
      List<Release> all = new ArrayList<>();
      Path filler = mnt.resolve("filler");
      try (E2eStack.Load load = new E2eStack.Load(run, CONNECTOR, Duration.ofMillis(20))) {
        E2eStack.await("releases before the disk fills", Duration.ofSeconds(10),
            () -> load.collect(all) && all.stream().anyMatch(r -> r.code() == Status.Code.OK));

        long filled = fill(filler);
        List<Release> full = new ArrayList<>();
        Duration toRefused = E2eStack.await("a release refused on the full disk", Duration.ofSeconds(15),
            () -> load.collect(full) && full.stream().anyMatch(r -> r.code() != Status.Code.OK));
        Duration toNotServing = E2eStack.await("audit NOT_SERVING", Duration.ofSeconds(10),
            () -> E2eStack.health(ch, "audit") == ServingStatus.NOT_SERVING);
        ServingStatus overall = E2eStack.health(ch, "");
        Release direct = E2eStack.release(run, CONNECTOR);
        full.add(direct);

        Files.delete(filler);
        Duration toServing = E2eStack.await("audit SERVING after space returned", Duration.ofSeconds(10),
            () -> E2eStack.health(ch, "audit") == ServingStatus.SERVING);
        Duration toRelease = E2eStack.await("a release after space returned", Duration.ofSeconds(10),
            () -> E2eStack.release(run, CONNECTOR).code() == Status.Code.OK);
        List<Release> after = new ArrayList<>();
        E2eStack.await("releases flow again", Duration.ofSeconds(10),
            () -> load.collect(after) && after.stream().anyMatch(r -> r.code() == Status.Code.OK));
        all.addAll(full);
        all.addAll(after);

        List<Release> failures = all.stream().filter(r -> r.code() != Status.Code.OK).toList();
        System.out.printf("spool disk full: tmpfs filled with %d KiB; first refusal after %d ms, audit NOT_SERVING after %d ms, overall %s; "
            + "releases ok=%d refused=%s (longest refused %d ms); audit SERVING %d ms after space was freed, release OK after %d ms%n",
            filled / 1024, toRefused.toMillis(), toNotServing.toMillis(), overall, all.size() - failures.size(),
            failures.stream().collect(java.util.stream.Collectors.groupingBy(Release::code, java.util.stream.Collectors.counting())),
            failures.stream().map(Release::took).max(Duration::compareTo).orElse(Duration.ZERO).toMillis(), toServing.toMillis(), toRelease.toMillis());

        assertThat(direct.code()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(failures).isNotEmpty().allSatisfy(r -> {
          assertThat(r.code()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(r.value()).isNull();
          assertThat(r.took()).isLessThan(Duration.ofSeconds(5));
        });
        assertThat(overall).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(E2eStack.health(ch, "")).isEqualTo(ServingStatus.SERVING);
      } finally {
        Files.deleteIfExists(filler);
      }
      assertThat(d.isAlive()).as("recovered without a restart").isTrue();
      stack.assertSuccessfulReleasesStoredExactlyOnce(all);
      d.terminate();
      d.awaitExit(Duration.ofSeconds(20));
    } finally {
      umount(mnt);
    }
  }

  /** Writes {@code file} until the filesystem refuses (ENOSPC); returns the bytes written. */
  private static long fill(Path file) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left")) {
        throw e;
      }
    }
    // Single bytes fill the last partial page.
    try (OutputStream out = Files.newOutputStream(file, java.nio.file.StandardOpenOption.APPEND)) {
      for (int i = 0; i < 4096; i++) {
        out.write(0);
        out.flush();
        written++;
      }
    } catch (IOException e) {
      // full
    }
    return written;
  }

  private static void mount(Path mnt) throws Exception {
    Result r = exec("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mnt.toString());
    if (r.code != 0) {
      throw new AssertionError("SpoolDiskFullIT needs to mount a small tmpfs for a real ENOSPC (run as root, or with CAP_SYS_ADMIN): "
          + "`mount -t tmpfs` exited " + r.code + ": " + r.output.strip());
    }
  }

  private static void umount(Path mnt) throws Exception {
    Result r = exec("umount", mnt.toString());
    if (r.code != 0) {
      exec("umount", "-l", mnt.toString());
    }
  }

  private record Result(int code, String output) {}

  private static Result exec(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timed out");
    }
    return new Result(p.exitValue(), out);
  }
}
