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
# A minute of mixed traffic through kernel, splice and copy routes: zero corrupted bodies, and
# fds, BPF maps, RSS and kernel memory back within bounds afterwards (tools/soak.py).
python3 tools/soak.py --duration 60 >/dev/null || status=$?
# Half a minute of the same across lossy links: client, relay and origin in network namespaces
# joined by veth links that drop 2 % of packets, so retransmissions overlap mixed traffic.
python3 tools/soak.py --duration 30 --loss 2 >/dev/null || status=$?
# The virtual payload the same way: an edge relay claims every body from a holder relay past
# an intermediate relay that passes the descriptors on, and every link drops 2 % of packets,
# so the claims cross two lossy links.
python3 tools/soak.py --duration 30 --virtual intermediate --loss 2 >/dev/null || status=$?
# And held by the ODB-aware origin behind the intermediate.
python3 tools/soak.py --duration 30 --virtual origin --loss 2 >/dev/null || status=$?
if grep -Ei '\bskipped\b' "$log" | grep -Ev '\b0 (tests )?skipped' >/dev/null; then
    echo "tools/test.sh: a test was skipped; every test, BPF ones included, must run here" >&2
    status=1
fi
exit "$status"
