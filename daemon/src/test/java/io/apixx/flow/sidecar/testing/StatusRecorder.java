package io.apixx.flow.sidecar.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends the status code and description of every failed call a test client receives to
 * {@code target/e2e-logs/status-descriptions-<pid>.log}, so the log-canary scan covers status
 * descriptions too.
 */
public final class StatusRecorder implements ClientInterceptor {
  public static final StatusRecorder INSTANCE = new StatusRecorder();
  private static final Path FILE = Path.of("target/e2e-logs/status-descriptions-" + ProcessHandle.current().pid() + ".log").toAbsolutePath();

  private StatusRecorder() {}

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(new SimpleForwardingClientCallListener<>(listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            if (!status.isOk()) {
              record(method.getFullMethodName() + " " + status.getCode() + " " + status.getDescription());
            }
            super.onClose(status, trailers);
          }
        }, headers);
      }
    };
  }

  private static synchronized void record(String line) {
    try {
      Files.createDirectories(FILE.getParent());
      Files.writeString(FILE, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException ignored) {
      // Recording is best effort; the scan reports when there is nothing to scan.
    }
  }
}
