package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.Main;
import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.apixx.flow.sidecar.dev.DevEnvironment;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code flow-sidecar dev}: the daemon on embedded defaults, nothing to install. State lives under
 * {@code .dev/} in the working directory and survives restarts.
 */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    description = "Run the daemon in dev mode: 127.0.0.1:50051 and .dev/sidecar.sock, embedded dependencies.")
final class DevCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    DevEnvironment.prepare(Path.of(".dev"));
    SidecarConfig cfg =
        new ConfigLoader().load(options.sources(Optional.empty()).withProfile("dev"));
    return Daemon.run(cfg, "dev", spec.commandLine().getOut(), Main.StartOptions.process().forDev(Path.of(".dev"), Optional.empty()));
  }
}
