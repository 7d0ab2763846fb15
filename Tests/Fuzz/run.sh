#!/usr/bin/env bash
# Runs one built harness: Tests/Fuzz/run.sh TARGET SECONDS [extra libFuzzer flags…].
# Starts from the committed seeds (Tests/Fuzz/Corpus/TARGET) and a working corpus under
# .build-fuzz/corpus/TARGET that grows across runs; a crash or a broken invariant leaves its
# input in .build-fuzz/artifacts/ and fails. Prints one line: executions, exec/s, cov, ft.
set -uo pipefail
cd "$(dirname "$0")/../.."
target=$1
seconds=$2
shift 2
binary=.build-fuzz/bin/fuzz-$target
[ -x "$binary" ] || { echo "fuzz: $binary is not built (Tests/Fuzz/build.sh $target)" >&2; exit 1; }
mkdir -p ".build-fuzz/corpus/$target" .build-fuzz/artifacts .build-fuzz/logs
log=.build-fuzz/logs/$target.log
# A parser that leaks per input is a memory-exhaustion attack on the daemon, so LeakSanitizer
# checks each input, with TOMLKit's own leaks suppressed (lsan.supp). Those leak a few hundred
# bytes on every input of the harnesses that parse TOML, so there libFuzzer's per-input check
# would rescan the heap each time (config: 13,000 → 52 exec/s); they keep only the check at exit,
# and room for the leak (a 10^7 run grows by about 3 GB; authz stopped at 2 GB, 4.1 M inputs).
case $target in
  config|authz) limits=(-detect_leaks=0 -rss_limit_mb=6144) ;;
  *) limits=(-rss_limit_mb=2048) ;;
esac
# Swift's own crash backtracer fights ASan's.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=Tests/Fuzz/lsan.supp \
  "$binary" -max_total_time="$seconds" -timeout=10 "${limits[@]}" -print_final_stats=1 \
  -artifact_prefix=".build-fuzz/artifacts/$target-" "$@" ".build-fuzz/corpus/$target" "Tests/Fuzz/Corpus/$target" >"$log" 2>&1
status=$?
runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
speed=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
if [ "$status" -ne 0 ]; then
  echo "fuzz $target: FAILED after ${runs:-?} executions (status $status); log $log"
  grep -E "invariant failed|ERROR: AddressSanitizer|ERROR: LeakSanitizer|ERROR: libFuzzer|SUMMARY|Test unit written|^Base64" "$log" | head -8 | sed 's/^/  /'
  exit 1
fi
echo "fuzz $target: ${runs:-0} executions in ${seconds} s, ${speed:-0} exec/s, ${coverage:-no coverage}"
