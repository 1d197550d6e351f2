package io.apixx.flow.sidecar.config;

/**
 * The whole daemon configuration: merged once from the defaults, the YAML file, the environment
 * and the command line (in that order of precedence, last wins), validated, then frozen. Components
 * receive the section they need through their constructors; nothing else reads files or the
 * environment for configuration.
 *
 * @param instanceId this daemon's name in audit events and metrics (default: $HOSTNAME-pid)
 * @param region the region this daemon runs in, for data-residency checks (e.g. us-east-1)
 * @param kms the key management service that wraps data keys
 * @param collector the audit collector ({@code flow-sidecar collector}); ignored by {@code serve}
 */
public record SidecarConfig(
    String instanceId,
    String region,
    ServerConfig server,
    MetricsConfig metrics,
    LoggingConfig logging,
    AuthConfig auth,
    AuditConfig audit,
    KmsConfig kms,
    DatabaseConfig database,
    CollectorConfig collector) {

  /** Throws {@link ConfigException} naming the first bad key. */
  public SidecarConfig validate() {
    Check.notBlank("instance_id", instanceId);
    if (region == null || !region.matches("[a-z]{2}(-[a-z]+)+-\\d")) {
      throw new ConfigException("region", "expected a region name such as us-east-1");
    }
    Check.present("server", server).validate();
    Check.present("metrics", metrics).validate();
    Check.present("logging", logging).validate();
    Check.present("auth", auth).validate();
    Check.present("audit", audit).validate();
    Check.present("kms", kms).validate();
    Check.present("database", database).validate();
    Check.present("collector", collector).validate();
    return this;
  }
}
