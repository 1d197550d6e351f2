package io.apixx.flow.sidecar.credentials;

import static io.apixx.flow.sidecar.testing.CredentialsHarness.meta;
import static io.apixx.flow.sidecar.testing.CredentialsHarness.servicePrincipal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.auth.UserPrincipal;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.Database;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CredentialService} against real PostgreSQL (row level security in force), a real local
 * keyring and a real audit spool: release with its order of checks, residency, dependency
 * faults, the admin operations and their audit trail.
 */
class CredentialServiceTest extends CredentialsTestCase {
  private CredentialService service;

  @BeforeEach
  void setUp() {
    service = h.service;
  }

  private static void assertKind(ErrorKind kind, ThrowingCallable call) {
    assertThatThrownBy(call).asInstanceOf(type(SidecarException.class)).satisfies(e -> assertThat(e.kind()).isEqualTo(kind));
  }

  private Map<String, String> release(RunPrincipal run, String connector) {
    try (ReleasedCredential r = service.release(run, connector, meta())) {
      return r.fields().revealUtf8(SecretAccess.RELEASE);
    }
  }

  private AuditEvent onlyEvent(String action) {
    List<AuditEvent> events = h.audit(tenant, action);
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  // ---- release -----------------------------------------------------------------------------

  @Test
  void release_connectorInScope_returnsFieldsAndAuditsReleaseFirst() {
    CredentialMetadata sealed = h.seal(tenant, "github", Map.of("api_token", "tok-0123456789", "user", "octo"));
    RunPrincipal run = h.run(tenant, "github");

    try (ReleasedCredential r = service.release(run, "github", meta())) {
      assertThat(r.fields().revealUtf8(SecretAccess.RELEASE)).containsExactly(Map.entry("api_token", "tok-0123456789"), Map.entry("user", "octo"));
      assertThat(r.metadata().version()).isEqualTo(1);
      assertThat(r.metadata().credentialId()).isEqualTo(sealed.credentialId());
      assertThat(r.metadata().fieldNames()).containsExactly("api_token", "user");
      assertThat(r.metadata().state()).isEqualTo(CredentialMetadata.State.ACTIVE);
    }
    AuditEvent e = onlyEvent(Actions.CREDENTIAL_RELEASE);
    assertThat(e.getOutcome()).isEqualTo(Outcome.OUTCOME_SUCCESS);
    assertThat(e.getTarget()).isEqualTo("connector/github/v1");
    assertThat(e.getActor().getId()).isEqualTo(run.runId());
    assertThat(e.getActor().getSessionHash()).isEqualTo(run.sessionHash());
    assertThat(e.getAttributesMap())
        .containsEntry("version", "1")
        .containsEntry("credential_id", sealed.credentialId().toString())
        .containsEntry("field_names", "api_token,user")
        .doesNotContainKey("cross_region");
    assertThat(e.getAttributesMap().get("key_ref")).startsWith("local:" + tenant + ":v");
  }

  @Test
  void release_connectorOutsideScope_deniedAndAuditedWithoutDatabaseOrKms() {
    h.seal(tenant, "github", Map.of("api_token", "tok-0123456789"));
    h.seal(tenant, "slack", Map.of("api_token", "tok-slack-0123456789"));
    // A service over a closed pool: any database access would fail with UNAVAILABLE.
    Database closed = h.openDatabase();
    closed.close();
    long kmsCalls = h.switchable.calls();
    DekCacheStats before = DekCacheStats.of(h);
    CredentialService isolated = h.newService(closed, h.feed, h.kms, h.spool, h.ticker, CredentialLimits.defaults());
    RunPrincipal run = h.run(tenant, "github");

    for (String connector : List.of("slack", "does-not-exist")) {
      assertThatThrownBy(() -> isolated.release(run, connector, meta()))
          .asInstanceOf(type(CredentialException.class))
          .satisfies(e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED);
            assertThat(e.reasonCode()).isEqualTo("connector_not_in_scope");
          });
    }

