#!/usr/bin/env bash
# Sets up the machine (tools/setup.sh) and runs every test. Tests that need BPF really run:
# nothing may be skipped, so any skip fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
export PATH=/opt/swift/usr/bin:$PATH
log=$(mktemp)
status=0
swift test 2>&1 | tee "$log" || status=$?
# Hostile input (Fuzz/, its own package so swift-nio stays out of the relay's graph): the seed
# corpus replay and the llhttp differential, then a short libFuzzer run per target.
swift test --package-path Fuzz 2>&1 | tee -a "$log" || status=$?
tools/fuzz.sh 45 || status=$?
if grep -Ei '\bskipped\b' "$log" | grep -Ev '\b0 (tests )?skipped' >/dev/null; then
    echo "tools/test.sh: a test was skipped; every test, BPF ones included, must run here" >&2
    status=1
fi
exit "$status"
