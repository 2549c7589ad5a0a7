#!/usr/bin/env bash
# Builds a minimal x86_64 kernel with CONFIG_RSEQ_SLICE_EXTENSION=y from Debian's
# linux-source-7.x package, for the VM lane (vmtest/run.sh --kernel-image).
#
# Debian's own 7.x kernels ship with "# CONFIG_RSEQ_SLICE_EXTENSION is not set",
# so time-slice extensions can only be tested on a kernel built here.
# Slow (tens of minutes on 2 shared cores), niced, not part of .ci/run.
#
#   vmtest/build-slice-kernel.sh            # -> $CACHE/bzImage-slice-7.x, prints its path
#   SUITE=trixie-backports vmtest/build-slice-kernel.sh
#
# Then boot it through the VM lane, gate on (the default) and off:
#   vmtest/run.sh --kernel 7.2 --kernel-image ~/.cache/rseq4j-kernel/bzImage-slice-7.2 --userland sid \
#       --tests '.*SliceExtensionTest'
#   ... the same with --append rseq_slice_ext=0
# (--kernel 7.x also boots with rseq_debug=1: the kernel then kills a process that writes its fields.)
#
# Host tools: installed by need_tools below when missing (as root), else named.
# Everything downloaded or built stays under $CACHE (default ~/.cache/rseq4j-kernel), never in the repository.
set -euo pipefail

SUITE=${SUITE:-sid}
CACHE=${CACHE:-$HOME/.cache/rseq4j-kernel}
JOBS=${JOBS:-2}
NICE=${NICE:-10}

# shellcheck source=vmtest/host-tools.sh
. "$(dirname "$0")/host-tools.sh"
need_tools gcc:gcc make:make flex:flex bison:bison bc:bc xz:xz-utils /usr/include/libelf.h:libelf-dev

# A private APT configuration: the system's Debian entry with another suite, and its own
# state, lists and cache, so that the host's APT state is untouched.
APT_DIR=$CACHE/apt-$SUITE
mkdir -p "$APT_DIR"/{state/lists/partial,cache/archives/partial,etc/sources.list.d,etc/preferences.d}
awk -v suite="$SUITE" 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1 { sub(/Suites:[^\n]*/, "Suites: " suite); print }' \
  /etc/apt/sources.list.d/debian.sources > "$APT_DIR/etc/sources.list.d/debian.sources"
cat > "$APT_DIR/apt.conf" <<CONF
Dir::State "$APT_DIR/state";
Dir::State::status "$APT_DIR/state/status";
Dir::Cache "$APT_DIR/cache";
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$APT_DIR/etc/sources.list.d";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$APT_DIR/etc/preferences.d";
APT::Architecture "amd64";
CONF
touch "$APT_DIR/state/status"
export APT_CONFIG=$APT_DIR/apt.conf
apt-get -q update >/dev/null

# The newest linux-source-7.x the suite offers.
PKG=$(apt-cache --names-only search '^linux-source-7\.[0-9]+$' | awk '{print $1}' | sort -V | tail -1)
[ -n "$PKG" ] || { echo "no linux-source-7.x in $SUITE" >&2; exit 3; }
VERSION=${PKG#linux-source-}
SRC=$CACHE/linux-$VERSION
if [ ! -f "$SRC/Makefile" ]; then
  ( cd "$APT_DIR" && apt-get -q download "$PKG" )
  rm -rf "$CACHE/pkg-$VERSION" && dpkg-deb -x "$APT_DIR"/"$PKG"_*.deb "$CACHE/pkg-$VERSION"
  mkdir -p "$SRC"
  tar -C "$SRC" --strip-components=1 -xf "$CACHE/pkg-$VERSION"/usr/src/linux-source-"$VERSION".tar.*
fi
echo "source: $PKG ($(apt-cache policy "$PKG" | awk '/Candidate/{print $2}')) in $SRC"

OUT=$CACHE/build-$VERSION
mkdir -p "$OUT"
cd "$SRC"
make -s O="$OUT" ARCH=x86_64 tinyconfig
CFG="scripts/config --file $OUT/.config"
# What a JVM guest of the VM lane (vmtest/run.sh: initramfs, virtio-blk disks with ext4, serial
# console) needs, and nothing else: no network, no modules, no ACPI (QEMU's MP table routes IRQs).
$CFG -e 64BIT -e SMP -e PRINTK -e PRINTK_TIME -e BUG -e TTY -e SERIAL_8250 -e SERIAL_8250_CONSOLE \
     -e BLK_DEV_INITRD -e RD_GZIP -e RD_ZSTD -e BINFMT_ELF -e BINFMT_SCRIPT \
     -e PROC_FS -e PROC_SYSCTL -e SYSFS -e DEVTMPFS -e TMPFS -e SHMEM \
     -e FUTEX -e EPOLL -e SIGNALFD -e TIMERFD -e EVENTFD -e AIO -e FILE_LOCKING -e MULTIUSER \
     -e POSIX_TIMERS -e HIGH_RES_TIMERS -e NO_HZ_IDLE -e MEMBARRIER -e RSEQ -e ADVISE_SYSCALLS \
     -e PCI -e VIRTIO_MENU -e VIRTIO -e VIRTIO_PCI -e BLK_DEV -e VIRTIO_BLK -e BLOCK -e EXT4_FS \
     -e PREEMPT_LAZY -d PREEMPT_NONE -d PREEMPT_VOLUNTARY -d PREEMPT \
     -e RSEQ_SLICE_EXTENSION -e DEBUG_FS -e EXPERT --set-val NR_CPUS 8
make -s O="$OUT" ARCH=x86_64 olddefconfig
for want in CONFIG_RSEQ=y CONFIG_RSEQ_SLICE_EXTENSION=y CONFIG_DEBUG_FS=y CONFIG_PREEMPT_LAZY=y CONFIG_SMP=y \
            CONFIG_SERIAL_8250_CONSOLE=y CONFIG_BLK_DEV_INITRD=y CONFIG_FUTEX=y CONFIG_DEVTMPFS=y \
            CONFIG_VIRTIO_BLK=y CONFIG_EXT4_FS=y CONFIG_TMPFS=y CONFIG_X86_MPPARSE=y; do
  grep -qx "$want" "$OUT/.config" || { echo "kernel config lacks $want" >&2; grep -n "${want%=*}" "$OUT/.config" >&2 || true; exit 4; }
done
grep -E '^CONFIG_PREEMPT|^CONFIG_RSEQ|^# CONFIG_RSEQ' "$OUT/.config"

nice -n "$NICE" make -s O="$OUT" ARCH=x86_64 -j"$JOBS" bzImage
cp "$OUT/arch/x86/boot/bzImage" "$CACHE/bzImage-slice-$VERSION"
cp "$OUT/.config" "$CACHE/config-slice-$VERSION"
echo "kernel: $CACHE/bzImage-slice-$VERSION ($(make -s O="$OUT" kernelrelease))"
