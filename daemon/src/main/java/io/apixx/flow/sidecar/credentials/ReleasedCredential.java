package io.apixx.flow.sidecar.credentials;

import java.util.Objects;

/**
 * A credential released to a run: its metadata and the decrypted fields. Closing wipes the
 * fields; the holder closes it as soon as the values are handed on.
 *
 * @param metadata what was released
 * @param fields the secret values, owned by this object
 */
public record ReleasedCredential(CredentialMetadata metadata, SecretFields fields) implements AutoCloseable {

  public ReleasedCredential {
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(fields, "fields");
  }

  @Override
  public void close() {
    fields.close();
  }

  @Override
  public String toString() {
    return "ReleasedCredential[" + metadata + ", " + fields + "]";
  }
}
