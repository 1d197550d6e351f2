package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.auth.Peer;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.ToLongFunction;

/**
 * The daemon's wrapper of the service-role maintenance functions in schema {@code flow_maint}:
 * the only operations that cross tenants (re-wrapping data keys when a KMS key rotates, purging
 * expired rows). Each call runs in its own transaction acting for a {@link DbActor.Kind#SERVICE}
 * or {@link DbActor.Kind#SYSTEM} actor; the function records itself in
 * {@code flow_maint.service_role_events}, and this wrapper writes a {@value Actions#SERVICE_ROLE_USE}
 * audit event <em>before</em> it commits: if the audit sink cannot record, the change is rolled
 * back (no record, no change). A failure after the audit record (e.g. the commit) is recorded as a
 * second, FAILURE event where possible.
 *
 * <p>Nothing returned is secret: wrapped data keys are ciphertext under the tenant's KMS key.
 * Thread-safe.
 */
public final class ServiceMaintenance {
  /** The largest page the list functions return. */
  public static final int MAX_PAGE = 1000;

  private final Database database;
  private final AuditSink audit;
  private final Clock clock;

  private ServiceMaintenance(Database database, AuditSink audit, Clock clock) {
    this.database = database;
    this.audit = audit;
    this.clock = clock;
  }

  public static ServiceMaintenance create(Database database, AuditSink audit, Clock clock) {
    return new ServiceMaintenance(
        Objects.requireNonNull(database, "database"),
        Objects.requireNonNull(audit, "audit"),
        Objects.requireNonNull(clock, "clock"));
  }

  /** One credential version's wrapped data key. */
  public record CredentialKey(
      String tenantId, String connectorId, int version, UUID credentialId, String keyRef, byte[] wrappedKey) {
    /** Where this row sits in the listing order, to continue after it. */
    public CredentialCursor cursor() {
      return new CredentialCursor(tenantId, connectorId, version);
    }

    @Override
    public String toString() {
      return "CredentialKey[" + tenantId + "/" + connectorId + "/v" + version + ", keyRef=" + keyRef + "]";
    }
  }

  /** A position in the credential listing order (tenant, connector, version). */
  public record CredentialCursor(String tenantId, String connectorId, int version) {
    /** Before the first row. */
    public static CredentialCursor start() {
      return new CredentialCursor("", "", 0);
    }
  }

  /** Which of a user's sealed TOTP seeds. */
  public enum MfaSlot {
    CONFIRMED,
    PENDING;

    String sql() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One sealed TOTP seed's wrapped data key. */
  public record MfaKey(String tenantId, UUID userId, MfaSlot slot, String keyRef, byte[] wrappedDek) {
    public MfaCursor cursor() {
      return new MfaCursor(userId, slot);
    }

    @Override
    public String toString() {
      return "MfaKey[" + tenantId + "/" + userId + "/" + slot + ", keyRef=" + keyRef + "]";
    }
  }

  /** A position in the TOTP-seed listing order (user, slot); {@code userId} null: the start. */
  public record MfaCursor(UUID userId, MfaSlot slot) {
    public static MfaCursor start() {
      return new MfaCursor(null, null);
    }
  }

  /** What {@link #purgeExpired} deleted. */
  public record PurgeResult(long sessions, long runTokens, long throttleEntries) {}

  /**
   * A page of credential versions whose data key is wrapped under {@code keyRef} (every key when
   * null), in (tenant, connector, version) order after {@code after}.
   *
   * @param limit 1 to {@value #MAX_PAGE}
   */
  public List<CredentialKey> listCredentialsForRewrap(
      DbActor actor, String keyRef, CredentialCursor after, int limit) {
    checkLimit(limit);
    return call(
        actor,
        "",
        "list_credentials_for_rewrap",
        attributes("key_ref", keyRef),
        tx ->
            tx.query(
                "SELECT tenant_id, connector_id, version, credential_id, key_ref, wrapped_key"
                    + " FROM flow_maint.list_credentials_for_rewrap(?, ?, ?, ?, ?)",
                row ->
                    new CredentialKey(
                        row.getString("tenant_id"),
                        row.getString("connector_id"),
                        row.getInt("version"),
                        row.getUuid("credential_id"),
                        row.getString("key_ref"),
                        row.getBytes("wrapped_key")),
                keyRef,
                after.tenantId(),
                after.connectorId(),
                after.version(),
                limit),
        List::size);
  }

  /**
   * Replaces a credential version's wrapped data key if it still is {@code expectedWrappedKey}.
   *
   * @return true when replaced; false when the version does not exist or its key changed meanwhile
   */
  public boolean rewrapCredential(
      DbActor actor,
      String tenantId,
      String connectorId,
      int version,
      byte[] expectedWrappedKey,
      byte[] newWrappedKey,
      String newKeyRef) {
    return call(
        actor,
        tenantId,
        "rewrap_credential",
        attributes("connector_id", connectorId, "version", Integer.toString(version), "key_ref", newKeyRef),
        tx ->
            tx.queryOne(
                    "SELECT flow_maint.rewrap_credential(?, ?, ?, ?, ?, ?) AS replaced",
                    row -> row.getBoolean("replaced"),
                    tenantId,
                    connectorId,
                    version,
                    expectedWrappedKey,
                    newWrappedKey,
                    newKeyRef)
                .orElse(false),
        replaced -> replaced ? 1 : 0);
  }

