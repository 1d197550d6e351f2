package io.apixx.flow.sidecar.audit;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/** The audit trail cannot record right now (spool full or unwritable). Maps to UNAVAILABLE. */
public final class AuditUnavailableException extends SidecarException {
  private static final long serialVersionUID = 1L;

  public AuditUnavailableException(String message, Throwable cause) {
    super(ErrorKind.UNAVAILABLE, "audit_unavailable", message, cause);
  }
}
