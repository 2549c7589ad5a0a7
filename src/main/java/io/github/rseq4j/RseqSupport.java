package io.github.rseq4j;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqUsers;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Native;
import java.util.List;
import java.util.Locale;

/**
 * What rseq offers in this process, decided once when rseq4j is first used. Probing has no
 * side effect: it makes the system call {@code rseq(NULL, 0, 0, 0)}, which a kernel with rseq
 * rejects with EINVAL and one without (or a seccomp filter) with ENOSYS.
 *
 * <p>Where the JVM denies rseq4j native access ({@code --illegal-native-access=deny} without the
 * {@code --enable-native-access} that names rseq4j), nothing can be probed: {@link #nativeAccess()} is false,
 * {@link #reason()} names the flag to pass, and every other component is unknown: false, 0, empty,
 * {@link Owner#NONE}, or null for {@link #perCpuImplementation()}. Every other entry point of rseq4j then
 * throws {@link UnsatisfiedLinkError} with the same advice.
 *
 * @param available   whether the rseq system call can be used
 * @param owner       who registers the threads' areas
 * @param featureSize bytes of struct rseq the kernel fills (AT_RSEQ_FEATURE_SIZE, else 20)
 * @param usableSize  bytes of the area rseq4j reads: the feature size, capped by what glibc registered
 * @param alignment   alignment the kernel requires of an area (AT_RSEQ_ALIGN, at least 32)
 * @param registrationLength length rseq4j registers its own areas with
 * @param glibcRseqSize glibc's {@code __rseq_size}; 0 when glibc registered nothing
 * @param glibcRseqOffset glibc's {@code __rseq_offset}; 0 when glibc registered nothing
 * @param arch        the architecture, as {@code uname -m} spells it
 * @param signature   the abort-handler signature (RSEQ_SIG) of this architecture
 * @param errno       0, or the errno that made rseq unavailable
 * @param reason      empty, or why rseq is unavailable and what to do
 * @param perCpuImplementation how {@link PerCpuCounter} and the other per-CPU structures run here; null
 *                    without native access, where they cannot be built
 * @param perCpuFallbackReason empty, or why the per-CPU structures run on
 *                    {@link PerCpuImplementation#ATOMICS} and what to do
 * @param sliceExtension whether the kernel grants time-slice extensions to {@link RseqSlice} requests here
 * @param sliceExtensionReason empty, or why {@link RseqSlice#request()} does nothing here and what to do
 * @param nativeAccess whether the JVM lets rseq4j make FFM's restricted calls; when false nothing else was
 *                    probed
 */
