package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.testing.DaemonProcess;
import io.apixx.flow.sidecar.testing.E2eStack;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6 acceptance: the packaged daemon is killed with SIGKILL at random moments while clients
 * release a credential, and restarted on the same audit spool, {@value #CYCLES} times. Once the
 * last daemon has drained its spool to a real collector process, every release a client saw
 * succeed has exactly one audit record at the collector, and the daemon's hash chain there has no
 * gap and no duplicate.
 */
class CrashRecoveryIT {
  static final int CYCLES = 20;
  static final String CONNECTOR = "crash-api";

  @TempDir Path dir;

  @Test
  void sigkillDuringReleases_twentyCycles_everySuccessfulReleaseAuditedExactlyOnceChainWithoutGaps() throws Exception {
    try (E2eStack stack = E2eStack.create("crash", dir, PostgresHarness.shared())) {
      stack.startCollector();
      Set<String> okReleases = ConcurrentHashMap.newKeySet();
      AtomicInteger failed = new AtomicInteger();
      Map<Status.Code, AtomicInteger> failures = new ConcurrentHashMap<>();
      String value = "crash-canary-" + java.util.UUID.randomUUID();
      ExecutorService clients = Executors.newFixedThreadPool(2);
      int killed = 0;
      try {
        for (int cycle = 0; cycle < CYCLES; cycle++) {
          DaemonProcess d = stack.startDaemon("crashd", Map.of());
          ManagedChannel ch = stack.channel(d);
          if (cycle == 0) {
            stack.seal(ch, CONNECTOR, value);
          }
          FlowSidecarClient run = stack.runClient(ch, Duration.ofSeconds(5), CONNECTOR);
          AtomicBoolean stop = new AtomicBoolean();
          AtomicInteger okThisCycle = new AtomicInteger();
          List<Future<?>> loops = new ArrayList<>();
          for (int t = 0; t < 2; t++) {
            loops.add(clients.submit(() -> {
              while (!stop.get()) {
                E2eStack.Release r = E2eStack.release(run, CONNECTOR);
                if (r.code() == Status.Code.OK) {
                  assertThat(r.value()).isEqualTo(value);
                  okReleases.add(r.requestId());
                  okThisCycle.incrementAndGet();
                } else {
                  failed.incrementAndGet();
                  failures.computeIfAbsent(r.code(), c -> new AtomicInteger()).incrementAndGet();
                }
              }
              return null;
            }));
          }
          // Kill at a random moment once releases are flowing.
          E2eStack.await("a release in cycle " + cycle, Duration.ofSeconds(10), () -> okThisCycle.get() > 0);
          Thread.sleep(ThreadLocalRandom.current().nextLong(20, 400));
          d.kill();
          assertThat(d.awaitExit(Duration.ofSeconds(10))).isEqualTo(137);
          killed++;
          stop.set(true);
          for (Future<?> f : loops) {
            f.get(15, TimeUnit.SECONDS);
          }
          ch.shutdownNow();
        }
      } finally {
        clients.shutdownNow();
      }

      // The last restart drains the spool to the collector.
      long drainStart = System.nanoTime();
      DaemonProcess last = stack.startDaemon("crashd", Map.of());
      E2eStack.await("every successful release stored at the collector", Duration.ofSeconds(60),
          () -> stack.releasesAtCollector(okReleases).values().stream().allMatch(n -> n >= 1));
      Duration drain = Duration.ofNanos(System.nanoTime() - drainStart);
      Map<String, Long> counts = stack.releasesAtCollector(okReleases);
      List<String> instances = stack.instances();
      assertThat(instances).as("one chain across every restart").hasSize(1);
      String instance = instances.get(0);
      long records = stack.recordsOf(instance);
      long gaps = stack.gaps(instance);
      long dups = stack.duplicateSequences(instance);
      long notExactlyOnce = counts.values().stream().filter(n -> n != 1).count();
      System.out.printf("crash cycles=%d releases ok=%d failed=%d %s records=%d (instance %s) releases-not-exactly-once=%d gaps=%d dups=%d drain=%d ms%n",
          killed, okReleases.size(), failed.get(), failures, records, instance, notExactlyOnce, gaps, dups, drain.toMillis());

      assertThat(killed).isGreaterThanOrEqualTo(20);
      assertThat(okReleases).hasSizeGreaterThanOrEqualTo(CYCLES);
      assertThat(notExactlyOnce).as("successful releases without exactly one record").isZero();
      assertThat(records).isGreaterThanOrEqualTo(okReleases.size());
      assertThat(gaps).isZero();
      assertThat(dups).isZero();
      // A killed daemon's callers get a clean status, never a wrong value or INTERNAL.
      assertThat(failures.keySet()).allMatch(c -> c == Status.Code.UNAVAILABLE || c == Status.Code.CANCELLED
          || c == Status.Code.DEADLINE_EXCEEDED);
      last.terminate();
      assertThat(last.awaitExit(Duration.ofSeconds(20))).isZero();
    }
  }
}
