package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.KeyToPathBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit collector: ci/collector-hpa-values.yaml, and the collector without an HPA. */
class CollectorTest {
  private static final String NAME = Chart.FULLNAME + "-collector";
  private static final String SIDECAR_LABEL = "flow-sidecar.apixx.io/sidecar";

  private static Rendered hpaScenario() {
    return Chart.renderScenario("collector-hpa");
  }

  private static Rendered withoutHpa() {
    return Chart.render(List.of(), Map.of("collector.enabled", "true", "collector.tls.secretName", "collector-tls"));
  }

  private static Map<String, String> podLabels(Deployment d) {
    return d.getSpec().getTemplate().getMetadata().getLabels();
  }

  @Test
  void collector_chartDefaults_notRendered() {
    Rendered r = Chart.render(List.of(), Map.of());

    assertThat(r.names()).noneMatch(n -> n.contains("collector"));
  }

  @Test
  void deployment_hpaScenario_runsCollectorCommandHardened() {
    Deployment d = hpaScenario().collector();
    PodView pod = new PodView(d.getSpec().getTemplate());
    Container c = pod.containers().get(0);

    assertThat(pod.containers()).hasSize(1);
    assertThat(c.getArgs()).containsExactly("collector", "--config", "/etc/flow-sidecar/config/collector.yaml");
    assertThat(PodSecurityRestricted.violations(d.getSpec().getTemplate().getMetadata(), pod.spec())).isEmpty();
    assertThat(pod.spec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.spec().getServiceAccountName()).isEqualTo(NAME);
    assertThat(hpaScenario().one(ServiceAccount.class, NAME).getAutomountServiceAccountToken()).isFalse();
    assertThat(d.getSpec().getReplicas()).as("replicas are the HPA's to set").isNull();
    assertThat(c.getResources().getLimits()).containsKey("memory");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
  }

  @Test
  void probes_hpaScenario_grpcOnTheHealthListener() {
    Rendered r = hpaScenario();
    Container c = r.collector().getSpec().getTemplate().getSpec().getContainers().get(0);
    JsonNode config = Yaml.tree(r.collectorConfig());

    assertCollectorProbe(c.getStartupProbe(), "liveness");
    assertCollectorProbe(c.getLivenessProbe(), "liveness");
    assertCollectorProbe(c.getReadinessProbe(), "");
    assertThat(Yaml.at(config, "server.health_address").asText()).isEqualTo("0.0.0.0:8087");
    assertThat(Yaml.at(config, "collector.address").asText()).isEqualTo("0.0.0.0:8443");
    assertThat(c.getPorts()).anyMatch(p -> "grpc".equals(p.getName()) && p.getContainerPort() == 8443);
  }

  private static void assertCollectorProbe(Probe p, String service) {
    assertThat(p.getGrpc()).isNotNull();
    assertThat(p.getGrpc().getPort()).isEqualTo(8087);
    assertThat(p.getGrpc().getService()).isEqualTo(service);
  }

  @Test
  void secrets_hpaScenario_tlsClientCaAndDatabasePasswordByReference() {
    PodView pod = new PodView(hpaScenario().collector().getSpec().getTemplate());

    assertThat(pod.volume("secrets").getProjected().getSources())
        .extracting(VolumeProjection::getSecret)
        .extracting(s -> s.getName())
        .containsExactly("flow-collector-tls", "flow-collector-client-ca", "flow-collector-db");
    assertThat(pod.volume("secrets").getProjected().getSources().get(0).getSecret().getItems())
        .containsExactly(new KeyToPathBuilder().withKey("tls.crt").withPath("tls/tls.crt").build(), new KeyToPathBuilder().withKey("tls.key").withPath("tls/tls.key").build());
  }

