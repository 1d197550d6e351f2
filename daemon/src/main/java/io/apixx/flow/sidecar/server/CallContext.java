package io.apixx.flow.sidecar.server;

import io.apixx.flow.sidecar.auth.Peer;
import io.grpc.Context;

/**
 * The per-call facts the transport layer establishes before any service code runs, carried in the
 * gRPC {@link Context}. Set by {@link RequestContextInterceptor}; read by authentication, audit and
 * the service classes.
 */
public final class CallContext {
  static final Context.Key<Peer> PEER = Context.key("flow-sidecar.peer");
  static final Context.Key<String> REQUEST_ID = Context.key("flow-sidecar.request-id");

  private CallContext() {}

  /** The peer of the current call; in-process when called outside a call. */
  public static Peer peer() {
    Peer p = PEER.get();
    return p == null ? Peer.inProcess() : p;
  }

  /** The request id of the current call (the caller's {@code x-request-id}, or one we made). */
  public static String requestId() {
    String id = REQUEST_ID.get();
    return id == null ? "" : id;
  }
}
