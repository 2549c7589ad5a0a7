#!/usr/bin/env bash
# Runs rseq4j's JUnit suite and its doctor inside real Debian kernels and userlands booted under
# QEMU. Usage: vmtest/run.sh --help. Everything downloaded is cached outside the repository
# ($RSEQ4J_VM_CACHE, default ~/.cache/rseq4j-vmtest); per-guest output lands in target/vmtest/.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

usage() {
    cat <<'EOF'
vmtest/run.sh [--arch x86_64|aarch64] [--kernel 5.10|6.1|6.12|7.2|7.3] [--userland SUITE]
              [--kernel-image PATH] [--append "ARGS"] [--tests REGEX] [--timeout SECONDS]
              [--property NAME=VALUE]... [--all | --smoke] [--no-build]

  --arch          guest architecture (default x86_64)
  --kernel        Debian cloud kernel: 5.10 bullseye, 6.1 bookworm, 6.12 trixie, 7.2 sid,
                  7.3 trixie-backports (default 6.12)
  --userland      Debian suite whose libc, busybox (and on aarch64 openjdk-25) the guest runs:
                  bullseye|bookworm|trixie|sid (default: the kernel's own suite; trixie for 7.3)
  --kernel-image  boot this bzImage/Image instead of a Debian kernel (--kernel then only names
                  it; 7.* names get rseq_debug=1). It needs ext4 and virtio-blk over virtio-pci
                  (x86_64) or virtio-mmio (aarch64) built in, or those modules as plain .ko files
                  in a modules/ folder next to the image
  --append        extra kernel command-line arguments
  --tests         regex of fully qualified test class names (JUnit --include-classname);
                  default: every test class
  --property      system property for the guest's test JVM (repeatable), e.g.
                  rseq4j.test.repetitions=0.1
  --timeout       kill the guest after this many seconds; counts as a failure
  --all           the whole matrix (vmtest/matrix.txt), full suite
  --smoke         the CI smoke (vmtest/smoke.txt): doctor and a subset on three guests
  --no-build      use target/classes and target/test-classes as they are

Prints one line per guest; exits 1 when a test failed or a guest hung or crashed. A download
that fails is reported loudly with the package's name and that guest is skipped (exit 0 unless
another guest failed), so a mirror hiccup cannot block CI.
EOF
}

CACHE=${RSEQ4J_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rseq4j-vmtest}
OUT_ROOT=$REPO/target/vmtest
JUNIT_VERSION=1.14.1
# The x86_64 guests run the host's JDK (Temurin needs nothing from the guest but glibc 2.17+):
# $RSEQ4J_VM_HOST_JDK, else $JAVA_HOME when it is a JDK 25 or newer, else Temurin 25's usual place.
HOST_JDK=${RSEQ4J_VM_HOST_JDK:-}
if [[ -z $HOST_JDK && -n ${JAVA_HOME:-} ]] \
        && grep -qE '^JAVA_VERSION="(2[5-9]|[3-9][0-9])' "$JAVA_HOME/release" 2>/dev/null; then
    HOST_JDK=$JAVA_HOME
fi
HOST_JDK=${HOST_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
# Every test class's fully qualified name ends in Test.
ALL_TESTS='.*Test'

arch=x86_64 kernel= userland= kernel_image= append= tests= timeout= mode=one build=1
properties=()
while (($#)); do
    case $1 in
        --arch) arch=$2; shift 2 ;;
        --kernel) kernel=$2; shift 2 ;;
        --userland) userland=$2; shift 2 ;;
        --kernel-image) kernel_image=$(realpath "$2"); shift 2 ;;
        --append) append=$2; shift 2 ;;
        --tests) tests=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --property) properties+=("$2"); shift 2 ;;
        --all) mode=all; shift ;;
        --smoke) mode=smoke; shift ;;
        --no-build) build=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

log() { echo "vmtest: $*" >&2; }
warn() {
    echo "vmtest: ******** WARNING ********" >&2
    echo "vmtest: $*" >&2
    echo "vmtest: *************************" >&2
}

