"""A thin, synchronous client for the Flow Sidecar daemon over its Unix socket or loopback TCP.

The transport is plaintext gRPC: both listeners are pod-local (a socket in a shared emptyDir, or
127.0.0.1). Callers authenticate with an ``authorization: Bearer <token>`` metadata entry, which
this client attaches when it has a token (see :meth:`Client.with_token`).

Every method raises a :class:`flow_sidecar.errors.FlowSidecarError` subclass, never a raw
``grpc.RpcError``. The generated stubs (:attr:`Client.identity`, :attr:`Client.credentials`, used
with :meth:`Client.call_metadata`) are there for everything the helpers do not cover.

A client is thread-safe (the underlying ``grpc.Channel`` is); one per process is enough.
"""

from __future__ import annotations

import os
from typing import Dict, Optional, Tuple

import grpc

from .errors import from_rpc_error
from .v1 import credentials_pb2, credentials_pb2_grpc, identity_pb2, identity_pb2_grpc

try:
    # When grpcio-health-checking is installed it owns grpc.health.v1 in protobuf's default
    # descriptor pool; loading a second copy of the same messages would conflict, so use it.
    from grpc_health.v1 import health_pb2, health_pb2_grpc
except ImportError:  # pragma: no cover - depends on the environment
    from ._health.v1 import health_pb2, health_pb2_grpc  # type: ignore[no-redef]

DEFAULT_SOCKET = "/run/flow-sidecar/sidecar.sock"
"""Where the daemon's Unix socket is in Kubernetes (the shared emptyDir of the Helm chart)."""

DEFAULT_TIMEOUT = 10.0
"""Per-call deadline in seconds."""

Metadata = Tuple[Tuple[str, str], ...]


class Client:
    """A connection to one daemon, optionally with a bearer token for every call."""

    def __init__(
        self,
        channel: grpc.Channel,
        *,
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        owns_channel: bool = True,
    ) -> None:
        """Wraps an existing channel. Prefer :meth:`unix` or :meth:`tcp`.

        ``token`` is sent as the bearer token on every call; ``timeout`` is the per-call deadline in
        seconds; ``owns_channel`` decides whether :meth:`close` closes the channel.
        """
        self._channel = channel
        self._token = token
        self._timeout = timeout
        self._owns_channel = owns_channel
        self._identity = identity_pb2_grpc.IdentityServiceStub(channel)
        self._credentials = credentials_pb2_grpc.CredentialServiceStub(channel)
        self._health = health_pb2_grpc.HealthStub(channel)

    @classmethod
    def unix(cls, path: str = DEFAULT_SOCKET, *, token: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT) -> "Client":
        """Connects to the daemon's Unix domain socket (relative paths are made absolute)."""
        return cls(grpc.insecure_channel("unix://" + os.path.abspath(path)), token=token, timeout=timeout)

    @classmethod
    def tcp(cls, host: str = "127.0.0.1", port: int = 50051, *, token: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT) -> "Client":
        """Connects to the daemon's loopback TCP listener (IPv6 hosts may be given without brackets)."""
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return cls(grpc.insecure_channel(f"{host}:{port}"), token=token, timeout=timeout)

    def with_token(self, token: str) -> "Client":
        """A view of this client that sends ``token`` as the bearer token. It shares the channel:
        closing the view does nothing, closing this client closes both."""
        return Client(self._channel, token=token, timeout=self._timeout, owns_channel=False)

    @property
    def channel(self) -> grpc.Channel:
        """The underlying channel, for other stubs."""
        return self._channel

    @property
    def identity(self) -> identity_pb2_grpc.IdentityServiceStub:
        """The generated IdentityService stub; pass ``metadata=client.call_metadata()``."""
        return self._identity

    @property
    def credentials(self) -> credentials_pb2_grpc.CredentialServiceStub:
        """The generated CredentialService stub; pass ``metadata=client.call_metadata()``."""
        return self._credentials

    def call_metadata(self) -> Metadata:
        """The metadata this client sends: the bearer token, if it has one."""
        return (("authorization", "Bearer " + self._token),) if self._token else ()

    def health(self, service: str = "") -> str:
        """``grpc.health.v1`` Check for ``service`` ("" is the whole daemon). Needs no token.

        Returns the status name: "SERVING", "NOT_SERVING", "UNKNOWN" or "SERVICE_UNKNOWN".
        Raises NotFound for a service the daemon does not know.
        """
        try:
            response = self._health.Check(health_pb2.HealthCheckRequest(service=service), timeout=self._timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)

    def exchange_run_token(self, run_token: str, client_label: str = "") -> identity_pb2.Session:
        """Trades a run token (sent as the bearer, whatever this client's own token is) for a run
        session. Each run token is accepted once. The session's ``token`` (prefix ``fss_``) is the
        bearer for later calls: ``client.with_token(session.token)``. Treat it like a password.

        Raises Unauthenticated for an invalid, expired or already-used run token.
        """
        request = identity_pb2.ExchangeRunTokenRequest(client_label=client_label)
        try:
            response = self._identity.ExchangeRunToken(
                request, metadata=(("authorization", "Bearer " + run_token),), timeout=self._timeout
            )
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        return response.session

    def get_credential(self, connector_id: str, tenant_id: str = "") -> Dict[str, str]:
        """Fetches the decrypted secret fields of a connector's credential, by name. Needs a run
        session token whose run token lists the connector.

        Raises PermissionDenied for a connector outside the run's scope (or a non-run caller),
        NotFound when the connector has no credential, FailedPrecondition when it is revoked or
        residency forbids the release, Unavailable when the daemon cannot decrypt or audit now.
        The returned values are secrets: never log them.
        """
        request = credentials_pb2.GetCredentialRequest(connector_id=connector_id, tenant_id=tenant_id)
        try:
            response = self._credentials.GetCredential(request, metadata=self.call_metadata(), timeout=self._timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        return dict(response.secret_fields)

    def close(self) -> None:
        """Closes the channel if this client opened it; views made by :meth:`with_token` do not."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Never show the token itself.
        return f"Client(token={'set' if self._token else 'none'}, timeout={self._timeout})"
