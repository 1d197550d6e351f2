package io.apixx.flow.sidecar;

import io.apixx.flow.sidecar.api.AuditIngestGrpcService;
import io.apixx.flow.sidecar.api.CredentialGrpcService;
import io.apixx.flow.sidecar.api.IdentityGrpcService;
import io.apixx.flow.sidecar.cli.FlowSidecarCommand;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.apixx.flow.sidecar.observability.Logging;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.observability.MetricsHttpServer;
import io.apixx.flow.sidecar.server.BoundedExecutors;
import io.apixx.flow.sidecar.server.CallPipeline;
import io.apixx.flow.sidecar.server.HealthRegistry;
import io.apixx.flow.sidecar.server.SidecarServer;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * The composition root. {@link #main} hands the command line to picocli; {@link #start} builds
 * every component from the frozen configuration, wires them through their constructors and starts
 * the listeners. Nothing else in the daemon creates components or reads configuration.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(FlowSidecarCommand.execute(args));
  }

  /** Options of one start that are not configuration. */
  public record StartOptions(Metrics metrics, List<BindableService> extraServices) {
    /** The process defaults: the process-wide metrics registry, no extra services. */
    public static StartOptions process() {
      return new StartOptions(Metrics.create(), List.of());
    }
  }

  /**
   * Builds and starts a daemon. On failure everything already started is closed again.
   *
   * @throws io.apixx.flow.sidecar.config.ConfigException when a listener cannot be bound
   */
  public static RunningSidecar start(SidecarConfig config, StartOptions options)
      throws IOException, InterruptedException {
    Logging.configure(config.logging());
    Metrics metrics = options.metrics();
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    HealthRegistry health = new HealthRegistry(metrics);
    ThreadPoolExecutor workers =
        BoundedExecutors.fixed(
            "grpc-worker", config.server().workerThreads(), config.server().workerQueue());
    try {
      Optional<InetSocketAddress> metricsAddress = Optional.empty();
      if (config.metrics().listen().isPresent()) {
        MetricsHttpServer http = MetricsHttpServer.start(config.metrics().listen().get(), metrics);
        resources.push(http);
        metricsAddress = Optional.of(http.address());
      }

      List<ServerServiceDefinition> services = new ArrayList<>();
      services.add(health.service().bindService());
      if (config.server().reflection()) {
        services.add(ProtoReflectionServiceV1.newInstance().bindService());
        // v1alpha too: grpcurl and grpcio-reflection clients still ask for it first.
        @SuppressWarnings("deprecation")
        BindableService alpha = ProtoReflectionService.newInstance();
        services.add(alpha.bindService());
      }
      services.add(new IdentityGrpcService().bindService());
      services.add(new CredentialGrpcService().bindService());
      services.add(new AuditIngestGrpcService().bindService());
      for (BindableService extra : options.extraServices()) {
        services.add(ServerInterceptors.intercept(extra));
      }

      SidecarServer server =
          SidecarServer.start(
              config.server(),
              services,
              CallPipeline.interceptors(config.server(), metrics),
              workers);
      health.markStarted();
      return new RunningSidecar(
          server, health, workers, metricsAddress, config.server().shutdownGrace(), resources);
    } catch (IOException | RuntimeException e) {
      workers.shutdownNow();
      while (!resources.isEmpty()) {
        try {
          resources.pop().close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }
}
