package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/**
 * The answer of an RPC whose capability is not part of this build: UNIMPLEMENTED with a message
 * naming the RPC and what is missing. Never a fake success.
 */
final class Capability {
  private Capability() {}

  static SidecarException missing(String rpc, String capability) {
    return new SidecarException(
        ErrorKind.UNIMPLEMENTED,
        "capability_missing",
        rpc + " is unavailable in this build: " + capability + " is missing");
  }
}
