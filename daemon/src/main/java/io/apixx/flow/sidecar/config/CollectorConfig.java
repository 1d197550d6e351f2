package io.apixx.flow.sidecar.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The audit collector ({@code collector.*}): the process started by {@code flow-sidecar collector},
 * and dev mode's in-process collector. {@code flow-sidecar serve} ignores this section when
 * {@code address} is empty (the default).
 *
 * <p>Loading validates every value for consistency; what a collector additionally needs to run (an
 * address, a database, TLS files) is checked by {@link #requireRunnable()} when one starts, so one
 * file can configure daemon and collector alike.
 *
 * @param address {@code host:port} of the collector's gRPC listener (AuditIngestService); null: not
 *     a collector
 * @param allowRemote allows a non-loopback {@code address} (in Kubernetes the collector listens on
 *     the pod IP)
 * @param tls the listener's TLS: server certificate, and the CA that signs daemons' client
 *     certificates (mutual TLS)
 * @param maxMessageSize largest inbound message (a batch of up to 1,000 events)
 * @param database the audit database, as the collector role; the owner role runs migrations and
 *     partition maintenance
 * @param queryPoolSize connections of the Query pool, apart from ingestion so that reads cannot
 *     starve it
 * @param retentionMonths whole months of events kept (1..84, 84 = 7 years); older monthly
 *     partitions are dropped
 * @param maintenanceInterval how often partitions are created ahead and expired ones dropped
 * @param serviceTokensFile who may call Query: the service tokens file (same format as
 *     {@code auth.service_tokens_file}); empty: nobody
 * @param webhooks delivery of the real-time audit webhooks
 */
public record CollectorConfig(
    ListenAddress address,
    boolean allowRemote,
    Tls tls,
    DataSize maxMessageSize,
    DatabaseConfig database,
    int queryPoolSize,
    int retentionMonths,
    Duration maintenanceInterval,
    String serviceTokensFile,
    Webhooks webhooks) {

  /** Seven years. */
  public static final int MAX_RETENTION_MONTHS = 84;

  public CollectorConfig {
    serviceTokensFile = serviceTokensFile == null ? "" : serviceTokensFile.trim();
  }

  /**
   * @param certFile PEM certificate chain of the collector
   * @param keyFile its private key (PEM, PKCS#8)
   * @param clientCaFile PEM bundle; daemons must present a client certificate signed by it
   * @param plaintext no TLS at all: dev mode and tests, loopback only
   */
  public record Tls(String certFile, String keyFile, String clientCaFile, boolean plaintext) {}

  /**
   * @param timeout longest wait for one delivery (connect and response)
   * @param maxAttempts attempts before a delivery is dead-lettered (kept, not retried)
   * @param backoffInitial wait after the first failure; doubled per failure, with jitter
   * @param backoffMax longest wait between attempts
   * @param pollInterval how often the outbox is checked for due deliveries
   * @param batchSize deliveries claimed per poll at most
   * @param poolSize database connections of the dispatcher
   * @param allowHttpLoopback tests only: also deliver to {@code http://127.0.0.1:PORT/...}
   */
  public record Webhooks(
      Duration timeout,
      int maxAttempts,
      Duration backoffInitial,
      Duration backoffMax,
      Duration pollInterval,
      int batchSize,
      int poolSize,
      boolean allowHttpLoopback) {

    void validate() {
      Check.positive("collector.webhooks.timeout", timeout);
      Check.range("collector.webhooks.max_attempts", maxAttempts, 1, 1000);
      Check.positive("collector.webhooks.backoff_initial", backoffInitial);
      Check.positive("collector.webhooks.backoff_max", backoffMax);
      if (backoffMax.compareTo(backoffInitial) < 0) {
        throw new ConfigException("collector.webhooks.backoff_max", "must not be shorter than collector.webhooks.backoff_initial");
      }
      Check.positive("collector.webhooks.poll_interval", pollInterval);
      Check.range("collector.webhooks.batch_size", batchSize, 1, 10_000);
      Check.range("collector.webhooks.pool_size", poolSize, 1, 100);
    }
  }

  /** The listen address, when this configuration describes a collector. */
  public Optional<ListenAddress> listen() {
    return Optional.ofNullable(address);
  }

  /** The service tokens file, if one is configured. */
  public Optional<Path> serviceTokensPath() {
    return serviceTokensFile.isEmpty() ? Optional.empty() : Optional.of(Path.of(serviceTokensFile));
  }

  /** The same settings with another database (dev mode points it at the embedded server). */
  public CollectorConfig withDatabase(DatabaseConfig newDatabase) {
    return new CollectorConfig(
        address, allowRemote, tls, maxMessageSize, newDatabase, queryPoolSize, retentionMonths,
        maintenanceInterval, serviceTokensFile, webhooks);
  }

  void validate() {
    Check.present("collector.tls", tls);
    if (address != null && !allowRemote && !address.isLoopback()) {
      throw new ConfigException(
          "collector.address", address.host() + " is not a loopback address; set collector.allow_remote: true to listen on it");
    }
    if (address != null && tls.plaintext() && !address.isLoopback()) {
      throw new ConfigException("collector.tls.plaintext", "is for dev and tests on a loopback address only");
    }
    Check.present("collector.max_message_size", maxMessageSize);
    Check.range("collector.max_message_size", maxMessageSize.bytes(), 64 * 1024, 64L * 1024 * 1024);
    Check.present("collector.database", database).validate("collector.database");
    if (database.embedded().enabled()) {
      throw new ConfigException("collector.database.embedded", "is not supported; dev mode runs its collector in database.embedded");
    }
    Check.range("collector.query_pool_size", queryPoolSize, 1, 100);
    Check.range("collector.retention_months", retentionMonths, 1, MAX_RETENTION_MONTHS);
    Check.positive("collector.maintenance_interval", maintenanceInterval);
    Check.present("collector.webhooks", webhooks).validate();
  }

  /**
   * Checks what {@code flow-sidecar collector} needs beyond valid values: an address, TLS material
   * (unless plaintext), and a database with owner credentials (for partition maintenance).
   *
   * @return this
   * @throws ConfigException naming the first missing key
   */
  public CollectorConfig requireRunnable() {
    if (address == null) {
      throw new ConfigException("collector.address", "is required to run the collector");
    }
    if (!tls.plaintext()) {
      Check.notBlank("collector.tls.cert_file", tls.certFile());
      Check.notBlank("collector.tls.key_file", tls.keyFile());
      Check.notBlank("collector.tls.client_ca_file", tls.clientCaFile());
    }
    Check.notBlank("collector.database.url", database.url());
    Check.notBlank("collector.database.owner_user", database.ownerUser());
    Check.notBlank("collector.database.owner_password_file", database.ownerPasswordFile());
    return this;
  }
}
