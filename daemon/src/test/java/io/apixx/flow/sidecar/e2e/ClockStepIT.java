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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection (issue 9 item 3): the daemon process's wall clock is stepped forward by ten
 * minutes and then back by twenty (libfaketime preloaded, its offset changed at runtime through
 * FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE=1; the monotonic clock stays real) while a client keeps releasing. Releases keep succeeding (the run
 * session is valid for 30 minutes either way), every health service stays SERVING, the audit
 * records carry the stepped times (proof the step took effect), and every successful release is
 * at the collector exactly once in an unbroken chain. Needs Debian's {@code faketime} package.
 */
class ClockStepIT {
  static final String CONNECTOR = "clock-api";
  static final List<Path> LIBFAKETIME = List.of(
      Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
      Path.of("/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"),
      Path.of("/usr/lib/faketime/libfaketimeMT.so.1"));

  @TempDir Path dir;

  @Test
  void wallClockSteppedForwardAndBack_releasesContinueHealthServingRecordsCarryStepAndChainUnbroken() throws Exception {
    Path lib = LIBFAKETIME.stream().filter(Files::isReadable).findFirst().orElseThrow(() -> new AssertionError(
        "ClockStepIT needs libfaketime (Debian: apt-get install -y faketime; .ci/run installs it); looked in " + LIBFAKETIME));
    Path offset = Files.writeString(dir.resolve("faketime-offset"), "+0\n");
    Map<String, String> env = Map.ofEntries(
        Map.entry("LD_PRELOAD", lib.toString()),
        Map.entry("FAKETIME_TIMESTAMP_FILE", offset.toString()),
        // The offset file is read at every clock call, so a step takes effect at once.
        Map.entry("FAKETIME_NO_CACHE", "1"),
        // Only the wall clock steps, as with a real clock step; FORCE_MONOTONIC_FIX=0 because with
        // it libfaketime 0.9.10 makes the JVM's monotonic timed waits (parkNanos) return at once.
        Map.entry("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        Map.entry("FAKETIME_FORCE_MONOTONIC_FIX", "0"));
    try (E2eStack stack = E2eStack.create("clockstep", dir, PostgresHarness.shared())) {
      stack.startCollector();
      DaemonProcess d = stack.startDaemon("clockd", env);
      ManagedChannel ch = stack.channel(d);
      String value = "clock-canary-" + UUID.randomUUID();
      stack.seal(ch, CONNECTOR, value);
      FlowSidecarClient run = stack.runClient(ch, Duration.ofSeconds(10), CONNECTOR);
      List<Release> all = new ArrayList<>();
      List<String> health = new ArrayList<>();
      Map<String, Duration> stepped = new java.util.LinkedHashMap<>();
      try (E2eStack.Load load = new E2eStack.Load(run, CONNECTOR, Duration.ofMillis(20))) {
        for (long seconds : new long[] {600, -600, 0}) {
          Files.writeString(offset, (seconds >= 0 ? "+" : "") + seconds + "\n");
          Release probe = E2eStack.release(run, CONNECTOR);
          all.add(probe);
          List<Release> phase = new ArrayList<>();
          try {
            E2eStack.await("releases after stepping the clock to " + seconds + " s", Duration.ofSeconds(10),
                () -> load.collect(phase) && phase.stream().filter(r -> r.code() == Status.Code.OK).count() >= 10);
          } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; probe " + probe.code() + ", releases seen "
                + phase.stream().map(r -> r.code() + "/" + r.took().toMillis() + "ms").toList(), e);
          }
          all.addAll(phase);
          for (String service : List.of("", "db", "kms", "audit", "liveness")) {
            health.add(seconds + "s:" + (service.isEmpty() ? "overall" : service) + "=" + E2eStack.health(ch, service));
          }
          // The daemon's clock as its audit record shows it, against ours.
          if (probe.code() == Status.Code.OK) {
            E2eStack.await("the probe release at the collector", Duration.ofSeconds(20),
                () -> stack.releasesAtCollector(List.of(probe.requestId())).get(probe.requestId()) >= 1);
            java.sql.Timestamp at = (java.sql.Timestamp) stack.audit.sql().rows(
                "SELECT event_time FROM audit.events WHERE request_id = ?", probe.requestId()).get(0).get("event_time");
            stepped.put(seconds + "s", Duration.between(Instant.now(), at.toInstant()));
          }
        }
      }
      List<Release> failures = all.stream().filter(r -> r.code() != Status.Code.OK).toList();
      System.out.printf("clock step: releases ok=%d failed=%s; daemon clock minus real clock seen in audit records %s; health %s%n",
          all.size() - failures.size(),
          failures.stream().collect(java.util.stream.Collectors.groupingBy(Release::code, java.util.stream.Collectors.counting())),
          stepped.entrySet().stream().map(e -> e.getKey() + "->" + e.getValue().toSeconds() + "s").toList(), health);

      assertThat(failures).isEmpty();
      assertThat(all).allSatisfy(r -> assertThat(r.value()).isEqualTo(value));
      assertThat(health).allMatch(h -> h.endsWith("=SERVING"));
      assertThat(stepped).containsOnlyKeys("600s", "-600s", "0s");
      assertThat(stepped.get("600s").toSeconds()).isBetween(540L, 660L);
      assertThat(stepped.get("-600s").toSeconds()).isBetween(-660L, -540L);
      assertThat(stepped.get("0s").toSeconds()).isBetween(-60L, 60L);
      assertThat(d.isAlive()).isTrue();
      stack.assertSuccessfulReleasesStoredExactlyOnce(all);
    }
  }
}
