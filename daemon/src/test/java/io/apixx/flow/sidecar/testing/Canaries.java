package io.apixx.flow.sidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;

/**
 * The registry of secret values the tests use (passwords, TOTP seeds, credential values, data
 * keys, tokens). Each value is appended, base64-encoded, to {@code target/canaries/<pid>.txt};
 * {@link CanaryScan} then checks that none of them appears in any log line, captured output or
 * recorded status description of the whole run. Thread-safe.
 */
public final class Canaries {
  private static final Path FILE = Path.of("target/canaries/" + ProcessHandle.current().pid() + ".txt").toAbsolutePath();

  private Canaries() {}

  /** Registers {@code secret} (ignored when shorter than 8 characters: too likely to occur by chance). */
  public static synchronized String register(String secret) {
    if (secret != null && secret.length() >= 8) {
      write(secret.getBytes(StandardCharsets.UTF_8));
    }
    return secret;
  }

  /** Registers a binary secret (a key, a seed). */
  public static synchronized byte[] register(byte[] secret) {
    if (secret != null && secret.length >= 8) {
      write(secret);
    }
    return secret;
  }

  private static void write(byte[] secret) {
    try {
      Files.createDirectories(FILE.getParent());
      Files.writeString(FILE, Base64.getEncoder().encodeToString(secret) + "\n", StandardCharsets.US_ASCII,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
