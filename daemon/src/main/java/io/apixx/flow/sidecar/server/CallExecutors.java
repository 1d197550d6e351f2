package io.apixx.flow.sidecar.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each call runs: on the bounded worker pool, or, for the calls {@code inline} accepts, on
 * the Netty transport thread that read it (nothing on their path may block; the predicate is the
 * proof obligation, see {@code InlineCallPolicy}).
 *
 * <p>The server's default executor is {@link #TRANSPORT}, so that gRPC's method lookup, which
 * runs on the default executor before this supplier is asked, costs no hand-off; this supplier
 * then moves every call it does not keep inline to the workers before any interceptor runs.
 */
public final class CallExecutors implements ServerCallExecutorSupplier {
  private static final Logger log = LoggerFactory.getLogger(CallExecutors.class);

  /** Runs a task on the calling (transport) thread. */
  static final Executor TRANSPORT = Runnable::run;

  private final Executor workers;
  private final BiPredicate<String, Metadata> inline;

  /**
   * @param inline given the full method name and the request headers, whether the call may run
   *     on the transport thread; called on that thread for every call, so it must read memory only
   */
  public CallExecutors(Executor workers, BiPredicate<String, Metadata> inline) {
    this.workers = workers;
    this.inline = inline;
  }

  /** Every call on the workers. */
  public static CallExecutors allOn(Executor workers) {
    return new CallExecutors(workers, (method, headers) -> false);
  }

  @Override
  public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
    try {
      return inline.test(call.getMethodDescriptor().getFullMethodName(), headers) ? TRANSPORT : workers;
    } catch (RuntimeException e) {
      // gRPC requires this never to throw; when in doubt a call goes where blocking is allowed.
      log.warn("inline decision failed for {}; running it on a worker", call.getMethodDescriptor().getFullMethodName(), e);
      return workers;
    }
  }
}
