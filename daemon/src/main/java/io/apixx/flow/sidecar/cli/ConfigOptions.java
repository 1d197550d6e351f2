package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The configuration flags shared by the commands that load a configuration. */
final class ConfigOptions {
  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one setting, e.g. --set server.tcp_address=127.0.0.1:50051 (repeatable).")
  List<String> set = new ArrayList<>();

  ConfigLoader.Sources sources(Optional<Path> file) {
    return ConfigLoader.Sources.of(file, System.getenv(), set);
  }
}
