package io.apixx.flow.sidecar.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.client.FlowSidecarException;
import io.apixx.flow.sidecar.testing.InProcessSidecar;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RateLimitApiTest {
  @TempDir Path dir;

  @Test
  void principalOverItsRate_resourceExhaustedWithRetryHint_healthUnaffected() throws Exception {
    try (InProcessSidecar s = InProcessSidecar.start(dir, "server.limits.rate_per_principal=1", "server.limits.burst_per_principal=3");
        FlowSidecarClient c = s.unixClient()) {
      FlowSidecarClient svc = c.withToken(s.serviceToken);
      svc.whoAmI();
      svc.whoAmI();
      svc.whoAmI();
      FlowSidecarException.ResourceExhausted e = catchThrowableOfType(FlowSidecarException.ResourceExhausted.class, svc::whoAmI);
      assertThat(e).isNotNull();
      assertThat(e.retryAfter()).hasValueSatisfying(d -> assertThat(d.toMillis()).isBetween(1L, 1000L));
      for (int i = 0; i < 20; i++) {
        assertThat(c.health("")).isEqualTo(ServingStatus.SERVING);
      }
    }
  }
}
