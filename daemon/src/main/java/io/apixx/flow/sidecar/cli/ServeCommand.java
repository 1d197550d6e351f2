package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.SidecarConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code flow-sidecar serve --config FILE}: production mode. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Run the daemon with a configuration file (plus FLOW_SIDECAR_* and --set overrides).")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file.")
  Path config;

  @Mixin ConfigOptions options;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    SidecarConfig cfg = new ConfigLoader().load(options.sources(Optional.ofNullable(config)));
    return Daemon.run(cfg, "serve", spec.commandLine().getOut());
  }
}
