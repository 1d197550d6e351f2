package io.apixx.flow.sidecar.audit.collector;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/** Failures of the collector: bad events (INVALID_ARGUMENT) and database outages (UNAVAILABLE). */
public final class CollectorException extends SidecarException {
  private static final long serialVersionUID = 1L;

  CollectorException(ErrorKind kind, String reason, String message, Throwable cause) {
    super(kind, reason, message, cause);
  }

  static CollectorException invalid(String message) {
    return new CollectorException(ErrorKind.INVALID_ARGUMENT, "bad_event", message, null);
  }

  static CollectorException unavailable(String message, Throwable cause) {
    return new CollectorException(ErrorKind.UNAVAILABLE, "audit_store_unavailable", message, cause);
  }
}
