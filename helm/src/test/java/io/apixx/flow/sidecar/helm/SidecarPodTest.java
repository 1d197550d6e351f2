package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pod that carries the sidecar (the example executor, built from the reusable templates),
 * rendered for every CI scenario in ci/*-values.yaml and checked field by field.
 */
class SidecarPodTest {
  private static final String SOCKET_DIR = "/run/flow-sidecar";
  private static final String SOCKET = SOCKET_DIR + "/sidecar.sock";
  private static final int HEALTH_PORT = 8087;
  private static final String SPOOL_DIR = "/var/lib/flow-sidecar/audit";
  private static final String SPOOL_VOLUME = "flow-sidecar-audit-spool";
  /** Env names that must never carry a literal value (use valueFrom or a mounted file). */
  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL).*");
  /** Literal values that look like secret material. */
  private static final Pattern SECRET_VALUE =
      Pattern.compile("(?s).*(-----BEGIN|eyJ[A-Za-z0-9_-]{10,}\\.|vault:v\\d+:|AKIA[0-9A-Z]{16}|hvs\\.[A-Za-z0-9]{20,}).*");

  static Stream<String> scenarios() {
    return Chart.scenarioFiles().stream().map(Chart::scenarioName);
  }

  private static PodView executorPod(Rendered r) {
    return new PodView(r.executor().getSpec().getTemplate());
  }

  @Test
  void scenarios_ciDirectory_holdsTheDocumentedScenarios() {
    List<Path> files = Chart.scenarioFiles();

    assertThat(files.stream().map(Chart::scenarioName))
        .contains("default", "vault", "classic-sidecar", "collector-hpa");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void executorPod_scenario_meetsRestrictedProfileWithReadOnlyRoot(String scenario) {
    Deployment executor = Chart.renderScenario(scenario).executor();

    assertThat(PodSecurityRestricted.violations(
            executor.getSpec().getTemplate().getMetadata(), executor.getSpec().getTemplate().getSpec()))
        .isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void executorPod_scenario_automountsNoServiceAccountToken(String scenario) {
    Rendered r = Chart.renderScenario(scenario);
    PodView pod = executorPod(r);
    ServiceAccount sa = r.one(ServiceAccount.class, Chart.FULLNAME);

    assertThat(pod.spec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.spec().getServiceAccountName()).isEqualTo(Chart.FULLNAME);
    assertThat(sa.getAutomountServiceAccountToken()).isFalse();
    // Any service-account token in the pod is an explicit, audience-bound projection into the sidecar.
    for (Volume v : pod.spec().getVolumes()) {
      if (v.getProjected() == null) {
        continue;
      }
      v.getProjected().getSources().stream()
          .filter(s -> s.getServiceAccountToken() != null)
          .forEach(s -> {
            assertThat(s.getServiceAccountToken().getAudience()).as(v.getName()).isNotBlank();
            assertThat(pod.workloads()).allMatch(c -> PodView.mount(c, v.getName()).isEmpty());
          });
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void sidecarProbes_scenario_startupAndLivenessAskLivenessReadinessAsksOverall(String scenario) {
    Rendered r = Chart.renderScenario(scenario);
    Container sidecar = executorPod(r).sidecar();
    JsonNode config = Yaml.tree(r.sidecarConfig());

    assertGrpcProbe(sidecar.getStartupProbe(), "liveness");
    assertGrpcProbe(sidecar.getLivenessProbe(), "liveness");
    assertGrpcProbe(sidecar.getReadinessProbe(), "");
    // The probes reach the daemon through its health-only listener, on the pod IP.
    assertThat(Yaml.at(config, "server.health_address").asText()).isEqualTo("0.0.0.0:" + HEALTH_PORT);
    assertThat(Yaml.at(config, "server.health_allow_remote").asBoolean()).isTrue();
    assertThat(sidecar.getPorts()).anyMatch(p -> p.getContainerPort() == HEALTH_PORT);
    assertThat(sidecar.getStartupProbe().getFailureThreshold() * sidecar.getStartupProbe().getPeriodSeconds())
        .as("seconds the daemon gets to start")
        .isBetween(10, 120);
  }

  private static void assertGrpcProbe(Probe probe, String service) {
    assertThat(probe).isNotNull();
    assertThat(probe.getExec()).isNull();
    assertThat(probe.getHttpGet()).isNull();
    assertThat(probe.getGrpc()).isNotNull();
    assertThat(probe.getGrpc().getPort()).isEqualTo(HEALTH_PORT);
    assertThat(probe.getGrpc().getService()).isEqualTo(service);
    assertThat(probe.getTimeoutSeconds()).isPositive();
    assertThat(probe.getPeriodSeconds()).isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void socketVolume_scenario_isMemoryEmptyDirSharedReadOnlyWithWorkloads(String scenario) {
    Rendered r = Chart.renderScenario(scenario);
    PodView pod = executorPod(r);
    Volume socket = pod.volume("flow-sidecar-socket");

    assertThat(socket.getEmptyDir()).isNotNull();
    assertThat(socket.getEmptyDir().getMedium()).isEqualTo("Memory");
    assertThat(socket.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("1Mi"));
    VolumeMount sidecarMount = PodView.mount(pod.sidecar(), "flow-sidecar-socket").orElseThrow();
    assertThat(sidecarMount.getMountPath()).isEqualTo(SOCKET_DIR);
    assertThat(sidecarMount.getReadOnly()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod.workloads()).isNotEmpty().allSatisfy(c -> {
      VolumeMount m = PodView.mount(c, "flow-sidecar-socket").orElseThrow();
      assertThat(m.getMountPath()).isEqualTo(SOCKET_DIR);
      assertThat(m.getReadOnly()).isTrue();
      assertThat(c.getEnv()).contains(new EnvVar("FLOW_SIDECAR_TARGET", "unix://" + SOCKET, null));
    });
    // The daemon creates its 0660 socket there; fsGroup gives every container of the pod the group.
    assertThat(Yaml.at(Yaml.tree(r.sidecarConfig()), "server.socket_path").asText()).isEqualTo(SOCKET);
    assertThat(pod.spec().getSecurityContext().getFsGroup()).isEqualTo(10001L);
    assertThat(pod.volume("flow-sidecar-tmp").getEmptyDir().getMedium()).isEqualTo("Memory");
    assertThat(PodView.mount(pod.sidecar(), "flow-sidecar-tmp").orElseThrow().getMountPath()).isEqualTo("/tmp");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void auditSpoolVolume_scenario_isDiskEmptyDirMountedWritableInTheSidecarOnly(String scenario) {
    Rendered r = Chart.renderScenario(scenario);
    PodView pod = executorPod(r);
    Volume spool = pod.volume(SPOOL_VOLUME);
    JsonNode config = Yaml.tree(r.sidecarConfig());

    assertThat(spool.getEmptyDir()).isNotNull();
    assertThat(spool.getEmptyDir().getMedium()).as("disk-backed, not tmpfs").isNullOrEmpty();
    assertThat(spool.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("320Mi"));
    VolumeMount mount = PodView.mount(pod.sidecar(), SPOOL_VOLUME).orElseThrow();
    assertThat(mount.getMountPath()).isEqualTo(SPOOL_DIR);
    assertThat(mount.getReadOnly()).isNotEqualTo(Boolean.TRUE);
    assertThat(mount.getSubPath()).isNullOrEmpty();
    assertThat(Stream.concat(pod.initContainers().stream(), pod.containers().stream()))
        .filteredOn(c -> PodView.mount(c, SPOOL_VOLUME).isPresent())
        .extracting(Container::getName)
        .containsExactly(PodView.SIDECAR);
    assertThat(Yaml.at(config, "audit.spool_dir").asText()).isEqualTo(SPOOL_DIR);
    assertThat(Yaml.at(config, "audit.spool_max_size").asText()).isEqualTo("256MiB");
    assertThat(Yaml.at(config, "audit.segment_size").asText()).isEqualTo("16MiB");
  }

  @Test
  void auditSpoolVolume_directoryAndSizeLimitSet_volumeMountAndConfigFollow() {
    Rendered r = Chart.render(List.of(Chart.DIR.resolve("ci/default-values.yaml")), Map.of(
        "sidecar.auditSpool.directory", "/var/spool/flow",
        "sidecar.auditSpool.sizeLimit", "2Gi"));
    PodView pod = executorPod(r);
    JsonNode config = Yaml.tree(r.sidecarConfig());

    assertThat(pod.volume(SPOOL_VOLUME).getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("2Gi"));
    assertThat(PodView.mount(pod.sidecar(), SPOOL_VOLUME).orElseThrow().getMountPath()).isEqualTo("/var/spool/flow");
    assertThat(Yaml.at(config, "audit.spool_dir").asText()).isEqualTo("/var/spool/flow");
    // 4/5 of 2 GiB in whole KiB, and 1/16 of that.
    assertThat(Yaml.at(config, "audit.spool_max_size").asText()).isEqualTo("1677721KiB");
    assertThat(Yaml.at(config, "audit.segment_size").asText()).isEqualTo("104857KiB");
  }

  @Test
  void auditSpoolConfig_userSetsOtherAuditKeys_keptBesideTheChartManagedOnes() {
    Rendered r = Chart.render(List.of(Chart.DIR.resolve("ci/default-values.yaml")), Map.of(
        "config.audit.max_batch", "1024",
        "config.audit.collector.address", "collector.flow.svc:8443"));
    JsonNode config = Yaml.tree(r.sidecarConfig());

    assertThat(Yaml.at(config, "audit.max_batch").asInt()).isEqualTo(1024);
    assertThat(Yaml.at(config, "audit.collector.address").asText()).isEqualTo("collector.flow.svc:8443");
    assertThat(Yaml.at(config, "audit.spool_dir").asText()).isEqualTo(SPOOL_DIR);
  }

  @Test
  void sidecar_aotCacheSet_passedToTheLauncher_unsetByDefault() {
    Container byDefault = executorPod(Chart.renderScenario("default")).sidecar();
    assertThat(byDefault.getEnv()).extracting(EnvVar::getName).doesNotContain("FLOW_SIDECAR_AOT_CACHE", "FLOW_SIDECAR_AOT_TRAIN");

    Container withCache = executorPod(Chart.render(List.of(Chart.DIR.resolve("ci/default-values.yaml")), Map.of("sidecar.aotCache", "/opt/flow-sidecar/lib/flow-sidecar.aot"))).sidecar();
    assertThat(withCache.getEnv()).contains(new EnvVar("FLOW_SIDECAR_AOT_CACHE", "/opt/flow-sidecar/lib/flow-sidecar.aot", null));
    // Never recorded in a pod: the root filesystem is read-only.
    assertThat(withCache.getEnv()).extracting(EnvVar::getName).doesNotContain("FLOW_SIDECAR_AOT_TRAIN");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void sidecar_scenario_servesItsConfigMapWithResourcesAndJavaOpts(String scenario) {
    Rendered r = Chart.renderScenario(scenario);
    PodView pod = executorPod(r);
    Container sidecar = pod.sidecar();

    assertThat(sidecar.getArgs()).containsExactly("serve", "--config", "/etc/flow-sidecar/config/sidecar.yaml");
    assertThat(sidecar.getImage()).isEqualTo("apixx/flow-sidecar:0.1.0");
    assertThat(sidecar.getEnv()).contains(new EnvVar("FLOW_SIDECAR_JAVA_OPTS", "-XX:-UsePerfData", null));
    assertThat(sidecar.getResources().getRequests())
        .containsEntry("cpu", new Quantity("50m"))
        .containsEntry("memory", new Quantity("160Mi"));
    assertThat(sidecar.getResources().getLimits()).containsEntry("memory", new Quantity("160Mi"));
    Volume config = pod.volume("flow-sidecar-config");
    assertThat(config.getConfigMap().getName()).isEqualTo(Chart.FULLNAME + "-config");
    assertThat(config.getConfigMap().getDefaultMode()).isEqualTo(0440);
    assertThat(r.find(ConfigMap.class, Chart.FULLNAME + "-config")).isPresent();
    VolumeMount mount = PodView.mount(sidecar, "flow-sidecar-config").orElseThrow();
    assertThat(mount.getMountPath()).isEqualTo("/etc/flow-sidecar/config");
    assertThat(mount.getReadOnly()).isTrue();
  }

  /**
   * The daemon's plaintext credentials and data keys must not reach swap, and it cannot mlock them.
   * Under NodeSwap LimitedSwap a container whose memory request equals its limit gets no swap.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void sidecarMemory_scenario_requestEqualsLimitSoLimitedSwapGivesItNone(String scenario) {
    Container sidecar = executorPod(Chart.renderScenario(scenario)).sidecar();
    Quantity request = sidecar.getResources().getRequests().get("memory");
    Quantity limit = sidecar.getResources().getLimits().get("memory");

    assertThat(limit).as("memory limit").isNotNull();
    assertThat(request).as("memory request").isNotNull();
    assertThat(Quantity.getAmountInBytes(request)).isEqualByComparingTo(Quantity.getAmountInBytes(limit));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void secrets_scenario_noSecretObjectsAndNoSecretLiterals(String scenario) {
    Rendered r = Chart.renderScenario(scenario);

    assertThat(r.all(Secret.class)).as("Secret manifests").isEmpty();
    for (Deployment d : r.all(Deployment.class)) {
      PodView pod = new PodView(d.getSpec().getTemplate());
      Stream.concat(pod.initContainers().stream(), pod.containers().stream())
          .flatMap(c -> c.getEnv() == null ? Stream.empty() : c.getEnv().stream())
          .filter(e -> e.getValue() != null && !e.getValue().isEmpty())
          .forEach(e -> {
            assertThat(e.getName()).as("literal env in %s", d.getMetadata().getName()).doesNotMatch(SECRET_NAME);
            assertThat(e.getValue()).as("env %s", e.getName()).doesNotMatch(SECRET_VALUE);
          });
    }
    for (ConfigMap cm : r.all(ConfigMap.class)) {
      cm.getData().forEach((k, v) -> {
        assertThat(v).as("ConfigMap %s key %s", cm.getMetadata().getName(), k).doesNotMatch(SECRET_VALUE);
        assertNoSecretLiteral(Yaml.tree(v), "");
      });
    }
  }

  /** A config key named like a secret must not hold a literal (a *_file path is fine). */
  private static void assertNoSecretLiteral(JsonNode node, String path) {
    node.fields().forEachRemaining(e -> {
      String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      if (e.getValue().isObject()) {
        assertNoSecretLiteral(e.getValue(), key);
      } else if (!e.getKey().endsWith("_file") && e.getKey().toUpperCase().matches(SECRET_NAME.pattern())) {
        assertThat(e.getValue().asText()).as("config key %s", key).isEmpty();
      }
    });
  }

  @Test
  void sidecar_nativeMode_isInitContainerWithRestartPolicyAlways() {
    PodView pod = executorPod(Chart.renderScenario("default"));

    assertThat(pod.initContainers()).extracting(Container::getName).containsExactly(PodView.SIDECAR);
    assertThat(pod.sidecar().getRestartPolicy()).isEqualTo("Always");
    assertThat(pod.containers()).extracting(Container::getName).containsExactly("executor");
  }

  @Test
  void sidecar_classicMode_isRegularContainerWithoutRestartPolicy() {
    PodView pod = executorPod(Chart.renderScenario("classic-sidecar"));

    assertThat(pod.initContainers()).isEmpty();
    assertThat(pod.containers()).extracting(Container::getName).containsExactly("executor", PodView.SIDECAR);
    assertThat(pod.sidecar().getRestartPolicy()).isNull();
  }

  @Test
  void listeners_defaultValues_unixSocketOnlyAndLoopbackMetrics() {
    Rendered r = Chart.renderScenario("default");
    JsonNode config = Yaml.tree(r.sidecarConfig());
    Container sidecar = executorPod(r).sidecar();

    assertThat(Yaml.at(config, "server.tcp_address").asText()).isEmpty();
    assertThat(Yaml.at(config, "metrics.address").asText()).isEqualTo("127.0.0.1:9464");
    assertThat(Yaml.at(config, "metrics.allow_remote").asBoolean()).isFalse();
    assertThat(sidecar.getPorts()).noneMatch(p -> p.getContainerPort() == 9464);
    assertThat(r.executor().getSpec().getTemplate().getMetadata().getAnnotations())
        .doesNotContainKey("prometheus.io/scrape");
  }

  @Test
  void listeners_classicScenario_loopbackTcpAndClusterScrapableMetrics() {
    Rendered r = Chart.renderScenario("classic-sidecar");
    JsonNode config = Yaml.tree(r.sidecarConfig());
    Container sidecar = executorPod(r).sidecar();

    assertThat(Yaml.at(config, "server.tcp_address").asText()).isEqualTo("127.0.0.1:50051");
    assertThat(Yaml.at(config, "metrics.address").asText()).isEqualTo("0.0.0.0:9464");
    assertThat(Yaml.at(config, "metrics.allow_remote").asBoolean()).isTrue();
    assertThat(sidecar.getPorts()).anyMatch(p -> p.getContainerPort() == 9464 && p.getHostPort() == null);
    assertThat(r.executor().getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "9464");
  }

  @Test
  void probes_execType_runHealthCommandOverTheSocketWithoutHealthListener() {
    Rendered r = Chart.render(
        List.of(Chart.DIR.resolve("ci/default-values.yaml")), Map.of("sidecar.probes.type", "exec"));
    Container sidecar = executorPod(r).sidecar();
    String launcher = "/opt/flow-sidecar/bin/flow-sidecar";

    assertThat(sidecar.getStartupProbe().getExec().getCommand())
        .containsExactly(launcher, "health", "--socket", SOCKET, "--service", "liveness");
    assertThat(sidecar.getLivenessProbe().getExec().getCommand())
        .containsExactly(launcher, "health", "--socket", SOCKET, "--service", "liveness");
    assertThat(sidecar.getReadinessProbe().getExec().getCommand())
        .containsExactly(launcher, "health", "--socket", SOCKET, "--service", "");
    assertThat(sidecar.getReadinessProbe().getGrpc()).isNull();
    assertThat(sidecar.getPorts()).isNullOrEmpty();
    assertThat(Yaml.at(Yaml.tree(r.sidecarConfig()), "server.health_address").isMissingNode()).isTrue();
  }

  @Test
  void configChecksum_configChanged_podAnnotationChanges() {
    Path values = Chart.DIR.resolve("ci/default-values.yaml");
    String before = checksum(Chart.render(List.of(values), Map.of()));
    String after = checksum(Chart.render(List.of(values), Map.of("config.logging.level", "debug")));

    assertThat(before).matches("[0-9a-f]{64}");
    assertThat(after).matches("[0-9a-f]{64}").isNotEqualTo(before);
  }

  @Test
  void configChecksum_unrelatedValueChanged_unchanged() {
    Path values = Chart.DIR.resolve("ci/default-values.yaml");
    String before = checksum(Chart.render(List.of(values), Map.of()));
    String after = checksum(Chart.render(List.of(values), Map.of("example.replicaCount", "3")));

    assertThat(after).isEqualTo(before);
  }

  private static String checksum(Rendered r) {
    return r.executor().getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/flow-sidecar-config");
  }

  @Test
  void chartDefaults_noValues_rendersOnlyServiceAccountAndConfigMap() {
    Rendered r = Chart.render(List.of(), Map.of());

    assertThat(r.names()).containsExactlyInAnyOrder(
        "ServiceAccount/" + Chart.FULLNAME, "ConfigMap/" + Chart.FULLNAME + "-config");
  }
}
