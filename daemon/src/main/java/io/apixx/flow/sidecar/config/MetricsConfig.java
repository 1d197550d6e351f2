package io.apixx.flow.sidecar.config;

import java.util.Optional;

/**
 * The Prometheus endpoint ({@code metrics.*}).
 *
 * @param address {@code host:port} of the HTTP listener serving {@code /metrics}; null when off
 * @param allowRemote allows a non-loopback address (for scraping from outside the pod)
 */
public record MetricsConfig(ListenAddress address, boolean allowRemote) {

  public Optional<ListenAddress> listen() {
    return Optional.ofNullable(address);
  }

  void validate() {
    if (address != null && !allowRemote && !address.isLoopback()) {
      throw new ConfigException(
          "metrics.address",
          address.host() + " is not a loopback address; set metrics.allow_remote: true");
    }
  }
}
