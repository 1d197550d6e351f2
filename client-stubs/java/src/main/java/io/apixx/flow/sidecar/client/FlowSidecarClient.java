package io.apixx.flow.sidecar.client;

import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.ExchangeRunTokenRequest;
import io.apixx.flow.sidecar.v1.GetCredentialRequest;
import io.apixx.flow.sidecar.v1.GetCredentialResponse;
import io.apixx.flow.sidecar.v1.IdentityServiceGrpc;
import io.apixx.flow.sidecar.v1.Session;
import io.apixx.flow.sidecar.v1.WhoAmIRequest;
import io.apixx.flow.sidecar.v1.WhoAmIResponse;
import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A client for the flow-sidecar daemon over its Unix socket or loopback TCP.
 *
 * <pre>{@code
 * try (FlowSidecarClient sidecar = FlowSidecarClient.unixSocket(Path.of("/run/flow-sidecar/sidecar.sock"))) {
 *   Session session = sidecar.exchangeRunToken(System.getenv("FLOW_RUN_TOKEN"));
 *   Map<String, String> secret = sidecar.withToken(session.getToken()).getCredential("github-main");
 * }
 * }</pre>
 *
 * <p>Every method throws {@link FlowSidecarException} subclasses, never raw gRPC exceptions. The
 * generated stubs ({@link #identity()}, {@link #credentials()}) are there for everything the
 * convenience methods do not cover. Thread-safe; one instance per process is enough. Closing the
 * client closes the channel; views from {@link #withToken} share it.
 */
public final class FlowSidecarClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final CallCredentials credentials;
  private final Duration deadline;
  private final boolean owner;

  private FlowSidecarClient(ManagedChannel channel, CallCredentials credentials, Duration deadline, boolean owner) {
    this.channel = channel;
    this.credentials = credentials;
    this.deadline = deadline;
    this.owner = owner;
  }

  /** Connects to the daemon's Unix domain socket (the default, pod-local transport). */
  public static FlowSidecarClient unixSocket(Path socket) {
    String target = "unix://" + socket.toAbsolutePath();
    return new FlowSidecarClient(
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build(),
        null,
        Duration.ofSeconds(10),
        true);
  }

  /** Connects to the daemon's loopback TCP listener. */
  public static FlowSidecarClient tcp(String host, int port) {
    return new FlowSidecarClient(
        Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create()).build(),
        null,
        Duration.ofSeconds(10),
        true);
  }

  /** A client over a channel the caller built (owned and closed by the client). */
  public static FlowSidecarClient over(ManagedChannel channel) {
    return new FlowSidecarClient(channel, null, Duration.ofSeconds(10), true);
  }

  /** A view of this client that sends {@code token} as the bearer token on every call. */
  public FlowSidecarClient withToken(String token) {
    return new FlowSidecarClient(channel, new BearerToken(token, true), deadline, false);
  }

  /** A view of this client with another per-call deadline (default 10 s). */
  public FlowSidecarClient withDeadline(Duration deadline) {
    return new FlowSidecarClient(channel, credentials, Objects.requireNonNull(deadline), false);
  }

  /** The generated blocking stub for IdentityService, with this view's token and deadline. */
  public IdentityServiceGrpc.IdentityServiceBlockingStub identity() {
    IdentityServiceGrpc.IdentityServiceBlockingStub s = IdentityServiceGrpc.newBlockingStub(channel);
    s = s.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    return credentials == null ? s : s.withCallCredentials(credentials);
  }

  /** The generated blocking stub for CredentialService, with this view's token and deadline. */
  public CredentialServiceGrpc.CredentialServiceBlockingStub credentials() {
    CredentialServiceGrpc.CredentialServiceBlockingStub s = CredentialServiceGrpc.newBlockingStub(channel);
    s = s.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    return credentials == null ? s : s.withCallCredentials(credentials);
  }

  /** The underlying channel, for other stubs (health, reflection, async stubs). */
  public ManagedChannel channel() {
    return channel;
  }

  /** Checks {@code grpc.health.v1} for {@code service} ("" for the whole daemon). */
  public HealthCheckResponse.ServingStatus health(String service) {
    return call(
        () ->
            HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build())
                .getStatus());
  }

  /** Trades a run token (sent as the bearer) for a run session. */
  public Session exchangeRunToken(String runToken) {
    return call(() -> withToken(runToken).identity().exchangeRunToken(ExchangeRunTokenRequest.getDefaultInstance()).getSession());
  }

  /** Fetches the decrypted fields of a connector's credential. Needs a run-session token. */
  public Map<String, String> getCredential(String connectorId) {
    return call(() -> fetchCredential(connectorId).getSecretFieldsMap());
  }

  /** Like {@link #getCredential} with the metadata. */
  public GetCredentialResponse fetchCredential(String connectorId) {
    return call(() -> credentials().getCredential(GetCredentialRequest.newBuilder().setConnectorId(connectorId).build()));
  }

  /** Who the daemon thinks this view's token belongs to. */
  public WhoAmIResponse whoAmI() {
    return call(() -> identity().whoAmI(WhoAmIRequest.getDefaultInstance()));
  }

  /** Runs {@code rpc}, converting failures to {@link FlowSidecarException}. */
  public static <T> T call(Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (FlowSidecarException e) {
      throw e;
    } catch (RuntimeException e) {
      throw FlowSidecarException.from(e);
    }
  }

  @Override
  public void close() {
    if (owner) {
      channel.shutdown();
      try {
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "FlowSidecarClient[" + channel.authority() + "]";
  }
}
