package io.apixx.flow.sidecar.client;

import io.grpc.ManagedChannel;

/** Builds a client over any channel (in-process in tests). */
final class FlowSidecarClientTestAccess {
  private FlowSidecarClientTestAccess() {}

  static FlowSidecarClient of(ManagedChannel channel) {
    return FlowSidecarClient.over(channel);
  }
}
