package io.apixx.flow.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path tmp;

  private final ConfigLoader loader = new ConfigLoader();

  private SidecarConfig load(String yaml, Map<String, String> env, String... flags) throws IOException {
    Path file = tmp.resolve("config.yaml");
    Files.writeString(file, yaml);
    return loader.load(ConfigLoader.Sources.of(Optional.of(file), env, List.of(flags)));
  }

  private String socketYaml() {
    return "server:\n  socket_path: " + tmp.resolve("run/sidecar.sock") + "\n";
  }

  @Test
  void load_defaultsOnly_validConfiguration() throws IOException {
    SidecarConfig c = load(socketYaml(), Map.of());
    assertThat(c.server().tcp()).isEmpty();
    assertThat(c.server().socketMode()).isEqualTo("0660");
    assertThat(c.server().shutdownGrace()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.server().limits().maxInboundMessageSize().bytes()).isEqualTo(256 * 1024);
    assertThat(c.metrics().listen()).isPresent();
    assertThat(c.instanceId()).isNotBlank();
  }

  @Test
  void load_unknownKeyInFile_namesTheKey() {
    assertThatThrownBy(() -> load(socketYaml() + "  tcpp_address: 127.0.0.1:1\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.tcpp_address: unknown configuration key")
        .extracting(e -> ((ConfigException) e).key())
        .isEqualTo("server.tcpp_address");
  }

  @Test
  void load_unknownTopLevelSection_namesTheKey() {
    assertThatThrownBy(() -> load(socketYaml() + "surprise:\n  a: 1\n", Map.of()))
        .hasMessageStartingWith("surprise: unknown configuration key");
  }

  @Test
  void load_unknownKeyInEnvironment_namesTheKey() {
    assertThatThrownBy(() -> load(socketYaml(), Map.of("FLOW_SIDECAR_SERVER__NOPE", "1")))
        .hasMessageStartingWith("server.nope: unknown configuration key");
  }

  @Test
  void load_unknownKeyInFlag_namesTheKey() {
    assertThatThrownBy(() -> load(socketYaml(), Map.of(), "metrics.adress=127.0.0.1:1"))
        .hasMessageStartingWith("metrics.adress: unknown configuration key");
  }

  @Test
  void load_wrongTypeInteger_namesTheKey() {
    assertThatThrownBy(() -> load(socketYaml() + "  worker_threads: many\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("server.worker_threads: expected an integer");
  }

  @Test
  void load_quotedNumberInFile_isNotAnInteger() {
    assertThatThrownBy(() -> load(socketYaml() + "  worker_threads: \"8\"\n", Map.of()))
        .hasMessage("server.worker_threads: expected an integer");
  }

  @Test
  void load_wrongTypeBoolean_namesTheKey() {
    assertThatThrownBy(() -> load(socketYaml() + "  allow_remote: sometimes\n", Map.of()))
        .hasMessage("server.allow_remote: expected true or false");
  }

  @Test
  void load_scalarWhereSectionExpected_namesTheKey() {
    assertThatThrownBy(() -> load("server: 5\n", Map.of()))
        .hasMessageStartingWith("server: expected a mapping");
  }

  @Test
  void load_badDuration_namesTheKeyAndFormat() {
    assertThatThrownBy(() -> load(socketYaml() + "  shutdown_grace: soon\n", Map.of()))
        .hasMessageStartingWith("server.shutdown_grace: expected a duration");
  }

  @Test
  void load_nonLoopbackTcpWithoutAllowRemote_refused() {
    assertThatThrownBy(() -> load(socketYaml() + "  tcp_address: 0.0.0.0:50051\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.tcp_address: 0.0.0.0 is not a loopback address");
  }

  @Test
  void load_nonLoopbackHealthListenerWithoutItsFlag_refused() {
    assertThatThrownBy(() -> load(socketYaml() + "  health_address: 0.0.0.0:8087\n  allow_remote: true\n", Map.of()))
        .hasMessageStartingWith("server.health_address: 0.0.0.0 is not a loopback address");
  }

  @Test
  void load_nonLoopbackTcpWithAllowRemote_accepted() throws IOException {
    SidecarConfig c = load(socketYaml() + "  tcp_address: 0.0.0.0:50051\n  allow_remote: true\n", Map.of());
    assertThat(c.server().tcp()).hasValue(new ListenAddress("0.0.0.0", 50051));
  }

  @Test
  void load_socketDirectoryUnderAFile_refusedNamingTheKey() throws IOException {
    Path file = Files.writeString(tmp.resolve("plainfile"), "x");
    assertThatThrownBy(() -> load("server:\n  socket_path: " + file.resolve("sub/sidecar.sock") + "\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.socket_path: ")
        .hasMessageContaining("is not a directory");
  }

  @Test
  void load_socketModeWorldAccessible_refused() {
    assertThatThrownBy(() -> load(socketYaml() + "  socket_mode: \"0666\"\n", Map.of()))
        .hasMessageStartingWith("server.socket_mode: ");
  }

  @Test
  void load_portOutOfRange_namesTheKey() {
    assertThatThrownBy(() -> load(socketYaml() + "  tcp_address: 127.0.0.1:70000\n", Map.of()))
        .hasMessageStartingWith("server.tcp_address: port must be between 0 and 65535");
  }

  @Test
  void load_precedence_flagsOverEnvironmentOverFile() throws IOException {
    String yaml = socketYaml() + "  worker_threads: 4\n  worker_queue: 10\n  reflection: false\n";
    SidecarConfig c =
        load(
            yaml,
            Map.of("FLOW_SIDECAR_SERVER__WORKER_THREADS", "6", "FLOW_SIDECAR_SERVER__WORKER_QUEUE", "20"),
            "server.worker_threads=9");
    assertThat(c.server().workerThreads()).isEqualTo(9);
    assertThat(c.server().workerQueue()).isEqualTo(20);
    assertThat(c.server().reflection()).isFalse();
  }

  @Test
  void load_launcherEnvironmentVariables_ignored() throws IOException {
    SidecarConfig c = load(socketYaml(), Map.of("FLOW_SIDECAR_JAVA_OPTS", "-Xmx1g", "FLOW_SIDECAR_AOT_CACHE", "/x.aot", "FLOW_SIDECAR_AOT_TRAIN", "1", "HOME", "/root"));
    assertThat(c.server().workerThreads()).isEqualTo(32);
  }

  @Test
  void load_listFromEnvironment_parsedAsYaml() throws IOException {
    SidecarConfig c = load(socketYaml(), Map.of("FLOW_SIDECAR_SERVER__ALLOWED_PEER_UIDS", "[1000, 1001]"));
    assertThat(c.server().allowedPeerUids()).containsExactly(1000, 1001);
  }

  @Test
  void load_missingFile_namesTheFlag() {
    assertThatThrownBy(
            () -> loader.load(ConfigLoader.Sources.of(Optional.of(tmp.resolve("nope.yaml")), Map.of(), List.of())))
        .hasMessageStartingWith("--config: file ")
        .hasMessageContaining("does not exist");
  }

  @Test
  void load_invalidYaml_namesTheLine() {
    assertThatThrownBy(() -> load("server:\n  socket_path: [unclosed\n", Map.of()))
        .hasMessageStartingWith("--config: file ")
        .hasMessageContaining("not valid YAML");
  }

  @Test
  void load_devProfile_listensOnDevAddresses() {
    SidecarConfig c =
        loader.load(ConfigLoader.Sources.of(Optional.empty(), Map.of(), List.of()).withProfile("dev"));
    assertThat(c.server().tcp()).hasValue(new ListenAddress("127.0.0.1", 50051));
    assertThat(c.server().socketPath()).isEqualTo(".dev/sidecar.sock");
  }

  @Test
  void knownKeys_everyDefaultIsBoundToTheRecord() throws IOException {
    // Rendering the bound record must give back every key of the defaults: a key present in
    // defaults.yaml but missing from the records would be accepted and silently ignored.
    String rendered = loader.render(load(socketYaml(), Map.of()));
    for (String key : loader.knownKeys()) {
      String leaf = key.substring(key.lastIndexOf('.') + 1);
      assertThat(rendered).as("key %s", key).contains(leaf + ":");
    }
  }
  @Test
  void load_yaml11Scalars_stayStrings() throws IOException {
    // YAML 1.1 would read 0660 as the octal integer 432 and "yes" as true; the core schema does not.
    SidecarConfig c = load(socketYaml() + "  socket_mode: 0660\n", Map.of());
    assertThat(c.server().socketMode()).isEqualTo("0660");
    assertThatThrownBy(() -> load(socketYaml() + "  reflection: yes\n", Map.of()))
        .hasMessage("server.reflection: expected true or false");
  }

  @Test
  void load_duplicateKey_refusedWithTheLine() {
    assertThatThrownBy(() -> load(socketYaml() + "  worker_threads: 4\n  worker_threads: 5\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("--config: file ")
        .hasMessageContaining("not valid YAML (line 4)");
  }

  @Test
  void load_typeTag_refusedWithoutEchoingTheText() {
    String yaml = socketYaml() + "  socket_mode: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://127.0.0.1:1/x\"]]]]\n";
    assertThatThrownBy(() -> load(yaml, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not valid YAML")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("ScriptEngineManager").doesNotContain("127.0.0.1"));
  }

  @Test
  void load_integerOutOfRange_namesTheKeyAndRange() {
    assertThatThrownBy(() -> load(socketYaml() + "  worker_threads: 99999999999\n", Map.of()))
        .hasMessage("server.worker_threads: expected an integer from -2147483648 to 2147483647");
  }

  @Test
  void load_numberWhereTextBelongs_refused() {
    assertThatThrownBy(() -> load(socketYaml() + "region: 5\n", Map.of()))
        .hasMessage("region: expected a string");
    assertThatThrownBy(() -> load(socketYaml() + "  shutdown_grace: 5\n", Map.of()))
        .hasMessageStartingWith("server.shutdown_grace: expected a duration");
  }

  @Test
  void render_loadsBackToTheSameConfiguration() throws IOException {
    SidecarConfig c = load(socketYaml() + "  tcp_address: 127.0.0.1:7000\n", Map.of("FLOW_SIDECAR_SERVER__ALLOWED_PEER_UIDS", "[1000]"));
    String rendered = loader.render(c);
    Path again = tmp.resolve("rendered.yaml");
    Files.writeString(again, rendered);
    SidecarConfig back = loader.load(ConfigLoader.Sources.of(Optional.of(again), Map.of(), List.of()));
    assertThat(back).isEqualTo(c);
  }
}
