#!/usr/bin/env bash
# Runs the full smoke path of all three clients (health, exchange, credential, PERMISSION_DENIED)
# against tools/smoke/fake_daemon.py, a contract fake served by the generated Python stubs. It
# checks the clients and smoke programs without the real daemon; `make stubs-test` runs it.
# Usage: tools/smoke/fake.sh [run.sh options such as --langs go]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
work="$(mktemp -d)"
fake_pid=""
cleanup() {
  [[ -z "$fake_pid" ]] || kill "$fake_pid" 2>/dev/null || true
  [[ -z "$fake_pid" ]] || wait "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$PYTHON" "$ROOT/tools/smoke/fake_daemon.py" --socket "$work/sidecar.sock" >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
ready=""
for _ in $(seq 1 200); do
  ready="$(grep -o 'SERVING on unix://[^ ]* and [0-9.]*:[0-9]*' "$work/fake.out" || true)"
  [[ -z "$ready" ]] || break
  kill -0 "$fake_pid" 2>/dev/null || { cat "$work/fake.err" >&2; echo "fake.sh: the fake daemon exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$ready" ]] || { echo "fake.sh: the fake daemon did not start" >&2; exit 1; }
socket="$(sed -E 's/SERVING on unix:\/\/([^ ]*) and .*/\1/' <<<"$ready")"
tcp="${ready##* and }"
echo "==> contract fake SERVING on unix://$socket and $tcp"

# Each call prints a new single-use token the fake accepts.
"$ROOT/tools/smoke/run.sh" --unix "$socket" --tcp "$tcp" \
  --token-cmd 'echo "fake-run-$(od -An -N8 -tx1 /dev/urandom | tr -d " \n")"' "$@"
