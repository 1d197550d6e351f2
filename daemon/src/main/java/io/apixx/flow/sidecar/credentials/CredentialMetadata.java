package io.apixx.flow.sidecar.credentials;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What may be known about a credential without any secret material (the domain form of {@code
 * apixx.flow.sidecar.v1.CredentialMetadata}).
 *
 * @param tenantId the owning tenant
 * @param connectorId the connector
 * @param credentialId stable across versions
 * @param version the current version, from 1
 * @param fieldNames names of the secret fields of the current version, ascending; never values
 * @param state active or revoked
 * @param createTime when version 1 was sealed
 * @param rotateTime when the current version replaced the previous one; empty for version 1
 * @param revokeTime when the credential was revoked; empty unless revoked
 */
public record CredentialMetadata(
    String tenantId,
    String connectorId,
    UUID credentialId,
    long version,
    List<String> fieldNames,
    State state,
    Instant createTime,
    Optional<Instant> rotateTime,
    Optional<Instant> revokeTime) {

  /** Lifecycle states. */
  public enum State {
    /** The current version is served to entitled runs. */
    ACTIVE,
    /** No version is served. */
    REVOKED
  }

  public CredentialMetadata {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(connectorId, "connectorId");
    Objects.requireNonNull(credentialId, "credentialId");
    fieldNames = List.copyOf(fieldNames);
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(createTime, "createTime");
    rotateTime = Objects.requireNonNullElse(rotateTime, Optional.empty());
    revokeTime = Objects.requireNonNullElse(revokeTime, Optional.empty());
  }

  /** The audit target of this version: {@code connector/<id>/v<version>}. */
  public String target() {
    return CredentialService.target(connectorId, version);
  }
}
