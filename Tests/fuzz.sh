#!/usr/bin/env bash
# The fuzz phase of scripts/test: builds every libFuzzer harness (Tests/Fuzz/build.sh), runs each
# for a short fixed budget (FUZZ_SECONDS, 15 s) from the committed seeds, then the differential
# drivers against references no one here wrote (PyJWT, Python's ipaddress, urllib.parse and
# posixpath, a model of RFC 7239). Fails on a crash, a broken invariant, a divergence, or a
# toolchain that cannot build with the fuzzer. See docs/fuzzing.md.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-15}
# A fixed libFuzzer seed: CI replays the same mutations every run, so a failure here is a
# regression, not a new find that depends on luck (new finds come from the long runs of
# bench/fuzz). FUZZ_SEED=0 lets libFuzzer pick one.
seed=${FUZZ_SEED:-1}
cases=${FUZZ_CASES:-4000}
started=$SECONDS

if ! Tests/Fuzz/build.sh 2>&1 | grep -v "Cannot export local symbol"; then
  echo "fuzz: the harnesses did not build (swiftc -sanitize=fuzzer,address)"
  exit 1
fi
# The pipe hides build.sh's status; a missing binary says it failed.
for target in authorization forwarded jwt path iplist htpasswd csrf authz config; do
  [ -x ".build-fuzz/bin/fuzz-$target" ] || { echo "fuzz: fuzz-$target was not built"; exit 1; }
done
echo "fuzz: build took $((SECONDS - started)) s"

# One harness per core at a time (each libFuzzer process is single-threaded); each prints its
# line when it ends, and the lines are shown in the harnesses' order.
failed=0
parallel=$(nproc)
results=$(mktemp -d)
for target in authorization forwarded jwt path iplist htpasswd csrf authz config; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n; done
  { Tests/Fuzz/run.sh "$target" "$seconds" -seed="$seed" >"$results/$target" 2>&1; echo $? >"$results/$target.status"; } &
done
wait
for target in authorization forwarded jwt path iplist htpasswd csrf authz config; do
  cat "$results/$target"
  [ "$(cat "$results/$target.status" 2>/dev/null)" = 0 ] || failed=1
done
rm -rf "$results"

python3 -c "import jwt" 2>/dev/null || { echo "fuzz: PyJWT is missing (scripts/setup installs it)"; exit 1; }
cd Tests/Fuzz/Differential
python3 diff_jwt.py ../../../.build-fuzz/bin/fuzz-jwt "$cases" || failed=1
python3 diff_forwarded.py ../../../.build-fuzz/bin/fuzz-forwarded "$cases" || failed=1
python3 diff_path.py ../../../.build-fuzz/bin/fuzz-path "$cases" || failed=1
python3 diff_cidr.py ../../../.build-fuzz/bin/fuzz-iplist "$cases" || failed=1
echo "fuzz: phase took $((SECONDS - started)) s"
exit "$failed"
