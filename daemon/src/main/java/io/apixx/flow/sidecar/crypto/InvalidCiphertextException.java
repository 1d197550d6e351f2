package io.apixx.flow.sidecar.crypto;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/**
 * A ciphertext or wrapped key could not be decrypted: truncated, oversized, an unknown format
 * version, a wrong key, a wrong tenant/connector/credential/version/purpose, or tampering. Every
 * such failure throws this one type with the one message {@value #MESSAGE}; which check failed is
 * deliberately not recorded (no message detail, no cause), so callers cannot be used as a
 * decryption oracle and nothing about the secret leaks into logs.
 *
 * <p>Maps to {@link ErrorKind#INTERNAL}: stored data that no longer decrypts is an integrity
 * problem of this deployment, not a mistake of the caller.
 */
public final class InvalidCiphertextException extends SidecarException {
  private static final long serialVersionUID = 1L;

  /** The only message this exception ever carries. */
  public static final String MESSAGE = "invalid ciphertext";

  public InvalidCiphertextException() {
    super(ErrorKind.INTERNAL, "invalid_ciphertext", MESSAGE);
  }
}
