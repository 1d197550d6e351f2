package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.testing.DaemonProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad configuration makes the packaged daemon exit 2 with one line naming the key. */
class BadConfigIT {
  @TempDir static Path tmp;

  static Stream<Arguments> cases() throws Exception {
    Path plainFile = Files.writeString(tmp.resolve("a-file"), "x");
    String sock = "  socket_path: " + tmp.resolve("run/s.sock") + "\n";
    return Stream.of(
        Arguments.of("unknown-key", "server:\n" + sock + "  tcp_adress: 127.0.0.1:1\n", "server.tcp_adress"),
        Arguments.of("wrong-type", "server:\n" + sock + "  worker_threads: lots\n", "server.worker_threads"),
        Arguments.of("non-loopback", "server:\n" + sock + "  tcp_address: 0.0.0.0:50051\n", "server.tcp_address"),
        Arguments.of("unwritable-socket-dir", "server:\n  socket_path: " + plainFile.resolve("s.sock") + "\n", "server.socket_path"),
        Arguments.of("bad-duration", "server:\n" + sock + "  shutdown_grace: forever\n", "server.shutdown_grace"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void serve_badConfig_exitsTwoNamingTheKey(String name, String yaml, String key) throws Exception {
    Path file = Files.writeString(tmp.resolve(name + ".yaml"), yaml);
    for (String command : List.of("serve", "check-config")) {
      List<String> args = command.equals("serve") ? List.of("serve", "--config", file.toString()) : List.of("check-config", file.toString());
      DaemonProcess.Result r = DaemonProcess.run("badconfig-" + name + "-" + command, tmp, Map.of(), args, Duration.ofSeconds(30));
      assertThat(r.exitCode()).as(command).isEqualTo(2);
      List<String> lines = r.stderr().lines().filter(l -> l.startsWith("flow-sidecar:")).toList();
      assertThat(lines).as(command).hasSize(1);
      assertThat(lines.get(0)).startsWith("flow-sidecar: configuration error: " + key + ": ");
    }
  }

  @ParameterizedTest(name = "env {0}")
  @MethodSource("cases")
  void serve_badEnvironmentOverride_exitsTwoNamingTheKey(String name, String yaml, String key) throws Exception {
    if (!name.equals("unknown-key")) {
      return;
    }
    Path file = Files.writeString(tmp.resolve("env-base.yaml"), "server:\n  socket_path: " + tmp.resolve("run/e.sock") + "\n");
    DaemonProcess.Result r =
        DaemonProcess.run(
            "badconfig-env", tmp, Map.of("FLOW_SIDECAR_SERVER__BOGUS", "1"), List.of("serve", "--config", file.toString()), Duration.ofSeconds(30));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderr()).contains("flow-sidecar: configuration error: server.bogus: unknown configuration key");
  }
}
