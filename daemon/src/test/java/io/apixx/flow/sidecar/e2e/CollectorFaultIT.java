package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.testing.DaemonProcess;
import io.apixx.flow.sidecar.testing.E2eStack;
import io.apixx.flow.sidecar.testing.E2eStack.Release;
import io.apixx.flow.sidecar.testing.FaultProxy;
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
 * Fault injection (issue 9 item 3): the audit collector (a real {@code flow-sidecar collector}
 * process behind a {@link FaultProxy}) goes down, becomes slow, and then accepts the stream but
 * never acknowledges (its connection stays open and mute for good while a healthy collector takes
 * new connections). The spool is the durability point, so releases keep succeeding, fast, with
 * {@code audit} and overall health SERVING; after each fault the same daemon process delivers
 * every record, and each successful release is at the collector exactly once, chain without gaps.
 */
class CollectorFaultIT {
  static final String CONNECTOR = "col-api";
  /** audit.collector.ack_timeout of the daemon under test. */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(Long.getLong("flow.test.ackTimeoutSeconds", 3));

  @TempDir Path dir;

  @Test
  void collectorDownSlowAndNeverAcknowledging_releasesUnaffectedEverythingDeliveredOnceWithoutRestart() throws Exception {
    int realPort = E2eStack.freePort();
    try (E2eStack stack = E2eStack.create("colfault", dir, PostgresHarness.shared());
        FaultProxy proxy = FaultProxy.start(stack.collectorPort(), realPort)) {
      stack.startCollectorOn(realPort);
      DaemonProcess d = stack.startDaemon("cold", Map.of(), "audit.collector.ack_timeout=" + ACK_TIMEOUT.toSeconds() + "s");
      ManagedChannel ch = stack.channel(d);
      String value = "col-canary-" + UUID.randomUUID();
      stack.seal(ch, CONNECTOR, value);
      FlowSidecarClient run = stack.runClient(ch, Duration.ofSeconds(10), CONNECTOR);
      List<Release> all = new ArrayList<>();
      try (E2eStack.Load load = new E2eStack.Load(run, CONNECTOR, Duration.ofMillis(20))) {
        // --- down ---
        stack.stopCollector();
        Thread.sleep(1500);
        ServingStatus auditDown = E2eStack.health(ch, "audit");
        ServingStatus overallDown = E2eStack.health(ch, "");
        List<Release> down = load.drain();
        stack.startCollectorOn(realPort);
        Duration drainDown = awaitDelivered(stack, down, load, all);

        // --- slow: every chunk each way waits 300 ms ---
        proxy.setDelay(Duration.ofMillis(300));
        proxy.setMode(FaultProxy.Mode.DELAY);
        Thread.sleep(1500);
        ServingStatus auditSlow = E2eStack.health(ch, "audit");
        List<Release> slow = load.drain();
        Duration drainSlow = awaitDelivered(stack, slow, load, all);
        proxy.setMode(FaultProxy.Mode.PASS);

        // --- accepting, never acknowledging ---
        proxy.setMode(FaultProxy.Mode.NO_REPLIES);
        Thread.sleep(1500);
        ServingStatus auditMute = E2eStack.health(ch, "audit");
        List<Release> mute = load.drain();
        // The mute connection stays mute; only a new connection reaches the collector.
        proxy.setMode(FaultProxy.Mode.PASS);
        Duration drainMute = awaitDelivered(stack, mute, load, all);

        all.addAll(down);
        all.addAll(slow);
        all.addAll(mute);
        System.out.printf("collector fault: down: releases %s, longest %d ms, audit=%s overall=%s, delivered %d ms after the collector restarted; "
            + "slow: releases %s, longest %d ms, audit=%s, delivered in %d ms; never-acknowledging: releases %s, longest %d ms, audit=%s, "
            + "delivered %d ms after a healthy collector was reachable (ack_timeout %d s)%n",
            codes(down), longest(down), auditDown, overallDown, drainDown.toMillis(),
            codes(slow), longest(slow), auditSlow, drainSlow.toMillis(),
            codes(mute), longest(mute), auditMute, drainMute.toMillis(), ACK_TIMEOUT.toSeconds());

        for (List<Release> phase : List.of(down, slow, mute)) {
          assertThat(phase).isNotEmpty().allSatisfy(r -> {
            assertThat(r.code()).isEqualTo(Status.Code.OK);
            assertThat(r.value()).isEqualTo(value);
            assertThat(r.took()).isLessThan(Duration.ofSeconds(1));
          });
        }
        assertThat(List.of(auditDown, overallDown, auditSlow, auditMute)).containsOnly(ServingStatus.SERVING);
        assertThat(drainMute).isLessThan(ACK_TIMEOUT.plusSeconds(15));
      }
      assertThat(d.isAlive()).as("recovered without a restart").isTrue();
      List<String> ok = all.stream().filter(r -> r.code() == Status.Code.OK).map(Release::requestId).toList();
      assertThat(stack.releasesAtCollector(ok).values()).allMatch(n -> n == 1);
      String instance = stack.instances().get(0);
      assertThat(stack.gaps(instance)).isZero();
      assertThat(stack.duplicateSequences(instance)).isZero();
    }
  }

  /** Waits until every successful release of {@code phase} is at the collector; keeps the load's outcomes in {@code all}. */
  private static Duration awaitDelivered(E2eStack stack, List<Release> phase, E2eStack.Load load, List<Release> all) throws InterruptedException {
    List<String> ok = phase.stream().filter(r -> r.code() == Status.Code.OK).map(Release::requestId).toList();
    return E2eStack.await("the phase's releases at the collector", Duration.ofSeconds(30),
        () -> load.collect(all) && stack.releasesAtCollector(ok).values().stream().allMatch(n -> n >= 1));
  }

  private static Map<Status.Code, Long> codes(List<Release> rs) {
    return rs.stream().collect(java.util.stream.Collectors.groupingBy(Release::code, java.util.stream.Collectors.counting()));
  }

  private static long longest(List<Release> rs) {
    return rs.stream().map(Release::took).max(Duration::compareTo).orElse(Duration.ZERO).toMillis();
  }
}
