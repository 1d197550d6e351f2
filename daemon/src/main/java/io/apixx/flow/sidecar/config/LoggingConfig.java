package io.apixx.flow.sidecar.config;

import java.util.Locale;
import java.util.Set;

/**
 * Logging ({@code logging.*}). Logs are JSON, one event per line, on standard error, and pass
 * through the secret-redaction layer whatever the level.
 *
 * @param level one of trace, debug, info, warn, error
 * @param auditTrail log every audit event the collector stores (action, target, outcome; never a
 *     secret) on logger {@code flow.audit.trail}; dev mode turns it on so a release is visible
 */
public record LoggingConfig(String level, boolean auditTrail) {
  private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error");

  void validate() {
    if (level == null || !LEVELS.contains(level.toLowerCase(Locale.ROOT))) {
      throw new ConfigException("logging.level", "must be one of trace, debug, info, warn, error");
    }
  }
}