    assertThat(h.switchable.calls()).isEqualTo(kmsCalls);
    assertThat(DekCacheStats.of(h)).isEqualTo(before);
    List<AuditEvent> denials = h.audit(tenant, Actions.CREDENTIAL_RELEASE);
    assertThat(denials).hasSize(2).allSatisfy(e -> {
      assertThat(e.getOutcome()).isEqualTo(Outcome.OUTCOME_DENIED);
      assertThat(e.getReasonCode()).isEqualTo("connector_not_in_scope");
    });
    assertThat(denials).extracting(AuditEvent::getTarget).containsExactly("connector/slack", "connector/does-not-exist");
  }

  /** Hits and misses of the DEK cache: unchanged means no unwrap was attempted. */
  private record DekCacheStats(long hits, long misses) {
    static DekCacheStats of(CredentialsHarness h) {
      return new DekCacheStats(h.kms.stats().hits(), h.kms.stats().misses());
    }
  }

  @Test
  void release_sameConnectorIdInOtherTenant_isInvisible() {
    String other = h.tenant("creds-other");
    h.seal(other, "github", Map.of("api_token", "other-tenant-secret-value"));

    assertKind(ErrorKind.NOT_FOUND, () -> service.release(h.run(tenant, "github"), "github", meta()));

    h.seal(tenant, "github", Map.of("api_token", "own-tenant-secret-value"));
    assertThat(release(h.run(tenant, "github"), "github")).containsEntry("api_token", "own-tenant-secret-value");
    assertThat(release(h.run(other, "github"), "github")).containsEntry("api_token", "other-tenant-secret-value");
    assertThat(h.audit(tenant, Actions.CREDENTIAL_RELEASE))
        .extracting(AuditEvent::getOutcome, AuditEvent::getReasonCode)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Outcome.OUTCOME_FAILURE, "credential_not_found"),
            org.assertj.core.groups.Tuple.tuple(Outcome.OUTCOME_SUCCESS, ""));
  }

  @Test
  void release_revokedCredential_failedPreconditionAndAudited() {
    h.seal(tenant, "github", Map.of("api_token", "tok-0123456789"));
    service.revoke(servicePrincipal(tenant), tenant, "github", "leaked in a log", meta());

    assertThatThrownBy(() -> service.release(h.run(tenant, "github"), "github", meta()))
        .asInstanceOf(type(CredentialException.class))
        .satisfies(e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.FAILED_PRECONDITION);
          assertThat(e.reasonCode()).isEqualTo("credential_revoked");
        });
    AuditEvent e = onlyEvent(Actions.CREDENTIAL_RELEASE);
    assertThat(e.getOutcome()).isEqualTo(Outcome.OUTCOME_DENIED);
    assertThat(e.getTarget()).isEqualTo("connector/github/v1");
  }

  @Test
  void release_afterRotation_servesNewVersionAndNeverTheOld() {
    h.seal(tenant, "github", Map.of("api_token", "version-one-token"));
    RunPrincipal run = h.run(tenant, "github");
    assertThat(release(run, "github")).containsEntry("api_token", "version-one-token");

    CredentialMetadata rotated = h.rotate(service, tenant, "github", Map.of("api_token", "version-two-token"));

    assertThat(rotated.version()).isEqualTo(2);
    assertThat(rotated.rotateTime()).isPresent();
    for (int i = 0; i < 20; i++) {
      try (ReleasedCredential r = service.release(run, "github", meta())) {
        assertThat(r.metadata().version()).isEqualTo(2);
        assertThat(r.fields().revealUtf8(SecretAccess.RELEASE)).containsEntry("api_token", "version-two-token");
      }
    }
  }

  // ---- residency ---------------------------------------------------------------------------

  @Test
  void release_tenantResidentElsewhere_failedPreconditionAudited() {
    h.seal(tenant, "github", Map.of("api_token", "tok-0123456789"));
    h.fixtures.execute("UPDATE flow.tenants SET residency_region = 'eu-west-1' WHERE id = ?", tenant);

    assertThatThrownBy(() -> service.release(h.run(tenant, "github"), "github", meta()))
        .asInstanceOf(type(CredentialException.class))
        .satisfies(e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.FAILED_PRECONDITION);
          assertThat(e.reasonCode()).isEqualTo("residency_region_mismatch");
        });
    AuditEvent e = onlyEvent(Actions.CREDENTIAL_RELEASE);
    assertThat(e.getOutcome()).isEqualTo(Outcome.OUTCOME_DENIED);
    assertThat(e.getReasonCode()).isEqualTo("residency_region_mismatch");
    assertThat(e.getAttributesMap()).containsEntry("tenant_region", "eu-west-1").containsEntry("daemon_region", "us-east-1");
  }

  @Test
  void release_tenantOptedIntoCrossRegion_releasesAndAuditsCrossRegion() {
    h.seal(tenant, "github", Map.of("api_token", "tok-0123456789"));
    h.fixtures.execute(
        "UPDATE flow.tenants SET residency_region = 'ap-southeast-2', cross_region_opt_in = true WHERE id = ?", tenant);

    assertThat(release(h.run(tenant, "github"), "github")).containsEntry("api_token", "tok-0123456789");

    AuditEvent e = onlyEvent(Actions.CREDENTIAL_RELEASE);
    assertThat(e.getOutcome()).isEqualTo(Outcome.OUTCOME_SUCCESS);
    assertThat(e.getAttributesMap()).containsEntry("cross_region", "true").containsEntry("daemon_region", "us-east-1");
  }

  // ---- dependency faults -------------------------------------------------------------------

  @Test
  void release_kmsUnavailable_unavailableWithoutPlaintextThenRecovers() {
    h.seal(tenant, "github", Map.of("api_token", "tok-0123456789"));
    h.kms.invalidateAll(); // nothing cached: the next unwrap needs the KMS
    h.switchable.down(true);
    RunPrincipal run = h.run(tenant, "github");

    assertThatThrownBy(() -> service.release(run, "github", meta()))
        .asInstanceOf(type(SidecarException.class))
        .satisfies(e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
          assertThat(e.reasonCode()).isEqualTo("kms_closed");
        });
    AuditEvent failed = onlyEvent(Actions.CREDENTIAL_RELEASE);
    assertThat(failed.getOutcome()).isEqualTo(Outcome.OUTCOME_FAILURE);
    assertThat(service.redact(run, "tok-0123456789", "").replacements()).isZero();

    h.switchable.down(false);
    assertThat(release(run, "github")).containsEntry("api_token", "tok-0123456789");
  }

  @Test
  void release_auditSpoolClosed_unavailableWithoutPlaintext() throws Exception {
    h.seal(tenant, "github", Map.of("api_token", "tok-0123456789"));
    AuditSpool down = h.openSpool("closed-audit", 64L << 20);
    down.close();
    CredentialService s = h.newService(h.db, h.feed, h.kms, down, h.ticker, CredentialLimits.defaults());
    RunPrincipal run = h.run(tenant, "github");

    assertThatThrownBy(() -> s.release(run, "github", meta()))
        .asInstanceOf(type(SidecarException.class))
        .satisfies(e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
          assertThat(e.reasonCode()).isEqualTo("audit_unavailable");
        });
    // Not remembered for Redact either: nothing was released.
    assertThat(s.redact(run, "x tok-0123456789 x", "").replacements()).isZero();
  }

  @Test
  void release_auditSpoolFull_unavailableForEveryAttempt() {
    h.seal(tenant, "github", Map.of("api_token", "tok-0123456789"));
    AuditSpool full = h.openSpool("full-audit", 1);
    CredentialService s = h.newService(h.db, h.feed, h.kms, full, h.ticker, CredentialLimits.defaults());
    RunPrincipal run = h.run(tenant, "github");

    int refused = 0;
    for (int i = 0; i < 25; i++) {
      try (ReleasedCredential r = s.release(run, "github", meta())) {
        throw new AssertionError("released without an audit record: " + r.metadata());
      } catch (SidecarException e) {
        assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
        refused++;
      }
    }
    assertThat(refused).isEqualTo(25);
    assertThat(CredentialsHarness.read(full)).isEmpty();
  }

  @Test
  void release_databaseDown_unavailable() {
    Database closed = h.openDatabase();
    closed.close();
    CredentialService s = h.newService(closed, h.feed, h.kms, h.spool, h.ticker, CredentialLimits.defaults());

    assertKind(ErrorKind.UNAVAILABLE, () -> s.release(h.run(tenant, "github"), "github", meta()));
  }

  // ---- seal, rotate, revoke --------------------------------------------------------------------

  @Test
  void seal_existingCredential_alreadyExistsAndNothingChanges() {
    h.seal(tenant, "github", Map.of("api_token", "first-token-value"));

    assertKind(ErrorKind.ALREADY_EXISTS, () -> h.seal(tenant, "github", Map.of("api_token", "second-token-value")));

    assertThat(release(h.run(tenant, "github"), "github")).containsEntry("api_token", "first-token-value");
    List<AuditEvent> seals = h.audit(tenant, Actions.CREDENTIAL_SEAL);
    assertThat(seals).extracting(AuditEvent::getOutcome).containsExactly(Outcome.OUTCOME_SUCCESS, Outcome.OUTCOME_FAILURE);
    assertThat(seals.get(1).getReasonCode()).isEqualTo("credential_exists");
  }

  @Test
  void seal_newConnector_createsConnectorWithDisplayNameAndAuditsVersionOne() {
    try (SecretFields f = SecretFields.fromStrings(Map.of("api_key", "k-0123456789"))) {
      CredentialMetadata m = service.seal(servicePrincipal(tenant), "", "stripe", "Stripe (live)", f, meta());
      assertThat(m.version()).isEqualTo(1);
      assertThat(m.rotateTime()).isEmpty();
      assertThat(m.tenantId()).isEqualTo(tenant);
    }
    assertThat(h.fixtures.count("SELECT count(*) FROM flow.connectors WHERE tenant_id = ? AND id = 'stripe' AND display_name = 'Stripe (live)'", tenant))
        .isEqualTo(1);
    AuditEvent e = onlyEvent(Actions.CREDENTIAL_SEAL);
    assertThat(e.getTarget()).isEqualTo("connector/stripe/v1");
    assertThat(e.getActor().getId()).isEqualTo("control-plane");
    assertThat(e.getAttributesMap()).containsEntry("field_names", "api_key").containsEntry("version", "1");
  }

  @Test
  void seal_adminUser_sealsThroughRowLevelSecurity() {
    UserPrincipal admin = h.user(tenant, "admin");
    try (SecretFields f = SecretFields.fromStrings(Map.of("api_key", "k-0123456789"))) {
      service.seal(admin, "", "github", "", f, meta());
    }
    assertThat(onlyEvent(Actions.CREDENTIAL_SEAL).getActor().getId()).isEqualTo(admin.userId().toString());
  }

  @Test
  void seal_nonAdminUserOrRun_deniedAndAudited() {
    UserPrincipal member = h.user(tenant, "member");
    try (SecretFields f = SecretFields.fromStrings(Map.of("api_key", "k-0123456789"))) {
      assertKind(ErrorKind.PERMISSION_DENIED, () -> service.seal(member, "", "github", "", f, meta()));
      assertKind(ErrorKind.PERMISSION_DENIED, () -> service.seal(h.run(tenant, "github"), "", "github", "", f, meta()));
    }
    List<AuditEvent> events = h.audit(tenant, Actions.CREDENTIAL_SEAL);
    assertThat(events).hasSize(2).allSatisfy(e -> {
      assertThat(e.getOutcome()).isEqualTo(Outcome.OUTCOME_DENIED);
      assertThat(e.getReasonCode()).isEqualTo("admin_required");
    });
    assertThat(h.fixtures.count("SELECT count(*) FROM flow.connector_credentials WHERE tenant_id = ?", tenant)).isZero();
  }

  @Test
  void seal_serviceNamingTenantItMayNotActOn_deniedAndAudited() {
    String other = h.tenant("creds-other");
    try (SecretFields f = SecretFields.fromStrings(Map.of("api_key", "k-0123456789"))) {
      assertKind(ErrorKind.PERMISSION_DENIED, () -> service.seal(servicePrincipal(tenant), other, "github", "", f, meta()));
    }
    List<AuditEvent> events = h.audit(other, Actions.CREDENTIAL_SEAL);
    assertThat(events).hasSize(1);
    assertThat(events.get(0).getReasonCode()).isEqualTo("wrong_tenant");
    assertThat(events.get(0).getAttributesMap()).containsEntry("caller_tenant", tenant);
  }

  @Test
  void seal_auditUnavailable_rollsBackTheChange() throws Exception {
    AuditSpool down = h.openSpool("closed-audit", 64L << 20);
    down.close();
    CredentialService s = h.newService(h.db, h.feed, h.kms, down, h.ticker, CredentialLimits.defaults());

    try (SecretFields f = SecretFields.fromStrings(Map.of("api_key", "k-0123456789"))) {
      assertKind(ErrorKind.UNAVAILABLE, () -> s.seal(servicePrincipal(tenant), tenant, "github", "GitHub", f, meta()));
    }

    assertThat(h.fixtures.count("SELECT count(*) FROM flow.connector_credentials WHERE tenant_id = ?", tenant)).isZero();
    assertThat(h.fixtures.count("SELECT count(*) FROM flow.connectors WHERE tenant_id = ?", tenant)).isZero();
  }

  @Test
  void rotate_withoutCredential_notFound() {
    assertKind(ErrorKind.NOT_FOUND, () -> h.rotate(service, tenant, "github", Map.of("api_token", "t-0123456789")));
    assertThat(onlyEvent(Actions.CREDENTIAL_ROTATE).getReasonCode()).isEqualTo("credential_not_found");
  }

  @Test
  void rotate_revokedCredential_failedPrecondition() {
    h.seal(tenant, "github", Map.of("api_token", "t-0123456789"));
    service.revoke(servicePrincipal(tenant), tenant, "github", "", meta());

    assertKind(ErrorKind.FAILED_PRECONDITION, () -> h.rotate(service, tenant, "github", Map.of("api_token", "t2-0123456789")));
    assertThat(h.fixtures.count("SELECT count(*) FROM flow.connector_credentials WHERE tenant_id = ?", tenant)).isEqualTo(1);
  }

  @Test
  void rotate_auditsBothVersionsAndKeepsCredentialId() {
    CredentialMetadata v1 = h.seal(tenant, "github", Map.of("api_token", "t-0123456789"));
    CredentialMetadata v2 = h.rotate(service, tenant, "github", Map.of("api_token", "t2-0123456789", "user", "octo"));

    assertThat(v2.credentialId()).isEqualTo(v1.credentialId());
    assertThat(v2.fieldNames()).containsExactly("api_token", "user");
    assertThat(v2.createTime()).isEqualTo(v1.createTime());
    AuditEvent e = onlyEvent(Actions.CREDENTIAL_ROTATE);
    assertThat(e.getTarget()).isEqualTo("connector/github/v2");
    assertThat(e.getAttributesMap()).containsEntry("previous_version", "1").containsEntry("version", "2");
    assertThat(h.fixtures.count(
            "SELECT count(*) FROM flow.connector_credentials WHERE tenant_id = ? AND version = 1 AND rotated_at IS NOT NULL", tenant))
        .isEqualTo(1);
  }

  @Test
  void revoke_twice_isIdempotentAndAuditedEachTime() {
    h.seal(tenant, "github", Map.of("api_token", "t-0123456789"));
    CredentialMetadata first = service.revoke(servicePrincipal(tenant), tenant, "github", "rotating keys", meta());
    CredentialMetadata second = service.revoke(servicePrincipal(tenant), tenant, "github", "", meta());

    assertThat(first.state()).isEqualTo(CredentialMetadata.State.REVOKED);
    assertThat(second.state()).isEqualTo(CredentialMetadata.State.REVOKED);
    assertThat(second.revokeTime()).isEqualTo(first.revokeTime());
    List<AuditEvent> events = h.audit(tenant, Actions.CREDENTIAL_REVOKE);
    assertThat(events).hasSize(2);
    assertThat(events.get(0).getAttributesMap()).containsEntry("reason", "rotating keys").doesNotContainKey("already_revoked");
    assertThat(events.get(1).getAttributesMap()).containsEntry("already_revoked", "true");
  }

  @Test
  void revoke_withoutCredential_notFound() {
    assertKind(ErrorKind.NOT_FOUND, () -> service.revoke(servicePrincipal(tenant), tenant, "github", "", meta()));
  }

  // ---- validation ----------------------------------------------------------------------------

  @Test
  void seal_badInput_invalidArgumentNamingFieldNeverValue() {
    String secret = "s3cr3t-value-never-echoed";
    List<String> messages = new ArrayList<>();
    List<ThrowingCallable> calls =
        List.of(
            () -> h.seal(tenant, "Bad_Connector", Map.of("k", secret)),
            () -> h.seal(tenant, "", Map.of("k", secret)),
            () -> h.seal(tenant, "x".repeat(65), Map.of("k", secret)),
            () -> h.seal(tenant, "github", Map.of()),
            () -> h.seal(tenant, "github", Map.of(secret + " with space", secret)),
            () -> h.seal(tenant, "github", Map.of("big", "x".repeat(16 * 1024 + 1))),
            () -> h.seal(tenant, "github", Map.of("lone", "\uD800" + secret)),
            () -> service.revoke(servicePrincipal(tenant), tenant, "github", "r".repeat(257), meta()));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call)
          .asInstanceOf(type(SidecarException.class))
          .satisfies(e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
            messages.add(e.getMessage());
          });
    }
    assertThat(messages)
        .satisfiesExactly(
            m -> assertThat(m).startsWith("connector_id:"),
            m -> assertThat(m).startsWith("connector_id:"),
            m -> assertThat(m).startsWith("connector_id:"),
            m -> assertThat(m).startsWith("secret_fields:"),
            m -> assertThat(m).startsWith("secret_fields:"),
            m -> assertThat(m).startsWith("secret_fields:"),
            m -> assertThat(m).startsWith("secret_fields[lone]:"),
            m -> assertThat(m).startsWith("reason:"));
    assertThat(messages).noneMatch(m -> m.contains("s3cr3t"));
  }

  @Test
  void seal_exactlySixteenKibOfValues_accepted() {
    h.seal(tenant, "github", Map.of("a", "x".repeat(8 * 1024), "b", "y".repeat(8 * 1024)));
    assertThat(release(h.run(tenant, "github"), "github").get("b")).hasSize(8 * 1024);
  }

  // ---- list ------------------------------------------------------------------------------------

  @Test
  void list_pagesInConnectorOrderWithOpaqueTokenAndNoValues() {
    for (String c : List.of("delta", "alpha", "echo", "charlie", "bravo")) {
      h.seal(tenant, c, Map.of("api_token", "value-of-" + c));
    }
    h.rotate(service, tenant, "charlie", Map.of("api_token", "value-two", "extra", "zzzzzzzzzz"));
    service.revoke(servicePrincipal(tenant), tenant, "delta", "", meta());

    List<CredentialMetadata> all = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      CredentialPage page = service.list(servicePrincipal(tenant), tenant, 2, token, meta());
      all.addAll(page.credentials());
      token = page.nextPageToken();
      pages++;
      assertThat(token).doesNotContain("charlie", "delta", "echo");
    } while (!token.isEmpty());

    assertThat(pages).isEqualTo(3);
    assertThat(all).extracting(CredentialMetadata::connectorId).containsExactly("alpha", "bravo", "charlie", "delta", "echo");
    CredentialMetadata charlie = all.get(2);
    assertThat(charlie.version()).isEqualTo(2);
    assertThat(charlie.fieldNames()).containsExactly("api_token", "extra");
    assertThat(charlie.rotateTime()).isPresent();
    assertThat(all.get(3).state()).isEqualTo(CredentialMetadata.State.REVOKED);
    assertThat(all.toString()).doesNotContain("value-");
    assertThat(h.audit(tenant, Actions.CREDENTIAL_LIST)).hasSize(3);
  }

  @Test
  void list_run_seesOnlyConnectorsItsTokenLists() {
    for (String c : List.of("alpha", "bravo", "charlie")) {
      h.seal(tenant, c, Map.of("api_token", "value-of-" + c));
    }
    CredentialPage page = service.list(h.run(tenant, "bravo", "zulu"), "", 0, "", meta());
    assertThat(page.credentials()).extracting(CredentialMetadata::connectorId).containsExactly("bravo");
    assertThat(service.list(h.run(tenant), "", 0, "", meta()).credentials()).isEmpty();
  }

  @Test
  void list_badPageArguments_invalidArgument() {
    assertKind(ErrorKind.INVALID_ARGUMENT, () -> service.list(servicePrincipal(tenant), tenant, 501, "", meta()));
    assertKind(ErrorKind.INVALID_ARGUMENT, () -> service.list(servicePrincipal(tenant), tenant, -1, "", meta()));
    assertKind(ErrorKind.INVALID_ARGUMENT, () -> service.list(servicePrincipal(tenant), tenant, 0, "not-a-token!", meta()));
    assertKind(ErrorKind.INVALID_ARGUMENT, () -> service.list(servicePrincipal(tenant, "t2"), "", 0, "", meta()));
  }

  @Test
  void pageToken_roundTrip_isOpaqueAndValidated() {
    String t = CredentialService.encodePageToken("github.main");
    assertThat(t).doesNotContain("github");
    assertThat(CredentialService.decodePageToken(t)).isEqualTo("github.main");
    assertThat(CredentialService.decodePageToken("")).isEmpty();
    assertKind(ErrorKind.INVALID_ARGUMENT, () -> CredentialService.decodePageToken(CredentialService.encodePageToken("../x")));
  }

  @Test
  void release_expiredRowCacheEntry_readsDatabaseAgain() {
    // The row cache only ever holds what the database holds; with the feed down (simulated by a
    // superuser change that fires no trigger) the TTL alone bounds staleness.
    CredentialsHarness.Notifications notifications = CredentialsHarness.record(h.feed);
    h.seal(tenant, "github", Map.of("api_token", "t-0123456789"));
    notifications.await(tenant, "github", 1); // the seal's own notification has passed
    RunPrincipal run = h.run(tenant, "github");
    release(run, "github");
    h.fixtures.execute("DELETE FROM flow.connector_credentials WHERE tenant_id = ?", tenant);

    assertThat(release(run, "github")).containsEntry("api_token", "t-0123456789");
    h.ticker.advance(Duration.ofMillis(251));
    assertKind(ErrorKind.NOT_FOUND, () -> service.release(run, "github", meta()));
  }
}
