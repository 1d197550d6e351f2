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
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4: two daemon processes on one database. A rotation and a revocation made through daemon A
 * reach daemon B, which is serving the credential all along (warm row and key caches), within one
 * second: from the moment the RPC is sent to A until B no longer serves the old version / the
 * revoked credential. Once B has switched it never serves the old answer again.
 */
class RotationAcrossDaemonsIT {
  static final Duration PROMISE = Duration.ofSeconds(1);

  @TempDir Path dir;

  @Test
  void rotateAndRevokeOnDaemonA_daemonBStopsServingOldVersionAndRevokedCredentialWithinOneSecond() throws Exception {
    try (E2eStack stack = E2eStack.create("rotation", dir, PostgresHarness.shared())) {
      DaemonProcess a = stack.startDaemon("rota", Map.of());
      ManagedChannel chA = stack.channel(a);
      String v1 = "rot-v1-" + UUID.randomUUID();
      String revoked = "rev-v1-" + UUID.randomUUID();
      stack.seal(chA, "rot-api", v1);
      stack.seal(chA, "rev-api", revoked);
      // B starts after the tenant's key exists in the shared keyring file.
      DaemonProcess b = stack.startDaemon("rotb", Map.of());
      FlowSidecarClient runB = stack.runClient(stack.channel(b), Duration.ofSeconds(5), "rot-api", "rev-api");
      for (int i = 0; i < 20; i++) {
        assertThat(E2eStack.release(runB, "rot-api").value()).isEqualTo(v1);
        assertThat(E2eStack.release(runB, "rev-api").value()).isEqualTo(revoked);
      }

      String v2 = "rot-v2-" + UUID.randomUUID();
      long sent = System.nanoTime();
      assertThat(stack.rotate(chA, "rot-api", v2).getVersion()).isEqualTo(2);
      Duration rotation = untilNot(runB, "rot-api", r -> v1.equals(r.value()), sent);
      assertThat(E2eStack.release(runB, "rot-api").value()).isEqualTo(v2);

      sent = System.nanoTime();
      stack.revoke(chA, "rev-api");
      Duration revocation = untilNot(runB, "rev-api", r -> r.code() == Status.Code.OK, sent);
      E2eStack.Release after = E2eStack.release(runB, "rev-api");

      System.out.printf("rotation across daemons: B serves v2 %d ms after RotateCredential was sent to A; "
          + "B refuses the revoked credential (%s) %d ms after RevokeCredential was sent to A%n",
          rotation.toMillis(), after.code(), revocation.toMillis());
      assertThat(rotation).isLessThan(PROMISE);
      assertThat(revocation).isLessThan(PROMISE);
      assertThat(after.code()).isNotEqualTo(Status.Code.OK);
      assertThat(after.value()).isNull();
      // Never back: B keeps serving v2 only and keeps refusing the revoked one.
      for (int i = 0; i < 20; i++) {
        assertThat(E2eStack.release(runB, "rot-api").value()).isEqualTo(v2);
        assertThat(E2eStack.release(runB, "rev-api").code()).isEqualTo(after.code());
      }
    }
  }

  /** Releases {@code connector} on B in a tight loop until {@code old} no longer holds; the time since {@code sent}. */
  private static Duration untilNot(FlowSidecarClient b, String connector, java.util.function.Predicate<E2eStack.Release> old, long sent) {
    long deadline = sent + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      E2eStack.Release r = E2eStack.release(b, connector);
      if (!old.test(r)) {
        return Duration.ofNanos(System.nanoTime() - sent);
      }
    }
    throw new AssertionError("daemon B still serves the old answer for " + connector + " after 10 s");
  }
}
