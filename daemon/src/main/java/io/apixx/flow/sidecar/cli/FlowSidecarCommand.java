package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.config.ConfigException;
import io.apixx.flow.sidecar.observability.LogRedactor;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flow-sidecar} command. Exit codes: 0 success (including a graceful shutdown after
 * SIGTERM), 1 a runtime failure, 2 bad usage or bad configuration (the message names the key).
 */
@Command(
    name = "flow-sidecar",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Secrets-and-identity sidecar for Flow execution pods.",
    subcommands = {
      ServeCommand.class,
      DevCommand.class,
      CheckConfigCommand.class,
      VersionCommand.class,
      HealthCommand.class,
      MintRunTokenCommand.class,
      SealCommand.class,
      CollectorCommand.class,
    })
public final class FlowSidecarCommand implements Runnable {
  /** Exit status for bad usage or configuration. */
  public static final int EXIT_CONFIG = 2;
  /** Exit status for a runtime failure. */
  public static final int EXIT_FAILURE = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  /** Runs the command line and returns the process exit status. */
  public static int execute(String[] args) {
    CommandLine cli = new CommandLine(new FlowSidecarCommand());
    cli.setExecutionExceptionHandler(FlowSidecarCommand::handle);
    return cli.execute(args);
  }

  private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    if (e instanceof ConfigException ce) {
      err.println("flow-sidecar: configuration error: " + LogRedactor.redact(ce.getMessage()));
      err.flush();
      return EXIT_CONFIG;
    }
    err.println("flow-sidecar: " + LogRedactor.redact(String.valueOf(e.getMessage())));
    err.flush();
    org.slf4j.LoggerFactory.getLogger(FlowSidecarCommand.class).error("command failed", e);
    return EXIT_FAILURE;
  }
}
