#!/usr/bin/env python3
"""A contract fake of the daemon: the slice of the v1 contract the smoke programs use, served by
the generated Python server stubs, so the three clients' full smoke paths can be checked without
the real daemon (tools/smoke/fake.sh runs them against it).

Behaviour, as the contract documents it:
- grpc.health.v1 Check("") is SERVING; no token needed.
- IdentityService.ExchangeRunToken: the bearer is the run token; tokens starting with
  ``fake-run-`` are accepted once each (a replay is UNAUTHENTICATED); the session token has the
  ``fss_`` prefix and the principal is a RUN of tenant ``demo`` allowed on ``demo-github``.
- CredentialService.GetCredential: the bearer must be an issued session (else UNAUTHENTICATED);
  a connector outside the run's scope is PERMISSION_DENIED; ``demo-github`` returns one random
  secret field. Every other RPC answers UNIMPLEMENTED (the generated base classes do that).

Listens on --socket (Unix) and 127.0.0.1 on a free port, prints
``fake-flow-sidecar SERVING on unix://<socket> and 127.0.0.1:<port>`` and runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "client-stubs" / "python"))

from flow_sidecar._health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from flow_sidecar.v1 import credentials_pb2, credentials_pb2_grpc, identity_pb2, identity_pb2_grpc  # noqa: E402

TENANT = "demo"
ALLOWED = ("demo-github",)


def bearer(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata():
        if key == "authorization" and value.startswith("Bearer "):
            return value[len("Bearer "):]
    return ""


class State:
    """Used run tokens and issued sessions; guarded by a lock (the server is multi-threaded)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.used_run_tokens: set = set()
        self.sessions: set = set()


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


class Identity(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    def ExchangeRunToken(self, request, context):
        token = bearer(context)
        with self.state.lock:
            if not token.startswith("fake-run-") or token in self.state.used_run_tokens:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid run token")
            self.state.used_run_tokens.add(token)
            session = "fss_" + secrets.token_urlsafe(32)
            self.state.sessions.add(session)
        principal = identity_pb2.Principal(
            kind=identity_pb2.PRINCIPAL_KIND_RUN, id="run-1", tenant_id=TENANT, allowed_connectors=ALLOWED
        )
        return identity_pb2.ExchangeRunTokenResponse(session=identity_pb2.Session(token=session, principal=principal))


class Credentials(credentials_pb2_grpc.CredentialServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    def GetCredential(self, request, context):
        with self.state.lock:
            known = bearer(context) in self.state.sessions
        if not known:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid session")
        if request.connector_id not in ALLOWED:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "connector outside the run's scope")
        metadata = credentials_pb2.CredentialMetadata(
            connector_id=request.connector_id, version=1, field_names=["api_token"], tenant_id=TENANT
        )
        return credentials_pb2.GetCredentialResponse(
            metadata=metadata, secret_fields={"api_token": secrets.token_hex(16)}
        )


def main() -> int:
    p = argparse.ArgumentParser(description="contract fake of the flow-sidecar daemon")
    p.add_argument("--socket", required=True, help="Unix socket path to listen on")
    args = p.parse_args()
    socket_path = os.path.abspath(args.socket)

    state = State()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    identity_pb2_grpc.add_IdentityServiceServicer_to_server(Identity(state), server)
    credentials_pb2_grpc.add_CredentialServiceServicer_to_server(Credentials(state), server)
    server.add_insecure_port("unix://" + socket_path)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"fake-flow-sidecar SERVING on unix://{socket_path} and 127.0.0.1:{port}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
