package io.apixx.flow.sidecar.credentials;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/**
 * A credential operation was refused or failed for a reason of the credentials capability itself
 * (dependencies raise their own types: {@code DatabaseException}, {@code KmsException}, {@code
 * AuditUnavailableException}, {@code InvalidCiphertextException}).
 *
 * <p>Messages are caller-safe: they name the request field ({@code connector_id}, {@code
 * secret_fields[api_key]}) or the rule, never a secret value. Field <em>names</em> that passed
 * validation may appear (they are listed by ListCredentials and are not secret); a name that did
 * not pass is never echoed, since it may be a value pasted in the wrong place. The reason code is
 * what audit events record.
 */
public final class CredentialException extends SidecarException {
  private static final long serialVersionUID = 1L;

  private CredentialException(ErrorKind kind, String reasonCode, String message) {
    super(kind, reasonCode, message);
  }

  /** INVALID_ARGUMENT; {@code message} starts with the proto field name. */
  static CredentialException invalid(String message) {
    return new CredentialException(ErrorKind.INVALID_ARGUMENT, "invalid_argument", message);
  }

  /** PERMISSION_DENIED with a reason code for the audit trail. */
  static CredentialException denied(String reasonCode, String message) {
    return new CredentialException(ErrorKind.PERMISSION_DENIED, reasonCode, message);
  }

  static CredentialException notFound() {
    return new CredentialException(
        ErrorKind.NOT_FOUND, "credential_not_found", "connector_id: the connector has no credential");
  }

  static CredentialException alreadyExists() {
    return new CredentialException(
        ErrorKind.ALREADY_EXISTS,
        "credential_exists",
        "connector_id: the connector already has a credential; use RotateCredential");
  }

  static CredentialException revoked() {
    return new CredentialException(
        ErrorKind.FAILED_PRECONDITION, "credential_revoked", "connector_id: the credential is revoked");
  }

  static CredentialException residency() {
    return new CredentialException(
        ErrorKind.FAILED_PRECONDITION,
        "residency_region_mismatch",
        "the tenant's data residency does not allow release in this daemon's region");
  }

  static CredentialException unknownTenant() {
    return new CredentialException(
        ErrorKind.FAILED_PRECONDITION, "tenant_unknown", "the caller's tenant is not known");
  }

  /** Another writer changed the credential at the same moment; the caller may retry. */
  static CredentialException concurrentChange() {
    return new CredentialException(
        ErrorKind.UNAVAILABLE,
        "concurrent_change",
        "the credential was changed concurrently; retry");
  }

  /**
   * A ciphertext that authenticated but does not hold a well-formed payload: an integrity problem
   * of this deployment. Generic on purpose, like {@code InvalidCiphertextException}.
   */
  static CredentialException malformedPayload() {
    return new CredentialException(ErrorKind.INTERNAL, "invalid_payload", "invalid credential payload");
  }
}
