package io.apixx.flow.sidecar.server;

import io.apixx.flow.sidecar.observability.Metrics;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/** Outermost interceptor: counts every call by method and final status, and times it. */
public final class MetricsInterceptor implements ServerInterceptor {
  private final Metrics metrics;

  public MetricsInterceptor(Metrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    AtomicBoolean recorded = new AtomicBoolean();
    ServerCall<Q, R> timed =
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            if (recorded.compareAndSet(false, true)) {
              metrics.recordCall(method, status.getCode().name(), System.nanoTime() - start);
            }
            super.close(status, trailers);
          }
        };
    return new SimpleForwardingServerCallListener<>(next.startCall(timed, headers)) {
      @Override
      public void onCancel() {
        if (recorded.compareAndSet(false, true)) {
          metrics.recordCall(method, Status.Code.CANCELLED.name(), System.nanoTime() - start);
        }
        super.onCancel();
      }
    };
  }
}
