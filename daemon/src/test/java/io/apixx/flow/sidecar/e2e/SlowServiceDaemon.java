package io.apixx.flow.sidecar.e2e;

import com.google.protobuf.Empty;
import io.apixx.flow.sidecar.Main;
import io.apixx.flow.sidecar.cli.Daemon;
import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.apixx.flow.sidecar.observability.Metrics;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real daemon process (same wiring, same signal handling, same shutdown) with one extra test
 * service whose unary method sleeps, so the shutdown test has calls in flight. Arguments are
 * {@code --set} values.
 */
public final class SlowServiceDaemon {
  /** {@code test.Slow/Sleep}: sleeps for the configured time, then answers Empty. */
  public static final MethodDescriptor<Empty, Empty> SLEEP =
      MethodDescriptor.<Empty, Empty>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Slow/Sleep")
          .setRequestMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
          .build();

  private SlowServiceDaemon() {}

  public static void main(String[] args) throws Exception {
    long sleepMillis = Long.getLong("slow.millis", 2000);
    BindableService slow =
        () ->
            ServerServiceDefinition.builder("test.Slow")
                .addMethod(
                    SLEEP,
                    ServerCalls.asyncUnaryCall(
                        (req, obs) -> {
                          try {
                            Thread.sleep(sleepMillis);
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          }
                          obs.onNext(Empty.getDefaultInstance());
                          obs.onCompleted();
                        }))
                .build();
    SidecarConfig config =
        new ConfigLoader().load(ConfigLoader.Sources.of(Optional.empty(), Map.of(), Arrays.asList(args)));
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    System.exit(Daemon.run(config, "serve", out, new Main.StartOptions(Metrics.create(), List.of(slow))));
  }
}
