package io.apixx.flow.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.testing.TestConfigs;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where calls run, on the real Netty server over the Unix socket: on the event loop that read
 * them when the policy says so, interceptors and method alike; everywhere else on the workers.
 */
class CallExecutorsTest {
  static final Metadata.Key<String> MODE = Metadata.Key.of("x-test-mode", Metadata.ASCII_STRING_MARSHALLER);
  static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  static final MethodDescriptor<String, String> WHERE =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Threads/Where")
          .setRequestMarshaller(TEXT)
          .setResponseMarshaller(TEXT)
          .build();

  @TempDir Path tmp;
  final ThreadPoolExecutor workers = BoundedExecutors.fixed("grpc-worker", 2, 16);
  final AtomicReference<String> decidedOn = new AtomicReference<>();
  final AtomicReference<String> interceptedOn = new AtomicReference<>();
  SidecarServer server;
  ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow();
    }
    workers.shutdownNow();
  }

  void start() throws Exception {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("test.Threads")
            .addMethod(WHERE, ServerCalls.asyncUnaryCall((req, obs) -> {
              obs.onNext(Thread.currentThread().getName());
              obs.onCompleted();
            }))
            .build();
    ServerInterceptor recording = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        interceptedOn.set(Thread.currentThread().getName());
        return next.startCall(call, headers);
      }
    };
    CallExecutors executors = new CallExecutors(workers, (method, headers) -> {
      decidedOn.set(Thread.currentThread().getName());
      String mode = headers.get(MODE);
      if ("throw".equals(mode)) {
        throw new IllegalStateException("decision failed");
      }
      return method.equals(WHERE.getFullMethodName()) && "inline".equals(mode);
    });
    server = SidecarServer.start(TestConfigs.isolated(tmp).server(), List.of(service), List.of(recording), executors, service);
    channel = Grpc.newChannelBuilder("unix://" + server.socketPath(), InsecureChannelCredentials.create()).build();
  }

  String call(String mode) {
    Metadata h = new Metadata();
    h.put(MODE, mode);
    return ClientCalls.blockingUnaryCall(
        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(h)), WHERE, CallOptions.DEFAULT, "where");
  }

  @Test
  void inlineCall_runsInterceptorsAndMethodOnTheEventLoopThatDecided() throws Exception {
    start();
    long tasksBefore = workers.getCompletedTaskCount();
    String ranOn = call("inline");
    assertThat(decidedOn.get()).startsWith("grpc-io-");
    assertThat(interceptedOn.get()).isEqualTo(decidedOn.get());
    assertThat(ranOn).isEqualTo(decidedOn.get());
    assertThat(workers.getCompletedTaskCount()).as("no task reached the workers").isEqualTo(tasksBefore);
  }

  @Test
  void otherCalls_runOnTheWorkers() throws Exception {
    start();
    String ranOn = call("worker");
    assertThat(decidedOn.get()).startsWith("grpc-io-");
    assertThat(interceptedOn.get()).startsWith("grpc-worker-");
    assertThat(ranOn).startsWith("grpc-worker-");
  }

  @Test
  void failingDecision_runsOnTheWorkersAndTheCallSucceeds() throws Exception {
    start();
    String ranOn = call("throw");
    assertThat(interceptedOn.get()).startsWith("grpc-worker-");
    assertThat(ranOn).startsWith("grpc-worker-");
  }
}
