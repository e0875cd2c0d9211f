#!/usr/bin/env bash
# Fuzzes ODBHTTP with libFuzzer: tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets (Fuzz/Sources/FuzzChecks/FuzzTarget.swift): request-head, response-head, framing,
# chunked; all of them by default, 60 s each. New inputs collect in Fuzz/.build-fuzz/corpus
# (not committed; ODB_FUZZ_BUILD names another build folder, e.g. for a long run beside a
# short one); the seeds in Fuzz/Corpus stay untouched. A crash leaves its input in
# Fuzz/.build-fuzz/artifacts and fails the script: add that input to Fuzz/Corpus/TARGET and a
# regression test to Tests/ODBHTTPTests, then fix the parser.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
export PATH=/opt/swift/usr/bin:$PATH
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request-head response-head framing chunked)

build=${ODB_FUZZ_BUILD:-.build-fuzz}
swift build -c release --sanitize=fuzzer --scratch-path "$build" --product odb-fuzz
fuzzer=$build/release/odb-fuzz
mkdir -p "$build/artifacts"
status=0
for target in "${targets[@]}"; do
    work=$build/corpus/$target
    mkdir -p "$work"
    echo "== fuzzing $target for ${seconds}s"
    if ! ODB_FUZZ_TARGET=$target "$fuzzer" "$work" "Corpus/$target" \
        -dict=http.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$target-" 2>"$build/$target.log"; then
        echo "tools/fuzz.sh: $target found a failing input; see Fuzz/$build/$target.log" >&2
        grep -E "Fatal error|ERROR|Test unit written" "$build/$target.log" >&2 || true
        status=1
    fi
    grep -E "^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$build/$target.log" || true
    echo "corpus: $(ls "$work" | wc -l) inputs"
done
exit "$status"
