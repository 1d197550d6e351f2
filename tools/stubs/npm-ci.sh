#!/usr/bin/env bash
# Installs an npm package's locked dependencies (`npm ci`) unless node_modules already matches its
# package-lock.json. Usage: tools/stubs/npm-ci.sh DIR. Output goes to stderr.
set -euo pipefail
dir="${1:?usage: npm-ci.sh DIR}"
command -v npm >/dev/null || { echo "npm-ci.sh: npm not found (install Node.js 18+ with npm)" >&2; exit 2; }
# npm writes node_modules/.package-lock.json on every install; newer than the lock file = current.
if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
  echo "==> npm ci in ${dir}" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  touch "$dir/node_modules/.package-lock.json"
fi
