package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.helm.DaemonWrites.Write;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sidecar runs on a read-only root filesystem, so every path its daemon writes (socket
 * directory, audit spool, file keyring, ...; see {@link DaemonWrites}) must lie under a writable
 * volume mount of the sidecar container. Checked for every CI scenario; the remaining tests show
 * that the check can fail.
 */
class DaemonWritesTest {
  private static final String SOCKET_DIR = "server.socket_path (its directory)";
  private static final String KEYRING = "kms.uri (file keyring)";

  @TempDir Path tmp;

  static Stream<String> scenarios() {
    return Chart.scenarioFiles().stream().map(Chart::scenarioName);
  }

  private List<String> unwritableInExecutorPod(Rendered r) {
    PodView pod = new PodView(r.executor().getSpec().getTemplate());
    List<Write> writes = DaemonWrites.of(r.sidecarConfig(), pod.sidecar(), tmp);
    return DaemonWrites.unwritable(writes, pod.sidecar(), pod.spec().getVolumes());
  }

  private static Rendered renderDefault(Map<String, String> sets) {
    return Chart.render(List.of(Chart.DIR.resolve("ci/default-values.yaml")), sets);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void daemonWrites_scenario_eachUnderAWritableSidecarMount(String scenario) {
    Rendered r = Chart.renderScenario(scenario);
    PodView pod = new PodView(r.executor().getSpec().getTemplate());

    List<Write> writes = DaemonWrites.of(r.sidecarConfig(), pod.sidecar(), tmp);

    assertThat(writes).extracting(Write::setting).contains(SOCKET_DIR, "audit.spool_dir", "java.io.tmpdir");
    assertThat(DaemonWrites.unwritable(writes, pod.sidecar(), pod.spec().getVolumes())).isEmpty();
  }

  @Test
  void unwritable_fileKeyringOutsideEveryMount_reported() {
    Rendered r = renderDefault(Map.of("config.kms.uri", "file:///var/lib/flow-sidecar/keyring.json"));

    assertThat(unwritableInExecutorPod(r)).containsExactly(
        KEYRING + " -> /var/lib/flow-sidecar/keyring.json: under no volume mount, on the read-only root filesystem");
  }

  @Test
  void unwritable_relativeFileKeyring_reportedAsOnTheImage() {
    Rendered r = renderDefault(Map.of("config.kms.uri", "file:.dev/keyring.json"));

    assertThat(unwritableInExecutorPod(r)).containsExactly(
        KEYRING + " -> .dev/keyring.json: relative to the working directory, on the read-only root filesystem");
  }

  @Test
  void unwritable_spoolDirMovedByExtraEnv_reported() {
    Rendered r = renderDefault(Map.of(
        "sidecar.extraEnv[0].name", "FLOW_SIDECAR_AUDIT__SPOOL_DIR",
        "sidecar.extraEnv[0].value", "/var/lib/elsewhere"));

    assertThat(unwritableInExecutorPod(r)).containsExactly(
        "audit.spool_dir -> /var/lib/elsewhere: under no volume mount, on the read-only root filesystem");
  }

  @Test
  void unwritable_deepestMountIsAConfigMap_reportedEvenWithoutReadOnly() {
    Container c = new ContainerBuilder()
        .withName("flow-sidecar")
        .addNewVolumeMount().withName("state").withMountPath("/var/lib/flow").endVolumeMount()
        .addNewVolumeMount().withName("conf").withMountPath("/var/lib/flow/conf").endVolumeMount()
        .build();
    List<Volume> volumes = List.of(
        new VolumeBuilder().withName("state").withNewEmptyDir().endEmptyDir().build(),
        new VolumeBuilder().withName("conf").withNewConfigMap().withName("cm").endConfigMap().build());
    List<Write> writes = List.of(
        new Write("a", Path.of("/var/lib/flow/spool")),
        new Write("b", Path.of("/var/lib/flow/conf/keyring.json")));

    assertThat(DaemonWrites.unwritable(writes, c, volumes)).containsExactly(
        "b -> /var/lib/flow/conf/keyring.json: under volume conf, which the kubelet always mounts read-only");
  }

  @Test
  void unwritable_readOnlyMountOrSiblingPrefix_reported() {
    Container c = new ContainerBuilder()
        .withName("flow-sidecar")
        .addNewVolumeMount().withName("socket").withMountPath("/run/flow-sidecar").withReadOnly(true).endVolumeMount()
        .build();
    List<Volume> volumes = List.of(new VolumeBuilder().withName("socket").withNewEmptyDir().endEmptyDir().build());
    List<Write> writes = List.of(
        new Write("a", Path.of("/run/flow-sidecar")),
        new Write("b", Path.of("/run/flow-sidecar-other")));

    assertThat(DaemonWrites.unwritable(writes, c, volumes)).containsExactly(
        "a -> /run/flow-sidecar: under volume mount socket at /run/flow-sidecar, which is readOnly",
        "b -> /run/flow-sidecar-other: under no volume mount, on the read-only root filesystem");
  }
}
