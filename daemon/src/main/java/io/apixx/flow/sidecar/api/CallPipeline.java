package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.auth.AuthInterceptor;
import io.apixx.flow.sidecar.server.MetricsInterceptor;
import io.apixx.flow.sidecar.server.RequestContextInterceptor;
import io.apixx.flow.sidecar.tenancy.TenantGuardInterceptor;
import io.grpc.ServerInterceptor;
import java.util.List;

/**
 * The order in which every call passes through the server interceptors, declared here and nowhere
 * else. A call goes, outermost first:
 *
 * <ol>
 *   <li>{@link MetricsInterceptor}: counts and times every call, rejected ones included;
 *   <li>{@link RequestContextInterceptor}: peer (SO_PEERCRED or TCP address) and request id into
 *       the Context; the Unix-socket peer-UID allowlist;
 *   <li>{@link AuthInterceptor}: the method's access rule; the principal into the Context;
 *   <li>{@link TenantGuardInterceptor}: a request naming a tenant the principal may not act on is
 *       refused and audited.
 * </ol>
 *
 * <p>Then the service method. An interceptor that refuses a call closes it with its status and a
 * no-op listener, so nothing after it runs.
 */
public final class CallPipeline {
  private CallPipeline() {}

  /** The interceptors in execution order. */
  public static List<ServerInterceptor> of(
      MetricsInterceptor metrics,
      RequestContextInterceptor requestContext,
      AuthInterceptor auth,
      TenantGuardInterceptor tenantGuard) {
    return List.of(metrics, requestContext, auth, tenantGuard);
  }
}