  @Test
  void service_hpaScenario_targetsTheGrpcPortOfCollectorPods() {
    Rendered r = hpaScenario();
    Service s = r.one(Service.class, NAME);

    assertThat(s.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(podLabels(r.collector())).containsAllEntriesOf(s.getSpec().getSelector());
    assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("grpc");
      assertThat(p.getPort()).isEqualTo(8443);
      assertThat(p.getTargetPort()).isEqualTo(new IntOrString("grpc"));
    });
  }

  @Test
  void pdb_hpaScenario_keepsOneCollectorPodUp() {
    Rendered r = hpaScenario();
    PodDisruptionBudget pdb = r.one(PodDisruptionBudget.class, NAME);

    assertThat(pdb.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
    assertThat(pdb.getSpec().getMaxUnavailable()).isNull();
    assertThat(podLabels(r.collector())).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void hpa_hpaScenario_scalesTheCollectorDeploymentOnCpuAndMemory() {
    HorizontalPodAutoscaler hpa = hpaScenario().one(HorizontalPodAutoscaler.class, NAME);

    assertThat(hpa.getApiVersion()).isEqualTo("autoscaling/v2");
    assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(NAME);
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(6);
    assertThat(hpa.getSpec().getMetrics())
        .extracting(MetricSpec::getResource)
        .extracting(m -> m.getName() + "=" + m.getTarget().getAverageUtilization())
        .containsExactly("cpu=65", "memory=80");
  }

  @Test
  void networkPolicy_hpaScenario_admitsOnlySidecarPodsOnTheGrpcPort() {
    Rendered r = hpaScenario();
    NetworkPolicy np = r.one(NetworkPolicy.class, NAME);

    assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(podLabels(r.collector())).containsAllEntriesOf(np.getSpec().getPodSelector().getMatchLabels());
    List<NetworkPolicyIngressRule> grpcRules = np.getSpec().getIngress().stream()
        .filter(rule -> rule.getPorts().stream().anyMatch(p -> new IntOrString("grpc").equals(p.getPort())))
        .toList();
    assertThat(grpcRules).singleElement().satisfies(rule -> {
      assertThat(rule.getPorts()).singleElement().satisfies(p -> assertThat(p.getProtocol()).isEqualTo("TCP"));
      NetworkPolicyPeer peer = rule.getFrom().get(0);
      assertThat(rule.getFrom()).hasSize(1);
      assertThat(peer.getIpBlock()).isNull();
      assertThat(peer.getPodSelector().getMatchLabels()).containsExactly(Map.entry(SIDECAR_LABEL, "true"));
      assertThat(peer.getPodSelector().getMatchExpressions()).isNullOrEmpty();
      assertThat(peer.getNamespaceSelector().getMatchLabels())
          .containsExactly(Map.entry("flow.apixx.io/executors", "true"));
    });
    // Every other rule is for the metrics port only.
    assertThat(np.getSpec().getIngress()).filteredOn(rule -> !grpcRules.contains(rule))
        .allSatisfy(rule -> assertThat(rule.getPorts())
            .allMatch(p -> new IntOrString("metrics").equals(p.getPort())));
    // The executor pods carry the label the policy admits.
    assertThat(r.executor().getSpec().getTemplate().getMetadata().getLabels()).containsEntry(SIDECAR_LABEL, "true");
  }

  @Test
  void collector_withoutHpa_fixedReplicasNoHpaAndReleaseNamespaceOnly() {
    Rendered r = withoutHpa();
    NetworkPolicy np = r.one(NetworkPolicy.class, NAME);

    assertThat(r.collector().getSpec().getReplicas()).isEqualTo(2);
    assertThat(r.all(HorizontalPodAutoscaler.class)).isEmpty();
    assertThat(r.find(PodDisruptionBudget.class, NAME)).isPresent();
    assertThat(np.getSpec().getIngress()).singleElement()
        .satisfies(rule -> assertThat(rule.getFrom()).singleElement()
            .satisfies(peer -> assertThat(peer.getNamespaceSelector()).isNull()));
  }
}
