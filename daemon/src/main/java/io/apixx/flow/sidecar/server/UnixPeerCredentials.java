package io.apixx.flow.sidecar.server;

import io.grpc.Attributes;

/**
 * SO_PEERCRED of a Unix-socket connection, read once when the connection is accepted and attached
 * to the transport attributes under {@link #KEY}.
 */
public record UnixPeerCredentials(int pid, int uid, int gid) {
  /** Transport attribute holding the credentials of the connection a call arrived on. */
  public static final Attributes.Key<UnixPeerCredentials> KEY =
      Attributes.Key.create("flow-sidecar.unix-peer-credentials");
}