  /** A page of sealed TOTP seeds wrapped under {@code keyRef} (all when null), after {@code after}. */
  public List<MfaKey> listMfaSecretsForRewrap(DbActor actor, String keyRef, MfaCursor after, int limit) {
    checkLimit(limit);
    return call(
        actor,
        "",
        "list_mfa_secrets_for_rewrap",
        attributes("key_ref", keyRef),
        tx ->
            tx.query(
                "SELECT tenant_id, user_id, slot, key_ref, wrapped_dek"
                    + " FROM flow_maint.list_mfa_secrets_for_rewrap(?, ?, ?, ?)",
                row ->
                    new MfaKey(
                        row.getString("tenant_id"),
                        row.getUuid("user_id"),
                        MfaSlot.valueOf(row.getString("slot").toUpperCase(Locale.ROOT)),
                        row.getString("key_ref"),
                        row.getBytes("wrapped_dek")),
                keyRef,
                after.userId(),
                after.slot() == null ? null : after.slot().sql(),
                limit),
        List::size);
  }

  /** Compare-and-set of one sealed TOTP seed's wrapped data key; true when replaced. */
  public boolean rewrapMfaSecret(
      DbActor actor,
      String tenantId,
      UUID userId,
      MfaSlot slot,
      byte[] expectedWrappedDek,
      byte[] newWrappedDek,
      String newKeyRef) {
    return call(
        actor,
        tenantId,
        "rewrap_mfa_secret",
        attributes("user_id", userId.toString(), "slot", slot.sql(), "key_ref", newKeyRef),
        tx ->
            tx.queryOne(
                    "SELECT flow_maint.rewrap_mfa_secret(?, ?, ?, ?, ?, ?) AS replaced",
                    row -> row.getBoolean("replaced"),
                    tenantId,
                    userId,
                    slot.sql(),
                    expectedWrappedDek,
                    newWrappedDek,
                    newKeyRef)
                .orElse(false),
        replaced -> replaced ? 1 : 0);
  }

  /**
   * Deletes, across tenants, sessions that expired or were revoked, run-token ids past their
   * expiry, and throttle entries idle for {@code throttleIdle} without a lock in force, all
   * judged at the clock's current time.
   */
  public PurgeResult purgeExpired(DbActor actor, Duration throttleIdle) {
    return call(
        actor,
        "",
        "purge_expired",
        attributes("throttle_idle", throttleIdle.toString()),
        tx ->
            tx.queryOne(
                    "SELECT sessions, run_tokens, throttle_entries FROM flow_maint.purge_expired(?, ?)",
                    row ->
                        new PurgeResult(
                            row.getLong("sessions"), row.getLong("run_tokens"), row.getLong("throttle_entries")),
                    clock.instant(),
                    throttleIdle)
                .orElseThrow(),
        r -> r.sessions() + r.runTokens() + r.throttleEntries());
  }

  private <T> T call(
      DbActor actor,
      String tenantId,
      String function,
      Map<String, String> attributes,
      TenantWork<T> work,
      ToLongFunction<T> rows) {
    Objects.requireNonNull(actor, "actor");
    if (actor.kind() != DbActor.Kind.SERVICE && actor.kind() != DbActor.Kind.SYSTEM) {
      throw new SidecarException(
          ErrorKind.PERMISSION_DENIED, "not_service", "maintenance functions need a service or system actor");
    }
    String target = "flow_maint." + function;
    try {
      // No tenant: the function crosses tenants as flow_service; RLS hides everything else.
      return database.run(
          database.settings("", actor),
          false,
          tx -> {
            T result = work.run(tx);
            Map<String, String> attrs = new LinkedHashMap<>(attributes);
            attrs.put("rows", Long.toString(rows.applyAsLong(result)));
            audit.record(event(tenantId, actor, target, AuditEvent.Outcome.SUCCESS, "", attrs));
            return result;
          });
    } catch (SidecarException e) {
      try {
        audit.record(event(tenantId, actor, target, AuditEvent.Outcome.FAILURE, e.reasonCode(), attributes));
      } catch (RuntimeException auditFailure) {
        e.addSuppressed(auditFailure);
      }
      throw e;
    }
  }

  private AuditEvent event(
      String tenantId,
      DbActor actor,
      String target,
      AuditEvent.Outcome outcome,
      String reason,
      Map<String, String> attributes) {
    return new AuditEvent(
        tenantId,
        actor.toAuditActor(),
        Actions.SERVICE_ROLE_USE,
        target,
        outcome,
        reason,
        "",
        Peer.inProcess(),
        clock.instant(),
        attributes);
  }

  private static Map<String, String> attributes(String... keyValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] != null) {
        m.put(keyValues[i], keyValues[i + 1]);
      }
    }
    return m;
  }

  private static void checkLimit(int limit) {
    if (limit < 1 || limit > MAX_PAGE) {
      throw new SidecarException(
          ErrorKind.INVALID_ARGUMENT, "bad_limit", "limit must be between 1 and " + MAX_PAGE);
    }
  }
}
