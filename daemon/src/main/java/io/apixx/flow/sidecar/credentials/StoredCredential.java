package io.apixx.flow.sidecar.credentials;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The current version of a connector's credential as stored: ciphertext and wrapped data key (not
 * secret without the tenant's KMS key) and metadata. Immutable; the arrays are never modified
 * after construction and never handed out.
 *
 * @param firstCreatedAt when version 1 was sealed
 * @param createdAt when this version was sealed
 * @param revokedAt when it was revoked, or null
 */
record StoredCredential(
    String tenantId,
    String connectorId,
    UUID credentialId,
    int version,
    byte[] ciphertext,
    byte[] wrappedKey,
    String keyRef,
    List<String> fieldNames,
    Instant firstCreatedAt,
    Instant createdAt,
    Instant revokedAt) {

  StoredCredential {
    fieldNames = List.copyOf(fieldNames);
  }

  boolean revoked() {
    return revokedAt != null;
  }

  CredentialMetadata metadata() {
    return metadata(tenantId, connectorId, credentialId, version, fieldNames, firstCreatedAt, createdAt, revokedAt);
  }

  /**
   * The metadata of a version from its stored facts: the rotation time is the creation time of
   * any version after the first (the insert of version n+1 is what rotates version n).
   */
  static CredentialMetadata metadata(
      String tenantId,
      String connectorId,
      UUID credentialId,
      int version,
      List<String> fieldNames,
      Instant firstCreatedAt,
      Instant createdAt,
      Instant revokedAt) {
    return new CredentialMetadata(
        tenantId,
        connectorId,
        credentialId,
        version,
        fieldNames.stream().sorted().toList(),
        revokedAt != null ? CredentialMetadata.State.REVOKED : CredentialMetadata.State.ACTIVE,
        firstCreatedAt,
        version > 1 ? Optional.of(createdAt) : Optional.empty(),
        Optional.ofNullable(revokedAt));
  }

  @Override
  public String toString() {
    return "StoredCredential[tenant=" + tenantId + ", connector=" + connectorId + ", v" + version
        + ", keyRef=" + keyRef + ", revoked=" + revoked() + "]";
  }
}
