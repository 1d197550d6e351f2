package io.apixx.flow.sidecar.client;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Optional;

/**
 * A failed call to the daemon, typed by gRPC status code. Catch the subclass you can act on:
 * {@link Unauthenticated} (get a new token), {@link PermissionDenied}, {@link NotFound},
 * {@link ResourceExhausted} (wait {@link ResourceExhausted#retryAfter()}), {@link Unavailable}
 * (retry with backoff), and so on. The message is the daemon's status description, which never
 * contains a secret.
 */
public class FlowSidecarException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private static final Metadata.Key<String> RETRY_AFTER_MS =
      Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);

  private final transient Status.Code code;

  FlowSidecarException(Status.Code code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  /** The gRPC status code of the failure. */
  public Status.Code code() {
    return code;
  }

  /** Maps a gRPC failure to the matching subclass; other throwables are wrapped as INTERNAL. */
  public static FlowSidecarException from(Throwable t) {
    Status status;
    Metadata trailers;
    if (t instanceof StatusRuntimeException sre) {
      status = sre.getStatus();
      trailers = sre.getTrailers();
    } else if (t instanceof StatusException se) {
      status = se.getStatus();
      trailers = se.getTrailers();
    } else if (t instanceof FlowSidecarException fse) {
      return fse;
    } else {
      status = Status.fromThrowable(t);
      trailers = Status.trailersFromThrowable(t);
    }
    String message = status.getDescription() == null ? "" : status.getDescription();
    return switch (status.getCode()) {
      case UNAUTHENTICATED -> new Unauthenticated(message, t);
      case PERMISSION_DENIED -> new PermissionDenied(message, t);
      case NOT_FOUND -> new NotFound(message, t);
      case ALREADY_EXISTS -> new AlreadyExists(message, t);
      case INVALID_ARGUMENT, OUT_OF_RANGE -> new InvalidArgument(status.getCode(), message, t);
      case FAILED_PRECONDITION -> new FailedPrecondition(message, t);
      case RESOURCE_EXHAUSTED -> new ResourceExhausted(message, retryAfter(trailers), t);
      case UNAVAILABLE, DEADLINE_EXCEEDED -> new Unavailable(status.getCode(), message, t);
      case UNIMPLEMENTED -> new Unimplemented(message, t);
      default -> new FlowSidecarException(status.getCode(), message, t);
    };
  }

  private static Duration retryAfter(Metadata trailers) {
    if (trailers == null) {
      return null;
    }
    String ms = trailers.get(RETRY_AFTER_MS);
    try {
      return ms == null ? null : Duration.ofMillis(Long.parseLong(ms));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** No valid credential: missing, expired, revoked or malformed token. */
  public static final class Unauthenticated extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    Unauthenticated(String m, Throwable c) {
      super(Status.Code.UNAUTHENTICATED, m, c);
    }
  }

  /** Authenticated, but not allowed: other tenant, role, connector scope, stale MFA. */
  public static final class PermissionDenied extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    PermissionDenied(String m, Throwable c) {
      super(Status.Code.PERMISSION_DENIED, m, c);
    }
  }

  /** The named object does not exist. */
  public static final class NotFound extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    NotFound(String m, Throwable c) {
      super(Status.Code.NOT_FOUND, m, c);
    }
  }

  /** The object exists already. */
  public static final class AlreadyExists extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    AlreadyExists(String m, Throwable c) {
      super(Status.Code.ALREADY_EXISTS, m, c);
    }
  }

  /** The request was malformed; the message names the field. */
  public static final class InvalidArgument extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    InvalidArgument(Status.Code code, String m, Throwable c) {
      super(code, m, c);
    }
  }

  /** The state does not allow the operation (revoked credential, residency, no SSO). */
  public static final class FailedPrecondition extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    FailedPrecondition(String m, Throwable c) {
      super(Status.Code.FAILED_PRECONDITION, m, c);
    }
  }

  /** Rate limited or throttled. */
  public static final class ResourceExhausted extends FlowSidecarException {
    private static final long serialVersionUID = 1L;
    private final Duration retryAfter;

    ResourceExhausted(String m, Duration retryAfter, Throwable c) {
      super(Status.Code.RESOURCE_EXHAUSTED, m, c);
      this.retryAfter = retryAfter;
    }

    /** How long the daemon asked the caller to wait, when it said. */
    public Optional<Duration> retryAfter() {
      return Optional.ofNullable(retryAfter);
    }
  }

  /** A dependency is down or the call timed out; retry with backoff. */
  public static final class Unavailable extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    Unavailable(Status.Code code, String m, Throwable c) {
      super(code, m, c);
    }
  }

  /** The daemon does not offer this RPC in its build. */
  public static final class Unimplemented extends FlowSidecarException {
    private static final long serialVersionUID = 1L;

    Unimplemented(String m, Throwable c) {
      super(Status.Code.UNIMPLEMENTED, m, c);
    }
  }
}
