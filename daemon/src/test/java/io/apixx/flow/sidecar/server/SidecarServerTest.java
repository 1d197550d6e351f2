package io.apixx.flow.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.Main;
import io.apixx.flow.sidecar.RunningSidecar;
import io.apixx.flow.sidecar.config.ConfigException;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.testing.TestConfigs;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.QueryRequest;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarServerTest {
  @TempDir Path tmp;

  private RunningSidecar sidecar;
  private ManagedChannel channel;
  private final Metrics metrics = Metrics.forTesting();

  private void start(String... flags) throws Exception {
    sidecar = Main.start(TestConfigs.isolated(tmp, flags), new Main.StartOptions(metrics, List.of()));
    channel = Grpc.newChannelBuilder("unix://" + sidecar.socketPath(), InsecureChannelCredentials.create()).build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (sidecar != null) {
      sidecar.shutdown();
    }
  }

  private ServingStatus check(ManagedChannel ch, String service) {
    return HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  @Test
  void health_afterStart_overallAndLivenessServing() throws Exception {
    start();
    assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
    assertThat(check(channel, HealthRegistry.LIVENESS)).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void health_unknownService_notFound() throws Exception {
    start();
    assertThatThrownBy(() -> check(channel, "no-such-service"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void health_watch_followsADependencyFailureAndRecovery() throws Exception {
    start();
    BlockingQueue<ServingStatus> seen = new LinkedBlockingQueue<>();
    HealthGrpc.newStub(channel)
        .watch(
            HealthCheckRequest.newBuilder().setService("").build(),
            new StreamObserver<HealthCheckResponse>() {
              @Override
              public void onNext(HealthCheckResponse r) {
                seen.add(r.getStatus());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);
    sidecar.health().register("test-dependency");
    assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check(channel, HealthRegistry.LIVENESS)).isEqualTo(ServingStatus.SERVING);
    sidecar.health().set("test-dependency", true);
    assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);
    assertThat(check(channel, "test-dependency")).isEqualTo(ServingStatus.SERVING);
    assertThat(check(channel, "db")).isEqualTo(ServingStatus.SERVING);
    assertThat(check(channel, "audit")).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void reflection_listServices_includesTheThreeV1Services() throws Exception {
    start();
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> req =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    answer.complete(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    List<String> names =
        answer.get(5, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
            .map(ServiceResponse::getName)
            .toList();
    req.onCompleted();
    assertThat(names)
        .contains(
            "apixx.flow.sidecar.v1.IdentityService",
            "apixx.flow.sidecar.v1.CredentialService",
            "apixx.flow.sidecar.v1.AuditIngestService",
            "grpc.health.v1.Health");
  }

  @Test
  void reflection_disabled_notServed() throws Exception {
    start("server.reflection=false");
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> req =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {}

                  @Override
                  public void onError(Throwable t) {
                    error.complete(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    assertThat(Status.fromThrowable(error.get(5, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @Test
  void auditIngestOnADaemon_answersUnimplementedNamingTheCollector() throws Exception {
    String token = io.apixx.flow.sidecar.auth.Tokens.newServiceToken();
    Path tokens = Files.writeString(tmp.resolve("service-tokens.yaml"),
        "- name: control-plane\n  token_sha256: " + io.apixx.flow.sidecar.auth.Tokens.hashHex(token) + "\n  tenants: [\"*\"]\n");
    start("auth.service_tokens_file=" + tokens);
    assertThatThrownBy(() -> AuditIngestServiceGrpc.newBlockingStub(channel).query(QueryRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(
            () -> AuditIngestServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(bearer(token))
                .query(QueryRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
              assertThat(e.getStatus().getDescription()).contains("AuditIngestService.Query").contains("collector");
            });
  }

  static io.grpc.CallCredentials bearer(String token) {
    return new io.grpc.CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor e, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(m);
      }
    };
  }

  @Test
  void socket_createdWithMode0660InANewDirectory() throws Exception {
    start();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sidecar.socketPath()))).isEqualTo("rw-rw----");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sidecar.socketPath().getParent()))).isEqualTo("rwxrwx---");
  }

  @Test
  void socket_staleFile_isReplaced() throws Exception {
    Path socket = tmp.resolve("run/sidecar.sock");
    Files.createDirectories(socket.getParent());
    Files.writeString(socket, "stale");
    start();
    assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void socket_anotherDaemonListening_refusedNamingTheKey() throws Exception {
    start();
    assertThatThrownBy(() -> Main.start(TestConfigs.isolated(tmp), new Main.StartOptions(Metrics.forTesting(), List.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.socket_path: another process is already listening");
    assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void tcp_listenerOnEphemeralPort_serves() throws Exception {
    start();
    int port = sidecar.tcpAddress().orElseThrow().getPort();
    ManagedChannel tcp = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    try {
      assertThat(check(tcp, "")).isEqualTo(ServingStatus.SERVING);
    } finally {
      tcp.shutdownNow();
    }
  }

  @Test
  void healthListener_servesOnlyHealth() throws Exception {
    start("server.health_address=127.0.0.1:0");
    int port = sidecar.healthAddress().orElseThrow().getPort();
    ManagedChannel h = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    try {
      assertThat(check(h, "")).isEqualTo(ServingStatus.SERVING);
      assertThat(check(h, HealthRegistry.LIVENESS)).isEqualTo(ServingStatus.SERVING);
      assertThatThrownBy(() -> io.apixx.flow.sidecar.v1.IdentityServiceGrpc.newBlockingStub(h).whoAmI(io.apixx.flow.sidecar.v1.WhoAmIRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    } finally {
      h.shutdownNow();
    }
  }

  @Test
  void requestId_suppliedByCaller_isEchoed() throws Exception {
    start();
    Metadata.Key<String> key = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    AtomicReference<String> echoed = new AtomicReference<>();
    io.grpc.Channel intercepted =
        ClientInterceptors.intercept(
            channel,
            new io.grpc.ClientInterceptor() {
              @Override
              public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(
                  io.grpc.MethodDescriptor<Q, R> method, io.grpc.CallOptions options, io.grpc.Channel next) {
                return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
                  @Override
                  public void start(Listener<R> listener, Metadata headers) {
                    headers.put(key, "req-42");
                    super.start(
                        new SimpleForwardingClientCallListener<>(listener) {
                          @Override
                          public void onHeaders(Metadata h) {
                            echoed.set(h.get(key));
                            super.onHeaders(h);
                          }
                        },
                        headers);
                  }
                };
              }
            });
    HealthGrpc.newBlockingStub(intercepted).check(HealthCheckRequest.getDefaultInstance());
    assertThat(echoed.get()).isEqualTo("req-42");
  }

  @Test
  void peerUidAllowlist_callerNotListed_permissionDenied() throws Exception {
    start("server.allowed_peer_uids=[4242424]");
    assertThatThrownBy(() -> check(channel, ""))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).contains("server.allowed_peer_uids");
            });
  }

  @Test
  void peerUidAllowlist_callerListed_served() throws Exception {
    Path probe = Files.createFile(tmp.resolve("probe"));
    int myUid = (Integer) Files.getAttribute(probe, "unix:uid");
    start("server.allowed_peer_uids=[" + myUid + "]");
    assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
  }

  private String serviceToken() throws Exception {
    String token = io.apixx.flow.sidecar.auth.Tokens.newServiceToken();
    Files.writeString(tmp.resolve("service-tokens.yaml"),
        "- name: control-plane\n  token_sha256: " + io.apixx.flow.sidecar.auth.Tokens.hashHex(token) + "\n  tenants: [\"*\"]\n");
    return token;
  }

  @Test
  void oversizedMessage_resourceExhausted() throws Exception {
    String token = serviceToken();
    start("auth.service_tokens_file=" + tmp.resolve("service-tokens.yaml"));
    SealCredentialRequest big =
        SealCredentialRequest.newBuilder().setConnectorId("c").putSecretFields("blob", "x".repeat(300 * 1024)).build();
    assertThatThrownBy(() -> CredentialServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token)).sealCredential(big))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void metrics_everyCallCountedByMethodAndCode() throws Exception {
    start();
    check(channel, "");
    check(channel, "");
    assertThat(metrics.callCount("grpc.health.v1.Health/Check", "OK")).isEqualTo(2.0);
  }

  @Test
  void shutdown_healthGoesNotServingAndSocketIsRemoved() throws Exception {
    start();
    Path socket = sidecar.socketPath();
    sidecar.shutdown();
    assertThat(sidecar.health().isOverallServing()).isFalse();
    assertThat(Files.exists(socket)).isFalse();
    sidecar = null;
  }
}
