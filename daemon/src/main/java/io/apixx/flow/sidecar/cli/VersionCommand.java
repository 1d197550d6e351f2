package io.apixx.flow.sidecar.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flow-sidecar version}. */
@Command(name = "version", description = "Print the version and exit.")
final class VersionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().println(String.join(System.lineSeparator(), new Provider().getVersion()));
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** Reads the version written into the jar at build time. */
  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties p = new Properties();
      try (InputStream in = VersionCommand.class.getResourceAsStream("/flow-sidecar-version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        // Fall through to "unknown": a missing version must not stop the command.
      }
      return new String[] {
        "flow-sidecar " + p.getProperty("version", "unknown"),
        "java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
      };
    }
  }
}
