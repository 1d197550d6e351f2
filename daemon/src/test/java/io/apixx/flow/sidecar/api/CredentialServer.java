package io.apixx.flow.sidecar.api;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.Authenticator;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.credentials.CredentialService;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc.CredentialServiceBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * A {@link CredentialGrpcService} in-process behind the daemon's interceptor chain, with an
 * authenticator that maps the test's fixed tokens ({@code fss_...} sessions, {@code fst_...}
 * services) to principals.
 */
final class CredentialServer implements AutoCloseable {
  final Map<String, Principal> sessions = new ConcurrentHashMap<>();
  final Map<String, ServicePrincipal> services = new ConcurrentHashMap<>();
  private final Server server;
  private final ManagedChannel channel;

  private final Authenticator authenticator =
      new Authenticator() {
        @Override
        public Principal session(String token) {
          Principal p = sessions.get(token);
          if (p == null) {
            throw AuthException.unauthenticated("unknown_session", "unknown or expired session");
          }
          return p;
        }

        @Override
        public Optional<ServicePrincipal> service(String token) {
          return Optional.ofNullable(services.get(token));
        }
      };

  CredentialServer(CredentialsHarness h, CredentialService service) {
    String name = "creds-" + UUID.randomUUID();
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
    builder.addService(new CredentialGrpcService(service));
    try {
      server = CredentialsHarness.intercept(builder, h.interceptors(authenticator)).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** A stub that sends {@code token} as the bearer and {@code req-<token>} as the request id. */
  CredentialServiceBlockingStub as(String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    headers.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), "req-" + token);
    return CredentialServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** The status a call fails with (it must fail). */
  static Status statusOf(ThrowingCallable call) {
    StatusRuntimeException[] thrown = new StatusRuntimeException[1];
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> thrown[0] = e);
    return thrown[0].getStatus();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
