package io.apixx.flow.sidecar.secret;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * Secret material (a data key, a decrypted credential field, a TOTP seed) held in a {@code byte[]}
 * that {@link #wipe()} overwrites with zeros. {@code toString()}, {@code equals} and
 * {@code hashCode} never reveal the contents.
 *
 * <p>Limits (see SECURITY.md): the JVM may have copied the array during garbage collection and
 * anything derived from it (a {@link String}, a protobuf message) cannot be wiped. Wiping shortens
 * the window; it is not a guarantee.
 *
 * <p>Not thread-safe for concurrent {@link #wipe()} and reads; owners wipe once no reader remains.
 */
public final class SecretBytes implements AutoCloseable {
  private final byte[] bytes;
  private volatile boolean wiped;

  private SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Takes ownership of {@code bytes} (no copy); the caller must not keep using the array. */
  public static SecretBytes adopt(byte[] bytes) {
    return new SecretBytes(Objects.requireNonNull(bytes, "bytes"));
  }

  /** Copies {@code bytes}. */
  public static SecretBytes copyOf(byte[] bytes) {
    return new SecretBytes(bytes.clone());
  }

  public static SecretBytes ofUtf8(String value) {
    return new SecretBytes(value.getBytes(StandardCharsets.UTF_8));
  }

  public int length() {
    return bytes.length;
  }

  /** The live array, not a copy. Do not keep it; do not hand it to code that might log it. */
  public byte[] reveal(SecretAccess access) {
    Objects.requireNonNull(access, "access");
    if (wiped) {
      throw new IllegalStateException("secret was wiped");
    }
    return bytes;
  }

  /** A new String of the contents (which cannot be wiped afterwards). */
  public String revealUtf8(SecretAccess access) {
    return new String(reveal(access), StandardCharsets.UTF_8);
  }

  /** Constant-time comparison. */
  public boolean contentEquals(byte[] other) {
    return !wiped && MessageDigest.isEqual(bytes, other);
  }

  public boolean isWiped() {
    return wiped;
  }

  /** Overwrites the contents with zeros. Idempotent. */
  public void wipe() {
    Arrays.fill(bytes, (byte) 0);
    wiped = true;
  }

  @Override
  public void close() {
    wipe();
  }

  @Override
  public String toString() {
    return "SecretBytes[REDACTED]";
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }
}
