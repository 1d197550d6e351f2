"""Exceptions raised by :class:`flow_sidecar.Client`, one class per gRPC status code it expects.

Every class derives from :class:`FlowSidecarError`, which carries the gRPC ``code`` and the
daemon's ``details`` (descriptions name fields and reasons, never secret values). Status codes
without a class of their own (for example ``DEADLINE_EXCEEDED`` or ``INTERNAL``) raise
``FlowSidecarError`` itself.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

import grpc

RETRY_AFTER_TRAILER = "retry-after-ms"
"""Trailer on RESOURCE_EXHAUSTED answers: how long to wait before retrying, in milliseconds."""


class FlowSidecarError(Exception):
    """A call to the daemon failed with a non-OK gRPC status."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}" if details else code.name)
        self.code = code
        self.details = details


class Unauthenticated(FlowSidecarError):
    """Missing, malformed, expired, revoked or replayed bearer token."""


class PermissionDenied(FlowSidecarError):
    """Authenticated, but not allowed: wrong tenant, role, or a connector outside the run's scope."""


class NotFound(FlowSidecarError):
    """The connector (or other entity) has no such record."""


class AlreadyExists(FlowSidecarError):
    """The entity exists already (for example sealing a connector that has a credential)."""


class ResourceExhausted(FlowSidecarError):
    """A rate limit or throttle. ``retry_after`` is the daemon's suggested wait in seconds, or None."""

    def __init__(self, code: grpc.StatusCode, details: str, retry_after: Optional[float] = None) -> None:
        super().__init__(code, details)
        self.retry_after = retry_after


class Unavailable(FlowSidecarError):
    """The daemon or one of its dependencies is down (no plaintext was released): retry with backoff."""


class InvalidArgument(FlowSidecarError):
    """A malformed request; the details name the field."""


class FailedPrecondition(FlowSidecarError):
    """The request is valid but the state forbids it (revoked credential, residency, no MFA enrollment)."""


class Unimplemented(FlowSidecarError):
    """The capability is not part of this daemon build; the details name it."""


_BY_CODE: Dict[grpc.StatusCode, Type[FlowSidecarError]] = {
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
}


def from_rpc_error(error: grpc.RpcError) -> FlowSidecarError:
    """Translates a failed call (a ``grpc.RpcError`` that is also a ``grpc.Call``) to our exception."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, "details") else None) or ""
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ResourceExhausted(code, details, _retry_after_seconds(error))
    return _BY_CODE.get(code, FlowSidecarError)(code, details)


def _retry_after_seconds(error: grpc.RpcError) -> Optional[float]:
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == RETRY_AFTER_TRAILER:
            try:
                return int(value) / 1000.0
            except (TypeError, ValueError):
                return None
    return None
