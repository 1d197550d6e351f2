package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/**
 * A KMS operation failed for a reason other than a bad ciphertext (that is {@link
 * io.apixx.flow.sidecar.crypto.InvalidCiphertextException}). The message is generic and never
 * contains a response body, key material or a KMS credential; an attached cause is a transport
 * error (connection refused, timeout, TLS handshake), never a backend response.
 */
public final class KmsException extends SidecarException {
  private static final long serialVersionUID = 1L;

  private KmsException(ErrorKind kind, String reasonCode, String message, Throwable cause) {
    super(kind, reasonCode, message, cause);
  }

  /** The KMS cannot be used right now (outage, timeout, refused login); fail closed. */
  static KmsException unavailable(String reasonCode, String message, Throwable cause) {
    return new KmsException(ErrorKind.UNAVAILABLE, reasonCode, message, cause);
  }

  /** The caller passed something the KMS layer cannot accept (e.g. a malformed tenant id). */
  static KmsException invalidArgument(String reasonCode, String message) {
    return new KmsException(ErrorKind.INVALID_ARGUMENT, reasonCode, message, null);
  }

  /** The KMS is set up in a way this daemon refuses to use (e.g. a keyring readable by others). */
  static KmsException failedPrecondition(String reasonCode, String message) {
    return new KmsException(ErrorKind.FAILED_PRECONDITION, reasonCode, message, null);
  }

  /** The backend refused a well-formed request: a configuration or programming error. */
  static KmsException internal(String reasonCode, String message, Throwable cause) {
    return new KmsException(ErrorKind.INTERNAL, reasonCode, message, cause);
  }
}
