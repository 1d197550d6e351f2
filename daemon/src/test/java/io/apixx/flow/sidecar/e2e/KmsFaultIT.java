package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.crypto.kms.FakeVaultServer;
import io.apixx.flow.sidecar.testing.Canaries;
import io.apixx.flow.sidecar.testing.DaemonProcess;
import io.apixx.flow.sidecar.testing.E2eStack;
import io.apixx.flow.sidecar.testing.E2eStack.Release;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import io.apixx.flow.sidecar.v1.ListCredentialsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection (issue 9 item 3): the daemon process's Vault Transit adapter talks to the in-test
 * {@link FakeVaultServer} over loopback HTTP, which is made slow (3 s per response, beyond the
 * daemon's 1 s request timeout) and then fails every request with 503. The data-key cache is off,
 * so every release needs Vault. Callers get UNAVAILABLE within the configured timeouts and never a
 * value; calls that do not need the KMS (health, ListCredentials) stay fast meanwhile; {@code kms}
 * and overall health turn NOT_SERVING and back; the same process serves again once Vault does;
 * every successful release is at the collector exactly once.
 */
class KmsFaultIT {
  static final String CONNECTOR = "kms-api";
  /** kms.request_timeout x (1 + kms.max_retries) + backoff: the longest a failing release may take, with margin. */
  static final Duration FAIL_WITHIN = Duration.ofSeconds(5);

  @TempDir Path dir;

  @Test
  void vaultSlowThenFailing_unavailableWithinTimeoutOtherCallsUnaffectedHealthFollowsRecoversWithoutRestart() throws Exception {
    try (FakeVaultServer vault = FakeVaultServer.http(Clock.systemUTC());
        E2eStack stack = E2eStack.create("kmsfault", dir, PostgresHarness.shared())) {
      String token = Canaries.register(vault.issueToken(Duration.ofHours(2)));
      Path tokenFile = Files.writeString(dir.resolve("vault-token"), token);
      stack.startCollector();
      DaemonProcess d = stack.startDaemon("kmsd", Map.of(),
          "kms.uri=vault-transit://" + vault.hostPort() + "?tls=false",
          "kms.vault.auth_method=token",
          "kms.vault.token_file=" + tokenFile,
          "kms.connect_timeout=1s",
          "kms.request_timeout=1s",
          "kms.max_retries=1",
          "kms.retry_backoff=100ms",
          "kms.retry_max_backoff=500ms",
          "kms.dek_cache.max_entries=0");
      ManagedChannel ch = stack.channel(d);
      E2eStack.await("kms SERVING", Duration.ofSeconds(15), () -> E2eStack.health(ch, "kms") == ServingStatus.SERVING);
      String value = "kms-canary-" + UUID.randomUUID();
      stack.seal(ch, CONNECTOR, value);
      FlowSidecarClient run = stack.runClient(ch, Duration.ofSeconds(10), CONNECTOR);
      List<Release> all = new ArrayList<>();
      Release before = E2eStack.release(run, CONNECTOR);
      assertThat(before.code()).isEqualTo(Status.Code.OK);
      all.add(before);
      int decryptsBefore = vault.calls("decrypt");
      all.add(E2eStack.release(run, CONNECTOR));
      assertThat(vault.calls("decrypt")).as("the DEK cache is off: every release unwraps in Vault").isGreaterThan(decryptsBefore);

      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        // --- slow ---
        vault.setLatency(Duration.ofSeconds(3));
        List<CompletableFuture<Release>> slow = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          slow.add(CompletableFuture.supplyAsync(() -> E2eStack.release(run, CONNECTOR), pool));
        }
        Thread.sleep(300);
        // While four releases wait on Vault: health and a database-only RPC answer at once.
        long t0 = System.nanoTime();
        ServingStatus liveness = E2eStack.health(ch, "liveness");
        ServingStatus db = E2eStack.health(ch, "db");
        int listed = run.credentials().withDeadlineAfter(2, TimeUnit.SECONDS).listCredentials(ListCredentialsRequest.getDefaultInstance()).getCredentialsCount();
        Duration unrelated = Duration.ofNanos(System.nanoTime() - t0);
        List<Release> slowResults = new ArrayList<>();
        for (CompletableFuture<Release> f : slow) {
          slowResults.add(f.get(30, TimeUnit.SECONDS));
        }
        Duration toNotServingSlow = E2eStack.await("kms NOT_SERVING while slow", Duration.ofSeconds(15),
            () -> E2eStack.health(ch, "kms") == ServingStatus.NOT_SERVING);
        ServingStatus overallSlow = E2eStack.health(ch, "");
        Release slowDirect = E2eStack.release(run, CONNECTOR);
        slowResults.add(slowDirect);
        vault.setLatency(Duration.ZERO);
        Duration toServingSlow = E2eStack.await("kms SERVING after the slowness", Duration.ofSeconds(15),
            () -> E2eStack.health(ch, "kms") == ServingStatus.SERVING);
        Release afterSlow = E2eStack.release(run, CONNECTOR);
        all.addAll(slowResults);
        all.add(afterSlow);

        // --- failing with 503 ---
        vault.failNext(1_000_000, 503);
        List<Release> failing = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          failing.add(E2eStack.release(run, CONNECTOR));
        }
        Duration toNotServing5xx = E2eStack.await("kms NOT_SERVING on 503", Duration.ofSeconds(15),
            () -> E2eStack.health(ch, "kms") == ServingStatus.NOT_SERVING);
        ServingStatus overall5xx = E2eStack.health(ch, "");
        vault.failNext(0, 503);
        Duration toServing5xx = E2eStack.await("kms SERVING after the 503s", Duration.ofSeconds(15),
            () -> E2eStack.health(ch, "kms") == ServingStatus.SERVING);
        Release after5xx = E2eStack.release(run, CONNECTOR);
        all.addAll(failing);
        all.add(after5xx);

        System.out.printf("kms fault: slow (3 s > 1 s timeout): releases %s, longest %d ms; liveness=%s db=%s and ListCredentials answered in %d ms meanwhile; "
            + "kms NOT_SERVING after %d ms, overall %s; SERVING %d ms after Vault recovered, release %s%n",
            slowResults.stream().map(Release::code).toList(), slowResults.stream().map(Release::took).max(Duration::compareTo).orElseThrow().toMillis(),
            liveness, db, unrelated.toMillis(), toNotServingSlow.toMillis(), overallSlow, toServingSlow.toMillis(), afterSlow.code());
        System.out.printf("kms fault: 503: releases %s, longest %d ms; kms NOT_SERVING after %d ms, overall %s; SERVING %d ms after recovery, release %s%n",
            failing.stream().map(Release::code).toList(), failing.stream().map(Release::took).max(Duration::compareTo).orElseThrow().toMillis(),
            toNotServing5xx.toMillis(), overall5xx, toServing5xx.toMillis(), after5xx.code());

        assertThat(liveness).isEqualTo(ServingStatus.SERVING);
        assertThat(db).isEqualTo(ServingStatus.SERVING);
        assertThat(listed).isEqualTo(1);
        assertThat(unrelated).as("calls that do not need the KMS are not stalled by a slow KMS").isLessThan(Duration.ofMillis(1500));
        for (List<Release> faulty : List.of(slowResults, failing)) {
          assertThat(faulty).allSatisfy(r -> {
            assertThat(r.code()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(r.value()).isNull();
            assertThat(r.took()).isLessThan(FAIL_WITHIN);
          });
        }
        assertThat(overallSlow).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(overall5xx).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(afterSlow.code()).isEqualTo(Status.Code.OK);
        assertThat(after5xx.code()).isEqualTo(Status.Code.OK);
        assertThat(afterSlow.value()).isEqualTo(value);
        assertThat(after5xx.value()).isEqualTo(value);
        assertThat(E2eStack.health(ch, "")).isEqualTo(ServingStatus.SERVING);
      } finally {
        pool.shutdownNow();
      }
      assertThat(d.isAlive()).as("recovered without a restart").isTrue();
      stack.assertSuccessfulReleasesStoredExactlyOnce(all);
    }
  }
}