kernel_suite() {
    case $1 in
        5.10) echo bullseye ;; 6.1) echo bookworm ;; 6.12) echo trixie ;; 7.2) echo sid ;;
        7.3) echo trixie-backports ;;
        *) echo "no Debian kernel known for $1 (use --kernel-image)" >&2; return 1 ;;
    esac
}
default_userland() { local s; s=$(kernel_suite "$1") || return 1; echo "${s%-backports}"; }
deb_arch() { case $1 in x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) return 1 ;; esac; }

# --- host tools --------------------------------------------------------------------------------

# shellcheck source=vmtest/host-tools.sh
. vmtest/host-tools.sh

# --- Debian packages through a private apt configuration ----------------------------------------

# The system's debian.sources entry for the main archive, with Suites: replaced. The system's own
# apt state is never touched: lists, cache and status live under $CACHE/apt/SUITE.
apt_for() {
    local suite=$1 dir=$CACHE/apt/$1 src=/etc/apt/sources.list.d/debian.sources
    if [[ ! -f $dir/apt.conf ]]; then
        mkdir -p "$dir"/etc/sources.list.d "$dir"/state/lists/partial "$dir"/cache/archives/partial
        touch "$dir/state/status"
        if [[ -f $src ]]; then
            awk 'BEGIN { RS = ""; ORS = "\n\n" } /URIs: [^\n]*\/debian\n/ { print; exit }' "$src" \
                | sed "s/^Suites:.*/Suites: $suite/" > "$dir/etc/sources.list.d/debian.sources"
        fi
        if ! grep -q '^URIs:' "$dir/etc/sources.list.d/debian.sources" 2>/dev/null; then
            printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
                "$suite" > "$dir/etc/sources.list.d/debian.sources"
        fi
        cat > "$dir/apt.conf" <<EOF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$dir/etc/sources.list.d";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "/dev/null";
Dir::State "$dir/state";
Dir::State::status "$dir/state/status";
Dir::Cache "$dir/cache";
APT::Architectures { "amd64"; "arm64"; };
Acquire::Languages "none";
Acquire::Retries "3";
EOF
    fi
    # Lists older than a day are refreshed; a failed refresh keeps the old ones if there are any.
    if [[ -z $(find "$dir/state/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null) ]]; then
        APT_CONFIG=$dir/apt.conf apt-get update -qq >"$dir/update.log" 2>&1 || {
            ls "$dir/state/lists/"*Packages* >/dev/null 2>&1 || { cat "$dir/update.log" >&2; return 1; }
        }
    fi
    echo "$dir/apt.conf"
}

# fetch_deb SUITE ARCH PACKAGE: path of the cached .deb (downloaded on first use).
fetch_deb() {
    local suite=$1 darch=$2 pkg=$3 conf dir file
    dir=$CACHE/debs/$suite
    mkdir -p "$dir"
    file=$(ls "$dir/${pkg}_"*"_$darch.deb" "$dir/${pkg}_"*"_all.deb" 2>/dev/null | head -n 1 || true)
    if [[ -z $file ]]; then
        conf=$(apt_for "$suite") || return 1
        (cd "$dir" && APT_CONFIG=$conf apt-get download -qq "$pkg:$darch/$suite" >/dev/null 2>"$dir/$pkg.err") \
            || { cat "$dir/$pkg.err" >&2; return 1; }
        file=$(ls "$dir/${pkg}_"*"_$darch.deb" "$dir/${pkg}_"*"_all.deb" 2>/dev/null | head -n 1)
    fi
    echo "$file"
}

# prefetch SUITE ARCH PACKAGE...: one apt-get call for the packages not cached yet (apt-get reads
# its lists once per call, which under load costs more than the download). Failures are left to
# fetch_deb, which names the package.
prefetch() {
    local suite=$1 darch=$2 pkg conf dir=$CACHE/debs/$1 missing=()
    shift 2
    mkdir -p "$dir"
    for pkg; do
        ls "$dir/${pkg}_"*"_$darch.deb" "$dir/${pkg}_"*"_all.deb" >/dev/null 2>&1 || missing+=("$pkg:$darch/$suite")
    done
    ((${#missing[@]})) || return 0
    conf=$(apt_for "$suite") || return 0
    (cd "$dir" && APT_CONFIG=$conf apt-get download -qq "${missing[@]}" >/dev/null 2>&1) || true
}

# The real package behind a metapackage, e.g. linux-image-cloud-amd64 -> linux-image-7.2.13+deb14-cloud-amd64.
resolve_meta() {
    local suite=$1 darch=$2 pkg=$3 conf
    conf=$(apt_for "$suite") || return 1
    APT_CONFIG=$conf apt-cache show "$pkg:$darch/$suite" 2>/dev/null \
        | sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\).*/\1/p' | head -n 1
}

extract_deb() { dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$2"; }

# --- guest pieces ---------------------------------------------------------------------------------

# kernel ARCH KERNEL: path of the kernel image, extracted from Debian's cloud kernel package.
kernel_image_for() {
    local arch=$1 kernel=$2 suite darch pkg part deb dir image
    suite=$(kernel_suite "$kernel") || return 1
    darch=$(deb_arch "$arch")
    dir=$CACHE/kernel/$arch-$kernel
    if [[ ! -f $dir/image ]]; then
        pkg=$(resolve_meta "$suite" "$darch" "linux-image-cloud-$darch")
        [[ -n $pkg ]] || { echo "linux-image-cloud-$darch ($suite): not found" >&2; return 1; }
        rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
        # Up to 7.1 linux-image-VERSION holds /boot/vmlinuz; from 7.2 on it is a metapackage over
        # linux-binary-VERSION (/usr/lib/modules/VERSION/vmlinuz) and linux-base-VERSION (config).
        for part in "$pkg" "${pkg/linux-image-/linux-binary-}" "${pkg/linux-image-/linux-base-}"; do
            [[ $part == "$pkg" ]] || [[ -n $(APT_CONFIG=$(apt_for "$suite") apt-cache show "$part:$darch/$suite" 2>/dev/null) ]] || continue
            deb=$(fetch_deb "$suite" "$darch" "$part") || { echo "package $part ($suite, $darch)" >&2; return 1; }
            extract_deb "$deb" "$dir.tmp"
        done
        # Where virtio-blk is a module (7.x), it and its dependencies come from linux-modules-VERSION.
        part=${pkg/linux-image-/linux-modules-}
        if [[ -n $(APT_CONFIG=$(apt_for "$suite") apt-cache show "$part:$darch/$suite" 2>/dev/null) ]]; then
            deb=$(fetch_deb "$suite" "$darch" "$part") || { echo "package $part ($suite, $darch)" >&2; return 1; }
            extract_deb "$deb" "$dir.tmp"
        fi
        collect_modules "$dir.tmp" "$dir.tmp/modules"
        image=$(ls "$dir.tmp"/boot/vmlinuz-* "$dir.tmp"/usr/lib/modules/*/vmlinuz 2>/dev/null | head -n 1)
        [[ -n $image ]] || { echo "no vmlinuz in package $pkg or its parts ($suite, $darch)" >&2; return 1; }
        cp "$dir.tmp"/boot/config-* "$dir.tmp/config" 2>/dev/null \
            || cp "$dir.tmp"/usr/lib/modules/*/config "$dir.tmp/config" 2>/dev/null || true
        unpack_kernel "$image" "$dir.tmp/image" || return 1
        echo "$pkg" > "$dir.tmp/package"
        rm -rf "$dir.tmp/boot" "$dir.tmp/usr" "$dir.tmp/lib" "$dir.tmp/etc" "$dir"
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir/image"
}

# The modules the guest needs to reach its disks, uncompressed (busybox insmod reads plain .ko),
# with their dependencies; built-in ones simply are not there.
VIRTIO_MODULES="virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_mmio virtio_blk"
collect_modules() {
    local tree=$1 out=$2 want=() seen=" " m path d
    mkdir -p "$out"
    want=($VIRTIO_MODULES)
    while ((${#want[@]})); do
        m=${want[0]}; want=("${want[@]:1}")
        [[ $seen == *" $m "* ]] && continue
        seen+="$m "
        # Packages carry no modules.dep (depmod makes it on install): find the file by name and
        # read its dependencies from its own modinfo section.
        path=$(find "$tree" -name "$m.ko*" -o -name "${m//_/-}.ko*" | head -n 1)
        [[ -n $path ]] || continue
        case $path in
            *.xz) xz -dc "$path" ;; *.zst) zstd -qdc "$path" ;; *.gz) gzip -dc "$path" ;; *) cat "$path" ;;
        esac > "$out/$m.ko"
        d=$(tr '\0' '\n' < "$out/$m.ko" | sed -n 's/^depends=//p' | head -n 1)
        want+=(${d//,/ })
    done
}

# initramfs MODULES_DIR BUSYBOX OUT: a tiny initramfs that loads the virtio modules, mounts the
# root image read-only and switches to it.
build_initramfs() {
    local modules=$1 busybox=$2 out=$3 dir
    dir=$(mktemp -d)
    mkdir -p "$dir"/{bin,dev,proc,sys,newroot,modules}
    cp "$busybox" "$dir/bin/busybox"
    cp "$modules"/*.ko "$dir/modules/" 2>/dev/null || true
    cat > "$dir/init" <<'EOF_INIT'
#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t devtmpfs dev /dev
$bb mount -t proc proc /proc
# Like vmtest/guest.sh's stop_guest: poweroff halts for good on a kernel without a power-off driver.
stop_guest() {
    $bb mount -t sysfs sys /sys
    if [ -d /sys/firmware/acpi ] || [ -d /sys/firmware/devicetree/base/psci ]; then $bb poweroff -f; fi
    $bb reboot -f
}
# A few passes load every module after its dependencies without reading modules.dep.
for pass in 1 2 3 4; do for m in /modules/*.ko; do [ -f "$m" ] && $bb insmod "$m" 2>/dev/null; done; done
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vdb ] && break; $bb sleep 1; done
$bb mount -t ext4 -o ro /dev/vda /newroot || { echo "vmtest: cannot mount the root image"; stop_guest; }
$bb umount /proc
$bb umount /dev
exec $bb switch_root /newroot /init
EOF_INIT
    chmod 755 "$dir/init"
    (cd "$dir" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
    rm -rf "$dir"
}

# arm64 kernels may come as an EFI zboot image (a PE file wrapping a compressed Image), which
# older QEMU cannot boot directly: unwrap it. Anything else is used as it is.
unpack_kernel() {
    local in=$1 out=$2 magic offset size comp
    magic=$(dd if="$in" bs=1 skip=4 count=4 2>/dev/null)
    if [[ $magic == zimg ]]; then
        offset=$(od -An -t u4 -j 8 -N 4 "$in" | tr -d ' ')
        size=$(od -An -t u4 -j 12 -N 4 "$in" | tr -d ' ')
        comp=$(dd if="$in" bs=1 skip=24 count=8 2>/dev/null | tr -d '\0')
        case $comp in
            gzip) tail -c +$((offset + 1)) "$in" | head -c "$size" | gzip -dc > "$out" ;;
            zstd) tail -c +$((offset + 1)) "$in" | head -c "$size" | zstd -dc > "$out" ;;
            xz) tail -c +$((offset + 1)) "$in" | head -c "$size" | xz -dc > "$out" ;;
            *) echo "unsupported zboot compression $comp" >&2; return 1 ;;
        esac
    else
        cp "$in" "$out"
    fi
}

busybox_for() {
    local arch=$1 suite=$2 file=$CACHE/busybox/$1-$2 deb dir
    if [[ ! -f $file ]]; then
        deb=$(fetch_deb "$suite" "$(deb_arch "$arch")" busybox-static) \
            || { echo "package busybox-static ($suite, $(deb_arch "$arch"))" >&2; return 1; }
        dir=$(mktemp -d)
        extract_deb "$deb" "$dir"
        mkdir -p "${file%/*}"
        cp "$(ls "$dir"/bin/busybox "$dir"/usr/bin/busybox 2>/dev/null | head -n 1)" "$file"
        rm -rf "$dir"
    fi
    echo "$file"
}

# The guest's /init: mount the work disk and hand over to the guest script on it, so changing
# vmtest/guest.sh never rebuilds a root image.
INIT='#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
# QEMU runs with -no-reboot, so a reset ends it on every kernel (poweroff halts for good on one
# without a power-off driver).
/bin/busybox mount -t ext4 -o rw /dev/vdb /work || { echo "vmtest: no work disk"; /bin/busybox reboot -f; }
# Run the script from memory, so that /work can be unmounted cleanly at the end.
/bin/busybox cp /work/guest.sh /dev/guest.sh
exec /bin/busybox sh /dev/guest.sh'

# root_image ARCH SUITE: a read-only ext4 image with the suite's libc and busybox and a JDK 25.
root_image() {
    local arch=$1 suite=$2 darch key img dir pkg deb pkgs jdk_src
    darch=$(deb_arch "$arch")
    key=$(printf '%s\n' "$INIT" "$HOST_JDK" 2 | sha1sum | cut -c1-8)
    img=$CACHE/root/$arch-$suite-$key.img
    [[ -f $img ]] && { echo "$img"; return 0; }
    dir=$CACHE/root/$arch-$suite.tmp
    rm -rf "$dir" && mkdir -p "$dir"/usr/{bin,sbin,lib,lib64} "$dir"/{dev,proc,sys,tmp,work,opt}
    # Merged /usr, so that packages from before and after the merge land in the same places.
    ln -s usr/bin "$dir/bin"; ln -s usr/sbin "$dir/sbin"; ln -s usr/lib "$dir/lib"; ln -s usr/lib64 "$dir/lib64"
    pkgs=(libc6 busybox-static)
    if [[ $arch == x86_64 ]]; then
        # Temurin needs nothing but libc; it runs on every suite's glibc here (2.31 and newer).
        [[ -x $HOST_JDK/bin/java ]] || { echo "no JDK at $HOST_JDK (set RSEQ4J_VM_HOST_JDK)" >&2; return 1; }
    else
        # Debian's arm64 OpenJDK 25 comes from trixie and needs glibc >= 2.38.
        pkgs+=(libgcc-s1 libstdc++6 zlib1g)
    fi
    prefetch "$suite" "$darch" "${pkgs[@]}"
    for pkg in "${pkgs[@]}"; do
        deb=$(fetch_deb "$suite" "$darch" "$pkg") || { echo "package $pkg ($suite, $darch)" >&2; return 1; }
        extract_deb "$deb" "$dir"
    done
    if [[ $arch == x86_64 ]]; then
        mkdir -p "$dir/opt/jdk"
        (cd "$HOST_JDK" && tar -c --exclude=./jmods --exclude=./lib/src.zip --exclude=./man \
            --exclude=./include --exclude=./demo .) | tar -x -C "$dir/opt/jdk"
    else
        local jsuite=trixie
        [[ $suite == sid ]] && jsuite=sid
        deb=$(fetch_deb "$jsuite" arm64 openjdk-25-jre-headless) \
            || { echo "package openjdk-25-jre-headless ($jsuite, arm64)" >&2; return 1; }
        extract_deb "$deb" "$dir"
        ln -s ../usr/lib/jvm/java-25-openjdk-arm64 "$dir/opt/jdk"
    fi
    printf '%s\n' "$INIT" > "$dir/init"
    chmod 755 "$dir/init"
    local mb=$(($(du -sm "$dir" | cut -f1) * 5 / 4 + 64))
    mke2fs -q -t ext4 -F -L vmroot -d "$dir" "$img.tmp" "${mb}M" >&2
    mv "$img.tmp" "$img"
    rm -rf "$dir"
    echo "$img"
}

junit_jar() {
    local jar=$CACHE/junit-platform-console-standalone-$JUNIT_VERSION.jar
    local m2=$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$JUNIT_VERSION/junit-platform-console-standalone-$JUNIT_VERSION.jar
    if [[ ! -f $jar ]]; then
        mkdir -p "$CACHE"
        if [[ ! -f $m2 ]]; then
            mvn -B -q dependency:get -Dtransitive=false \
                -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_VERSION >&2 || return 1
        fi
        cp "$m2" "$jar"
    fi
    echo "$jar"
}

# --- accelerator --------------------------------------------------------------------------------

# KVM is used when /dev/kvm exists, the guest has the host's architecture, and a test boot
# actually reaches the kernel (on some machines /dev/kvm opens but the first instruction fails
# with "KVM internal error"). The answer is cached per host boot.
accel_for() {
    local arch=$1 image=$2 stamp
    if [[ -n ${RSEQ4J_VM_ACCEL:-} ]]; then echo "$RSEQ4J_VM_ACCEL"; return; fi
    if [[ $arch == "$(uname -m)" && -w /dev/kvm ]]; then
        stamp=$CACHE/kvm-$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
        if [[ ! -f $stamp ]]; then
            if timeout 60 "$(qemu_for "$arch")" -accel kvm $(machine_for "$arch" kvm) -m 256 \
                -display none -serial stdio -monitor none -no-reboot -kernel "$image" \
                -append "console=$(console_for "$arch") panic=-1" 2>&1 \
                | grep -q -m 1 'Linux version'; then
                echo kvm > "$stamp"
            else
                echo tcg > "$stamp"
            fi
        fi
        [[ $(cat "$stamp") == kvm ]] && { echo kvm; return; }
    fi
    # x86_64 guests need single-threaded TCG: under thread=multi the JVM crashed at random in
    # JIT-compiled code. aarch64 guests ran cleanly multi-threaded.
    if [[ $arch == x86_64 ]]; then echo tcg,thread=single; else echo tcg,thread=multi; fi
}
qemu_for() { echo "qemu-system-$1"; }
machine_for() {
    if [[ $1 == x86_64 ]]; then
        [[ ${2:-} == kvm ]] && echo "-M q35 -cpu host" || echo "-M q35 -cpu max"
    else
        [[ ${2:-} == kvm ]] && echo "-M virt -cpu host" || echo "-M virt -cpu max"
    fi
}
console_for() { [[ $1 == x86_64 ]] && echo ttyS0 || echo ttyAMA0; }

# --- one guest ----------------------------------------------------------------------------------

SUMMARY=()
FAILED=0

build_classes() {
    ((build)) || return 0
    log "building classes on the host (mvn test-compile)"
    JAVA_HOME=${JAVA_HOME:-$HOST_JDK} mvn -B -q test-compile >&2
}

# The test classes' own dependencies (e.g. HdrHistogram) for the guest's class path; JUnit itself
# comes from the console launcher's standalone jar.
TEST_LIBS=$OUT_ROOT/test-libs
copy_test_libs() {
    rm -rf "$TEST_LIBS"
    JAVA_HOME=${JAVA_HOME:-$HOST_JDK} mvn -B -q dependency:copy-dependencies -DincludeScope=test \
        -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
        -DoutputDirectory="$TEST_LIBS" >&2
}

# run_guest ARCH KERNEL USERLAND TESTS TIMEOUT PROPERTIES...
run_guest() {
    local arch=$1 kernel=$2 suite=$3 pattern=$4 limit=$5
    shift 5
    local name="$arch $kernel $suite" out image root jar busybox accel work mb started rc cmdline
    out=$OUT_ROOT/$arch-$kernel-$suite
    rm -rf "$out" && mkdir -p "$out/work/results"
    if [[ -n $kernel_image ]]; then
        image=$kernel_image
    elif ! image=$(kernel_image_for "$arch" "$kernel" 2>"$out/download.err"); then
        warn "$name: SKIPPED, download failed: $(tr '\n' ' ' < "$out/download.err")"
        SUMMARY+=("$name: SKIPPED (download failed: $(tail -n 1 "$out/download.err"))")
        return 0
    fi
    if ! root=$(root_image "$arch" "$suite" 2>"$out/download.err") || ! jar=$(junit_jar 2>>"$out/download.err"); then
        warn "$name: SKIPPED, download failed: $(tr '\n' ' ' < "$out/download.err")"
        SUMMARY+=("$name: SKIPPED (download failed: $(tail -n 1 "$out/download.err"))")
        return 0
    fi
    if ! busybox=$(busybox_for "$arch" "$suite" 2>>"$out/download.err"); then
        warn "$name: SKIPPED, download failed: $(tr '\n' ' ' < "$out/download.err")"
        SUMMARY+=("$name: SKIPPED (download failed: $(tail -n 1 "$out/download.err"))")
        return 0
    fi
    build_initramfs "${image%/*}/modules" "$busybox" "$out/initramfs.gz"
    work=$out/work
    cp -r target/classes "$work/classes"
    cp -r target/test-classes "$work/test-classes"
    cp -r "$TEST_LIBS" "$work/lib"
    cp "$jar" "$work/junit.jar"
    cp vmtest/guest.sh "$work/guest.sh"
    {
        printf 'TESTS=%q\n' "$pattern"
        printf 'PROPERTIES=%q\n' "$*"
    } > "$work/params"
    mb=$(($(du -sm "$work" | cut -f1) + 128))
    mke2fs -q -t ext4 -F -L vmwork -d "$work" "$out/work.img" "${mb}M" >&2
    accel=$(accel_for "$arch" "$image")
    cmdline="console=$(console_for "$arch") panic=-1 quiet"
    # Linux 7.x checks that user space leaves the kernel-owned fields of struct rseq alone when
    # booted with rseq_debug=1 (kernel/rseq.c); a write rseq4j made there would kill the test JVM.
    [[ $kernel == 7.* ]] && cmdline+=" rseq_debug=1"
    [[ -n $append ]] && cmdline+=" $append"
    echo "$accel $cmdline" > "$out/qemu-args"
    log "$name: booting ($accel, timeout ${limit}s; console: $out/console.log)"
    started=$(date +%s)
    rc=0
    timeout --kill-after=10 "$limit" "$(qemu_for "$arch")" -accel "$accel" $(machine_for "$arch" "${accel%%,*}") \
        -smp 2 -m 3072 -display none -monitor none -no-reboot -serial "file:$out/console.log" \
        -kernel "$image" -initrd "$out/initramfs.gz" -append "$cmdline" \
        -drive "file=$root,if=virtio,format=raw,readonly=on" \
        -drive "file=$out/work.img,if=virtio,format=raw" \
        -nic none </dev/null || rc=$?
    local wall=$(($(date +%s) - started))
    debugfs -R "rdump /results $out" "$out/work.img" >/dev/null 2>&1 || true
    rm -f "$out/work.img"
    local label=subset
    [[ $pattern == "$ALL_TESTS" ]] && label=all
    [[ -n $* ]] && label+=" ($*)"
    report_guest "$name" "$out" "$rc" "$wall" "$label"
}

# report_guest NAME OUT QEMU_RC WALL: the one-line summary, and FAILED when something went wrong.
report_guest() {
    local name=$1 out=$2 rc=$3 wall=$4 pattern_label=$5 res=$2/results xml libc owner fs align tests=0 failures=0 errors=0 skipped=0 line
    if [[ -f $res/libc ]]; then libc=$(sed -n 's/.*release version \([0-9][0-9.]*[0-9]\).*/glibc \1/p' "$res/libc" | head -n 1); fi
    for xml in "$res"/junit/TEST-*.xml; do
        [[ -f $xml ]] || continue
        tests=$((tests + $(xml_attr tests "$xml")))
        failures=$((failures + $(xml_attr failures "$xml")))
        errors=$((errors + $(xml_attr errors "$xml")))
        skipped=$((skipped + $(xml_attr skipped "$xml")))
    done
    owner=$(json_field owner "$res/doctor.json")
    fs=$(json_field featureSize "$res/doctor.json")
    align=$(json_field alignment "$res/doctor.json")
    line="$name(${libc:-libc ?}): $((tests - failures - errors - skipped)) passed, $((failures + errors)) failed, $skipped skipped; owner ${owner:-?}; featureSize ${fs:-?}; alignment ${align:-?}; ${wall}s"
    if ((rc == 124 || rc == 137)); then
        line+="; HUNG: killed after the timeout"; FAILED=1
    elif [[ ! -f $res/junit.rc ]]; then
        line+="; FAILED: the guest stopped before the tests finished (qemu exit $rc; see $out/console.log)"; FAILED=1
    elif [[ $(cat "$res/junit.rc") != 0 ]] || ((failures + errors)); then
        line+="; FAILED"; FAILED=1
    fi
    if [[ -f $res/doctor.rc && $(cat "$res/doctor.rc") != 0 ]]; then line+="; doctor exit $(cat "$res/doctor.rc")"; fi
    [[ -f $res/rseq_debug ]] && line+="; rseq_debug $(cat "$res/rseq_debug")"
    [[ -f $res/slice_ext_nsec ]] && line+="; slice_ext_nsec $(cat "$res/slice_ext_nsec")"
    echo "$line" > "$out/summary"
    # A row for vmtest/results.md (see vmtest/README.md).
    local status=passed
    [[ $line == *FAILED* || $line == *HUNG* ]] && status=FAILED
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(date -u +%F)" \
        "$(cut -d' ' -f1 <<<"$name")" "$(cat "$res/uname" 2>/dev/null || echo "${name#* }")" \
        "$(cut -d' ' -f3 <<<"$name") (${libc:-?})" "${owner:-?}" "${fs:-?}" "${align:-?}" "$tests" \
        "$((failures + errors))" "$skipped" "${wall}s" "$pattern_label" "$status" > "$out/row.md"
    SUMMARY+=("$line")
    echo "$line"
}

xml_attr() { sed -n "s/.*<testsuite [^>]*\b$1=\"\([0-9]*\)\".*/\1/p" "$2" | head -n 1 | grep . || echo 0; }
json_field() { [[ -f $2 ]] && sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" "$2" | head -n 1 || true; }

# --- main ---------------------------------------------------------------------------------------

need_tools qemu-system-x86_64:qemu-system-x86 qemu-system-aarch64:qemu-system-arm \
    mke2fs:e2fsprogs debugfs:e2fsprogs cpio:cpio xz:xz-utils zstd:zstd
build_classes
mkdir -p "$OUT_ROOT" "$CACHE"
copy_test_libs

run_list() {
    local file=$1 row_arch row_kernel row_suite row_tests row_timeout row_props
    while read -r row_arch row_kernel row_suite row_tests row_timeout row_props; do
        [[ -z $row_arch || $row_arch == \#* ]] && continue
        [[ $row_tests == all ]] && row_tests=$ALL_TESTS
        # shellcheck disable=SC2086
        run_guest "$row_arch" "$row_kernel" "$row_suite" "$row_tests" "${timeout:-$row_timeout}" $row_props
    done < "$file"
}

case $mode in
    all) run_list vmtest/matrix.txt ;;
    smoke) run_list vmtest/smoke.txt ;;
    one)
        if [[ -n $kernel_image ]]; then
            kernel=${kernel:-custom} userland=${userland:-sid}
        else
            kernel=${kernel:-6.12}
            [[ -n $userland ]] || userland=$(default_userland "$kernel")
        fi
        run_guest "$arch" "$kernel" "$userland" "${tests:-$ALL_TESTS}" "${timeout:-3600}" "${properties[@]}"
        ;;
esac

echo "---- vmtest summary"
printf '%s\n' "${SUMMARY[@]}"
exit "$FAILED"
