#!/usr/bin/env bash
# Prepares the three smoke programs (client-stubs/*/smoke) from committed files, reproducibly, and
# runs each wrapper's unit tests (no daemon needed) on the way:
#   python      nothing to build; unit tests with $PYTHON (default /usr/bin/python3, Debian's)
#   typescript  npm ci (from package-lock.json), tsc into client-stubs/typescript/dist, node --test
#   go          GOPATH-mode vet, test and build against Debian's Go packages (/usr/share/gocode),
#               with a GOPATH under OUT_DIR that links the module in; the smoke binary is
#               OUT_DIR/bin/flow-sidecar-smoke-go
# Usage: tools/smoke/prepare.sh [OUT_DIR]   (default: target/smoke at the repository root)
# Needs: Debian python3-grpcio python3-protobuf golang-go golang-google-grpc-dev
# golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev; Node.js 18+ with npm.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/target/smoke}" && cd "${1:-$ROOT/target/smoke}" && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
GO_IMPORT_PATH="github.com/apixx/flow-sidecar/client-stubs/go"

echo "==> smoke/python: unit tests with $PYTHON" >&2
"$PYTHON" -c 'import grpc, google.protobuf' ||
  { echo "prepare.sh: $PYTHON lacks grpcio/protobuf (Debian: apt-get install python3-grpcio python3-protobuf)" >&2; exit 2; }
(cd "$ROOT/client-stubs/python" && PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m unittest discover -s tests) >&2

echo "==> smoke/typescript: npm ci, tsc (strict), unit tests" >&2
"$ROOT/tools/stubs/npm-ci.sh" "$ROOT/client-stubs/typescript"
(cd "$ROOT/client-stubs/typescript" && ./node_modules/.bin/tsc -p tsconfig.json && node --test dist/test/errors.test.js) >&2

echo "==> smoke/go: GOPATH-mode vet, unit tests and build with Debian's Go packages" >&2
command -v go >/dev/null || { echo "prepare.sh: go not found (Debian: apt-get install golang-go)" >&2; exit 2; }
gopath="$OUT/gopath"
link="$gopath/src/$GO_IMPORT_PATH"
mkdir -p "$(dirname "$link")"
ln -sfn "$ROOT/client-stubs/go" "$link"
mkdir -p "$OUT/bin"
(
  cd "$link"
  export GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="${GOCACHE:-$OUT/gocache}" GOFLAGS=
  go vet ./flowsidecar ./flowsidecarv1 ./smoke
  go test -count=1 ./flowsidecar >&2
  go build -o "$OUT/bin/flow-sidecar-smoke-go" ./smoke
)
echo "==> smoke programs ready" >&2
