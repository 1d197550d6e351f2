package io.apixx.flow.sidecar.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.auth.UserPrincipal;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc.CredentialServiceBlockingStub;
import io.apixx.flow.sidecar.v1.CredentialState;
import io.apixx.flow.sidecar.v1.GetCredentialRequest;
import io.apixx.flow.sidecar.v1.GetCredentialResponse;
import io.apixx.flow.sidecar.v1.ListCredentialsRequest;
import io.apixx.flow.sidecar.v1.ListCredentialsResponse;
import io.apixx.flow.sidecar.v1.Outcome;
import io.apixx.flow.sidecar.v1.RedactRequest;
import io.apixx.flow.sidecar.v1.RevokeCredentialRequest;
import io.apixx.flow.sidecar.v1.RotateCredentialRequest;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CredentialGrpcService} in-process behind the daemon's real interceptor chain
 * ({@link CallPipeline}: metrics, request context, authentication with {@link AccessRules},
 * tenant guard), with a test authenticator that maps fixed tokens to principals
 * ({@link CredentialServer}), over the real domain service (PostgreSQL, local keyring, audit
 * spool).
 */
class CredentialGrpcServiceTest extends CredentialsTestCase {
  private static final String SECRET = "grpc-secret-token-0123456789";

  private CredentialServer server;
  private String otherTenant;
  private RunPrincipal run;

  @BeforeEach
  void setUp() {
    otherTenant = h.tenant("grpc-other");
    h.seal(tenant, "github", Map.of("api_token", SECRET, "user", "octo"));
    h.seal(tenant, "slack", Map.of("api_token", "slack-secret-0123456789"));
    h.seal(otherTenant, "github", Map.of("api_token", "other-tenant-secret-0123"));

    server = new CredentialServer(h, h.service);
    run = h.run(tenant, "github");
    server.sessions.put("fss_run", run);
    server.sessions.put("fss_member", h.user(tenant, "member"));
    server.sessions.put("fss_admin", h.user(tenant, "admin"));
    UserPrincipal stale = h.user(tenant, "admin");
    server.sessions.put(
        "fss_stale_admin",
        new UserPrincipal(tenant, stale.userId(), "", stale.roles(), Optional.of(h.clock.instant().minus(Duration.ofHours(1))), ""));
    server.services.put("fst_service", CredentialsHarness.servicePrincipal(tenant));
    server.services.put("fst_multi", CredentialsHarness.servicePrincipal(tenant, otherTenant));
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close();
  }

  private CredentialServiceBlockingStub as(String token) {
    return server.as(token);
  }

  private static Status statusOf(ThrowingCallable call) {
    return CredentialServer.statusOf(call);
  }

  private static GetCredentialRequest get(String connector) {
    return GetCredentialRequest.newBuilder().setConnectorId(connector).build();
  }

  // ---- GetCredential -------------------------------------------------------------------------

  @Test
  void getCredential_runSession_returnsFieldsMetadataAndAuditsWithRequestId() {
    GetCredentialResponse r = as("fss_run").getCredential(get("github"));

    assertThat(r.getSecretFieldsMap()).containsExactly(Map.entry("api_token", SECRET), Map.entry("user", "octo"));
    assertThat(r.getMetadata().getConnectorId()).isEqualTo("github");
    assertThat(r.getMetadata().getTenantId()).isEqualTo(tenant);
    assertThat(r.getMetadata().getVersion()).isEqualTo(1);
    assertThat(r.getMetadata().getState()).isEqualTo(CredentialState.CREDENTIAL_STATE_ACTIVE);
    assertThat(r.getMetadata().getFieldNamesList()).containsExactly("api_token", "user");
    AuditEvent e = h.audit(tenant, Actions.CREDENTIAL_RELEASE).get(0);
    assertThat(e.getRequestId()).isEqualTo("req-fss_run");
    assertThat(e.getPeer().getTransport()).isEqualTo("inprocess");
  }

