#!/usr/bin/env bash
# Usage: tools/mount-bpffs.sh [--dry-run] DIR
#
# Mounts bpffs at DIR with mode=0700, so that nobody but root can create, list or enter
# anything there (docs/OPERATIONS.md, "Pin directories are trusted only when nobody else can
# change them"). DIR is /sys/fs/bpf, or a fresh empty directory of your own outside the
# system directories. Anything else is refused: /, /tmp and system directories are never
# mounted over.
#
# /sys/fs/bpf mounted already (by systemd, with mode=0700, or by a plain `mount -t bpf`, which
# leaves it world-writable with the sticky bit) is closed with chmod 0700 of its top directory:
# bpffs ignores mode= on a remount, and the mode of the top directory is that setting (the
# mount options then show mode=700). Another directory must not be a mount point already.
# --dry-run checks DIR and says what would be done, changing nothing.
set -euo pipefail

dry_run=false
if [ "${1-}" = --dry-run ]; then
    dry_run=true
    shift
fi
if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "usage: tools/mount-bpffs.sh [--dry-run] DIR (/sys/fs/bpf, or a fresh empty directory)" >&2
    exit 2
fi
given=$1
refuse() {
    echo "mount-bpffs: refusing $given: $1" >&2
    exit 1
}
[ -L "$given" ] && refuse "it is a symbolic link"
[ -d "$given" ] || refuse "it is not a directory"
dir=$(realpath -e -- "$given")

act() {
    echo "mount-bpffs: $*" >&2
    if ! $dry_run; then "$@"; fi
}

if [ "$dir" = /sys/fs/bpf ]; then
    if ! mountpoint -q "$dir"; then
        act mount -t bpf -o mode=0700 bpf "$dir"
    elif [ "$(stat -f -c %T "$dir")" != bpf_fs ]; then
        refuse "it is a mount point of another filesystem ($(stat -f -c %T "$dir"))"
    elif [ $((0$(stat -c %a "$dir") & 0777)) -ne $((0700)) ]; then
        # The sticky bit bpffs always sets on its top directory is harmless once others are out.
        act chmod 0700 "$dir"
    else
        echo "mount-bpffs: $dir is bpffs with mode 0700 already" >&2
    fi
    exit 0
fi

case "$dir" in
    / | /tmp | /var | /var/tmp | /home | /root | /opt | /srv | /mnt | /media | /work)
        refuse "it is a system directory" ;;
    /tmp/* | /var/tmp/* | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/* | /etc | /etc/* \
        | /usr | /usr/* | /boot | /boot/* | /bin | /bin/* | /sbin | /sbin/* | /lib | /lib/* | /lib64 | /lib64/*)
        refuse "it is in a system directory" ;;
esac
mountpoint -q "$dir" && refuse "it is a mount point already"
[ -z "$(ls -A -- "$dir")" ] || refuse "it is not empty"
act mount -t bpf -o mode=0700 bpf "$dir"
