package io.apixx.flow.sidecar.credentials;

import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditEvent.Outcome;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.audit.AuditUnavailableException;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.auth.UserPrincipal;
import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.crypto.SealContext;
import io.apixx.flow.sidecar.crypto.kms.DataKey;
import io.apixx.flow.sidecar.crypto.kms.Kms;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.ChangeFeed;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import io.apixx.flow.sidecar.tenancy.Tenancy;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import io.apixx.flow.sidecar.tenancy.TenantInfo;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials capability: releases connector credentials just in time to entitled runs,
 * seals, rotates and revokes them for admins and services, lists their metadata, and scrubs
 * released values from run output. No gRPC types; {@code api.CredentialGrpcService} maps the
 * wire onto it.
 *
 * <h2>Release (GetCredential)</h2>
 *
 * In this order, so that each refusal reveals no more than the one before it:
 *
 * <ol>
 *   <li><b>Scope</b>: a connector the run's token does not list is PERMISSION_DENIED before
 *       anything is looked up, so the answer says nothing about which connectors exist.
 *   <li><b>Residency</b>: a tenant resident in another region than this daemon's is
 *       FAILED_PRECONDITION unless it opted into cross-region transfer.
 *   <li><b>Fetch</b> the current version in the tenant's scope (row level security):
 *       none is NOT_FOUND, revoked is FAILED_PRECONDITION.
 *   <li><b>Decrypt</b>: unwrap the data key (cached by {@code DekCache}) and open the ciphertext
 *       bound to (tenant, connector, credential id, version, {@value
 *       SealContext#PURPOSE_CONNECTOR_CREDENTIAL}). KMS outage: UNAVAILABLE; ciphertext that does
 *       not open (moved, tampered): INTERNAL "invalid ciphertext", nothing more.
 *   <li><b>Audit</b> the release durably ({@link AuditSink#record}); if that fails the values are
 *       wiped and the call fails with UNAVAILABLE. No audit record, no secret.
 *   <li><b>Return</b> the fields, and remember them for {@link #redact}.
 * </ol>
 *
 * <h2>Audit</h2>
 *
 * Every call of release, list, seal, rotate and revoke writes exactly one event: action {@link
 * Actions#CREDENTIAL_RELEASE}, {@code _LIST}, {@code _SEAL}, {@code _ROTATE} or {@code _REVOKE};
 * target {@code connector/<id>/v<version>} (or {@code connector/<id>} before a version is known,
 * {@code connectors} for a listing); outcome SUCCESS, DENIED (scope, role, tenant, residency,
 * revoked) or FAILURE (not found, conflicts, dependency faults) with the reason code of the
 * refusal. Attributes hold versions, key references, field names, regions, never a value or a
 * token. Success events are written before the answer (for seal, rotate and revoke inside the
 * database transaction, before its commit, so a failed audit rolls the change back); if the commit
 * then fails, the event stands for an attempt that did not take effect, never the reverse.
 * Denial and failure events are best effort: if the trail is down the refusal is still given and
 * the loss is logged. Input validation errors (INVALID_ARGUMENT) are not audited.
 *
 * <h2>Rotation and revocation everywhere within a second</h2>
 *
 * Rows are cached in encrypted form only, briefly; see {@link CiphertextCache} for why no daemon
 * serves a replaced or revoked version more than about a second after the change committed.
 *
 * <p>Thread-safe. One instance per daemon.
 */
public final class CredentialService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CredentialService.class);

  /** The {@code LISTEN/NOTIFY} channel the credential triggers notify on. */
  public static final String CHANNEL = "flow_credentials";
  /** Connector ids: the schema's rule. */
  public static final Pattern CONNECTOR_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  /** Longest revocation reason, in characters. */
  public static final int MAX_REASON_LENGTH = 256;
  /** Longest connector display name, in characters (the schema's rule). */
  public static final int MAX_DISPLAY_NAME_LENGTH = 200;
  /** Page size when the request gives 0. */
  public static final int DEFAULT_PAGE_SIZE = 100;
  /** Largest page size. */
  public static final int MAX_PAGE_SIZE = 500;
  /** Redact's mask when the request gives none. */
  public static final String DEFAULT_MASK = "[REDACTED]";

  private static final String PAGE_TOKEN_PREFIX = "c1:";

  private final TenantScope tenants;
  private final CredentialStore store;
  private final Kms kms;
  private final EnvelopeAead aead;
  private final AuditSink audit;
  private final TenantDirectory directory;
  private final String region;
  private final Clock clock;
  private final CiphertextCache cache;
  private final ReleasedSecrets released;
  private final CredentialLimits limits;

  /** Who performs an admin action, resolved and checked. */
  private record Acting(String tenantId, DbActor db, AuditEvent.Actor actor) {}

  private CredentialService(
      TenantScope tenants,
      Kms kms,
      EnvelopeAead aead,
      AuditSink audit,
      TenantDirectory directory,
      String region,
      Clock clock,
      Ticker ticker,
      CredentialLimits limits) {
    this.tenants = Objects.requireNonNull(tenants, "tenants");
    this.store = new CredentialStore(tenants);
    this.kms = Objects.requireNonNull(kms, "kms");
    this.aead = Objects.requireNonNull(aead, "aead");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.directory = Objects.requireNonNull(directory, "directory");
    this.region = region;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.cache = new CiphertextCache(limits.rowCacheTtl(), limits.rowCacheMaxEntries(), ticker);
    this.released =
        new ReleasedSecrets(clock, limits.redactMaxSessions(), limits.redactMaxValuesPerSession(), limits.redactMaxBytes());
  }

  /**
   * Builds the service and subscribes it to {@value #CHANNEL} on {@code feed}.
   *
   * @param tenants the tenant-scoped database access
   * @param kms the KMS, normally {@code DekCache} over the configured backend
   * @param aead the credential AEAD
   * @param audit the durable audit sink (the spool)
   * @param directory tenant facts (residency)
   * @param region this daemon's region ({@code region} in the configuration)
   * @param clock wall time: audit events, run-session expiry for Redact
   * @param ticker monotonic time for the row cache ({@code Ticker.systemTicker()} in production)
   * @param feed the change feed; it must listen on {@value #CHANNEL} (started or not)
   * @param limits cache lifetimes and Redact memory bounds
   * @throws IllegalArgumentException if {@code region} is blank or {@code feed} does not listen on
   *     {@value #CHANNEL}
   */
  public static CredentialService create(
      TenantScope tenants,
      Kms kms,
      EnvelopeAead aead,
      AuditSink audit,
      TenantDirectory directory,
      String region,
      Clock clock,
      Ticker ticker,
      ChangeFeed feed,
      CredentialLimits limits) {
    Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(feed, "feed");
    if (region == null || region.isBlank()) {
      throw new IllegalArgumentException("region is required");
    }
    CredentialService service =
        new CredentialService(tenants, kms, aead, audit, directory, region, clock, ticker, limits);
    feed.subscribe(CHANNEL, service.cache);
    return service;
  }

  // ---- GetCredential ----------------------------------------------------------------------

  /**
   * Releases the current version of {@code connectorId}'s credential to {@code run}; see the class
   * comment for the order of checks.
   *
   * @return the metadata and decrypted fields; the caller closes it (wiping the values) as soon
   *     as they are handed on
   * @throws CredentialException INVALID_ARGUMENT for a malformed connector id, PERMISSION_DENIED
   *     outside the run's scope, FAILED_PRECONDITION for residency or a revoked credential,
   *     NOT_FOUND without a credential, RESOURCE_EXHAUSTED when Redact cannot remember more
   * @throws SidecarException UNAVAILABLE when the database, KMS or audit trail is down; INTERNAL
   *     ({@link InvalidCiphertextException}) when the stored ciphertext does not open
   */
  public ReleasedCredential release(RunPrincipal run, String connectorId, RequestMeta meta) {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(meta, "meta");
    checkConnectorId(connectorId);
    String tenant = run.tenantId();
    Event event = new Event(tenant, run.actor(), Actions.CREDENTIAL_RELEASE, target(connectorId), meta);

    if (!run.mayUse(connectorId)) {
      throw refuse(event, CredentialException.denied(
          "connector_not_in_scope", "connector_id: the run's token does not list this connector"));
    }
    boolean crossRegion;
    StoredCredential row;
    try {
      TenantInfo info = directory.find(tenant).orElseThrow(CredentialException::unknownTenant);
      crossRegion = !info.residencyRegion().equals(region);
      if (crossRegion && !info.crossRegionOptIn()) {
        event.attributes.put("tenant_region", info.residencyRegion());
        event.attributes.put("daemon_region", region);
        throw CredentialException.residency();
      }
      row =
          cache
              .get(tenant, connectorId, () -> store.current(tenant, connectorId, DbActor.run(run.runId())))
              .orElseThrow(CredentialException::notFound);
      event.target = target(connectorId, row.version());
      if (row.revoked()) {
        throw CredentialException.revoked();
      }
    } catch (SidecarException e) {
      throw refuse(event, e);
    }

    SecretFields fields = open(row, event);
    String session = ReleasedSecrets.key(tenant, run.runId(), run.sessionHash());
    try {
      List<byte[]> values = revealAll(fields);
      released.checkRoom(session, values);
      event.attributes.putAll(versionAttributes(row.version(), row.keyRef(), row.credentialId()));
      event.attributes.put("field_names", String.join(",", fields.names()));
      if (crossRegion) {
        event.attributes.put("cross_region", "true");
        event.attributes.put("daemon_region", region);
      }
      record(event, Outcome.SUCCESS, "");
      released.remember(session, run.expiresAt(), values);
      return new ReleasedCredential(row.metadata(), fields);
    } catch (RuntimeException e) {
      fields.close();
      throw e instanceof SidecarException se ? refuse(event, se) : e;
    }
  }

  /** Unwraps and decrypts {@code row}; failures are audited and rethrown. */
  private SecretFields open(StoredCredential row, Event event) {
    SealContext context =
        new SealContext(
            row.tenantId(), row.connectorId(), row.credentialId().toString(), row.version(),
            SealContext.PURPOSE_CONNECTOR_CREDENTIAL);
    try (SecretBytes dek = kms.unwrap(row.tenantId(), row.wrappedKey());
        SecretBytes plaintext = aead.open(dek, row.ciphertext(), context)) {
      return SecretPayload.decode(plaintext.reveal(SecretAccess.RELEASE));
    } catch (SidecarException e) {
      if (e.kind() == ErrorKind.INTERNAL) {
        // No detail exists to log (by design of the crypto layer); where it happened does.
        log.error("stored credential {} of tenant {} does not decrypt ({})", event.target, row.tenantId(), e.reasonCode());
      }
      throw refuse(event, e);
    }
  }

  private static List<byte[]> revealAll(SecretFields fields) {
    List<byte[]> values = new ArrayList<>(fields.size());
    for (SecretBytes v : fields.entries().values()) {
      values.add(v.reveal(SecretAccess.RELEASE));
    }
    return values;
  }

  // ---- Redact ----------------------------------------------------------------------------

  /**
   * Replaces, in {@code payload}, every value released to {@code run}'s session (at least {@value
   * SecretEncodings#MIN_SECRET_BYTES} UTF-8 bytes long) and its common encodings with {@code
   * mask} ({@value #DEFAULT_MASK} when empty). Values released to other sessions, and values of
   * sessions that expired, are not known. See {@link ReleasedSecrets} and {@link SecretEncodings}.
   *
   * @throws CredentialException INVALID_ARGUMENT naming {@code mask} when the result would exceed
   *     {@link CredentialLimits#redactMaxOutputBytes()}
   */
  public RedactionResult redact(RunPrincipal run, String payload, String mask) {
    Objects.requireNonNull(run, "run");
    String m = mask == null || mask.isEmpty() ? DEFAULT_MASK : mask;
    return released.redact(
        ReleasedSecrets.key(run.tenantId(), run.runId(), run.sessionHash()),
        Objects.requireNonNullElse(payload, ""),
        m,
        limits.redactMaxOutputBytes());
  }

  // ---- ListCredentials -------------------------------------------------------------------

  /**
   * One page of the metadata of the tenant's credentials, by connector id. Runs see only the
   * connectors their token lists. Never reads ciphertext.
   *
   * @param requestedTenant the request's {@code tenant_id} ("" for the caller's own)
   * @param pageSize 1..{@value #MAX_PAGE_SIZE}, 0 for {@value #DEFAULT_PAGE_SIZE}
   * @param pageToken "" or the {@code nextPageToken} of a previous page
   * @throws CredentialException INVALID_ARGUMENT naming {@code page_size}, {@code page_token} or
   *     {@code tenant_id}; PERMISSION_DENIED for a tenant the caller may not act on
   */
  public CredentialPage list(Principal caller, String requestedTenant, int pageSize, String pageToken, RequestMeta meta) {
    Objects.requireNonNull(caller, "caller");
    Objects.requireNonNull(meta, "meta");
    if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw CredentialException.invalid("page_size: must be between 0 and " + MAX_PAGE_SIZE);
    }
    int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : pageSize;
    String after = decodePageToken(Objects.requireNonNullElse(pageToken, ""));
    Event event = new Event("", caller.actor(), Actions.CREDENTIAL_LIST, "connectors", meta);
    String tenant = resolveTenant(caller, requestedTenant, event);
    List<StoredCredential> rows;
    try {
      Optional<List<String>> only =
          caller instanceof RunPrincipal r ? Optional.of(List.copyOf(r.allowedConnectors())) : Optional.empty();
      rows =
          only.isPresent() && only.get().isEmpty()
              ? List.of()
              : store.page(tenant, dbActor(caller), after, only.orElse(null), size + 1);
    } catch (SidecarException e) {
      throw refuse(event, e);
    }
    boolean more = rows.size() > size;
    List<CredentialMetadata> page = rows.stream().limit(size).map(StoredCredential::metadata).toList();
    String next = more ? encodePageToken(page.get(page.size() - 1).connectorId()) : "";
    event.attributes.put("count", Integer.toString(page.size()));
    event.attributes.put("more", Boolean.toString(more));
    try {
      record(event, Outcome.SUCCESS, "");
    } catch (AuditUnavailableException e) {
      throw refuse(event, e);
    }
    return new CredentialPage(page, next);
  }

  static String encodePageToken(String lastConnectorId) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((PAGE_TOKEN_PREFIX + lastConnectorId).getBytes(StandardCharsets.UTF_8));
  }

  /** The connector id a page token continues after; "" for the first page. */
  static String decodePageToken(String token) {
    if (token.isEmpty()) {
      return "";
    }
    String decoded;
    try {
      decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      decoded = "";
    }
    if (!decoded.startsWith(PAGE_TOKEN_PREFIX)
        || !CONNECTOR_ID.matcher(decoded.substring(PAGE_TOKEN_PREFIX.length())).matches()) {
      throw CredentialException.invalid("page_token: not a token from a previous response");
    }
    return decoded.substring(PAGE_TOKEN_PREFIX.length());
  }

  // ---- SealCredential / RotateCredential / RevokeCredential --------------------------------

  /**
   * Encrypts and stores version 1 of {@code connectorId}'s credential under a new data key,
   * creating the connector if needed ({@code displayName} "" keeps an existing name, or uses the
   * connector id for a new connector). {@code fields} stays owned by the caller.
   *
   * @param caller an admin user or a service (runs and other users are refused, audited)
   * @throws CredentialException ALREADY_EXISTS when the connector has a credential;
   *     INVALID_ARGUMENT naming {@code connector_id} or {@code display_name}; PERMISSION_DENIED
   * @throws SidecarException UNAVAILABLE when the database, KMS or audit trail is down (nothing
   *     is stored)
   */
  public CredentialMetadata seal(
      Principal caller, String requestedTenant, String connectorId, String displayName, SecretFields fields, RequestMeta meta) {
    checkConnectorId(connectorId);
    String name = checkDisplayName(displayName);
    Objects.requireNonNull(fields, "fields");
    Acting who = admin(caller, requestedTenant, Actions.CREDENTIAL_SEAL, connectorId, meta);
    return doSeal(who, connectorId, name, fields, meta);
  }

  /**
   * Seals version 1 as the daemon itself (SYSTEM actor), unless the connector already has a
   * credential: for dev-mode seeding, never for requests. Audited like {@link #seal}.
   *
   * @return the new metadata, or empty when a credential existed (nothing written or audited)
   */
  public Optional<CredentialMetadata> sealIfAbsentAsSystem(
      String tenantId, String connectorId, String displayName, SecretFields fields, RequestMeta meta) {
    checkConnectorId(connectorId);
    String name = checkDisplayName(displayName);
    Objects.requireNonNull(fields, "fields");
    Acting who = new Acting(tenantId, DbActor.system(), AuditEvent.Actor.system());
    if (store.current(tenantId, connectorId, who.db()).isPresent()) {
      return Optional.empty();
    }
    try {
      return Optional.of(doSeal(who, connectorId, name, fields, meta));
    } catch (SidecarException e) {
      if (e.kind() == ErrorKind.ALREADY_EXISTS) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private CredentialMetadata doSeal(Acting who, String connectorId, String displayName, SecretFields fields, RequestMeta meta) {
    Event event = new Event(who.tenantId(), who.actor(), Actions.CREDENTIAL_SEAL, target(connectorId, 1), meta);
    try {
      if (store.current(who.tenantId(), connectorId, who.db()).isPresent()) {
        throw CredentialException.alreadyExists();
      }
      CredentialStore.NewVersion version = sealVersion(who.tenantId(), connectorId, UUID.randomUUID(), 1, fields);
      event.attributes.putAll(versionAttributes(1, version.keyRef(), version.credentialId()));
      event.attributes.put("field_names", String.join(",", version.fieldNames()));
      Instant created =
          tenants.inTenant(
              who.tenantId(),
              who.db(),
              tx -> {
                store.upsertConnector(tx, connectorId, displayName.isEmpty() ? connectorId : displayName, !displayName.isEmpty());
                if (store.current(tx, connectorId, false).isPresent()) {
                  throw CredentialException.alreadyExists();
                }
                Instant t = store.insert(tx, version);
                record(event, Outcome.SUCCESS, "");
                return t;
              });
      cache.invalidate(who.tenantId(), connectorId);
      log.info("sealed {} of tenant {} ({})", event.target, who.tenantId(), version.keyRef());
      return StoredCredential.metadata(
          who.tenantId(), connectorId, version.credentialId(), 1, version.fieldNames(), created, created, null);
    } catch (SidecarException e) {
      throw refuse(event, e);
    }
  }

  /**
   * Stores the next version of {@code connectorId}'s credential under a new data key; every daemon
   * stops serving the previous version within a second. {@code fields} stays owned by the caller.
   *
   * @throws CredentialException NOT_FOUND without a credential, FAILED_PRECONDITION when it is
   *     revoked, UNAVAILABLE ("concurrent_change") when another rotation won the race,
   *     INVALID_ARGUMENT, PERMISSION_DENIED
   * @throws SidecarException UNAVAILABLE when the database, KMS or audit trail is down
   */
  public CredentialMetadata rotate(
      Principal caller, String requestedTenant, String connectorId, SecretFields fields, RequestMeta meta) {
    checkConnectorId(connectorId);
    Objects.requireNonNull(fields, "fields");
    Acting who = admin(caller, requestedTenant, Actions.CREDENTIAL_ROTATE, connectorId, meta);
    Event event = new Event(who.tenantId(), who.actor(), Actions.CREDENTIAL_ROTATE, target(connectorId), meta);
    try {
      StoredCredential current =
          store.current(who.tenantId(), connectorId, who.db()).orElseThrow(CredentialException::notFound);
      if (current.revoked()) {
        event.target = target(connectorId, current.version());
        throw CredentialException.revoked();
      }
      int next = current.version() + 1;
      event.target = target(connectorId, next);
      CredentialStore.NewVersion version = sealVersion(who.tenantId(), connectorId, current.credentialId(), next, fields);
      event.attributes.putAll(versionAttributes(next, version.keyRef(), version.credentialId()));
      event.attributes.put("previous_version", Integer.toString(current.version()));
      event.attributes.put("field_names", String.join(",", version.fieldNames()));
      CredentialMetadata rotated =
          tenants.inTenant(
              who.tenantId(),
              who.db(),
              tx -> {
                StoredCredential locked = store.current(tx, connectorId, true).orElseThrow(CredentialException::notFound);
                if (locked.revoked()) {
                  throw CredentialException.revoked();
                }
                if (locked.version() != current.version()) {
                  throw CredentialException.concurrentChange();
                }
                Instant t = store.insert(tx, version);
                record(event, Outcome.SUCCESS, "");
                return StoredCredential.metadata(
                    who.tenantId(), connectorId, version.credentialId(), next, version.fieldNames(), locked.firstCreatedAt(), t, null);
              });
      cache.invalidate(who.tenantId(), connectorId);
      log.info("rotated {} of tenant {} ({})", event.target, who.tenantId(), version.keyRef());
      return rotated;
    } catch (SidecarException e) {
      // Two rotations that both read version n: the loser's insert of n+1 hits the primary key.
      throw refuse(event, e.kind() == ErrorKind.ALREADY_EXISTS ? CredentialException.concurrentChange() : e);
    }
  }

  /**
   * Stops every version of {@code connectorId}'s credential from being served, on every daemon
   * within a second. Idempotent: revoking a revoked credential changes nothing and answers its
   * metadata (and is audited, with {@code already_revoked=true}).
   *
   * @param reason why, for the audit trail; at most {@value #MAX_REASON_LENGTH} characters
   * @throws CredentialException NOT_FOUND without a credential, INVALID_ARGUMENT,
   *     PERMISSION_DENIED
   * @throws SidecarException UNAVAILABLE when the database or audit trail is down
   */
  public CredentialMetadata revoke(
      Principal caller, String requestedTenant, String connectorId, String reason, RequestMeta meta) {
    checkConnectorId(connectorId);
    String why = Objects.requireNonNullElse(reason, "");
    if (why.length() > MAX_REASON_LENGTH) {
      throw CredentialException.invalid("reason: at most " + MAX_REASON_LENGTH + " characters");
    }
    Acting who = admin(caller, requestedTenant, Actions.CREDENTIAL_REVOKE, connectorId, meta);
    Event event = new Event(who.tenantId(), who.actor(), Actions.CREDENTIAL_REVOKE, target(connectorId), meta);
    if (!why.isEmpty()) {
      event.attributes.put("reason", why);
    }
    try {
      CredentialMetadata revoked =
          tenants.inTenant(
              who.tenantId(),
              who.db(),
              tx -> {
                StoredCredential current = store.current(tx, connectorId, true).orElseThrow(CredentialException::notFound);
                event.target = target(connectorId, current.version());
                event.attributes.putAll(versionAttributes(current.version(), current.keyRef(), current.credentialId()));
                if (current.revoked()) {
                  event.attributes.put("already_revoked", "true");
                  record(event, Outcome.SUCCESS, "");
                  return current.metadata();
                }
                Instant at = store.revokeAll(tx, connectorId);
                record(event, Outcome.SUCCESS, "");
                return StoredCredential.metadata(
                    current.tenantId(), connectorId, current.credentialId(), current.version(), current.fieldNames(),
                    current.firstCreatedAt(), current.createdAt(), at);
              });
      cache.invalidate(who.tenantId(), connectorId);
      log.info("revoked {} of tenant {}", event.target, who.tenantId());
      return revoked;
    } catch (SidecarException e) {
      throw refuse(event, e);
    }
  }

  /** Encodes, and seals under a fresh data key of the tenant, one version. */
  private CredentialStore.NewVersion sealVersion(
      String tenant, String connectorId, UUID credentialId, int version, SecretFields fields) {
    byte[] plaintext = SecretPayload.encode(fields);
    try (DataKey key = kms.generateDataKey(tenant)) {
      byte[] ciphertext =
          aead.seal(
              key.plaintext(),
              plaintext,
              new SealContext(tenant, connectorId, credentialId.toString(), version, SealContext.PURPOSE_CONNECTOR_CREDENTIAL));
      return new CredentialStore.NewVersion(
          connectorId, credentialId, version, ciphertext, key.wrapped().bytes(), key.wrapped().keyRef(), fields.names());
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /**
   * Checks that {@code caller} may perform admin actions and resolves the tenant. Refusals are
   * audited.
   */
  private Acting admin(Principal caller, String requestedTenant, String action, String connectorId, RequestMeta meta) {
    Objects.requireNonNull(caller, "caller");
    Objects.requireNonNull(meta, "meta");
    Event event =
        new Event(Tenancy.homeTenant(caller).orElse(""), caller.actor(), action, target(connectorId), meta);
    boolean admin =
        caller instanceof ServicePrincipal || (caller instanceof UserPrincipal u && u.hasRole(UserPrincipal.ADMIN));
    if (!admin) {
      // The access rules refuse these before any service code runs; this is the second check.
      throw refuse(event, CredentialException.denied("admin_required", "this call needs an admin user or a service"));
    }
    String tenant = resolveTenant(caller, requestedTenant, event);
    return new Acting(tenant, dbActor(caller), caller.actor());
  }

  /** {@link Tenancy#effectiveTenant}, auditing a refused tenant. */
  private String resolveTenant(Principal caller, String requestedTenant, Event event) {
    try {
      String tenant = Tenancy.effectiveTenant(caller, requestedTenant);
      event.tenantId = tenant;
      return tenant;
    } catch (SidecarException e) {
      if (e.kind() == ErrorKind.PERMISSION_DENIED) {
        event.tenantId = Objects.requireNonNullElse(requestedTenant, "");
        event.attributes.put("caller_tenant", Tenancy.homeTenant(caller).orElse("*"));
        throw refuse(event, e);
      }
      throw e;
    }
  }

  private static DbActor dbActor(Principal p) {
    return switch (p) {
      case RunPrincipal r -> DbActor.run(r.runId());
      case UserPrincipal u -> DbActor.user(u.userId());
      case ServicePrincipal s -> DbActor.service(s.name());
    };
  }

  // ---- validation, targets, audit ----------------------------------------------------------

  static void checkConnectorId(String connectorId) {
    if (connectorId == null || connectorId.isEmpty()) {
      throw CredentialException.invalid("connector_id: required");
    }
    if (!CONNECTOR_ID.matcher(connectorId).matches()) {
      throw CredentialException.invalid("connector_id: must be 1-64 characters of [a-z0-9._-], starting with a letter or digit");
    }
  }

  private static String checkDisplayName(String displayName) {
    String name = Objects.requireNonNullElse(displayName, "").strip();
    if (name.length() > MAX_DISPLAY_NAME_LENGTH) {
      throw CredentialException.invalid("display_name: at most " + MAX_DISPLAY_NAME_LENGTH + " characters");
    }
    return name;
  }

  /** {@code connector/<id>}: the audit target before a version is known. */
  static String target(String connectorId) {
    return "connector/" + connectorId;
  }

  /** {@code connector/<id>/v<version>}. */
  static String target(String connectorId, long version) {
    return "connector/" + connectorId + "/v" + version;
  }

  private static Map<String, String> versionAttributes(long version, String keyRef, UUID credentialId) {
    return Map.of("version", Long.toString(version), "key_ref", keyRef, "credential_id", credentialId.toString());
  }

  /** The audit event of one call, filled in as the call learns more. Not thread-safe. */
  private static final class Event {
    String tenantId;
    final AuditEvent.Actor actor;
    final String action;
    String target;
    final RequestMeta meta;
    final Map<String, String> attributes = new HashMap<>();
    boolean recorded;

    Event(String tenantId, AuditEvent.Actor actor, String action, String target, RequestMeta meta) {
      this.tenantId = tenantId;
      this.actor = actor;
      this.action = action;
      this.target = target;
      this.meta = meta;
    }
  }

  /**
   * Records {@code event} durably.
   *
   * @throws AuditUnavailableException when it cannot be made durable (the caller must not act)
   */
  private void record(Event event, Outcome outcome, String reasonCode) {
    audit.record(
        new AuditEvent(
            event.tenantId, event.actor, event.action, event.target, outcome, reasonCode,
            event.meta.requestId(), event.meta.peer(), clock.instant(), event.attributes));
    event.recorded = true;
  }

  /**
   * Audits a refusal or failure (once per call: not when the call's event is already recorded)
   * and returns {@code e} to throw. A refusal that cannot be audited is still a refusal; the loss
   * is logged.
   */
  private SidecarException refuse(Event event, SidecarException e) {
    if (event.recorded || e instanceof AuditUnavailableException) {
      if (e instanceof AuditUnavailableException) {
        log.warn("{} on {} of tenant {} refused: the audit trail is unavailable", event.action, event.target, event.tenantId);
      }
      return e;
    }
    Outcome outcome =
        e.kind() == ErrorKind.PERMISSION_DENIED || e.kind() == ErrorKind.FAILED_PRECONDITION ? Outcome.DENIED : Outcome.FAILURE;
    try {
      record(event, outcome, e.reasonCode());
    } catch (SidecarException auditDown) {
      log.warn("could not audit a refused {} on {} ({}): {}", event.action, event.target, e.reasonCode(), auditDown.getMessage());
    }
    return e;
  }

  /** Wipes every value remembered for Redact. The service must not be used afterwards. */
  @Override
  public void close() {
    released.clear();
  }

  @Override
  public String toString() {
    return "CredentialService[region=" + region + "]";
  }
}
