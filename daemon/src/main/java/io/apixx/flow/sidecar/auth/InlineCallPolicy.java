package io.apixx.flow.sidecar.auth;

import io.grpc.Metadata;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * Which calls run on the transport thread that read them instead of being handed to a worker: a
 * call to one of {@code methods} whose bearer is a session that {@link SessionService} can answer
 * from memory ({@link SessionService#answerableFromMemory}) for at least {@link #MARGIN}.
 *
 * <p>Why: a cached {@code ValidateSession} costs tens of microseconds, less than the hand-off to a
 * worker and back, and each hand-off is a wake-up the kernel may delay behind the nice-19 bcrypt
 * thread until its next tick (README, Performance, "Login storm"). On such a call every step is
 * memory-only: the interceptors (metrics, request id, the cached session, the rate limiter's token
 * bucket, the tenant guard) and the service method, whose idle-timer write-back is not due. A call
 * whose session is not cached, or is due for the write-back, or whose header is malformed, goes to
 * the workers, where a refusal is audited. The margin covers the microseconds between this
 * decision and the call's first step; only a revocation or cache eviction landing inside them makes
 * that one call read the database on the transport thread (the answer is still the right one).
 *
 * <p>Called on a transport thread for every call: reads memory only and never throws.
 */
public final class InlineCallPolicy implements BiPredicate<String, Metadata> {
  /** How much life the cached answer must have left when the call is placed. */
  public static final Duration MARGIN = Duration.ofSeconds(1);

  private final Set<String> methods;
  private final SessionService sessions;

  /** @param methods full gRPC method names that may run on the transport thread */
  public InlineCallPolicy(Set<String> methods, SessionService sessions) {
    this.methods = Set.copyOf(methods);
    this.sessions = sessions;
  }

  @Override
  public boolean test(String fullMethodName, Metadata headers) {
    if (!methods.contains(fullMethodName)) {
      return false;
    }
    Optional<String> bearer;
    try {
      bearer = AuthInterceptor.bearer(headers);
    } catch (AuthException e) {
      return false;
    }
    return bearer.isPresent() && sessions.answerableFromMemory(bearer.get(), MARGIN);
  }
}
