package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.auth.AuthInterceptor;
import io.apixx.flow.sidecar.server.MetricsInterceptor;
import io.apixx.flow.sidecar.server.RateLimitInterceptor;
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
 *   <li>{@link RateLimitInterceptor}: per principal and per tenant (after authentication, so a
 *       flood of bad tokens is paid for by the peer, and a good principal by itself);
 *   <li>{@link TenantGuardInterceptor}: a request naming a tenant the principal may not act on is
 *       refused and audited.
 * </ol>
 *
 * <p>Then the service method. An interceptor that refuses a call closes it with its status and a
 * no-op listener, so nothing after it runs.
 *
 * <p>Where: on the worker pool, except the methods of {@link #inlineWhenCached()} when their
 * session is answered from memory ({@code InlineCallPolicy}): those run, interceptors and method,
 * on the transport thread that read them.
 */
public final class CallPipeline {
  private CallPipeline() {}

  /** The rate-limit subject of the current call: its principal and tenant, from the Context. */
  public static java.util.Optional<RateLimitInterceptor.Subject> rateLimitSubject(io.grpc.Context ctx) {
    return io.apixx.flow.sidecar.auth.AuthContext.principal().map(p -> switch (p) {
      case io.apixx.flow.sidecar.auth.RunPrincipal r -> new RateLimitInterceptor.Subject("run:" + r.tenantId() + ":" + r.runId(), java.util.Optional.of(r.tenantId()));
      case io.apixx.flow.sidecar.auth.UserPrincipal u -> new RateLimitInterceptor.Subject("user:" + u.userId(), java.util.Optional.of(u.tenantId()));
      case io.apixx.flow.sidecar.auth.ServicePrincipal sv -> new RateLimitInterceptor.Subject("service:" + sv.name(), java.util.Optional.<String>empty());
    });
  }

  /**
   * Methods that run on the transport thread when the caller's session is cached and nothing on
   * their path needs the database: only {@code ValidateSession} (memory-only on a cache hit; no
   * audit record on success; its request names no tenant).
   */
  public static java.util.Set<String> inlineWhenCached() {
    return java.util.Set.of(io.apixx.flow.sidecar.v1.IdentityServiceGrpc.getValidateSessionMethod().getFullMethodName());
  }

  /** The interceptors in execution order. */
  public static List<ServerInterceptor> of(
      MetricsInterceptor metrics,
      RequestContextInterceptor requestContext,
      AuthInterceptor auth,
      RateLimitInterceptor rateLimit,
      TenantGuardInterceptor tenantGuard) {
    return List.of(metrics, requestContext, auth, rateLimit, tenantGuard);
  }
}
