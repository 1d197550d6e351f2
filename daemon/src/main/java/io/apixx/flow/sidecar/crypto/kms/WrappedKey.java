package io.apixx.flow.sidecar.crypto.kms;

import java.util.Arrays;
import java.util.Objects;

/**
 * A data key encrypted under a tenant's KMS key, as stored beside the credential it protects.
 * Neither part is secret.
 *
 * @param bytes the wrapped DEK in the backend's format (see the backend's class comment)
 * @param keyRef which KMS key and version wrapped it, e.g. {@code
 *     vault-transit:transit/flow-tenant-acme:v3} or {@code local:acme:v2}. Informational: store it
 *     to find rows still under an old version; unwrapping reads the version from {@code bytes}.
 */
public record WrappedKey(byte[] bytes, String keyRef) {

  public WrappedKey {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(keyRef, "keyRef");
    bytes = bytes.clone();
  }

  /** A copy of the wrapped bytes. */
  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WrappedKey w && Arrays.equals(bytes, w.bytes) && keyRef.equals(w.keyRef);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(bytes) + keyRef.hashCode();
  }

  @Override
  public String toString() {
    return "WrappedKey[keyRef=" + keyRef + ", length=" + bytes.length + "]";
  }
}
