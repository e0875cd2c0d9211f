#!/usr/bin/env bash
# Sets up the machine (tools/setup.sh) and runs odb-redirect with the given arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh >&2
exec .build/release/odb-redirect "$@"
