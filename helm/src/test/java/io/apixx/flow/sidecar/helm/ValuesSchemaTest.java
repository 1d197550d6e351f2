package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * values.schema.json rejects bad values before anything is rendered, and Helm's message names the
 * value. One fixture per case in bad-values/, each differing from the defaults in one value.
 */
class ValuesSchemaTest {
  private static final String SCHEMA_ERROR = "values don't meet the specifications of the schema";

  /** Renders with the fixture and returns Helm's error message; fails if rendering succeeds. */
  private static String schemaError(String fixture) {
    Path file;
    try {
      file = Path.of(ValuesSchemaTest.class.getResource("bad-values/" + fixture).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    Throwable t = catchThrowable(() -> Chart.template(List.of(file), Map.of()));
    assertThat(t).as("rendering with %s must fail", fixture).isNotNull();
    assertThat(t.getMessage()).contains(SCHEMA_ERROR);
    return t.getMessage();
  }

  @Test
  void template_negativePort_failsNamingSidecarTcpPort() {
    assertThat(schemaError("negative-port.yaml"))
        .contains("sidecar.tcp.port: Must be greater than or equal to 1");
  }

  @Test
  void template_portAbove65535_failsNamingCollectorPort() {
    assertThat(schemaError("port-above-range.yaml"))
        .contains("collector.port: Must be less than or equal to 65535");
  }

  @Test
  void template_portAsString_failsNamingSidecarMetricsPort() {
    assertThat(schemaError("port-as-string.yaml"))
        .contains("sidecar.metrics.port: Invalid type. Expected: integer, given: string");
  }

  @Test
  void template_booleanAsString_failsNamingSidecarTcpEnabled() {
    assertThat(schemaError("boolean-as-string.yaml"))
        .contains("sidecar.tcp.enabled: Invalid type. Expected: boolean, given: string");
  }

  @Test
  void template_configAsString_failsNamingConfig() {
    assertThat(schemaError("config-as-string.yaml"))
        .contains("config: Invalid type. Expected: object, given: string");
  }

  @Test
  void template_unknownTopLevelKey_failsNamingTheKey() {
    assertThat(schemaError("unknown-top-level-key.yaml"))
        .contains("(root): Additional property sidecars is not allowed");
  }

  @Test
  void template_unknownNestedKey_failsNamingParentAndKey() {
    assertThat(schemaError("unknown-nested-key.yaml"))
        .contains("sidecar.probes.livenessProbe: Additional property periodSecond is not allowed");
  }

  @Test
  void template_badModeEnum_failsNamingSidecarMode() {
    assertThat(schemaError("bad-mode.yaml"))
        .contains("sidecar.mode: sidecar.mode must be one of the following: \"native\", \"classic\"");
  }

  @Test
  void template_badProbeTypeEnum_failsNamingSidecarProbesType() {
    assertThat(schemaError("bad-probe-type.yaml"))
        .contains("sidecar.probes.type: sidecar.probes.type must be one of the following: \"grpc\", \"exec\"");
  }

  @Test
  void template_badPullPolicyEnum_failsNamingImagePullPolicy() {
    assertThat(schemaError("bad-pull-policy.yaml")).contains("image.pullPolicy: image.pullPolicy must be one of");
  }

  @Test
  void template_chartManagedSocketPathInConfig_failsNamingConfigServerSocketPath() {
    assertThat(schemaError("chart-managed-config-key.yaml")).contains("config.server.socket_path:");
  }

  @Test
  void template_chartManagedCollectorAddress_failsNamingCollectorConfigCollectorAddress() {
    assertThat(schemaError("chart-managed-collector-key.yaml")).contains("collector.config.collector.address:");
  }

  @Test
  void template_chartManagedAuditSpoolDirInConfig_failsNamingConfigAuditSpoolDir() {
    assertThat(schemaError("chart-managed-audit-spool-dir.yaml")).contains("config.audit.spool_dir:");
  }

  @Test
  void template_chartManagedAuditSpoolMaxSizeInConfig_failsNamingConfigAuditSpoolMaxSize() {
    assertThat(schemaError("chart-managed-audit-spool-max-size.yaml")).contains("config.audit.spool_max_size:");
  }

  @Test
  void template_auditSpoolSizeLimitNotWholeMiOrGi_failsNamingSidecarAuditSpoolSizeLimit() {
    assertThat(schemaError("audit-spool-size-limit-decimal.yaml"))
        .contains("sidecar.auditSpool.sizeLimit: Does not match pattern");
  }

  @Test
  void template_privilegedSidecar_failsNamingPrivileged() {
    assertThat(schemaError("privileged.yaml")).contains("sidecar.containerSecurityContext.privileged:");
  }

  @Test
  void template_rootUser_failsNamingRunAsUser() {
    assertThat(schemaError("root-user.yaml"))
        .contains("sidecar.containerSecurityContext.runAsUser: Must be greater than or equal to 1");
  }

  @Test
  void template_capabilitiesDropWithoutAll_failsNamingCapabilitiesDrop() {
    assertThat(schemaError("drop-without-all.yaml")).contains("sidecar.containerSecurityContext.capabilities.drop:");
  }

  @Test
  void template_seccompUnconfined_failsNamingSeccompProfileType() {
    assertThat(schemaError("seccomp-unconfined.yaml"))
        .contains("podSecurityContext.seccompProfile.type: podSecurityContext.seccompProfile.type must be one of");
  }

  @Test
  void template_writableRootFilesystem_failsNamingReadOnlyRootFilesystem() {
    assertThat(schemaError("writable-root.yaml"))
        .contains("collector.containerSecurityContext.readOnlyRootFilesystem:");
  }

  @Test
  void template_collectorWithoutTlsSecret_failsNamingCollectorTlsSecretName() {
    assertThat(schemaError("collector-without-tls.yaml"))
        .contains("collector.tls.secretName: String length must be greater than or equal to 1");
  }

  @Test
  void template_tokenExpiryBelow600_failsNamingExpirationSeconds() {
    assertThat(schemaError("token-expiry-too-short.yaml"))
        .contains("serviceAccount.projectedToken.expirationSeconds: Must be greater than or equal to 600");
  }

  @Test
  void template_badMemoryQuantity_failsNamingResourcesLimitsMemory() {
    assertThat(schemaError("bad-memory-quantity.yaml")).contains("sidecar.resources.limits.memory:");
  }
}
