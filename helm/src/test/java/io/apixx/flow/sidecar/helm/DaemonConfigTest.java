package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.apixx.flow.sidecar.config.ConfigException;
import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.SidecarConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The configuration the chart renders is accepted by the daemon's own {@link ConfigLoader} (strict:
 * an unknown key or a wrong type is an error), so a chart change cannot ship a configuration the
 * daemon would refuse with exit 2.
 *
 * <p>The chart also renders keys for daemon features that have not landed yet ({@link
 * #PENDING_DAEMON_KEYS}); they are taken out before loading, and {@link
 * #pendingKeys_currentDaemon_stillUnknown} fails as soon as the daemon accepts one of them, so that
 * it is then validated like every other key.
 */
class DaemonConfigTest {
  /** Keys the chart renders that the daemon does not accept yet (none at the moment). */
  static final List<String> PENDING_DAEMON_KEYS = List.of();

  @TempDir Path tmp;

  static Stream<String> scenarios() {
    return Chart.scenarioFiles().stream().map(Chart::scenarioName);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void sidecarConfig_scenario_acceptedByTheDaemon(String scenario) throws IOException {
    String rendered = Chart.renderScenario(scenario).sidecarConfig();

    SidecarConfig config = load(rendered);

    assertThat(config.server().socketPath()).isEqualTo(tmp.resolve("sidecar.sock").toString());
    assertThat(Yaml.at(Yaml.tree(rendered), "server.socket_path").asText()).isEqualTo("/run/flow-sidecar/sidecar.sock");
  }

  @Test
  void collectorConfig_collectorScenario_acceptedByTheDaemon() throws IOException {
    String rendered = Chart.renderScenario("collector-hpa").collectorConfig();

    SidecarConfig config = load(rendered);

    assertThat(config.metrics().address().port()).isEqualTo(9464);
    assertThat(config.metrics().allowRemote()).isTrue();
    assertThat(config.collector().address().port()).isEqualTo(8443);
    assertThat(config.collector().allowRemote()).isTrue();
    assertThat(config.server().health().orElseThrow().port()).isEqualTo(8087);
  }

  @Test
  void sidecarConfig_typedUserValues_keepTheirTypesThroughTheChart() throws IOException, URISyntaxException {
    Path values = Path.of(DaemonConfigTest.class.getResource("daemon-config-values.yaml").toURI());
    String rendered = Chart.render(List.of(values), Map.of()).sidecarConfig();

    SidecarConfig config = load(rendered);

    assertThat(config.region()).isEqualTo("eu-central-1");
    assertThat(config.server().socketMode()).isEqualTo("0660");
    assertThat(config.server().allowedPeerUids()).containsExactly(10002);
    assertThat(config.server().workerThreads()).isEqualTo(8);
    assertThat(config.server().reflection()).isFalse();
    assertThat(config.server().shutdownGrace()).isEqualTo(Duration.ofSeconds(15));
    assertThat(config.server().tcpAddress()).isNull();
    assertThat(config.logging().level()).isEqualTo("debug");
  }

  /**
   * On disk the spool holds at most spool_max_size of unacknowledged segments plus the newest
   * segment, which it keeps after the acknowledgement; both must fit under the emptyDir's sizeLimit,
   * or the kubelet evicts the pod instead of the daemon refusing releases.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"320Mi, 335544320", "1Mi, 1048576", "100Mi, 104857600", "2Gi, 2147483648"})
  void auditSpoolSizes_sizeLimit_acceptedByTheDaemonAndSpoolPlusASegmentFit(String sizeLimit, long limitBytes)
      throws IOException {
    String rendered = Chart.render(List.of(), Map.of("sidecar.auditSpool.sizeLimit", sizeLimit)).sidecarConfig();

    SidecarConfig config = load(rendered);

    long max = config.audit().spoolMaxSize().bytes();
    long segment = config.audit().segmentSize().bytes();
    assertThat(config.audit().spoolDir()).isEqualTo("/var/lib/flow-sidecar/audit");
    assertThat(max).isBetween(limitBytes * 79 / 100, limitBytes * 4 / 5);
    assertThat(max + segment).as("spool plus the kept segment").isLessThanOrEqualTo(limitBytes * 17 / 20);
  }

  @Test
  void auditSpoolSizes_defaultSizeLimit_areTheDaemonsDefaults() throws IOException {
    SidecarConfig chart = load(Chart.render(List.of(), Map.of()).sidecarConfig());
    SidecarConfig daemon = new ConfigLoader().load(ConfigLoader.Sources.of(Optional.empty(), Map.of(), List.of(
        "server.socket_path=" + tmp.resolve("sidecar.sock"))));

    assertThat(chart.audit().spoolDir()).isEqualTo(daemon.audit().spoolDir());
    assertThat(chart.audit().spoolMaxSize()).isEqualTo(daemon.audit().spoolMaxSize());
    assertThat(chart.audit().segmentSize()).isEqualTo(daemon.audit().segmentSize());
  }

  @Test
  void pendingKeys_currentDaemon_stillUnknown() throws IOException {
    for (String key : PENDING_DAEMON_KEYS) {
      ObjectNode tree = Yaml.MAPPER.createObjectNode();
      put(tree, key);
      Path file = Files.writeString(tmp.resolve("pending.yaml"), Yaml.MAPPER.writeValueAsString(tree));

      ConfigException e = catchThrowableOfType(ConfigException.class,
          () -> new ConfigLoader().load(ConfigLoader.Sources.of(Optional.of(file), Map.of(), List.of())));

      assertThat(e)
          .as("the daemon now accepts %s: remove it from PENDING_DAEMON_KEYS so the chart's value is validated", key)
          .isNotNull();
      assertThat(e.getMessage()).startsWith(key).contains("unknown configuration key");
    }
  }

  /**
   * Loads a rendered configuration as the daemon would, minus the pending keys. The socket path is
   * moved into the temp directory: the daemon checks that its directory is writable, which in the
   * pod is the emptyDir's business, not this machine's.
   */
  private SidecarConfig load(String rendered) throws IOException {
    ObjectNode tree = (ObjectNode) Yaml.tree(rendered);
    for (String key : PENDING_DAEMON_KEYS) {
      remove(tree, key);
    }
    ((ObjectNode) tree.get("server")).put("socket_path", tmp.resolve("sidecar.sock").toString());
    Path file = Files.writeString(tmp.resolve("config.yaml"), Yaml.MAPPER.writeValueAsString(tree));
    return new ConfigLoader().load(ConfigLoader.Sources.of(Optional.of(file), Map.of(), List.of()));
  }

  private static void remove(ObjectNode root, String dotted) {
    String[] parts = dotted.split("\\.");
    JsonNode node = root;
    for (int i = 0; i < parts.length - 1 && node != null; i++) {
      node = node.get(parts[i]);
    }
    if (node instanceof ObjectNode parent) {
      parent.remove(parts[parts.length - 1]);
    }
  }

  private static void put(ObjectNode root, String dotted) {
    String[] parts = dotted.split("\\.");
    ObjectNode node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.withObject("/" + parts[i]);
    }
    node.put(parts[parts.length - 1], "x");
  }
}
