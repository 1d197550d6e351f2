package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.KeyToPathBuilder;
import io.fabric8.kubernetes.api.model.SecretProjection;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** ci/vault-values.yaml: Vault Kubernetes auth with a projected token, Vault's CA from a Secret. */
class VaultScenarioTest {
  private static final String TOKEN_VOLUME = "flow-sidecar-vault-token";
  private static final String SECRETS_VOLUME = "flow-sidecar-secrets";

  private static PodView pod() {
    return new PodView(Chart.renderScenario("vault").executor().getSpec().getTemplate());
  }

  @Test
  void projectedToken_vaultScenario_hasAudienceVaultAndTenMinuteExpiry() {
    Volume volume = pod().volume(TOKEN_VOLUME);

    assertThat(volume.getProjected().getSources()).hasSize(1);
    ServiceAccountTokenProjection token = volume.getProjected().getSources().get(0).getServiceAccountToken();
    assertThat(token.getAudience()).isEqualTo("vault");
    assertThat(token.getExpirationSeconds()).isEqualTo(600L);
    assertThat(token.getPath()).isEqualTo("token");
    assertThat(volume.getProjected().getDefaultMode()).isEqualTo(0440);
  }

  @Test
  void projectedToken_vaultScenario_mountedReadOnlyIntoTheSidecarOnly() {
    PodView pod = pod();
    VolumeMount mount = PodView.mount(pod.sidecar(), TOKEN_VOLUME).orElseThrow();

    assertThat(mount.getMountPath()).isEqualTo("/var/run/secrets/flow-sidecar/vault");
    assertThat(mount.getReadOnly()).isTrue();
    assertThat(pod.workloads()).allMatch(c -> PodView.mount(c, TOKEN_VOLUME).isEmpty());
    assertThat(pod.spec().getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void vaultCa_vaultScenario_projectedFromTheNamedSecretKey() {
    Map<String, SecretProjection> byPath = secretSourcesByFirstPath(pod().volume(SECRETS_VOLUME));

    SecretProjection ca = byPath.get("vault/ca.crt");
    assertThat(ca).isNotNull();
    assertThat(ca.getName()).isEqualTo("vault-ca");
    assertThat(ca.getItems()).containsExactly(new KeyToPathBuilder().withKey("ca.crt").withPath("vault/ca.crt").build());
  }

  @Test
  void secretFiles_vaultScenario_everyReferenceBecomesAFileInTheSidecarOnly() {
    PodView pod = pod();
    Volume secrets = pod.volume(SECRETS_VOLUME);
    List<String> paths = secrets.getProjected().getSources().stream()
        .map(VolumeProjection::getSecret)
        .flatMap(s -> s.getItems().stream())
        .map(KeyToPath::getPath)
        .toList();

    assertThat(paths).containsExactlyInAnyOrder(
        "database/password", "vault/ca.crt", "collector-client/tls.crt", "collector-client/tls.key",
        "collector-client/ca.crt", "jwks/jwks.json", "service-tokens/tokens");
    assertThat(secrets.getProjected().getSources()).allMatch(s -> s.getSecret() != null);
    assertThat(secrets.getProjected().getDefaultMode()).isEqualTo(0440);
    VolumeMount mount = PodView.mount(pod.sidecar(), SECRETS_VOLUME).orElseThrow();
    assertThat(mount.getMountPath()).isEqualTo("/etc/flow-sidecar/secrets");
    assertThat(mount.getReadOnly()).isTrue();
    assertThat(pod.workloads()).allMatch(c -> PodView.mount(c, SECRETS_VOLUME).isEmpty());
  }

  @Test
  void serviceAccount_vaultScenario_annotatedWithoutAutomount() {
    ServiceAccount sa = Chart.renderScenario("vault").one(ServiceAccount.class, Chart.FULLNAME);

    assertThat(sa.getAutomountServiceAccountToken()).isFalse();
    assertThat(sa.getMetadata().getAnnotations()).containsEntry("flow-sidecar.apixx.io/vault-role", "flow-sidecar");
  }

  @Test
  void projectedTokenAndSecrets_defaultScenario_absent() {
    PodView pod = new PodView(Chart.renderScenario("default").executor().getSpec().getTemplate());
    Container sidecar = pod.sidecar();

    assertThat(pod.findVolume(TOKEN_VOLUME)).isEmpty();
    assertThat(pod.findVolume(SECRETS_VOLUME)).isEmpty();
    assertThat(sidecar.getVolumeMounts()).extracting(VolumeMount::getName)
        .containsExactlyInAnyOrder("flow-sidecar-socket", "flow-sidecar-tmp", "flow-sidecar-audit-spool", "flow-sidecar-config");
  }

  private static Map<String, SecretProjection> secretSourcesByFirstPath(Volume v) {
    return v.getProjected().getSources().stream()
        .map(VolumeProjection::getSecret)
        .filter(Objects::nonNull)
        .collect(Collectors.toMap(s -> s.getItems().get(0).getPath(), s -> s));
  }
}
