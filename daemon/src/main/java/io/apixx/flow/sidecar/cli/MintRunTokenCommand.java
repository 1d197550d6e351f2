package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.auth.RunTokenMinter;
import io.apixx.flow.sidecar.config.Durations;
import io.apixx.flow.sidecar.dev.DevEnvironment;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flow-sidecar mint-run-token}: dev mode's stand-in for the orchestrator. Prints a run
 * token signed with the dev key under {@code .dev/}, for the dev daemon started in the same
 * directory. Production daemons verify tokens minted by the real orchestrator.
 */
@Command(
    name = "mint-run-token",
    mixinStandardHelpOptions = true,
    description = "Dev mode: print a run token for the demo tenant, signed with the dev key in .dev/ (the token is the only line on stdout).")
final class MintRunTokenCommand implements Callable<Integer> {
  @Option(names = "--dev-dir", paramLabel = "DIR", defaultValue = ".dev", description = "The dev directory (default .dev).")
  Path devDir;

  @Option(names = "--tenant", defaultValue = "demo", description = "Tenant id (default demo).")
  String tenant;

  @Option(names = "--connector", paramLabel = "ID", description = "A connector the run may use (repeatable; default demo-github).")
  List<String> connectors = new ArrayList<>();

  @Option(names = "--run", paramLabel = "ID", description = "Run id (default: random).")
  String run;

  @Option(names = "--workflow", paramLabel = "ID", defaultValue = "wf-demo", description = "Workflow id (default wf-demo).")
  String workflow;

  @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "15m", description = "Lifetime (default 15m).")
  String ttl;

  @Option(names = "--issuer", defaultValue = "flow-orchestrator", description = "iss (default: the dev daemon's auth.run_tokens.issuer).")
  String issuer;

  @Option(names = "--audience", defaultValue = "flow-sidecar", description = "aud (default: the dev daemon's auth.run_tokens.audience).")
  String audience;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    DevEnvironment env = DevEnvironment.existing(devDir);
    RunTokenMinter minter = new RunTokenMinter(env.signingKey(), issuer, audience, Clock.systemUTC());
    List<String> scope = connectors.isEmpty() ? List.of("demo-github") : connectors;
    String runId = run != null ? run : "run-" + UUID.randomUUID().toString().substring(0, 8);
    spec.commandLine().getOut().println(minter.mint(tenant, runId, workflow, scope, Durations.parse(ttl)));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
