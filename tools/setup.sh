#!/usr/bin/env bash
# Installs everything odb-redirect needs on a fresh Debian 12 machine with Swift at /opt/swift,
# mounts the kernel filesystems it uses, and builds it. Idempotent; run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "tools/setup.sh: run as root (it installs packages and mounts bpffs)" >&2
    exit 1
fi

packages=(libbpf-dev libelf-dev zlib1g-dev bpftool clang nginx haproxy wrk curl iproute2 util-linux nftables ethtool valgrind)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r tools/requirements.txt

# Debian starts packaged daemons on install; the tests and the benchmark start their own.
for service in nginx haproxy; do
    pkill -x "$service" 2>/dev/null || true
done

# Closed to everyone but root (docs/OPERATIONS.md, "Why bpffs is mounted 0700").
tools/mount-bpffs.sh /sys/fs/bpf
if ! grep -q " cgroup2 " /proc/self/mountinfo; then
    mkdir -p /sys/fs/cgroup/unified
    mount -t cgroup2 none /sys/fs/cgroup/unified
fi

export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product odb-redirect
