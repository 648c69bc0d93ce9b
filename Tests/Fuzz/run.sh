#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Tests/Fuzz (Package.swift) with `-sanitize=fuzzer,address`
# and runs each for FUZZ_SECONDS (default 60) on a temporary copy of corpus/<target>/, so the seeds in the
# repository never change. Fails when any input makes a target crash, trap, fail an AddressSanitizer check,
# run past 30 s or use over 2 GiB, after printing that input's path (kept under $FUZZ_BUILD/crashes) and
# libFuzzer's report; prints the build time and, per target, executions and final coverage (`cov`: edges,
# `ft`: features).
# Usage: Tests/Fuzz/run.sh [swift build flags…]
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_BUILD    scratch path of the build (default .build/fuzz)
#   FUZZ_TARGETS  which targets (default all three)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
build=$(realpath -m "${FUZZ_BUILD:-.build/fuzz}")
targets=(${FUZZ_TARGETS:-FuzzMultipart FuzzQuery FuzzContainer})

started=$SECONDS
# The versions the product was built with, where it has been (Package.resolved files are not in git).
if [ -f Package.resolved ]; then cp Package.resolved Tests/Fuzz/Package.resolved; fi
# Debug: -Onone keeps `assert`s, and the whole graph builds in about a minute. `-enable-testing` lets
# FuzzContainer reach the internal ContainerPolicy.
swift build --package-path Tests/Fuzz --scratch-path "$build" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing "$@"
echo "fuzz: build took $((SECONDS - started)) s"
bin=$(swift build --package-path Tests/Fuzz --scratch-path "$build" --show-bin-path)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crashes="$build/crashes"
mkdir -p "$crashes"
summary=() failed=0
for target in "${targets[@]}"; do
  cp -R "Tests/Fuzz/corpus/$target" "$work/$target"
  log="$work/$target.log"
  echo "fuzz: $target for $seconds s"
  # The Swift runtime's own backtracer would take over the trap signal from libFuzzer and wait on it.
  status=0
  SWIFT_BACKTRACE=enable=no TMPDIR="$work" "$bin/$target" "$work/$target" -max_total_time="$seconds" \
    -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/$target-" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  coverage=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+).*/cov \1, ft \2/' || true)
  if [ "$status" -eq 0 ]; then
    summary+=("ok     $target: ${runs:-?} runs, ${coverage:-no coverage line}, peak RSS ${rss:-?} MB")
  else
    failed=$((failed + 1))
    input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    summary+=("FAILED $target (exit $status): input ${input:-not written}")
    echo "fuzz: $target FAILED (exit $status); the input: ${input:-not written}; libFuzzer's report:"
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|NEW_FUNC' "$log" | tail -n 80 | sed 's/^/    /'
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
[ "$failed" -eq 0 ]
