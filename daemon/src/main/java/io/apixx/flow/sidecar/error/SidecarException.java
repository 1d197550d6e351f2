package io.apixx.flow.sidecar.error;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Base of every exception that crosses a capability boundary. Each capability defines a small
 * hierarchy below it; adapters wrap backend errors with the cause attached.
 *
 * <p>Contract: the message is safe to show to a caller. It names what went wrong (a field, a
 * dependency, a reason code) and never contains a secret value, a token or a password. Causes are
 * logged, never sent to callers.
 */
public class SidecarException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorKind kind;
  private final String reasonCode;
  private final Duration retryAfter;

  /**
   * @param kind the category, which decides the gRPC status
   * @param reasonCode a short machine-readable reason (for audit events), e.g. "wrong_tenant"
   * @param message a caller-safe message; must not contain secrets
   * @param cause the underlying error, or null
   */
  public SidecarException(ErrorKind kind, String reasonCode, String message, Throwable cause) {
    this(kind, reasonCode, message, cause, null);
  }

  public SidecarException(ErrorKind kind, String reasonCode, String message) {
    this(kind, reasonCode, message, null, null);
  }

  protected SidecarException(
      ErrorKind kind, String reasonCode, String message, Throwable cause, Duration retryAfter) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.reasonCode = Objects.requireNonNull(reasonCode, "reasonCode");
    this.retryAfter = retryAfter;
  }

  /** A throttle or rate-limit rejection that tells the caller when to retry. */
  public static SidecarException resourceExhausted(
      String reasonCode, String message, Duration retryAfter) {
    return new SidecarException(
        ErrorKind.RESOURCE_EXHAUSTED, reasonCode, message, null, Objects.requireNonNull(retryAfter));
  }

  public final ErrorKind kind() {
    return kind;
  }

  public final String reasonCode() {
    return reasonCode;
  }

  /** For {@link ErrorKind#RESOURCE_EXHAUSTED}: how long the caller should wait. */
  public final Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
