package io.apixx.flow.sidecar.crypto.kms;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded retries with exponential backoff and full jitter for KMS requests, and the backoff
 * schedule for login and token-renewal attempts. Thread-safe (stateless apart from its settings).
 */
final class Retrier {
  /** How the retrier waits; tests pass one that records instead of sleeping. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;

    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
  }

  /** One attempt of a request; throws {@link Transient} when a retry may help. */
  @FunctionalInterface
  interface Attempt<T> {
    T run() throws Transient;
  }

  /**
   * A failure that may pass: connection error, timeout, HTTP 5xx/429. The description is shown to
   * callers, so it says what happened (e.g. "HTTP 503") and never quotes a response; the cause, if
   * any, is a transport exception.
   */
  static final class Transient extends Exception {
    private static final long serialVersionUID = 1L;

    Transient(String description, Throwable transportCause) {
      super(description, transportCause, false, false);
    }
  }

  private final int maxRetries;
  private final Duration initial;
  private final Duration max;
  private final Sleeper sleeper;

  Retrier(int maxRetries, Duration initial, Duration max, Sleeper sleeper) {
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must not be negative");
    }
    this.maxRetries = maxRetries;
    this.initial = Objects.requireNonNull(initial, "initial");
    this.max = Objects.requireNonNull(max, "max");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
  }

  /**
   * Runs {@code attempt} up to {@code 1 + maxRetries} times while it fails transiently.
   *
   * @param what names the operation in the final error, e.g. "KMS decrypt"
   * @throws KmsException {@code UNAVAILABLE} once the attempts are used up or the thread is
   *     interrupted; other exceptions of {@code attempt} pass through at once
   */
  <T> T call(String what, Attempt<T> attempt) {
    for (int failures = 0; ; failures++) {
      try {
        return attempt.run();
      } catch (Transient t) {
        if (failures >= maxRetries) {
          throw KmsException.unavailable(
              "kms_unavailable",
              what + " failed: " + t.getMessage() + " (" + (failures + 1) + " attempts)",
              t.getCause());
        }
        try {
          sleeper.sleep(delay(failures));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw KmsException.unavailable("kms_interrupted", what + " was interrupted", null);
        }
      }
    }
  }

  /**
   * The wait after {@code failures + 1} consecutive failures: a random duration up to {@code
   * min(max, initial * 2^failures)} ("full jitter"), at least 1 ms.
   */
  Duration delay(int failures) {
    return Duration.ofNanos(Math.max(1_000_000L, ThreadLocalRandom.current().nextLong(cap(failures).toNanos() + 1)));
  }

  /** The upper bound of {@link #delay}: {@code min(max, initial * 2^failures)}. */
  Duration cap(int failures) {
    int shift = Math.min(failures, 30);
    long nanos = initial.toNanos();
    long capped = nanos > (max.toNanos() >> shift) ? max.toNanos() : nanos << shift;
    return Duration.ofNanos(Math.min(capped, max.toNanos()));
  }
}
