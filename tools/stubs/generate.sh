#!/usr/bin/env bash
# Generates the Python, Go and TypeScript client stubs from proto/ (the v1 contract) and from the
# standard grpc.health.v1 service (Debian's grpc-proto package).
#
#   tools/stubs/generate.sh           regenerate the committed stubs in client-stubs/ (`make stubs`)
#   tools/stubs/generate.sh --check   regenerate into a temporary directory and exit 1, naming each
#                                     file, when the committed stubs differ (`make stubs-check`)
#
# The output is deterministic: each generator's version is pinned below and checked before anything
# is written (a different protoc or plugin writes different code, so it would look like drift),
# generated files carry no timestamps, and each generated directory is replaced whole, so a removed
# .proto file also removes its stubs. Hand-written files (wrappers, smoke tests, READMEs) live
# outside the generated directories and are never touched.
#
# Generators (Debian 12 packages unless noted):
#   protoc 3.21.12 (protobuf-compiler)         Python messages (+ .pyi) and the Go/TypeScript runs
#   grpcio-tools 1.14.1 (python3-grpc-tools)   Python service stubs (*_pb2_grpc.py) only: its bundled
#                                              protoc 3.5.1 writes message code that protobuf 4.x
#                                              refuses to import, so messages come from protoc 3.21
#   protoc-gen-go 1.28.1, protoc-gen-go-grpc 1.0 (Debian's grpc-go 1.33 build)
#   ts-proto 2.18.0 (npm, pinned in client-stubs/typescript/package-lock.json)
set -euo pipefail

readonly PROTOC_WANT="libprotoc 3.21.12"
readonly GRPC_TOOLS_WANT="1.14.1"
readonly PROTOC_GEN_GO_WANT="protoc-gen-go v1.28.1"
readonly PROTOC_GEN_GO_GRPC_WANT="protoc-gen-go-grpc 1.0"
readonly TS_PROTO_WANT="2.18.0"

readonly GO_MODULE="github.com/apixx/flow-sidecar/client-stubs/go"
readonly PYTHON="${PYTHON:-/usr/bin/python3}"
readonly HEALTH_PROTO_DIR="${HEALTH_PROTO_DIR:-/usr/share/grpc-proto}"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
readonly ROOT
readonly PROTO_DIR="$ROOT/proto/src/main/proto"
readonly TS_PKG="$ROOT/client-stubs/typescript"

# The directories this script owns, relative to the repository root. Nothing else is generated.
readonly GENERATED_DIRS=(
  client-stubs/python/flow_sidecar/v1
  client-stubs/python/flow_sidecar/_health
  client-stubs/go/flowsidecarv1
  client-stubs/typescript/src/gen
)

die() {
  echo "generate.sh: $*" >&2
  exit 2
}

check_tool_versions() {
  local got
  command -v protoc >/dev/null || die "protoc not found (Debian: apt-get install protobuf-compiler)"
  got="$(protoc --version)"
  [[ "$got" == "$PROTOC_WANT" ]] || die "need $PROTOC_WANT, found $got"

  got="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))' 2>/dev/null)" ||
    die "grpcio-tools not importable by $PYTHON (Debian: apt-get install python3-grpc-tools)"
  [[ "$got" == "$GRPC_TOOLS_WANT" ]] || die "need grpcio-tools $GRPC_TOOLS_WANT, found $got"

  command -v protoc-gen-go >/dev/null || die "protoc-gen-go not found (Debian: apt-get install protoc-gen-go)"
  got="$(protoc-gen-go --version)"
  [[ "$got" == "$PROTOC_GEN_GO_WANT" ]] || die "need $PROTOC_GEN_GO_WANT, found $got"

  command -v protoc-gen-go-grpc >/dev/null || die "protoc-gen-go-grpc not found (Debian: apt-get install protoc-gen-go-grpc)"
  got="$(protoc-gen-go-grpc --version)"
  [[ "$got" == "$PROTOC_GEN_GO_GRPC_WANT" ]] || die "need $PROTOC_GEN_GO_GRPC_WANT, found $got"

  [[ -f "$HEALTH_PROTO_DIR/grpc/health/v1/health.proto" ]] ||
    die "no grpc/health/v1/health.proto under $HEALTH_PROTO_DIR (Debian: apt-get install grpc-proto)"

  "$ROOT/tools/stubs/npm-ci.sh" "$TS_PKG"
  got="$(node -p 'require(process.argv[1]).version' "$TS_PKG/node_modules/ts-proto/package.json")"
  [[ "$got" == "$TS_PROTO_WANT" ]] || die "need ts-proto $TS_PROTO_WANT, found $got"
}

