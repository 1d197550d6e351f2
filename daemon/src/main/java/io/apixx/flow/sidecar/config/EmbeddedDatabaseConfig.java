package io.apixx.flow.sidecar.config;

import java.nio.file.Path;

/**
 * Dev mode's embedded PostgreSQL ({@code database.embedded.*}): real PostgreSQL binaries from
 * Maven Central, started by the daemon on loopback, data kept between runs.
 *
 * @param enabled start the embedded server (then {@code database.url} and the password files
 *     must be empty: the server makes its own credentials under {@code dataDir})
 * @param dataDir where the cluster and its generated password files live; an existing cluster is
 *     reused, never wiped
 * @param port loopback port; 0 picks a free one at every start
 */
public record EmbeddedDatabaseConfig(boolean enabled, String dataDir, int port) {

  public static EmbeddedDatabaseConfig disabled() {
    return new EmbeddedDatabaseConfig(false, "", 0);
  }

  public Path dataPath() {
    return Path.of(dataDir).toAbsolutePath().normalize();
  }

  void validate() {
    Check.range("database.embedded.port", port, 0, 65535);
    if (enabled) {
      Check.notBlank("database.embedded.data_dir", dataDir);
    }
  }
}
