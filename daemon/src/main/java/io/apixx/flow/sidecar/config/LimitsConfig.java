package io.apixx.flow.sidecar.config;

import java.time.Duration;

/**
 * Transport limits of the gRPC server ({@code server.limits.*}). The defaults are sized for this
 * API: requests are small (credentials are kilobytes), callers are few and local.
 *
 * @param maxInboundMessageSize largest request message; larger ones get RESOURCE_EXHAUSTED
 * @param maxInboundMetadataSize largest header block of a call; larger ones are refused
 * @param maxConcurrentCallsPerConnection HTTP/2 streams one connection may have open at once
 * @param maxRstFramesPerWindow RST_STREAM frames a client may send per {@code rstWindow} before
 *     the connection is closed (HTTP/2 rapid reset, CVE-2023-44487)
 * @param rstWindow the window for {@code maxRstFramesPerWindow}
 * @param keepaliveTime how often the server pings an idle connection
 * @param keepaliveTimeout how long it waits for the ping ack before closing
 * @param permitKeepaliveTime the most frequent client keepalive ping the server tolerates
 * @param maxConnectionIdle a connection with no calls for this long is closed gracefully
 * @param maxConnectionAge a connection older than this is closed gracefully
 * @param maxConnectionAgeGrace how long calls may finish after max age
 * @param ratePerPrincipal calls per second one principal (or one anonymous peer) may make
 * @param burstPerPrincipal calls it may make at once after being idle
 * @param ratePerTenant calls per second all principals of one tenant may make together
 * @param burstPerTenant the tenant's burst
 */
public record LimitsConfig(
    DataSize maxInboundMessageSize,
    DataSize maxInboundMetadataSize,
    int maxConcurrentCallsPerConnection,
    int maxRstFramesPerWindow,
    Duration rstWindow,
    Duration keepaliveTime,
    Duration keepaliveTimeout,
    Duration permitKeepaliveTime,
    Duration maxConnectionIdle,
    Duration maxConnectionAge,
    Duration maxConnectionAgeGrace,
    int ratePerPrincipal,
    int burstPerPrincipal,
    int ratePerTenant,
    int burstPerTenant) {

  void validate() {
    Check.present("server.limits.max_inbound_message_size", maxInboundMessageSize);
    Check.range(
        "server.limits.max_inbound_message_size",
        maxInboundMessageSize.bytes(),
        1024,
        64L * 1024 * 1024);
    Check.present("server.limits.max_inbound_metadata_size", maxInboundMetadataSize);
    Check.range(
        "server.limits.max_inbound_metadata_size",
        maxInboundMetadataSize.bytes(),
        1024,
        1024L * 1024);
    Check.range(
        "server.limits.max_concurrent_calls_per_connection",
        maxConcurrentCallsPerConnection,
        1,
        100_000);
    Check.range("server.limits.max_rst_frames_per_window", maxRstFramesPerWindow, 1, 1_000_000);
    Check.positive("server.limits.rst_window", rstWindow);
    Check.positive("server.limits.keepalive_time", keepaliveTime);
    Check.positive("server.limits.keepalive_timeout", keepaliveTimeout);
    Check.positive("server.limits.permit_keepalive_time", permitKeepaliveTime);
    Check.positive("server.limits.max_connection_idle", maxConnectionIdle);
    Check.positive("server.limits.max_connection_age", maxConnectionAge);
    Check.positive("server.limits.max_connection_age_grace", maxConnectionAgeGrace);
    Check.range("server.limits.rate_per_principal", ratePerPrincipal, 1, 10_000_000);
    Check.range("server.limits.burst_per_principal", burstPerPrincipal, 1, 10_000_000);
    Check.range("server.limits.rate_per_tenant", ratePerTenant, 1, 100_000_000);
    Check.range("server.limits.burst_per_tenant", burstPerTenant, 1, 100_000_000);
  }
}
