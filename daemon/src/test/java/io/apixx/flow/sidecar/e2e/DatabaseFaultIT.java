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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection (issue 9 item 3): the daemon's PostgreSQL is stopped and started again while a
 * client keeps releasing a credential from a real daemon process. During the outage callers get
 * UNAVAILABLE within the configured connect timeout (never a hang, never a value), {@code db} and
 * overall health are NOT_SERVING while {@code liveness} stays SERVING; after the restart the same
 * daemon process serves again, and every successful release is at the collector exactly once.
 */
class DatabaseFaultIT {
  static final String CONNECTOR = "db-api";
  /** database.connect_timeout of the daemon: the longest a caller may wait during the outage (plus margin). */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

  @TempDir Path dir;

  @Test
  void postgresStoppedAndRestartedUnderLoad_unavailableFastDbHealthFollowsRecoversWithoutRestart() throws Exception {
    try (PostgresHarness pg = PostgresHarness.startPrivate(); E2eStack stack = E2eStack.create("dbfault", dir, pg)) {
      stack.startCollector();
      DaemonProcess d = stack.startDaemon("dbd", Map.of(),
          "database.connect_timeout=1s", "database.query_timeout=2s", "database.health_timeout=500ms");
      ManagedChannel ch = stack.channel(d);
      String value = "db-canary-" + UUID.randomUUID();
      stack.seal(ch, CONNECTOR, value);
      FlowSidecarClient run = stack.runClient(ch, Duration.ofSeconds(10), CONNECTOR);
      List<Release> all = new ArrayList<>();
      try (E2eStack.Load load = new E2eStack.Load(run, CONNECTOR, Duration.ofMillis(20))) {
        E2eStack.await("releases before the outage", Duration.ofSeconds(10), () -> load.collect(all) && all.stream().anyMatch(r -> r.code() == Status.Code.OK));

        long stopped = System.nanoTime();
        pg.stop();
        Duration toNotServing = E2eStack.await("db NOT_SERVING", Duration.ofSeconds(10),
            () -> E2eStack.health(ch, "db") == ServingStatus.NOT_SERVING);
        assertThat(E2eStack.health(ch, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(E2eStack.health(ch, "liveness")).isEqualTo(ServingStatus.SERVING);
        List<Release> outage = new ArrayList<>();
        E2eStack.await("releases fail during the outage", Duration.ofSeconds(15),
            () -> load.collect(outage) && outage.stream().filter(r -> r.code() != Status.Code.OK).count() >= 3);
        Release direct = E2eStack.release(run, CONNECTOR);
        Duration outageLength = Duration.ofNanos(System.nanoTime() - stopped);

        pg.start();
        long started = System.nanoTime();
        Duration toServing = E2eStack.await("db SERVING again", Duration.ofSeconds(20),
            () -> E2eStack.health(ch, "db") == ServingStatus.SERVING);
        Duration toRelease = E2eStack.await("a release after the restart", Duration.ofSeconds(20),
            () -> E2eStack.release(run, CONNECTOR).code() == Status.Code.OK);
        List<Release> recovered = new ArrayList<>();
        E2eStack.await("releases flow again", Duration.ofSeconds(10),
            () -> load.collect(recovered) && recovered.stream().anyMatch(r -> r.code() == Status.Code.OK));
        all.addAll(outage);
        all.addAll(recovered);
        all.add(direct);

        List<Release> failures = all.stream().filter(r -> r.code() != Status.Code.OK).toList();
        Duration longestFailure = failures.stream().map(Release::took).max(Duration::compareTo).orElse(Duration.ZERO);
        System.out.printf("db fault: outage %d ms; db NOT_SERVING after %d ms; releases ok=%d failed=%d %s (longest failed call %d ms); "
            + "after restart db SERVING in %d ms, first release OK in %d ms%n",
            outageLength.toMillis(), toNotServing.toMillis(), all.size() - failures.size(), failures.size(),
            failures.stream().collect(java.util.stream.Collectors.groupingBy(Release::code, java.util.stream.Collectors.counting())),
            longestFailure.toMillis(), toServing.toMillis(), Duration.ofNanos(System.nanoTime() - started).toMillis());

        assertThat(direct.code()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(failures).isNotEmpty().allSatisfy(r -> {
          assertThat(r.code()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(r.value()).isNull();
        });
        // Never a hang: a failed call takes about the connect timeout, bounded well below the 10 s deadline.
        assertThat(longestFailure).isLessThan(CONNECT_TIMEOUT.plusSeconds(3));
        assertThat(all.stream().filter(r -> r.code() == Status.Code.OK)).allSatisfy(r -> assertThat(r.value()).isEqualTo(value));
        assertThat(toRelease).isLessThan(Duration.ofSeconds(20));
        assertThat(E2eStack.health(ch, "")).isEqualTo(ServingStatus.SERVING);
      }
      assertThat(d.isAlive()).as("recovered without a restart").isTrue();
      stack.assertSuccessfulReleasesStoredExactlyOnce(all);
    }
  }
}
