package io.github.rseq4j.internal.sys;

import io.github.rseq4j.internal.binding.RseqNative;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU numbering facts the per-CPU structures size themselves by. */
public final class Cpus {
    private Cpus() {}

    /**
     * One more than the highest CPU number the kernel may ever report (cpu_id and mm_cid stay
     * below it): from /sys/devices/system/cpu/possible, else the configured CPU count.
     */
    public static final int POSSIBLE = possible();

    private static int possible() {
        try {
            String ranges = Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim();
            int highest = -1;
            for (String range : ranges.split(",")) {
                String last = range.substring(range.indexOf('-') + 1);
                highest = Math.max(highest, Integer.parseInt(last));
            }
            return highest + 1;
        } catch (IOException | RuntimeException unreadable) {
            return (int) Math.max(1, RseqNative.sysconf(RseqNative._SC_NPROCESSORS_CONF()));
        }
    }
}
