package io.apixx.flow.sidecar.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import io.apixx.flow.sidecar.error.SidecarException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * bcrypt password hashing (at.favre.lib:bcrypt) on a dedicated bounded executor, so a login storm
 * queues behind a few CPU-bound threads instead of starving every other RPC.
 *
 * <p>Policy (NIST SP 800-63B): 8 characters at least, 72 UTF-8 bytes at most (bcrypt's input
 * limit: longer passwords are rejected with a clear message, never truncated), no composition
 * rules. New hashes are {@code $2b$} at the configured cost; {@code $2a$}, {@code $2b$} and
 * {@code $2y$} hashes from other tools verify. Verifying for an unknown user runs against a dummy
 * hash of the same cost, so it takes as long as a wrong password.
 *
 * <p>Thread-safe.
 */
public final class PasswordHasher implements AutoCloseable {
  /** bcrypt reads at most this many bytes. */
  public static final int MAX_BYTES = 72;
  /** Shortest acceptable new password, in characters. */
  public static final int MIN_CHARS = 8;

  private final int cost;
  private final ExecutorService executor;
  private final CompletableFuture<byte[]> dummyHash;

  /** The outcome of a verification. */
  public record Verification(boolean matches, boolean needsRehash) {}

  /**
   * @param cost bcrypt cost for new hashes (12 in production)
   * @param executor bounded executor for the hashing work; owned (closed) by this object
   */
  public PasswordHasher(int cost, ExecutorService executor) {
    this.cost = cost;
    this.executor = Objects.requireNonNull(executor, "executor");
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    // Off the start-up path (a cost-12 hash takes about 0.3 s, a fifth of the daemon's start):
    // the first task on the hashing executor, so with one hashing thread every later
    // verification finds it done; with more, one started in the first 0.3 s waits for it.
    this.dummyHash = CompletableFuture.supplyAsync(() -> hasher().hash(cost, random), executor);
  }

  private static BCrypt.Hasher hasher() {
    return BCrypt.with(BCrypt.Version.VERSION_2B, LongPasswordStrategies.strict(BCrypt.Version.VERSION_2B));
  }

  /** Rejects a password that is too long for bcrypt. Used on every path that takes a password. */
  public static byte[] checkLength(String password) {
    byte[] bytes = Objects.requireNonNullElse(password, "").getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_BYTES) {
      Arrays.fill(bytes, (byte) 0);
      throw AuthException.invalid(
          "password_too_long",
          "password: at most " + MAX_BYTES + " bytes in UTF-8 are accepted; longer passwords are rejected, not truncated");
    }
    return bytes;
  }

  /** Rejects a new password outside the policy (length only, no composition rules). */
  public static byte[] checkNewPassword(String password) {
    byte[] bytes = checkLength(password);
    if (password.codePointCount(0, password.length()) < MIN_CHARS) {
      Arrays.fill(bytes, (byte) 0);
      throw AuthException.invalid("password_too_short", "password: at least " + MIN_CHARS + " characters are required");
    }
    return bytes;
  }

  /**
   * Verifies {@code password} against {@code storedHash}, or against a dummy hash when there is
   * none (unknown user), on the hashing executor.
   *
   * @throws SidecarException RESOURCE_EXHAUSTED when the hashing queue is full
   */
  public CompletableFuture<Verification> verify(String password, Optional<String> storedHash) {
    byte[] bytes = checkLength(password);
    return submit(
        () -> {
          try {
            byte[] hash = storedHash.map(h -> h.getBytes(StandardCharsets.US_ASCII)).orElseGet(dummyHash::join);
            BCrypt.Result r = BCrypt.verifyer().verify(bytes, hash);
            boolean ok = storedHash.isPresent() && r.validFormat && r.verified;
            return new Verification(ok, ok && (r.details.cost < cost || r.details.version != BCrypt.Version.VERSION_2B));
          } finally {
            Arrays.fill(bytes, (byte) 0);
          }
        });
  }

  /** Hashes a new password (after {@link #checkNewPassword}) as {@code $2b$<cost>$...}. */
  public CompletableFuture<String> hash(String password) {
    byte[] bytes = checkNewPassword(password);
    return submit(
        () -> {
          try {
            return new String(hasher().hash(cost, bytes), StandardCharsets.US_ASCII);
          } finally {
            Arrays.fill(bytes, (byte) 0);
          }
        });
  }

  /** Re-hashes a password that just verified against a weaker hash (no length policy: it is in use). */
  public CompletableFuture<String> rehash(String password) {
    byte[] bytes = checkLength(password);
    return submit(
        () -> {
          try {
            return new String(hasher().hash(cost, bytes), StandardCharsets.US_ASCII);
          } finally {
            Arrays.fill(bytes, (byte) 0);
          }
        });
  }

  /**
   * Refuses at once when the hashing queue is full, so that a caller can turn a login away
   * before it spends database reads on it: during a login storm most attempts are refused, and
   * refusing them cheaply keeps the CPU for the calls that can be served. Advisory (the queue may
   * fill up right after); {@link #verify} still refuses when it does.
   *
   * @throws SidecarException RESOURCE_EXHAUSTED, as {@link #verify} would
   */
  public void checkCapacity() {
    if (executor instanceof ThreadPoolExecutor pool
        && pool.getQueue().remainingCapacity() == 0
        && pool.getActiveCount() >= pool.getMaximumPoolSize()) {
      throw queueFull();
    }
  }

  private <T> CompletableFuture<T> submit(java.util.function.Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, executor);
    } catch (RejectedExecutionException e) {
      throw queueFull();
    }
  }

  private static SidecarException queueFull() {
    // A random hint between 0.75 and 1.5 s (about one second, as a fixed hint was): clients
    // refused together and retrying after one fixed delay would come back together, and every
    // wave of refusals takes CPU from the calls that are being served.
    Duration retry = Duration.ofMillis(750 + java.util.concurrent.ThreadLocalRandom.current().nextInt(751));
    return SidecarException.resourceExhausted(
        "login_queue_full", "too many password checks in progress; retry shortly", retry);
  }

  public int cost() {
    return cost;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "PasswordHasher[bcrypt cost " + cost + "]";
  }
}
