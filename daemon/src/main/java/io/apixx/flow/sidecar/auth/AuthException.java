package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/** Authentication and authorization failures. Messages name the rule, never the credential. */
public final class AuthException extends SidecarException {
  private static final long serialVersionUID = 1L;

  private AuthException(ErrorKind kind, String reason, String message) {
    super(kind, reason, message);
  }

  /** UNAUTHENTICATED with a short reason code (for audit) and a caller-safe message. */
  public static AuthException unauthenticated(String reason, String message) {
    return new AuthException(ErrorKind.UNAUTHENTICATED, reason, message);
  }

  /** PERMISSION_DENIED with a short reason code and a caller-safe message. */
  public static AuthException denied(String reason, String message) {
    return new AuthException(ErrorKind.PERMISSION_DENIED, reason, message);
  }

  /** INVALID_ARGUMENT naming the field. */
  public static AuthException invalid(String reason, String message) {
    return new AuthException(ErrorKind.INVALID_ARGUMENT, reason, message);
  }

  /** FAILED_PRECONDITION (disabled account, no SSO, no pending enrollment). */
  public static AuthException precondition(String reason, String message) {
    return new AuthException(ErrorKind.FAILED_PRECONDITION, reason, message);
  }
}
