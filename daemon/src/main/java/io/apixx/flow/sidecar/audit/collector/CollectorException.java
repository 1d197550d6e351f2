package io.apixx.flow.sidecar.audit.collector;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/**
 * Failures of the collector's own rules: a malformed event or request (INVALID_ARGUMENT, the
 * message names the field and, for events, the event). Database failures are {@link
 * io.apixx.flow.sidecar.persistence.DatabaseException}s (UNAVAILABLE when it is down).
 */
public final class CollectorException extends SidecarException {
  private static final long serialVersionUID = 1L;

  private CollectorException(ErrorKind kind, String reason, String message) {
    super(kind, reason, message);
  }

  /** INVALID_ARGUMENT; {@code message} starts with the field and never contains its value. */
  public static CollectorException invalid(String message) {
    return new CollectorException(ErrorKind.INVALID_ARGUMENT, "bad_request", message);
  }
}
