package io.apixx.flow.sidecar.auth;

/**
 * Where a request came from and its id, for audit events. Built by the gRPC layer from the call
 * context; domain code never reads the gRPC Context itself.
 */
public record RequestMeta(String requestId, Peer peer) {
  public RequestMeta {
    requestId = requestId == null ? "" : requestId;
    peer = peer == null ? Peer.inProcess() : peer;
  }

  /** A key for source throttling: the TCP address, or the Unix peer's uid. */
  public String sourceKey() {
    return switch (peer.transport()) {
      case TCP -> "ip:" + peer.ip();
      case UNIX -> "uid:" + peer.uid();
      case IN_PROCESS -> "inprocess";
    };
  }
}
