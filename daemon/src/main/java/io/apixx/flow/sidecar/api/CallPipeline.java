package io.apixx.flow.sidecar.server;

import io.apixx.flow.sidecar.config.ServerConfig;
import io.apixx.flow.sidecar.observability.Metrics;
import io.grpc.ServerInterceptor;
import java.util.HashSet;
import java.util.List;

/**
 * The order in which every call passes through the server interceptors, declared here and nowhere
 * else. A call goes, outermost first:
 *
 * <ol>
 *   <li>{@link MetricsInterceptor}: counts and times every call, rejected ones included;
 *   <li>{@link RequestContextInterceptor}: peer and request id into the Context; Unix-socket
 *       peer-UID allowlist.
 * </ol>
 *
 * <p>Then the service method. Interceptors close a rejected call with its status and a no-op
 * listener, so nothing after them runs.
 */
public final class CallPipeline {
  private CallPipeline() {}

  /** The interceptors in execution order. */
  public static List<ServerInterceptor> interceptors(ServerConfig server, Metrics metrics) {
    return List.of(
        new MetricsInterceptor(metrics),
        new RequestContextInterceptor(new HashSet<>(server.allowedPeerUids())));
  }
}
