package io.apixx.flow.sidecar.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.audit.AuditUnavailableException;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.ServiceMaintenance.CredentialCursor;
import io.apixx.flow.sidecar.persistence.ServiceMaintenance.CredentialKey;
import io.apixx.flow.sidecar.persistence.ServiceMaintenance.MfaCursor;
import io.apixx.flow.sidecar.persistence.ServiceMaintenance.MfaKey;
import io.apixx.flow.sidecar.persistence.ServiceMaintenance.MfaSlot;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The service-role maintenance functions through their Java wrapper: crossing tenants, audited. */
class ServiceMaintenanceTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final DbActor ROTATOR = DbActor.service("key-rotator");

  private static PostgresHarness pg;
  private static Fixtures fx;
  private static Database db;
  private static final RecordingSink audit = new RecordingSink();
  private static ServiceMaintenance maintenance;

  /** An audit sink that keeps events in memory and can be made to fail. */
  private static final class RecordingSink implements AuditSink {
    final List<AuditEvent> events = new CopyOnWriteArrayList<>();
    volatile boolean failing;

    @Override
    public void record(AuditEvent event) {
      if (failing) {
        throw new AuditUnavailableException("spool full", null);
      }
      events.add(event);
    }
  }

  @BeforeAll
  static void setUp() {
    pg = PostgresHarness.shared();
    fx = pg.fixtures();
    db = pg.openDatabase();
    maintenance = ServiceMaintenance.create(db, audit, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterAll
  static void tearDown() {
    db.close();
  }

  private static String keyRef() {
    return "vault-transit://test/" + UUID.randomUUID();
  }

  @Test
  void rewrap_acrossTenants_pagesReplacesOnceAndAudits() {
    String oldKey = keyRef();
    List<String> tenants = List.of(Fixtures.uniqueTenantId("rot-a"), Fixtures.uniqueTenantId("rot-b"));
    for (String t : tenants) {
      fx.tenant(t);
      fx.connector(t, "github");
      fx.credentialVersion(t, "github", oldKey);
      fx.credentialVersion(t, "github", oldKey);
    }
    int auditBefore = audit.events.size();

    List<CredentialKey> all = new ArrayList<>();
    CredentialCursor cursor = CredentialCursor.start();
    for (List<CredentialKey> page; !(page = maintenance.listCredentialsForRewrap(ROTATOR, oldKey, cursor, 3)).isEmpty(); ) {
      all.addAll(page);
      cursor = page.get(page.size() - 1).cursor();
    }
    assertThat(all).extracting(k -> k.tenantId() + "/" + k.version())
        .containsExactly(tenants.get(0) + "/1", tenants.get(0) + "/2", tenants.get(1) + "/1", tenants.get(1) + "/2");

    String newKey = keyRef();
    for (CredentialKey k : all) {
      byte[] rewrapped = ("rewrapped-" + k.version()).getBytes();
      assertThat(maintenance.rewrapCredential(ROTATOR, k.tenantId(), k.connectorId(), k.version(), k.wrappedKey(), rewrapped, newKey))
          .isTrue();
      // Compare-and-set: the old wrapped key no longer matches.
      assertThat(maintenance.rewrapCredential(ROTATOR, k.tenantId(), k.connectorId(), k.version(), k.wrappedKey(), rewrapped, newKey))
          .isFalse();
    }
    assertThat(maintenance.listCredentialsForRewrap(ROTATOR, oldKey, CredentialCursor.start(), 100)).isEmpty();
    assertThat(fx.count("SELECT count(*) FROM flow.connector_credentials WHERE key_ref = ? AND ciphertext = '\\x010203'::bytea", newKey))
        .isEqualTo(4);
    assertThat(fx.count("SELECT count(*) FROM flow_maint.service_role_events WHERE function_name = 'rewrap_credential'"
            + " AND actor_id = 'key-rotator' AND tenant_id = ANY(?)", (Object) tenants.toArray(new String[0])))
        .isEqualTo(8);
    List<AuditEvent> events = audit.events.subList(auditBefore, audit.events.size());
    assertThat(events).hasSize(3 + 8 + 1).allSatisfy(e -> {
      assertThat(e.action()).isEqualTo(Actions.SERVICE_ROLE_USE);
      assertThat(e.outcome()).isEqualTo(AuditEvent.Outcome.SUCCESS);
      assertThat(e.actor().kind()).isEqualTo(AuditEvent.Kind.SERVICE);
    });
    assertThat(events).filteredOn(e -> e.target().equals("flow_maint.rewrap_credential"))
        .extracting(AuditEvent::tenantId).containsOnly(tenants.toArray(new String[0]));
  }

  @Test
  void rewrap_auditSinkUnavailable_changeRolledBack() {
    String key = keyRef();
    String t = Fixtures.uniqueTenantId("rot-audit");
    fx.tenant(t);
    fx.connector(t, "github");
    fx.credentialVersion(t, "github", key);
    CredentialKey k = maintenance.listCredentialsForRewrap(ROTATOR, key, CredentialCursor.start(), 10).get(0);

    audit.failing = true;
    try {
      assertThatThrownBy(() -> maintenance.rewrapCredential(ROTATOR, t, "github", 1, k.wrappedKey(), new byte[] {7}, keyRef()))
          .isInstanceOf(AuditUnavailableException.class);
    } finally {
      audit.failing = false;
    }
    assertThat(fx.count("SELECT count(*) FROM flow.connector_credentials WHERE tenant_id = ? AND key_ref = ?", t, key)).isEqualTo(1);
    assertThat(fx.count("SELECT count(*) FROM flow_maint.service_role_events WHERE tenant_id = ?", t)).isZero();
  }

  @Test
  void maintenance_runOrUserActor_permissionDenied() {
    for (DbActor actor : List.of(DbActor.run("run-1"), DbActor.user(UUID.randomUUID()))) {
      assertThatThrownBy(() -> maintenance.listCredentialsForRewrap(actor, null, CredentialCursor.start(), 10))
          .asInstanceOf(type(SidecarException.class))
          .satisfies(e -> assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED));
    }
  }

  @Test
  void mfaRewrap_confirmedAndPendingSeeds_listedAndReplaced() {
    String key = keyRef();
    String t = Fixtures.uniqueTenantId("rot-mfa");
    fx.tenant(t);
    UUID user = fx.user(t, "mfa@" + t + ".example", "member");
    fx.execute(
        "UPDATE flow.users SET mfa_secret = '\\x01', mfa_wrapped_dek = '\\x02', mfa_key_ref = ?,"
            + " mfa_pending_secret = '\\x03', mfa_pending_wrapped_dek = '\\x04', mfa_pending_key_ref = ?,"
            + " mfa_pending_expires_at = now() + interval '10 minutes' WHERE id = ?",
        key, key, user);

    List<MfaKey> keys = maintenance.listMfaSecretsForRewrap(DbActor.system(), key, MfaCursor.start(), 10);
    assertThat(keys).extracting(MfaKey::slot).containsExactly(MfaSlot.CONFIRMED, MfaSlot.PENDING);
    assertThat(maintenance.listMfaSecretsForRewrap(DbActor.system(), key, keys.get(0).cursor(), 10))
        .extracting(MfaKey::slot).containsExactly(MfaSlot.PENDING);
    String newKey = keyRef();
    for (MfaKey k : keys) {
      assertThat(maintenance.rewrapMfaSecret(DbActor.system(), t, user, k.slot(), k.wrappedDek(), new byte[] {9}, newKey)).isTrue();
    }
    assertThat(fx.count("SELECT count(*) FROM flow.users WHERE id = ? AND mfa_key_ref = ? AND mfa_pending_key_ref = ?"
            + " AND mfa_secret = '\\x01' AND mfa_pending_secret = '\\x03'", user, newKey, newKey))
        .isEqualTo(1);
  }

  @Test
  void purgeExpired_acrossTenants_deletesOnlyWhatExpired() {
    String t = Fixtures.uniqueTenantId("purge");
    fx.tenant(t);
    UUID user = fx.user(t, "p@" + t + ".example");
    OffsetDateTime past = OffsetDateTime.ofInstant(NOW.minusSeconds(60), ZoneOffset.UTC);
    OffsetDateTime future = OffsetDateTime.ofInstant(NOW.plusSeconds(3600), ZoneOffset.UTC);
    OffsetDateTime created = OffsetDateTime.ofInstant(NOW.minusSeconds(7200), ZoneOffset.UTC);
    String session =
        "INSERT INTO flow.sessions (token_hash, tenant_id, kind, user_id, created_at, idle_expires_at, absolute_expires_at)"
            + " VALUES (sha256(convert_to(?, 'UTF8')), ?, 'user', ?, ?, ?, ?)";
    fx.execute(session, "expired-" + t, t, user, created, past, past);
    fx.execute(session, "live-" + t, t, user, created, future, future);
    fx.execute("INSERT INTO flow.used_run_tokens (tenant_id, jti, expires_at) VALUES (?, 'old', ?), (?, 'new', ?)", t, past, t, future);
    fx.execute(
        "INSERT INTO flow.auth_throttle (tenant_id, scope, key, failures, first_failure_at, last_failure_at)"
            + " VALUES (?, 'source', 'stale', 1, ?, ?), (?, 'source', 'recent', 1, ?, ?)",
        t, OffsetDateTime.ofInstant(NOW.minus(Duration.ofDays(3)), ZoneOffset.UTC),
        OffsetDateTime.ofInstant(NOW.minus(Duration.ofDays(3)), ZoneOffset.UTC), t, past, past);

    ServiceMaintenance.PurgeResult r = maintenance.purgeExpired(DbActor.system(), Duration.ofDays(1));

    assertThat(r.sessions()).isGreaterThanOrEqualTo(1);
    assertThat(r.runTokens()).isGreaterThanOrEqualTo(1);
    assertThat(r.throttleEntries()).isGreaterThanOrEqualTo(1);
    assertThat(fx.count("SELECT count(*) FROM flow.sessions WHERE tenant_id = ?", t)).isEqualTo(1);
    assertThat(fx.count("SELECT count(*) FROM flow.used_run_tokens WHERE tenant_id = ? AND jti = 'new'", t)).isEqualTo(1);
    assertThat(fx.count("SELECT count(*) FROM flow.used_run_tokens WHERE tenant_id = ?", t)).isEqualTo(1);
    assertThat(fx.count("SELECT count(*) FROM flow.auth_throttle WHERE tenant_id = ? AND key = 'recent'", t)).isEqualTo(1);
    assertThat(fx.count("SELECT count(*) FROM flow.auth_throttle WHERE tenant_id = ?", t)).isEqualTo(1);
  }

  @Test
  void serviceRoleEvents_appendOnly_evenForTheOwner() throws Exception {
    maintenance.purgeExpired(DbActor.system(), Duration.ofDays(1));
    try (var c = pg.ownerDataSource().getConnection(); var s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("DELETE FROM flow_maint.service_role_events"))
          .hasMessageContaining("append-only");
    }
  }
}
