package io.apixx.flow.sidecar.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * Per-principal and per-tenant rate limits. Runs after authentication; a call over either limit is
 * refused with RESOURCE_EXHAUSTED and a {@code retry-after-ms} trailer. Anonymous calls (health,
 * reflection, Login over the socket) are limited by their peer instead.
 */
public final class RateLimitInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> RETRY_AFTER_MS = Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);

  /** Who the current call counts against: a principal key and a tenant key, if any. */
  public record Subject(String principal, Optional<String> tenant) {}

  private final RateLimiter perPrincipal;
  private final RateLimiter perTenant;
  private final Function<io.grpc.Context, Optional<Subject>> subject;
  private final java.util.Set<String> exempt;

  /**
   * @param subject reads the authenticated subject of the current call from the Context (empty for
   *     anonymous calls)
   * @param exempt full method names never limited here (health and reflection: cheap, secret-free,
   *     and what probes call)
   */
  public RateLimitInterceptor(
      RateLimiter perPrincipal, RateLimiter perTenant, Function<io.grpc.Context, Optional<Subject>> subject, java.util.Set<String> exempt) {
    this.perPrincipal = perPrincipal;
    this.perTenant = perTenant;
    this.subject = subject;
    this.exempt = java.util.Set.copyOf(exempt);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (exempt.contains(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    Optional<Subject> s = subject.apply(io.grpc.Context.current());
    String principalKey = s.map(Subject::principal).orElseGet(() -> "peer:" + CallContext.peer().transport().label() + ":" + CallContext.peer().ip() + ":" + CallContext.peer().uid());
    Duration wait = perPrincipal.acquire(principalKey);
    if (wait.isZero() && s.isPresent() && s.get().tenant().isPresent()) {
      wait = perTenant.acquire(s.get().tenant().get());
    }
    if (!wait.isZero()) {
      Metadata trailers = new Metadata();
      trailers.put(RETRY_AFTER_MS, Long.toString(Math.max(1, wait.toMillis())));
      call.close(Status.RESOURCE_EXHAUSTED.withDescription("rate limit exceeded; retry later"), trailers);
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