public record RseqSupport(boolean available, Owner owner, int featureSize, int usableSize, int alignment,
                          int registrationLength, int glibcRseqSize, long glibcRseqOffset, String arch, int signature,
                          int errno, String reason,
                          PerCpuImplementation perCpuImplementation, String perCpuFallbackReason,
                          boolean sliceExtension, String sliceExtensionReason, boolean nativeAccess) {

    /** A class of its own, so that it is initialized, and the system probed, only with native access. */
    private static final class Probed {
        static final RseqSupport VALUE = new RseqSupport(RseqAbi.AVAILABLE, owner(RseqAbi.OWNER),
                RseqAbi.FEATURE_SIZE, RseqAbi.USABLE_SIZE, RseqAbi.ALIGNMENT, RseqAbi.REGISTRATION_LENGTH,
                RseqAbi.GLIBC_SIZE, RseqAbi.GLIBC_OFFSET, RseqAbi.ARCH.name(), RseqAbi.SIGNATURE,
                RseqAbi.UNAVAILABLE_ERRNO, RseqAbi.unavailableReason(),
                implementation(PerCpuSections.MODE), PerCpuSections.FALLBACK_REASON,
                SliceProbe.AVAILABLE, SliceProbe.REASON, true);
    }

    /**
     * What rseq offers in this process. The first call (of this or any other rseq4j method)
     * probes; later calls return the same record. Never throws: without native access it
     * returns a record whose {@link #nativeAccess()} is false, so an application can fall back.
     *
     * @return the probed support
     */
    public static RseqSupport probe() {
        return Native.accessDenied() ? withoutNativeAccess() : Probed.VALUE;
    }

    /**
     * Another user of rseq in this process, as {@link #otherUsers()} sees it.
     *
     * @param name    {@code "glibc"}, {@code "librseq"} or {@code "rseq4j"} (another copy, in another class loader)
     * @param version its version where it tells (glibc's, librseq's shared-object suffix, the other copy's jar
     *                version), else empty
     * @param detail  what it is and what it registers, in words, for a report
     */
    public record OtherUser(String name, String version, String detail) {}

    /**
     * The other users of rseq seen in this process now, for diagnostics: glibc where it registered the threads
     * (its {@link #glibcRseqSize()} is not 0), librseq where its shared object is mapped (it registers the threads
     * that ask it to), and every other copy of rseq4j that registered a thread (each names itself in a system
     * property). A native library that calls rseq(2) itself leaves no trace and is not listed. Each call looks
     * again: librseq or another copy may appear later.
     *
     * @return the users, in that order; empty without native access, where nothing is probed
     */
    public static List<OtherUser> otherUsers() {
        if (Native.accessDenied()) {
            return List.of();
        }
        RseqSupport support = Probed.VALUE;
        return RseqUsers.others(support.glibcRseqSize(), support.glibcRseqOffset()).stream()
                .map(user -> new OtherUser(user.name(), user.version(), user.detail())).toList();
    }

    /** The internals' owner as the API names it: the one place they meet. */
    static Owner owner(AreaOwner owner) {
        return switch (owner) {
            case GLIBC -> Owner.GLIBC;
            case RSEQ4J -> Owner.RSEQ4J;
            case NONE -> Owner.NONE;
        };
    }

    /** The internals' per-CPU mode as the API names it: the one place they meet. */
    static PerCpuImplementation implementation(PerCpuSections.Mode mode) {
        return switch (mode) {
            case TLS -> PerCpuImplementation.SECTIONS_ON_GLIBC_AREA;
            case REGISTER -> PerCpuImplementation.SECTIONS_ON_OWN_AREAS;
            case ATOMIC -> PerCpuImplementation.ATOMICS;
        };
    }

    private static RseqSupport withoutNativeAccess() {
        String hint = Native.accessHint();
        return new RseqSupport(false, Owner.NONE, 0, 0, 0, 0, 0, 0, "", 0, 0, hint, null, hint, false, hint, false);
    }

    /**
     * Whether {@link RseqSlice} requests reach the kernel here (Linux 7.0 built with
     * {@code CONFIG_RSEQ_SLICE_EXTENSION}, not booted with {@code rseq_slice_ext=0}, and threads
     * registered longer than 32 bytes); {@link #sliceExtensionReason()} says why not.
     *
     * @return the same as {@link #sliceExtension()}
     */
    public boolean hasSliceExtension() {
        return sliceExtension;
    }

    /**
     * The signature as hex.
     *
     * @return e.g. {@code "0x53053053"}
     */
    public String signatureHex() {
        return String.format(Locale.ROOT, "0x%08x", signature);
    }

    /**
     * The symbolic name of {@link #errno()}, as {@link RseqException#errnoName()} gives it, for reports and logs.
     *
     * @return the name, e.g. {@code "ENOSYS"}; empty when {@link #errno()} is 0; a placeholder naming the number,
     *         e.g. {@code "errno 95"}, for an errno rseq4j does not know
     */
    public String errnoName() {
        return errno == 0 ? "" : Errno.name(errno);
    }

    /**
     * Whether the kernel keeps {@code node_id} (Linux 6.3) current in the area rseq4j reads.
     *
     * @return true if {@link RseqThread#currentNode()} reads the area
     */
    public boolean hasNodeId() {
        return usableSize >= RseqAbi.NODE_ID + Integer.BYTES;
    }

    /**
     * Whether the kernel keeps {@code mm_cid} (Linux 6.3) current in the area rseq4j reads.
     *
     * @return true if {@link RseqThread#currentMmCid()} can answer
     */
    public boolean hasMmCid() {
        return usableSize >= RseqAbi.MM_CID + Integer.BYTES;
    }
}
