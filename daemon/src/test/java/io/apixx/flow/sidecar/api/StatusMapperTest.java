package io.apixx.flow.sidecar.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StatusMapperTest {
  @ParameterizedTest
  @EnumSource(ErrorKind.class)
  void toStatusException_everyKind_mapsToTheSameNamedCode(ErrorKind kind) {
    StatusRuntimeException e =
        StatusMapper.toStatusException(new SidecarException(kind, "r", "connector_id: too long"));
    assertThat(e.getStatus().getCode().name()).isEqualTo(kind.name());
    assertThat(e.getStatus().getDescription()).isEqualTo("connector_id: too long");
  }

  @Test
  void toStatusException_resourceExhausted_carriesRetryAfterTrailer() {
    StatusRuntimeException e =
        StatusMapper.toStatusException(
            SidecarException.resourceExhausted("throttled", "too many attempts", Duration.ofMillis(1500)));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getTrailers().get(StatusMapper.RETRY_AFTER_MS)).isEqualTo("1500");
  }

  @Test
  void toStatusException_unexpectedException_isInternalWithoutDetails() {
    StatusRuntimeException e =
        StatusMapper.toStatusException(new IllegalStateException("db password CANARY in message"));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).startsWith("internal error").doesNotContain("CANARY");
  }

  @Test
  void toStatusException_secretInMessage_isRedacted() {
    StatusRuntimeException e =
        StatusMapper.toStatusException(
            new SidecarException(ErrorKind.UNAUTHENTICATED, "bad", "token fss_demo_CANARYCANARYCANARY rejected"));
    assertThat(e.getStatus().getDescription()).doesNotContain("CANARY");
  }
}