  @Test
  void getCredential_userOrServiceCaller_refusedByAccessRule() {
    for (String token : List.of("fss_member", "fss_admin")) {
      assertThat(statusOf(() -> as(token).getCredential(get("github"))).getCode()).as(token).isEqualTo(Status.Code.PERMISSION_DENIED);
    }
    // The contract: PERMISSION_DENIED for any non-run caller, services included.
    assertThat(statusOf(() -> as("fst_service").getCredential(get("github"))).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(h.audit(tenant, Actions.CREDENTIAL_RELEASE)).isEmpty();
    assertThat(h.audit(tenant, Actions.ACCESS_DENIED)).hasSize(2);
  }

  @Test
  void getCredential_requestNamingOtherTenant_permissionDeniedAndAudited() {
    Status s = statusOf(() -> as("fss_run").getCredential(get("github").toBuilder().setTenantId(otherTenant).build()));

    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).startsWith("tenant_id:");
    List<AuditEvent> denied = h.audit(otherTenant, Actions.ACCESS_DENIED);
    assertThat(denied).hasSize(1);
    assertThat(denied.get(0).getReasonCode()).isEqualTo("wrong_tenant");
    assertThat(denied.get(0).getActor().getId()).isEqualTo(run.runId());
    assertThat(h.audit(otherTenant, Actions.CREDENTIAL_RELEASE)).isEmpty();
  }

  @Test
  void getCredential_ownTenantNamedExplicitly_served() {
    assertThat(as("fss_run").getCredential(get("github").toBuilder().setTenantId(tenant).build()).getSecretFieldsMap())
        .containsKey("api_token");
  }

