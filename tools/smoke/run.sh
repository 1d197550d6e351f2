#!/usr/bin/env bash
# Runs the Python, Go and TypeScript smoke programs against a live daemon, each with its own fresh
# run token (an exchange consumes the token's jti). Prints each program's lines, then a summary;
# exits 0 only if every program passed.
#
#   tools/smoke/run.sh --unix SOCKET --tcp HOST:PORT --token-cmd 'COMMAND' [--langs python,go,typescript]
#   tools/smoke/run.sh --unix SOCKET --tcp HOST:PORT --health-only
#
# COMMAND runs with bash in the current directory and must print one run token on stdout, e.g.
#   --token-cmd 'daemon/target/flow-sidecar/bin/flow-sidecar mint-run-token --tenant demo --connector demo-github'
# (run from the dev daemon's working directory: it reads the dev signing key under .dev/). Tokens
# reach the programs through $FLOW_RUN_TOKEN and are never printed. Program output is also kept
# in OUT_DIR/logs (--out, default target/smoke at the repository root).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
unix="" tcp="" token_cmd="" health_only=0 langs="python,go,typescript" out="$ROOT/target/smoke"

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case "$1" in
    --unix) unix="${2:?}"; shift 2 ;;
    --tcp) tcp="${2:?}"; shift 2 ;;
    --token-cmd) token_cmd="${2:?}"; shift 2 ;;
    --health-only) health_only=1; shift ;;
    --langs) langs="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    *) usage ;;
  esac
done
[[ -n "$unix" || -n "$tcp" ]] || usage
((health_only)) || [[ -n "$token_cmd" ]] || usage

"$ROOT/tools/smoke/prepare.sh" "$out"
mkdir -p "$out/logs"

args=()
[[ -z "$unix" ]] || args+=(--unix "$unix")
[[ -z "$tcp" ]] || args+=(--tcp "$tcp")
((health_only == 0)) || args+=(--health-only)

program() {
  case "$1" in
    python) echo "$PYTHON $ROOT/client-stubs/python/smoke/smoke.py" ;;
    go) echo "$out/bin/flow-sidecar-smoke-go" ;;
    typescript) echo "node $ROOT/client-stubs/typescript/dist/smoke/smoke.js" ;;
    *) echo "run.sh: unknown language $1" >&2; exit 2 ;;
  esac
}

passed=0 failed=0
IFS=, read -ra selected <<<"$langs"
for lang in "${selected[@]}"; do
  echo "==> smoke/$lang"
  cmd="$(program "$lang")"
  token=""
  if ((health_only == 0)); then
    if ! token="$(bash -c "$token_cmd")" || [[ -z "$token" ]]; then
      echo "FAIL $lang: the token command failed or printed nothing"
      failed=$((failed + 1))
      continue
    fi
  fi
  # Go's flag package wants single-dash flags; it accepts the double-dash form too.
  # shellcheck disable=SC2086 # $cmd is "interpreter script" and must split
  if FLOW_RUN_TOKEN="$token" $cmd "${args[@]}" 2>&1 | tee "$out/logs/$lang.log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "smoke: $passed passed, $failed failed"
((failed == 0))
