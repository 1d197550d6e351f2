package io.apixx.flow.sidecar.credentials;

import io.apixx.flow.sidecar.auth.Peer;
import java.util.Objects;

/**
 * Where a request came from, for its audit event. Set by the transport layer (the gRPC service
 * copies it from {@code server.CallContext}), never from request fields.
 *
 * @param requestId the request id of the call; empty when there is none
 * @param peer the caller's transport peer
 */
public record RequestMeta(String requestId, Peer peer) {
  public RequestMeta {
    requestId = Objects.requireNonNullElse(requestId, "");
    Objects.requireNonNull(peer, "peer");
  }

  /** An action the daemon takes by itself (dev seeding): in-process, with a fixed request id. */
  public static RequestMeta internal(String requestId) {
    return new RequestMeta(requestId, Peer.inProcess());
  }
}
