package io.apixx.flow.sidecar.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The audit trail ({@code audit.*}): the local spool and the stream to the collector.
 *
 * @param spoolDir directory of the spool (an emptyDir volume in Kubernetes)
 * @param spoolMaxSize unacknowledged bytes at most; beyond, secret releases fail with UNAVAILABLE
 * @param segmentSize size at which a spool segment is closed
 * @param queueCapacity records waiting for a group commit at most (beyond, releases are refused)
 * @param maxBatch records per group commit at most
 * @param healthInterval how often the spool's health is probed
 * @param collector where the trail is streamed
 */
public record AuditConfig(
    String spoolDir,
    DataSize spoolMaxSize,
    DataSize segmentSize,
    int queueCapacity,
    int maxBatch,
    Duration healthInterval,
    Collector collector) {

  /**
   * @param address {@code host:port} of the collector; null: nothing is streamed (records stay in
   *     the spool until it fills, then releases fail)
   * @param serverName TLS server name to verify (default: the host of {@code address})
   * @param caFile PEM bundle that signs the collector's certificate
   * @param certFile this daemon's client certificate (PEM)
   * @param keyFile its private key (PEM, PKCS#8)
   * @param plaintext tests and dev only: no TLS
   * @param batchSize events per stream message at most
   * @param maxInFlight events sent and not yet acknowledged at most (backpressure)
   * @param backoffInitial first reconnect delay
   * @param backoffMax longest reconnect delay (with full jitter)
   * @param ackTimeout longest wait for an acknowledgement while events are outstanding; then the
   *     stream is reopened on a new connection
   */
  public record Collector(
      ListenAddress address,
      String serverName,
      String caFile,
      String certFile,
      String keyFile,
      boolean plaintext,
      int batchSize,
      int maxInFlight,
      Duration backoffInitial,
      Duration backoffMax,
      Duration ackTimeout) {

    public Optional<ListenAddress> target() {
      return Optional.ofNullable(address);
    }

    void validate() {
      Check.range("audit.collector.batch_size", batchSize, 1, 1000);
      Check.range("audit.collector.max_in_flight", maxInFlight, 1, 1_000_000);
      Check.positive("audit.collector.backoff_initial", backoffInitial);
      Check.positive("audit.collector.backoff_max", backoffMax);
      Check.positive("audit.collector.ack_timeout", ackTimeout);
      if (address != null && !plaintext) {
        Check.notBlank("audit.collector.ca_file", caFile);
        Check.notBlank("audit.collector.cert_file", certFile);
        Check.notBlank("audit.collector.key_file", keyFile);
      }
    }
  }

  void validate() {
    Check.notBlank("audit.spool_dir", spoolDir);
    Check.present("audit.spool_max_size", spoolMaxSize);
    Check.present("audit.segment_size", segmentSize);
    Check.range("audit.segment_size", segmentSize.bytes(), 4096, 1L << 30);
    if (spoolMaxSize.bytes() < 2 * segmentSize.bytes()) {
      throw new ConfigException("audit.spool_max_size", "must be at least twice audit.segment_size");
    }
    Check.range("audit.queue_capacity", queueCapacity, 1, 10_000_000);
    Check.range("audit.max_batch", maxBatch, 1, 100_000);
    Check.positive("audit.health_interval", healthInterval);
    Check.present("audit.collector", collector).validate();
  }
}
