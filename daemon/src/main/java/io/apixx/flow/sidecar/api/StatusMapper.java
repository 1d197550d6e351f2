package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.observability.LogRedactor;
import io.apixx.flow.sidecar.server.CallContext;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become gRPC statuses. Domain code throws
 * {@link SidecarException} subclasses; everything else is a bug and becomes INTERNAL with a generic
 * message and the request id (the details go to the log, never to the caller).
 *
 * <p>Descriptions pass through {@link LogRedactor} as a second guard against a secret slipping
 * into a message.
 */
public final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  /** Trailer with the suggested retry delay of a RESOURCE_EXHAUSTED answer, in milliseconds. */
  public static final Metadata.Key<String> RETRY_AFTER_MS =
      Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);

  private StatusMapper() {}

  /** Converts any throwable from a service method into the exception to hand to gRPC. */
  public static StatusRuntimeException toStatusException(Throwable t) {
    if (t instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (t instanceof StatusException se) {
      return new StatusRuntimeException(se.getStatus(), se.getTrailers());
    }
    if (t instanceof SidecarException se) {
      Status status = statusOf(se);
      Metadata trailers = new Metadata();
      se.retryAfter().map(Duration::toMillis).ifPresent(ms -> trailers.put(RETRY_AFTER_MS, Long.toString(ms)));
      if (status.getCode() == Status.Code.INTERNAL || status.getCode() == Status.Code.UNAVAILABLE) {
        log.warn("{} ({}): {}", status.getCode(), se.reasonCode(), se.getMessage(), se.getCause());
      }
      return status.asRuntimeException(trailers);
    }
    log.error("internal error in request {}", CallContext.requestId(), t);
    return Status.INTERNAL
        .withDescription("internal error; request id " + CallContext.requestId())
        .asRuntimeException();
  }

  static Status statusOf(SidecarException e) {
    Status base =
        switch (e.kind()) {
          case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
          case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
          case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
          case NOT_FOUND -> Status.NOT_FOUND;
          case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
          case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
          case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
          case UNAVAILABLE -> Status.UNAVAILABLE;
          case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
          case INTERNAL -> Status.INTERNAL;
        };
    String message = e.getMessage() == null ? "" : LogRedactor.redact(e.getMessage());
    return base.withDescription(message);
  }
}
