package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team's own chart (fixture team-executor/) depends on flow-sidecar and adds the sidecar to its
 * Job with the reusable templates, through {@code index .Subcharts "flow-sidecar"}.
 */
class ReusableTemplateTest {
  @TempDir Path tmp;

  private Rendered renderTeamChart(Map<String, String> sets) throws IOException, URISyntaxException {
    Path chart = tmp.resolve("team-executor");
    copyTree(Path.of(ReusableTemplateTest.class.getResource("team-executor").toURI()), chart);
    copyTree(Chart.DIR, chart.resolve("charts/flow-sidecar"));
    TemplateCommand cmd = new Helm(chart).template().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE);
    for (Map.Entry<String, String> e : sets.entrySet()) {
      cmd = cmd.set(e.getKey(), e.getValue());
    }
    return Rendered.parse(cmd.call());
  }

  @Test
  void teamJob_nativeMode_carriesTheSidecarWiredToTheSubchartsObjects() throws Exception {
    Rendered r = renderTeamChart(Map.of());
    Job job = r.one(Job.class, Chart.RELEASE + "-step");
    PodView pod = new PodView(job.getSpec().getTemplate());

    assertThat(pod.initContainers()).extracting(Container::getName).containsExactly(PodView.SIDECAR);
    assertThat(pod.sidecar().getRestartPolicy()).as("a Job completes when its step exits").isEqualTo("Always");
    assertThat(pod.volume("flow-sidecar-config").getConfigMap().getName())
        .isEqualTo(r.one(ConfigMap.class, Chart.FULLNAME + "-config").getMetadata().getName());
    assertThat(pod.spec().getServiceAccountName())
        .isEqualTo(r.one(ServiceAccount.class, Chart.FULLNAME).getMetadata().getName());
    assertThat(pod.findVolume("flow-sidecar-vault-token")).isPresent();
    assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("flow-sidecar.apixx.io/sidecar", "true");
    assertThat(job.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsKey("checksum/flow-sidecar-config");
    assertThat(PodView.mount(pod.workloads().get(0), "flow-sidecar-socket")).isPresent();
    assertThat(PodSecurityRestricted.violations(job.getSpec().getTemplate().getMetadata(), pod.spec())).isEmpty();
  }

  @Test
  void teamJob_classicMode_carriesTheSidecarAsARegularContainer() throws Exception {
    Rendered r = renderTeamChart(Map.of("flow-sidecar.sidecar.mode", "classic"));
    PodView pod = new PodView(r.one(Job.class, Chart.RELEASE + "-step").getSpec().getTemplate());

    assertThat(pod.initContainers()).isEmpty();
    assertThat(pod.containers()).extracting(Container::getName).containsExactly("step", PodView.SIDECAR);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      paths.forEach(p -> {
        Path target = to.resolve(from.relativize(p).toString());
        try {
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            Files.copy(p, target);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
