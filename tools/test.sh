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
if grep -Ei '\bskipped\b' "$log" | grep -Ev '\b0 (tests )?skipped' >/dev/null; then
    echo "tools/test.sh: a test was skipped; every test, BPF ones included, must run here" >&2
    status=1
fi
exit "$status"