  @Test
  void getCredential_connectorOutsideScope_permissionDenied() {
    Status s = statusOf(() -> as("fss_run").getCredential(get("slack")));
    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).startsWith("connector_id:");
  }

  @Test
  void getCredential_badConnectorIdOrUnknownToken_invalidArgumentOrUnauthenticated() {
    Status bad = statusOf(() -> as("fss_run").getCredential(get("GitHub/../x")));
    assertThat(bad.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(bad.getDescription()).startsWith("connector_id:").doesNotContain("GitHub");
    assertThat(statusOf(() -> as("fss_nobody").getCredential(get("github"))).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  // ---- ListCredentials and Redact ------------------------------------------------------------

  @Test
  void listCredentials_anyPrincipal_metadataOnlyNeverValues() {
    for (String token : List.of("fss_run", "fss_member", "fst_service")) {
      ListCredentialsResponse r = as(token).listCredentials(ListCredentialsRequest.getDefaultInstance());
      String wire = new String(r.toByteArray(), StandardCharsets.ISO_8859_1);
      assertThat(wire).doesNotContain(SECRET, "slack-secret", "octo");
      assertThat(r.toString()).doesNotContain(SECRET);
      assertThat(r.getCredentialsList()).allSatisfy(m -> assertThat(m.getFieldNamesList()).contains("api_token"));
      if (token.equals("fss_run")) {
        assertThat(r.getCredentialsList()).extracting(m -> m.getConnectorId()).containsExactly("github");
      } else {
        assertThat(r.getCredentialsList()).extracting(m -> m.getConnectorId()).containsExactly("github", "slack");
      }
    }
  }

  @Test
  void listCredentials_multiTenantServiceWithoutTenant_invalidArgument() {
    Status s = statusOf(() -> as("fst_multi").listCredentials(ListCredentialsRequest.getDefaultInstance()));
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).startsWith("tenant_id:");
    assertThat(as("fst_multi").listCredentials(ListCredentialsRequest.newBuilder().setTenantId(otherTenant).build()).getCredentialsCount())
        .isEqualTo(1);
  }

  @Test
  void listCredentials_badPageSize_invalidArgumentNamingField() {
    Status s = statusOf(() -> as("fst_service").listCredentials(ListCredentialsRequest.newBuilder().setPageSize(1000).build()));
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).startsWith("page_size:");
  }

  @Test
  void redact_afterRelease_masksTheReleasedValue() {
    as("fss_run").getCredential(get("github"));
    var r = as("fss_run").redact(RedactRequest.newBuilder().setPayload("out: " + SECRET + " done").build());
    assertThat(r.getPayload()).isEqualTo("out: [REDACTED] done");
    assertThat(r.getReplacements()).isEqualTo(1);
    assertThat(statusOf(() -> as("fss_member").redact(RedactRequest.getDefaultInstance())).getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  // ---- Seal, Rotate, Revoke ------------------------------------------------------------------

  @Test
  void sealRotateRevoke_asService_workAndRunsStopGettingIt() {
    var sealed =
        as("fst_service")
            .sealCredential(
                SealCredentialRequest.newBuilder().setConnectorId("jira").setDisplayName("Jira").putSecretFields("api_key", "jira-key-0123456789").build())
            .getMetadata();
    assertThat(sealed.getVersion()).isEqualTo(1);
    assertThat(sealed.getTenantId()).isEqualTo(tenant);
    assertThat(sealed.hasRotateTime()).isFalse();

    var rotated =
        as("fst_service")
            .rotateCredential(RotateCredentialRequest.newBuilder().setConnectorId("jira").putSecretFields("api_key", "jira-key-2").build())
            .getMetadata();
    assertThat(rotated.getVersion()).isEqualTo(2);
    assertThat(rotated.hasRotateTime()).isTrue();

    server.sessions.put("fss_jira", h.run(tenant, "jira"));
    assertThat(as("fss_jira").getCredential(get("jira")).getSecretFieldsMap()).containsEntry("api_key", "jira-key-2");

    var revoked =
        as("fst_service")
            .revokeCredential(RevokeCredentialRequest.newBuilder().setConnectorId("jira").setReason("offboarding").build())
            .getMetadata();
    assertThat(revoked.getState()).isEqualTo(CredentialState.CREDENTIAL_STATE_REVOKED);
    assertThat(revoked.hasRevokeTime()).isTrue();
    assertThat(statusOf(() -> as("fss_jira").getCredential(get("jira"))).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(h.audit(tenant, Actions.CREDENTIAL_REVOKE).get(0).getAttributesMap()).containsEntry("reason", "offboarding");
  }

  @Test
  void sealCredential_adminWithRecentMfa_sealsButStaleMfaMemberAndRunAreDenied() {
    SealCredentialRequest req = SealCredentialRequest.newBuilder().setConnectorId("pagerduty").putSecretFields("key", "pd-0123456789").build();
    for (String token : List.of("fss_member", "fss_stale_admin", "fss_run")) {
      assertThat(statusOf(() -> as(token).sealCredential(req)).getCode()).as(token).isEqualTo(Status.Code.PERMISSION_DENIED);
    }
    assertThat(h.audit(tenant, Actions.ACCESS_DENIED)).hasSize(3);
    assertThat(h.fixtures.count("SELECT count(*) FROM flow.connectors WHERE tenant_id = ? AND id = 'pagerduty'", tenant)).isZero();

    assertThat(as("fss_admin").sealCredential(req).getMetadata().getVersion()).isEqualTo(1);
  }

  @Test
  void sealCredential_badInput_invalidArgumentNamingFieldWithoutValues() {
    String value = "value-that-must-not-echo";
    Map<String, SealCredentialRequest> cases =
        Map.of(
            "connector_id:", SealCredentialRequest.newBuilder().setConnectorId("Bad Id").putSecretFields("k", value).build(),
            "secret_fields:", SealCredentialRequest.newBuilder().setConnectorId("ok").build(),
            "secret_fields: field names", SealCredentialRequest.newBuilder().setConnectorId("ok").putSecretFields(value + "!", value).build(),
            "secret_fields: values", SealCredentialRequest.newBuilder().setConnectorId("ok").putSecretFields("k", "x".repeat(16 * 1024 + 1)).build(),
            "display_name:", SealCredentialRequest.newBuilder().setConnectorId("ok").setDisplayName("d".repeat(201)).putSecretFields("k", value).build());
    cases.forEach(
        (prefix, req) -> {
          Status s = statusOf(() -> as("fst_service").sealCredential(req));
          assertThat(s.getCode()).as(prefix).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(s.getDescription()).as(prefix).startsWith(prefix).doesNotContain(value);
        });
    Status reason =
        statusOf(() -> as("fst_service").revokeCredential(
            RevokeCredentialRequest.newBuilder().setConnectorId("github").setReason("r".repeat(257)).build()));
    assertThat(reason.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(reason.getDescription()).startsWith("reason:");
  }

  @Test
  void sealCredential_existingAndRotateMissing_alreadyExistsAndNotFound() {
    SealCredentialRequest again = SealCredentialRequest.newBuilder().setConnectorId("github").putSecretFields("k", "v-0123456789").build();
    assertThat(statusOf(() -> as("fst_service").sealCredential(again)).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    RotateCredentialRequest missing = RotateCredentialRequest.newBuilder().setConnectorId("nothing").putSecretFields("k", "v").build();
    assertThat(statusOf(() -> as("fst_service").rotateCredential(missing)).getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void sealCredential_serviceNamingTenantItMayNotActOn_permissionDeniedAndAudited() {
    SealCredentialRequest req =
        SealCredentialRequest.newBuilder().setTenantId(otherTenant).setConnectorId("x").putSecretFields("k", "v-0123456789").build();
    assertThat(statusOf(() -> as("fst_service").sealCredential(req)).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    List<AuditEvent> denied = h.audit(otherTenant, Actions.ACCESS_DENIED);
    assertThat(denied).hasSize(1);
    assertThat(denied.get(0).getOutcome()).isEqualTo(Outcome.OUTCOME_DENIED);
  }
}
