package io.apixx.flow.sidecar.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.v1.IdentityServiceGrpc;
import io.apixx.flow.sidecar.v1.WhoAmIRequest;
import io.apixx.flow.sidecar.v1.WhoAmIResponse;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FlowSidecarExceptionTest {
  @ParameterizedTest
  @EnumSource(
      value = Status.Code.class,
      names = {"UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "ALREADY_EXISTS", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED", "UNAVAILABLE", "UNIMPLEMENTED"})
  void from_statusCode_mapsToTypedException(Status.Code code) {
    FlowSidecarException e = FlowSidecarException.from(Status.fromCode(code).withDescription("why").asRuntimeException());
    assertThat(e.code()).isEqualTo(code);
    assertThat(e.getClass()).isNotEqualTo(FlowSidecarException.class);
    assertThat(e.getMessage()).isEqualTo(code + ": why");
  }

  @Test
  void from_resourceExhausted_readsRetryAfter() {
    Metadata trailers = new Metadata();
    trailers.put(Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER), "2500");
    FlowSidecarException e = FlowSidecarException.from(new StatusRuntimeException(Status.RESOURCE_EXHAUSTED, trailers));
    assertThat(e).isInstanceOfSatisfying(
        FlowSidecarException.ResourceExhausted.class, r -> assertThat(r.retryAfter()).hasValue(Duration.ofMillis(2500)));
  }

  @Test
  void withToken_sendsBearerHeaderAndMapsErrors() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    Metadata.Key<String> auth = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    IdentityServiceGrpc.IdentityServiceImplBase impl =
        new IdentityServiceGrpc.IdentityServiceImplBase() {
          @Override
          public void whoAmI(WhoAmIRequest request, StreamObserver<WhoAmIResponse> obs) {
            obs.onError(Status.PERMISSION_DENIED.withDescription("nope").asRuntimeException());
          }
        };
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .addService(
                ServerInterceptors.intercept(
                    impl,
                    new io.grpc.ServerInterceptor() {
                      @Override
                      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
                          io.grpc.ServerCall<Q, R> call, Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
                        seen.set(headers.get(auth));
                        return next.startCall(call, headers);
                      }
                    }))
            .build()
            .start();
    try (FlowSidecarClient client = FlowSidecarClientTestAccess.of(InProcessChannelBuilder.forName(name).build())) {
      FlowSidecarException e = org.assertj.core.api.Assertions.catchThrowableOfType(
          FlowSidecarException.PermissionDenied.class, () -> client.withToken("fss_demo_token").whoAmI());
      assertThat(e.getMessage()).contains("nope");
      assertThat(seen.get()).isEqualTo("Bearer fss_demo_token");
      assertThat(client.withToken("fss_demo_token").toString()).doesNotContain("fss_demo_token");
    } finally {
      server.shutdownNow();
    }
  }
}
