package io.github.rseq4j.doctor;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;

/**
 * One register()/unregister() round trip on a fresh thread, whose registration count starts
 * at 0, compared with what the owner of rseq implies.
 */
final class RegistrationCheck {
    private RegistrationCheck() {}

    static final String NAME = "registration";

    /** RSEQ_CPU_ID_UNINITIALIZED: what the kernel writes to cpu_id when an area is unregistered. */
    private static final int UNINITIALIZED = -1;

    /** What the thread saw while registered and after unregistering. */
    private record Trace(int registrations, int cpuId, int registrationsAfter, boolean registeredAfter,
                         int cpuIdAfter) {

        static Trace ofFreshThread() {
            RseqThread handle = RseqThread.register().thread();
            int registrations = handle.registrations();
            int cpuId = handle.cpuId();
            handle.unregister();
            return new Trace(registrations, cpuId, handle.registrations(), handle.isRegistered(), handle.cpuId());
        }

        @Override
        public String toString() {
            return "after register(): registrations() " + registrations + ", cpu_id " + cpuId
                    + "; after unregister(): registrations() " + registrationsAfter + ", isRegistered() "
                    + registeredAfter + ", cpu_id " + cpuIdAfter;
        }
    }

    static Check run(RseqSupport rseq) {
        Trace trace = DoctorThreads.call("rseq4j-doctor-registration", Trace::ofFreshThread);
        boolean glibc = rseq.owner() == Owner.GLIBC;
        // glibc's registration outlives ours; rseq4j's own area must be gone, which the kernel
        // shows by resetting cpu_id.
        boolean ok = trace.registrations == 1 && trace.cpuId >= 0 && trace.registrationsAfter == 0
                && trace.registeredAfter == glibc
                && (glibc ? trace.cpuIdAfter >= 0 : trace.cpuIdAfter == UNINITIALIZED);
        if (!ok) {
            return Check.problem(NAME, "unexpected round trip (" + rseq.owner().label() + " owns rseq): " + trace,
                    "another library may register or unregister rseq for rseq4j's threads; if none does, "
                            + "report this output at " + Check.ISSUES);
        }
        String how = glibc
                ? "register() adopted glibc's area without a system call, unregister() left glibc's registration "
                        + "in place"
                : "register() registered rseq4j's own " + rseq.registrationLength() + "-byte area with rseq(2), "
                        + "unregister() released it (the kernel reset cpu_id to -1)";
        return Check.ok(NAME, how + "; " + trace);
    }
}
