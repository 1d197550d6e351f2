package io.apixx.flow.sidecar.error;

/**
 * The category of a {@link SidecarException}. Each kind maps to exactly one gRPC status code in
 * {@code io.apixx.flow.sidecar.api.StatusMapper}; domain code never touches {@code io.grpc.Status}.
 */
public enum ErrorKind {
  /** The request is malformed; the message names the field, never its value. */
  INVALID_ARGUMENT,
  /** No valid credential was presented. */
  UNAUTHENTICATED,
  /** The caller is authenticated but not allowed (tenant, role, scope, MFA freshness). */
  PERMISSION_DENIED,
  /** The named object does not exist (within the caller's tenant). */
  NOT_FOUND,
  /** The object exists already. */
  ALREADY_EXISTS,
  /** The system is not in a state that allows the operation (revoked, residency, no SSO). */
  FAILED_PRECONDITION,
  /** A rate limit or throttle; {@link SidecarException#retryAfter()} says when to retry. */
  RESOURCE_EXHAUSTED,
  /** A dependency (database, KMS, audit spool) cannot be used right now; fail closed, retry. */
  UNAVAILABLE,
  /** The capability is not part of this build. */
  UNIMPLEMENTED,
  /** A bug or an unexpected state. The message is generic; details go to the log only. */
  INTERNAL
}
