# Runs inside the guest (busybox sh), started by the root image's /init with the work disk on
# /work. Writes everything the host reads back under /work/results, then powers off.
bb=/bin/busybox
# Ends the guest. A kernel without a power-off driver (no ACPI on x86_64, no PSCI on aarch64, e.g.
# vmtest/build-slice-kernel.sh's) turns poweroff into a halt that never returns and never ends
# QEMU; there reboot instead: QEMU runs with -no-reboot, so a reset ends it too.
stop_guest() {
    if [ -d /sys/firmware/acpi ] || [ -d /sys/firmware/devicetree/base/psci ]; then $bb poweroff -f; fi
    $bb reboot -f
}
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t tmpfs tmp /tmp
$bb mkdir -p /tmp/bin
$bb --install -s /tmp/bin
export PATH=/tmp/bin HOME=/tmp LANG=C.UTF-8
. /work/params
R=/work/results
mkdir -p $R/junit

uname -r > $R/uname
for libc in /lib/*-linux-gnu/libc.so.6; do "$libc" > $R/libc 2>&1; break; done
echo "vmtest guest: $(uname -r) $(uname -m), $(head -n 1 $R/libc), $(nproc) CPUs"
# Linux 7.x: whether the kernel's rseq debug validation is on (rseq_debug=1 on the command line).
if mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null && [ -f /sys/kernel/debug/rseq/debug ]; then
    cat /sys/kernel/debug/rseq/debug > $R/rseq_debug
fi
# Time-slice extensions (CONFIG_RSEQ_SLICE_EXTENSION): the longest extension the kernel allows,
# 50 us instead of 5. Under TCG on a loaded host QEMU's vCPU thread can lose the host CPU for
# longer than 5 us of the guest's clock, so grants expired before SliceExtensionTest's next poll
# of `granted` (seen: no grant in 6 requests while a mvn verify ran beside the guest).
if [ -f /sys/kernel/debug/rseq/slice_ext_nsec ]; then
    echo 50000 > /sys/kernel/debug/rseq/slice_ext_nsec
    cat /sys/kernel/debug/rseq/slice_ext_nsec > $R/slice_ext_nsec
fi

JAVA="/opt/jdk/bin/java --enable-native-access=ALL-UNNAMED -XX:-UsePerfData -XX:ErrorFile=$R/hs_err_%p.log"
# Forked test JVMs get 15 minutes instead of 2: everything runs several times slower emulated.
props=-Drseq4j.test.forkTimeoutSeconds=900
for p in $PROPERTIES; do props="$props -D$p"; done

$JAVA -cp /work/classes io.github.rseq4j.doctor.Doctor --json > $R/doctor.json 2> $R/doctor.err
echo $? > $R/doctor.rc
echo "vmtest guest: doctor exit $(cat $R/doctor.rc)"
cat $R/doctor.json

cd /tmp
# shellcheck disable=SC2086
$JAVA $props -cp '/work/junit.jar:/work/classes:/work/test-classes:/work/lib/*' \
    org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors --details=tree \
    --scan-class-path /work/test-classes --include-classname "$TESTS" --reports-dir $R/junit \
    > $R/junit.log 2>&1
rc=$?
cat $R/junit.log
echo $rc > $R/junit.rc
echo "vmtest guest: junit exit $rc"
cd /
sync
umount /work
stop_guest
