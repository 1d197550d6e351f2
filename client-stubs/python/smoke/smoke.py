#!/usr/bin/env python3
"""Smoke test of the Python client against a live daemon. Prints one line per check, then a
summary; exits 0 only if every check passed (1 if one failed, 2 for bad usage).

Checks: grpc.health.v1 Check("") is SERVING on each given transport; the run token is exchanged
for a run session; the credential of --connector is released on each transport with at least one
non-empty field (only field NAMES are printed); --denied-connector answers PERMISSION_DENIED.
With --health-only, only the health checks run and no token is needed.

The run token comes from $FLOW_RUN_TOKEN (preferred: a command line is visible to other
processes) or --token. Each token can be exchanged once.

    FLOW_RUN_TOKEN=... python3 smoke.py --unix /path/sidecar.sock --tcp 127.0.0.1:50051
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, List, Tuple

# Test the package in this source tree (client-stubs/python), not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flow_sidecar import Client, FlowSidecarError, PermissionDenied  # noqa: E402
from flow_sidecar.v1 import identity_pb2  # noqa: E402


class Checks:
    """Runs named checks, printing PASS/FAIL per line; a check fails by raising."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def run(self, name: str, check: Callable[[], str]) -> bool:
        try:
            detail = check()
        except Exception as e:  # noqa: BLE001 - every failure is reported, none escapes
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            self.failed += 1
            return False
        print(f"PASS {name}: {detail}", flush=True)
        self.passed += 1
        return True


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--unix", metavar="PATH", help="the daemon's Unix socket")
    p.add_argument("--tcp", metavar="HOST:PORT", help="the daemon's loopback TCP address")
    p.add_argument("--token", help="the run token (default: $FLOW_RUN_TOKEN)")
    p.add_argument("--health-only", action="store_true", help="only check health; no token needed")
    p.add_argument("--connector", default="demo-github", help="a connector the run token lists")
    p.add_argument("--denied-connector", default="demo-other", help="a connector the run token does not list")
    args = p.parse_args(argv)
    if not args.unix and not args.tcp:
        p.error("give --unix and/or --tcp")
    if not args.health_only:
        args.token = args.token or os.environ.get("FLOW_RUN_TOKEN", "")
        if not args.token:
            p.error("no run token: set FLOW_RUN_TOKEN or pass --token (or use --health-only)")
    return args


def connect(args: argparse.Namespace) -> List[Tuple[str, Client]]:
    clients = []
    if args.unix:
        clients.append(("unix", Client.unix(args.unix)))
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        clients.append(("tcp", Client.tcp(host.strip("[]"), int(port))))
    return clients


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    checks = Checks()
    clients = connect(args)
    try:
        for transport, client in clients:

            def health(c: Client = client) -> str:
                status = c.health("")
                if status != "SERVING":
                    raise AssertionError(f"status {status}, want SERVING")
                return status

            checks.run(f"health {transport}", health)

        if not args.health_only:
            run_smoke(args, clients, checks)
    finally:
        for _, client in clients:
            client.close()

    print(f"python: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 0 if checks.failed == 0 else 1


def run_smoke(args: argparse.Namespace, clients: List[Tuple[str, Client]], checks: Checks) -> None:
    primary_name, primary = clients[0]
    sessions: List[Client] = []

    def exchange() -> str:
        session = primary.exchange_run_token(args.token, client_label="python-smoke")
        if not session.token.startswith("fss_"):
            raise AssertionError("session token lacks the fss_ prefix")
        sessions.extend(c.with_token(session.token) for _, c in clients)
        principal = session.principal
        kind = identity_pb2.PrincipalKind.Name(principal.kind)
        return f"run session issued (principal {kind}, tenant {principal.tenant_id or '-'})"

    checks.run(f"exchange run token {primary_name}", exchange)

    for (transport, _), session in zip(clients, sessions or [None] * len(clients)):

        def credential(s: Client = session) -> str:
            if s is None:
                raise AssertionError("no run session (the exchange failed)")
            fields = s.get_credential(args.connector)
            if not any(fields.values()):
                raise AssertionError(f"no non-empty secret field (names: {sorted(fields)})")
            return "fields " + ", ".join(sorted(fields))

        checks.run(f"get credential {args.connector} {transport}", credential)

    def denied() -> str:
        if not sessions:
            raise AssertionError("no run session (the exchange failed)")
        try:
            sessions[0].get_credential(args.denied_connector)
        except PermissionDenied:
            return "PERMISSION_DENIED"
        except FlowSidecarError as e:
            raise AssertionError(f"got {e.code.name}, want PERMISSION_DENIED") from None
        raise AssertionError("credential released, want PERMISSION_DENIED")

    checks.run(f"get credential {args.denied_connector} {primary_name}", denied)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
