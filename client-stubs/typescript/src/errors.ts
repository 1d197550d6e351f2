import { type ServiceError, status } from "@grpc/grpc-js";

/** Trailer on RESOURCE_EXHAUSTED answers: how long to wait before retrying, in milliseconds. */
export const RETRY_AFTER_TRAILER = "retry-after-ms";

/**
 * A call to the daemon failed with a non-OK gRPC status. `details` is the daemon's description,
 * which names fields and reasons, never secret values. Codes without a subclass of their own (for
 * example DEADLINE_EXCEEDED or INTERNAL) reject with this class itself.
 */
export class FlowSidecarError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details ? `${status[code]}: ${details}` : status[code]);
    this.name = new.target.name;
  }
}

/** Missing, malformed, expired, revoked or replayed bearer token. */
export class Unauthenticated extends FlowSidecarError {}
/** Authenticated but not allowed: wrong tenant or role, or a connector outside the run's scope. */
export class PermissionDenied extends FlowSidecarError {}
/** No such connector or credential. */
export class NotFound extends FlowSidecarError {}
/** The entity exists already (for example sealing a connector that has a credential). */
export class AlreadyExists extends FlowSidecarError {}
/** The daemon or a dependency is down (nothing was released): retry with backoff. */
export class Unavailable extends FlowSidecarError {}
/** A malformed request; the details name the field. */
export class InvalidArgument extends FlowSidecarError {}
/** The state forbids the request (revoked credential, data residency, no MFA enrollment). */
export class FailedPrecondition extends FlowSidecarError {}
/** The capability is not part of this daemon build; the details name it. */
export class Unimplemented extends FlowSidecarError {}

/** A rate limit or throttle; `retryAfterMs` is the daemon's suggested wait, when it sent one. */
export class ResourceExhausted extends FlowSidecarError {
  constructor(
    code: status,
    details: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(code, details);
  }
}

const BY_CODE: Partial<Record<status, new (code: status, details: string) => FlowSidecarError>> = {
  [status.UNAUTHENTICATED]: Unauthenticated,
  [status.PERMISSION_DENIED]: PermissionDenied,
  [status.NOT_FOUND]: NotFound,
  [status.ALREADY_EXISTS]: AlreadyExists,
  [status.UNAVAILABLE]: Unavailable,
  [status.INVALID_ARGUMENT]: InvalidArgument,
  [status.FAILED_PRECONDITION]: FailedPrecondition,
  [status.UNIMPLEMENTED]: Unimplemented,
};

/** Translates a grpc-js ServiceError (status, details and trailers) to a FlowSidecarError. */
export function fromServiceError(error: ServiceError): FlowSidecarError {
  const code = error.code ?? status.UNKNOWN;
  const details = error.details ?? "";
  if (code === status.RESOURCE_EXHAUSTED) {
    const raw = error.metadata?.get(RETRY_AFTER_TRAILER)[0];
    const ms = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : undefined;
    return new ResourceExhausted(code, details, ms);
  }
  const Kind = BY_CODE[code] ?? FlowSidecarError;
  return new Kind(code, details);
}
