package io.apixx.flow.sidecar.testing;

import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.config.SidecarConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Configurations for tests: everything under a temp directory, ephemeral ports. */
public final class TestConfigs {
  private TestConfigs() {}

  /**
   * The {@code --set} flags that put a daemon's files under {@code dir} on free ports, with the
   * shared test PostgreSQL (started if needed) and a local keyring under {@code dir}.
   */
  public static List<String> isolatedFlags(Path dir) {
    DatabaseConfig db = PostgresHarness.shared().config();
    return new ArrayList<>(
        List.of(
            "server.socket_path=" + dir.resolve("run/sidecar.sock"),
            "server.tcp_address=127.0.0.1:0",
            "metrics.address=127.0.0.1:0",
            "server.shutdown_grace=5s",
            "audit.spool_dir=" + dir.resolve("audit"),
            "database.url=" + db.url(),
            "database.user=" + db.user(),
            "database.password_file=" + db.passwordFile(),
            "kms.uri=file://" + dir.resolve("keyring.json")));
  }

  /** A validated configuration for a daemon under {@code dir}, plus extra {@code --set} flags. */
  public static SidecarConfig isolated(Path dir, String... extraFlags) {
    List<String> flags = isolatedFlags(dir);
    flags.addAll(Arrays.asList(extraFlags));
    return new ConfigLoader().load(ConfigLoader.Sources.of(Optional.empty(), Map.of(), flags));
  }
}
