package io.apixx.flow.sidecar.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.auth.Tokens;
import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.client.FlowSidecarException;
import io.apixx.flow.sidecar.testing.Canaries;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.InProcessSidecar;
import io.apixx.flow.sidecar.v1.GetCredentialRequest;
import io.apixx.flow.sidecar.v1.ListCredentialsRequest;
import io.apixx.flow.sidecar.v1.Outcome;
import io.apixx.flow.sidecar.v1.RevokeCredentialRequest;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-tenant attempts over the wire (security checklist: tenant from identity, never from the
 * request): every one is refused, and every refusal is in the audit trail.
 */
class CrossTenantAttackTest {
  @TempDir static Path dir;
  static InProcessSidecar s;
  static FlowSidecarClient client;
  static String tenantA;
  static String tenantB;
  static String secretA;
  static String secretB;
  static String serviceOnlyA;

  @BeforeAll
  static void start() throws Exception {
    // A service token allowed on tenant A only, beside the harness's all-tenant one.
    String onlyA = Canaries.register(Tokens.newServiceToken());
    s = InProcessSidecar.start(dir);
    tenantA = s.tenant;
    tenantB = Fixtures.uniqueTenantId("victim");
    s.fixtures.tenant(tenantB);
    Path tokens = dir.resolve("service-tokens.yaml");
    Files.writeString(tokens, Files.readString(tokens)
        + "- name: tenant-a-service\n  token_sha256: " + Tokens.hashHex(onlyA) + "\n  tenants: [\"" + tenantA + "\"]\n");
    serviceOnlyA = onlyA;
    client = s.unixClient();
    secretA = Canaries.register("tenant-a-secret-" + System.nanoTime());
    secretB = Canaries.register("tenant-b-secret-" + System.nanoTime());
    FlowSidecarClient svc = client.withToken(s.serviceToken);
    for (String[] t : new String[][] {{tenantA, secretA}, {tenantB, secretB}}) {
      FlowSidecarClient.call(() -> svc.credentials().sealCredential(SealCredentialRequest.newBuilder()
          .setTenantId(t[0]).setConnectorId("shared").putSecretFields("api_token", t[1]).build()));
    }
    FlowSidecarClient.call(() -> svc.credentials().sealCredential(SealCredentialRequest.newBuilder()
        .setTenantId(tenantB).setConnectorId("only-b").putSecretFields("api_token", secretB).build()));
    FlowSidecarClient.call(() -> svc.credentials().sealCredential(SealCredentialRequest.newBuilder()
        .setTenantId(tenantA).setConnectorId("other-a").putSecretFields("api_token", secretA + "-other").build()));
    // The service tokens file is re-read at most every two seconds.
    Thread.sleep(2100);
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    s.close();
  }

  static String runSession(String tenant, String... connectors) {
    return client.exchangeRunToken(s.runTokenFor(tenant, connectors)).getToken();
  }

  @Test
  void attacks_allDeniedAndAudited() throws Exception {
    String runA = Canaries.register(runSession(tenantA, "shared"));
    String runB = Canaries.register(runSession(tenantB, "shared", "only-b"));
    Map<String, Supplier<Object>> attacks = new LinkedHashMap<>();
    attacks.put("run of A names tenant B", () -> client.withToken(runA).credentials()
        .getCredential(GetCredentialRequest.newBuilder().setTenantId(tenantB).setConnectorId("shared").build()));
    attacks.put("run of A asks for B's connector", () -> client.withToken(runA).getCredential("only-b"));
    attacks.put("run of A asks outside its token", () -> client.withToken(runA).getCredential("other-a"));
    attacks.put("run of A lists tenant B", () -> client.withToken(runA).credentials()
        .listCredentials(ListCredentialsRequest.newBuilder().setTenantId(tenantB).build()));
    attacks.put("run of B names tenant A", () -> client.withToken(runB).credentials()
        .getCredential(GetCredentialRequest.newBuilder().setTenantId(tenantA).setConnectorId("shared").build()));
    attacks.put("service of A reads B", () -> client.withToken(serviceOnlyA).credentials()
        .listCredentials(ListCredentialsRequest.newBuilder().setTenantId(tenantB).build()));
    attacks.put("service of A revokes B", () -> client.withToken(serviceOnlyA).credentials()
        .revokeCredential(RevokeCredentialRequest.newBuilder().setTenantId(tenantB).setConnectorId("shared").build()));
    attacks.put("service of A seals into B", () -> client.withToken(serviceOnlyA).credentials()
        .sealCredential(SealCredentialRequest.newBuilder().setTenantId(tenantB).setConnectorId("planted").putSecretFields("k", "attacker-value-1").build()));
    attacks.put("run session of A with tenant part rewritten to B", () -> client.withToken("fss_" + tenantB + runA.substring(("fss_" + tenantA).length())).getCredential("shared"));

    int before = denials();
    List<String> notDenied = new ArrayList<>();
    for (Map.Entry<String, Supplier<Object>> a : attacks.entrySet()) {
      try {
        FlowSidecarClient.call(a.getValue());
        notDenied.add(a.getKey());
      } catch (FlowSidecarException.PermissionDenied | FlowSidecarException.Unauthenticated e) {
        assertThat(e.getMessage()).doesNotContain(secretA).doesNotContain(secretB);
      }
    }
    assertThat(notDenied).as("attacks that were not refused").isEmpty();
    int audited = denials() - before;
    System.err.printf("cross-tenant attacks: %d attempted, %d refused, %d refusals audited%n", attacks.size(), attacks.size() - notDenied.size(), audited);
    assertThat(audited).isGreaterThanOrEqualTo(attacks.size());
    // Nothing planted in B.
    assertThat(s.fixtures.count("SELECT count(*) FROM flow.connectors WHERE tenant_id = ? AND id = 'planted'", tenantB)).isZero();
  }

  @Test
  void sameConnectorNameInTwoTenants_eachRunGetsOnlyItsOwn() {
    String runA = Canaries.register(runSession(tenantA, "shared"));
    String runB = Canaries.register(runSession(tenantB, "shared"));
    assertThat(client.withToken(runA).getCredential("shared")).containsEntry("api_token", secretA);
    assertThat(client.withToken(runB).getCredential("shared")).containsEntry("api_token", secretB);
  }

  @Test
  void auditTrail_noSecretInAnyRecord() throws Exception {
    for (io.apixx.flow.sidecar.v1.AuditEvent e : s.auditEvents()) {
      assertThat(e.toString()).doesNotContain(secretA).doesNotContain(secretB);
    }
  }

  /** Refusals in the audit trail: access.denied events plus denied releases and writes. */
  static int denials() throws Exception {
    int n = 0;
    for (io.apixx.flow.sidecar.v1.AuditEvent e : s.auditEvents()) {
      if (e.getOutcome() == Outcome.OUTCOME_DENIED
          && (e.getAction().equals(Actions.ACCESS_DENIED) || e.getAction().startsWith("credential."))) {
        n++;
      }
    }
    return n;
  }
}
