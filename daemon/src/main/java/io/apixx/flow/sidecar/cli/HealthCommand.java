package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.config.Durations;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flow-sidecar health}: one {@code grpc.health.v1} Check against a running daemon, for
 * Kubernetes exec probes (kubelet gRPC probes dial the pod IP, which the daemon does not listen
 * on). Exit 0 when SERVING, 1 otherwise; prints the status.
 */
@Command(
    name = "health",
    mixinStandardHelpOptions = true,
    description = "Check a running daemon's gRPC health over its Unix socket (exit 0 when SERVING).")
final class HealthCommand implements Callable<Integer> {
  @Option(names = "--socket", paramLabel = "PATH", description = "Unix socket of the daemon.", defaultValue = "/run/flow-sidecar/sidecar.sock")
  Path socket;

  @Option(names = "--address", paramLabel = "HOST:PORT", description = "Use TCP instead of the socket.")
  String address;

  @Option(names = "--service", paramLabel = "NAME", description = "Health service name: \"\" (overall readiness, default), liveness, db, kms, audit.", defaultValue = "")
  String service;

  @Option(names = "--timeout", paramLabel = "DURATION", description = "Deadline of the check (default 2s).", defaultValue = "2s")
  String timeout;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Duration deadline = Durations.parse(timeout);
    String target = address != null ? address : "unix://" + socket.toAbsolutePath();
    ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    PrintWriter out = spec.commandLine().getOut();
    try {
      ServingStatus status =
          HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
              .check(HealthCheckRequest.newBuilder().setService(service).build())
              .getStatus();
      out.println(status);
      return status == ServingStatus.SERVING ? 0 : 1;
    } catch (StatusRuntimeException e) {
      out.println(e.getStatus().getCode());
      return 1;
    } finally {
      out.flush();
      channel.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
    }
  }
}
