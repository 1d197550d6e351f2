package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.testing.DaemonProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Python, Go and TypeScript clients of {@code client-stubs/} against the packaged daemon in dev
 * mode, each through its own smoke program ({@code client-stubs/<lang>/smoke}), over the Unix socket
 * and loopback TCP. The programs are built once by {@code tools/smoke/prepare.sh} (npm ci + tsc, a
 * GOPATH-mode Go build with Debian's Go packages); Python runs on Debian's {@code /usr/bin/python3}.
 * Each program's output goes to {@code target/e2e-logs/smoke-<lang>-<check>.out}; run tokens are
 * handed over in {@code FLOW_RUN_TOKEN} and never written anywhere.
 */
class CrossLanguageSmokeIT {
  private static final Duration PREPARE_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration PROGRAM_TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

  @TempDir static Path workDir;

  private static Path repo;
  private static Path smokeOut;
  private static DaemonProcess daemon;

  /** A client language and how its smoke program is started. */
  enum Language {
    PYTHON,
    GO,
    TYPESCRIPT;

    List<String> command() {
      return switch (this) {
        case PYTHON -> List.of(
            System.getProperty("flow.smoke.python", "/usr/bin/python3"),
            repo.resolve("client-stubs/python/smoke/smoke.py").toString());
        case GO -> List.of(smokeOut.resolve("bin/flow-sidecar-smoke-go").toString());
        case TYPESCRIPT -> List.of("node", repo.resolve("client-stubs/typescript/dist/smoke/smoke.js").toString());
      };
    }

    String logName(String check) {
      return "smoke-" + name().toLowerCase() + "-" + check;
    }
  }

  @BeforeAll
  static void buildClientsAndStartDaemon() throws Exception {
    repo = repoRoot();
    smokeOut = DaemonProcess.logDir().getParent().resolve("smoke");
    Result prepared = exec("smoke-prepare", List.of(repo.resolve("tools/smoke/prepare.sh").toString(), smokeOut.toString()),
        repo, Map.of(), PREPARE_TIMEOUT);
    assertThat(prepared.exitCode()).as("tools/smoke/prepare.sh failed:\n%s", prepared.output()).isZero();

    List<String> args = List.of("dev", "--set", "server.tcp_address=127.0.0.1:0", "--set", "metrics.address=127.0.0.1:0");
    daemon = DaemonProcess.launch("smoke-dev", workDir, Map.of(), args).awaitReady(Duration.ofSeconds(60));
    assertThat(daemon.tcpTarget()).as("dev mode listens on loopback TCP").isPresent();
  }

  @AfterAll
  static void stopDaemon() throws InterruptedException {
    if (daemon != null) {
      daemon.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Language.class)
  void health_unixSocketAndTcp_servingFromEveryLanguage(Language language) throws Exception {
    Result r = runSmoke(language, "health", List.of("--health-only"), "");

    assertThat(r.exitCode()).as("%s smoke (health) failed:\n%s", language, r.output()).isZero();
    assertThat(r.output()).contains("PASS health unix: SERVING", "PASS health tcp: SERVING");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Language.class)
  void smoke_freshRunToken_exchangesFetchesDemoCredentialAndIsDeniedOutsideScope(Language language) throws Exception {
    String token = mintRunToken(language);

    Result r = runSmoke(language, "full", List.of(), token);

    assertThat(r.exitCode()).as("%s smoke failed:\n%s", language, r.output()).isZero();
    assertThat(r.output())
        .contains(
            "PASS health unix: SERVING",
            "PASS health tcp: SERVING",
            "PASS exchange run token unix: run session issued",
            "PASS get credential demo-github unix: fields ",
            "PASS get credential demo-github tcp: fields ",
            "PASS get credential demo-other unix: PERMISSION_DENIED")
        .doesNotContain(token);
  }

  /**
   * A standard gRPC client that is none of this project's code ({@code tools/smoke/standard_client.py}:
   * Debian's grpcio with the upstream health and reflection protos) sees SERVING and lists the three
   * v1 services through reflection, over the Unix socket and loopback TCP.
   */
  @org.junit.jupiter.api.Test
  void standardClient_healthServingAndReflectionListsTheThreeV1Services() throws Exception {
    List<String> cmd = List.of(
        System.getProperty("flow.smoke.python", "/usr/bin/python3"),
        repo.resolve("tools/smoke/standard_client.py").toString(),
        "unix://" + daemon.socket(), daemon.tcpTarget().orElseThrow());

    Result r = exec("smoke-standard-client", cmd, repo, Map.of(), PROGRAM_TIMEOUT);

    assertThat(r.exitCode()).as("standard client failed:\n%s", r.output()).isZero();
    assertThat(r.output().lines().filter(l -> l.startsWith("PASS reflection")))
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).contains(
            "apixx.flow.sidecar.v1.IdentityService",
            "apixx.flow.sidecar.v1.CredentialService",
            "apixx.flow.sidecar.v1.AuditIngestService"));
    assertThat(r.output().lines().filter(l -> l.startsWith("PASS health")).count()).isEqualTo(2);
  }

  /**
   * A fresh run token for the demo tenant from {@code flow-sidecar mint-run-token}, run in the dev
   * daemon's working directory (it signs with the dev key under {@code .dev/}). Standard output,
   * which carries the token, stays in memory; standard error goes to the log directory.
   */
  private static String mintRunToken(Language language) throws Exception {
    List<String> cmd = List.of(
        DaemonProcess.distDir().resolve("bin/flow-sidecar").toString(),
        "mint-run-token", "--tenant", "demo", "--connector", "demo-github");
    Path err = DaemonProcess.logDir().resolve(language.logName("mint") + ".err");
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile())
        .redirectError(ProcessBuilder.Redirect.to(err.toFile()))
        .start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(PROGRAM_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("mint-run-token did not exit within " + PROGRAM_TIMEOUT);
    }
    assertThat(p.exitValue()).as("flow-sidecar mint-run-token failed:\n%s", Files.readString(err)).isZero();
    String token = lastLine(new String(out, StandardCharsets.UTF_8));
    // Never put the token into an assertion message.
    assertThat(COMPACT_JWS.matcher(token).matches()).as("mint-run-token printed a compact JWS as its last line").isTrue();
    return token;
  }

  private static Result runSmoke(Language language, String check, List<String> extraArgs, String token) throws Exception {
    List<String> cmd = new ArrayList<>(language.command());
    cmd.addAll(List.of("--unix", daemon.socket().toString(), "--tcp", daemon.tcpTarget().orElseThrow()));
    cmd.addAll(extraArgs);
    return exec(language.logName(check), cmd, repo, Map.of("FLOW_RUN_TOKEN", token), PROGRAM_TIMEOUT);
  }

  /** Runs a command with stdout and stderr merged into {@code target/e2e-logs/<name>.out}. */
  private static Result exec(String name, List<String> cmd, Path dir, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    Path log = DaemonProcess.logDir().resolve(name + ".out");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      return new Result(-1, Files.readString(log) + "\n(killed after " + timeout + ")");
    }
    return new Result(p.exitValue(), Files.readString(log));
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\\R");
    return lines[lines.length - 1].strip();
  }

  /** The repository root: the nearest parent of the working directory with {@code client-stubs/}. */
  private static Path repoRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("client-stubs/python/smoke")) && Files.isDirectory(d.resolve("tools/smoke"))) {
        return d;
      }
    }
    throw new IllegalStateException("no repository root with client-stubs/ above " + Path.of("").toAbsolutePath());
  }

  private record Result(int exitCode, String output) {}
}
