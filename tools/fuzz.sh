#!/usr/bin/env bash
# Fuzzes every target with Jazzer's libFuzzer-compatible CLI for DURATION each (default 60s),
# starting from the committed seed corpus (daemon/src/test/resources/.../fuzz/*Inputs/*/).
# New interesting inputs go to daemon/target/fuzz/corpus/<target>/; a crash, hang or assertion
# failure is written to daemon/target/fuzz/findings/ and makes this script exit 1. A finding is
# then fixed and its input copied into the target's Inputs directory, where `make test` replays it
# as a regression test.
#
# Usage: tools/fuzz.sh [DURATION_SECONDS] [TARGET_CLASS_SIMPLE_NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-$(tools/find-jdk)}
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(RunTokenFuzzTest CiphertextFuzzTest SpoolRecordFuzzTest RequestMessageFuzzTest)
  if [ -f daemon/src/test/java/io/apixx/flow/sidecar/fuzz/CredentialPayloadFuzzTest.java ]; then
    targets+=(CredentialPayloadFuzzTest)
  fi
fi

if [ ! -d daemon/target/test-classes ]; then
  echo "==> compiling the tests first"
  mvn -B -q -ntp -pl daemon -am test-compile
fi
# With -am and a compile phase in the same invocation, the reactor supplies the contract and client
# modules from their target/ directories: nothing needs to be installed in ~/.m2 (a fresh machine).
mvn -B -q -ntp -pl daemon -am test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
root=$(pwd)
cp="$root/daemon/target/test-classes:$root/daemon/target/classes:$(cat daemon/target/test-classpath.txt)"
resources=daemon/src/test/resources/io/apixx/flow/sidecar/fuzz
work=daemon/target/fuzz
mkdir -p "$work/findings"
status=0
for t in "${targets[@]}"; do
  corpus="$work/corpus/$t"
  mkdir -p "$corpus"
  cp "$resources/${t}Inputs"/*/* "$corpus/" 2>/dev/null || true
  echo "==> fuzzing $t for ${seconds}s (corpus: $(ls "$corpus" | wc -l) inputs)"
  log="$work/$t.log"
  if (cd "$work/findings" && "$JAVA_HOME/bin/java" -Xmx768m -cp "$cp" com.code_intelligence.jazzer.Jazzer \
      --target_class="io.apixx.flow.sidecar.fuzz.$t" \
      --instrumentation_includes='io.apixx.flow.sidecar.**' \
      --reproducer_path="$root/$work/findings" \
      -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
      "$root/$corpus") >"$log" 2>&1; then
    runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 || true)
    echo "    $t: ${runs:-done}, no finding"
  else
    echo "    $t: FINDING (see $log and $work/findings/)"
    tail -30 "$log" | sed 's/^/    /'
    status=1
  fi
done
exit $status
