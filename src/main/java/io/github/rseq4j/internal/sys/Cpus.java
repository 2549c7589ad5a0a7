package io.github.rseq4j.internal.sys;

import io.github.rseq4j.internal.binding.RseqNative;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU numbering facts the per-CPU structures size themselves by. */
public final class Cpus {
    private Cpus() {}

    private static final Path POSSIBLE_MASK = Path.of("/sys/devices/system/cpu/possible");

    private record Possible(int count, String unknownReason) {}

    private static final Possible READ = possible();

    /**
     * One more than the highest CPU number the kernel may ever report (cpu_id and mm_cid stay below it), from
     * {@code /sys/devices/system/cpu/possible}. When that mask cannot be read ({@link #UNKNOWN_REASON} is not
     * empty) this is the configured CPU count, which is a count and not a numbering (gaps, offline CPUs) and so
     * may be too small: it then only sizes structures that map every CPU number outside it to a shared slot.
     */
    public static final int POSSIBLE = READ.count;

    /** Why the possible-CPU mask is unknown; empty when it was read. */
    public static final String UNKNOWN_REASON = READ.unknownReason;

    private static Possible possible() {
        try {
            String ranges = Files.readString(POSSIBLE_MASK).trim();
            int highest = -1;
            for (String range : ranges.split(",")) {
                String last = range.substring(range.indexOf('-') + 1);
                highest = Math.max(highest, Integer.parseInt(last));
            }
            if (highest < 0) {
                throw new NumberFormatException("no CPU in \"" + ranges + "\"");
            }
            return new Possible(highest + 1, "");
        } catch (IOException | RuntimeException unreadable) {
            int configured = (int) Math.max(1, RseqNative.sysconf(RseqNative._SC_NPROCESSORS_CONF()));
            return new Possible(configured, POSSIBLE_MASK + " is unreadable (" + unreadable
                    + "), so the highest possible CPU number is unknown");
        }
    }
}
