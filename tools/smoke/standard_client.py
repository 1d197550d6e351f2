#!/usr/bin/env python3
"""A standard gRPC client that is not this project's code: Debian's grpcio and the upstream
grpc.health.v1 and grpc.reflection.v1 protos (package grpc-proto), compiled here with grpcio-tools.
Nothing from client-stubs/ or proto/ is used.

Checks, on each given target: Health/Check("") answers SERVING, and ServerReflectionInfo's
list_services names the three v1 services. Prints one line per check; exits 0 only if all passed.

    python3 standard_client.py unix:///path/sidecar.sock 127.0.0.1:50051
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

import grpc
from grpc_tools import protoc

PROTO_ROOT = Path("/usr/share/grpc-proto")
PROTOS = ["grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto"]
V1_SERVICES = {
    "apixx.flow.sidecar.v1.IdentityService",
    "apixx.flow.sidecar.v1.CredentialService",
    "apixx.flow.sidecar.v1.AuditIngestService",
}


def compile_upstream_protos(out: Path) -> None:
    for proto in PROTOS:
        rc = protoc.main(["protoc", f"-I{PROTO_ROOT}", f"--python_out={out}", f"--grpc_python_out={out}", proto])
        if rc != 0:
            raise SystemExit(f"protoc failed for {PROTO_ROOT / proto}")
    sys.path.insert(0, str(out))


def check_target(target: str) -> int:
    health_pb2 = importlib.import_module("grpc.health.v1.health_pb2")
    health_grpc = importlib.import_module("grpc.health.v1.health_pb2_grpc")
    reflection_pb2 = importlib.import_module("grpc.reflection.v1.reflection_pb2")
    reflection_grpc = importlib.import_module("grpc.reflection.v1.reflection_pb2_grpc")
    failed = 0
    with grpc.insecure_channel(target) as channel:
        try:
            status = health_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
            name = health_pb2.HealthCheckResponse.ServingStatus.Name(status.status)
            ok = name == "SERVING"
            print(f"{'PASS' if ok else 'FAIL'} health {target}: {name}", flush=True)
            failed += 0 if ok else 1
        except grpc.RpcError as e:
            print(f"FAIL health {target}: {e.code().name}", flush=True)
            failed += 1
        try:
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            responses = reflection_grpc.ServerReflectionStub(channel).ServerReflectionInfo(iter([request]), timeout=10)
            names = sorted(s.name for r in responses for s in r.list_services_response.service)
            missing = V1_SERVICES - set(names)
            ok = not missing
            detail = ", ".join(names) if ok else f"missing {sorted(missing)} in {names}"
            print(f"{'PASS' if ok else 'FAIL'} reflection {target}: {detail}", flush=True)
            failed += 0 if ok else 1
        except grpc.RpcError as e:
            print(f"FAIL reflection {target}: {e.code().name}", flush=True)
            failed += 1
    return failed


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    # The generated modules live in a package named "grpc.health.v1"; grpcio's own "grpc" package
    # shadows it, so they are compiled under a separate root and loaded through grpc's namespace.
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        compile_upstream_protos(out)
        import grpc as grpc_pkg

        grpc_pkg.__path__.append(str(out / "grpc"))
        failed = sum(check_target(t) for t in argv)
    print(f"standard client: {'all checks passed' if failed == 0 else f'{failed} failed'}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
