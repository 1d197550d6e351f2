"""Python client for the Flow Sidecar daemon.

``flow_sidecar.Client`` is the thin wrapper (Unix socket or loopback TCP, bearer token, typed
exceptions); ``flow_sidecar.v1`` holds the generated messages and stubs of the v1 contract.
"""

from .client import DEFAULT_SOCKET, Client
from .errors import (
    AlreadyExists,
    FailedPrecondition,
    FlowSidecarError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SOCKET",
    "AlreadyExists",
    "Client",
    "FailedPrecondition",
    "FlowSidecarError",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
]