# Python: package flow_sidecar.v1 (the contract) and flow_sidecar._health.v1 (a fallback copy of
# grpc.health.v1 for runtimes without grpcio-health-checking). protoc writes modules named after
# the .proto paths (apixx.flow.sidecar.v1.x_pb2, grpc.health.v1.health_pb2); the sed rewrites
# those module names to the package's own so it imports without extra sys.path entries. The .proto
# file names inside the descriptors stay as they are (the wire contract is unchanged).
generate_python() {
  local out="$1/client-stubs/python/flow_sidecar"
  local tmp="$2/python"
  mkdir -p "$tmp" "$out/v1" "$out/_health/v1"

  protoc -I "$PROTO_DIR" --python_out="$tmp" --pyi_out="$tmp" "$PROTO_DIR"/apixx/flow/sidecar/v1/*.proto
  protoc -I "$HEALTH_PROTO_DIR" --python_out="$tmp" --pyi_out="$tmp" "$HEALTH_PROTO_DIR/grpc/health/v1/health.proto"
  "$PYTHON" -m grpc_tools.protoc -I "$PROTO_DIR" --grpc_python_out="$tmp" "$PROTO_DIR"/apixx/flow/sidecar/v1/*.proto
  "$PYTHON" -m grpc_tools.protoc -I "$HEALTH_PROTO_DIR" --grpc_python_out="$tmp" "$HEALTH_PROTO_DIR/grpc/health/v1/health.proto"

  cp "$tmp"/apixx/flow/sidecar/v1/*.py "$tmp"/apixx/flow/sidecar/v1/*.pyi "$out/v1/"
  cp "$tmp"/grpc/health/v1/*.py "$tmp"/grpc/health/v1/*.pyi "$out/_health/v1/"
  sed -i -E \
    -e 's/^from apixx\.flow\.sidecar\.v1 import /from . import /' \
    -e "s/'apixx\.flow\.sidecar\.v1\.([a-z_]+_pb2)'/'flow_sidecar.v1.\1'/" \
    "$out"/v1/*.py "$out"/v1/*.pyi
  sed -i -E \
    -e 's/^from grpc\.health\.v1 import /from . import /' \
    -e "s/'grpc\.health\.v1\.health_pb2'/'flow_sidecar._health.v1.health_pb2'/" \
    "$out"/_health/v1/*.py "$out"/_health/v1/*.pyi

  printf '%s\n' '"""Generated from proto/src/main/proto/apixx/flow/sidecar/v1 by tools/stubs/generate.sh. DO NOT EDIT."""' \
    >"$out/v1/__init__.py"
  printf '%s\n' '"""Fallback grpc.health.v1 stubs, used when grpcio-health-checking is not installed. Generated by tools/stubs/generate.sh. DO NOT EDIT."""' \
    >"$out/_health/__init__.py"
  printf '%s\n' '"""Generated from grpc-proto grpc/health/v1/health.proto by tools/stubs/generate.sh. DO NOT EDIT."""' \
    >"$out/_health/v1/__init__.py"
}

# Go: package flowsidecarv1 at the module path from the protos' go_package. Health comes from
# grpc-go itself (google.golang.org/grpc/health/grpc_health_v1), so it is not generated here.
generate_go() {
  local out="$1/client-stubs/go"
  mkdir -p "$out/flowsidecarv1"
  protoc -I "$PROTO_DIR" \
    --go_out="$out" --go_opt=module="$GO_MODULE" \
    --go-grpc_out="$out" --go-grpc_opt=module="$GO_MODULE" \
    "$PROTO_DIR"/apixx/flow/sidecar/v1/*.proto
}

# TypeScript: ts-proto with grpc-js service clients, one .ts file per .proto (the contract, the
# google.protobuf.Timestamp it imports, and grpc.health.v1), under src/gen.
generate_typescript() {
  local out="$1/client-stubs/typescript/src/gen"
  mkdir -p "$out"
  protoc -I "$PROTO_DIR" -I "$HEALTH_PROTO_DIR" \
    --plugin=protoc-gen-ts_proto="$TS_PKG/node_modules/.bin/protoc-gen-ts_proto" \
    --ts_proto_out="$out" \
    --ts_proto_opt=outputServices=grpc-js,env=node,esModuleInterop=true,useExactTypes=false \
    "$PROTO_DIR"/apixx/flow/sidecar/v1/*.proto "$HEALTH_PROTO_DIR/grpc/health/v1/health.proto"
}

# Temporary directories, removed when the script exits however it exits.
TEMP_DIRS=()
cleanup() {
  ((${#TEMP_DIRS[@]} == 0)) || rm -rf "${TEMP_DIRS[@]}"
}
trap cleanup EXIT

# make_temp_dir VAR: creates a temporary directory, stores its path in VAR and registers it for
# removal (not through $(...), whose subshell would lose the registration).
make_temp_dir() {
  local d
  d="$(mktemp -d)"
  TEMP_DIRS+=("$d")
  printf -v "$1" '%s' "$d"
}

generate_all() {
  local out="$1" scratch d
  make_temp_dir scratch
  for d in "${GENERATED_DIRS[@]}"; do
    rm -rf "${out:?}/$d"
  done
  generate_python "$out" "$scratch"
  generate_go "$out"
  generate_typescript "$out"
}

# Compares the generated directories of two trees; prints one line per differing file and returns
# non-zero if there is any.
compare_trees() {
  local want="$1" have="$2" d f drift=0
  for d in "${GENERATED_DIRS[@]}"; do
    while IFS= read -r f; do
      if [[ ! -f "$have/$f" ]]; then
        echo "  missing: $f (run make stubs)"
        drift=1
      elif [[ ! -f "$want/$f" ]]; then
        echo "  stale:   $f (no longer generated; run make stubs)"
        drift=1
      elif ! cmp -s "$want/$f" "$have/$f"; then
        echo "  differs: $f"
        drift=1
      fi
    done < <({ (cd "$want" && find "$d" -type f 2>/dev/null); (cd "$have" && find "$d" -type f 2>/dev/null); } | sort -u)
  done
  return "$drift"
}

main() {
  case "${1:-}" in
    "")
      check_tool_versions
      generate_all "$ROOT"
      echo "generate.sh: stubs regenerated in ${GENERATED_DIRS[*]}"
      ;;
    --check)
      check_tool_versions
      local fresh
      make_temp_dir fresh
      generate_all "$fresh"
      local report
      if report="$(compare_trees "$fresh" "$ROOT")"; then
        echo "generate.sh: committed stubs match proto/"
      else
        echo "generate.sh: committed stubs differ from what proto/ generates:" >&2
        echo "$report" >&2
        echo "generate.sh: run 'make stubs' and commit the result" >&2
        exit 1
      fi
      ;;
    *)
      die "usage: $0 [--check]"
      ;;
  esac
}

main "$@"
