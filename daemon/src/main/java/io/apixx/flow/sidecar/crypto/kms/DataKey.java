package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.secret.SecretBytes;
import java.util.Objects;

/**
 * A freshly generated data key: the plaintext to encrypt with now, and the wrapped form to store.
 * Closing it wipes the plaintext.
 *
 * @param plaintext the 32-byte AES-256 DEK; owned by whoever holds this object
 * @param wrapped the DEK encrypted under the tenant's key, with its key reference
 */
public record DataKey(SecretBytes plaintext, WrappedKey wrapped) implements AutoCloseable {

  public DataKey {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(wrapped, "wrapped");
  }

  /** Wipes the plaintext DEK. */
  @Override
  public void close() {
    plaintext.wipe();
  }

  @Override
  public String toString() {
    return "DataKey[plaintext=REDACTED, wrapped=" + wrapped + "]";
  }
}
