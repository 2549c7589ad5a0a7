package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqUsers;
import io.github.rseq4j.internal.sys.Libc;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one place internal enums become API enums, and the other rseq users the API reports. */
class RseqSupportTest {

    @Test
    void everyInternalOwnerHasTheApiOwnerOfItsName() {
        for (AreaOwner owner : AreaOwner.values()) {
            assertEquals(owner.name(), RseqSupport.owner(owner).name());
        }
        assertEquals(RseqSupport.owner(RseqAbi.OWNER), RseqSupport.probe().owner());
    }

    @Test
    void everyModeHasItsOwnImplementation() {
        EnumSet<PerCpuImplementation> named = EnumSet.noneOf(PerCpuImplementation.class);
        Arrays.stream(PerCpuSections.Mode.values()).map(RseqSupport::implementation).forEach(named::add);
        assertEquals(EnumSet.allOf(PerCpuImplementation.class), named);
        assertEquals(PerCpuImplementation.SECTIONS_ON_GLIBC_AREA,
                RseqSupport.implementation(PerCpuSections.Mode.TLS));
        assertEquals(RseqSupport.implementation(PerCpuSections.MODE), RseqSupport.probe().perCpuImplementation());
    }

    @Test
    void otherUsersNameGlibcWhereItRegistersAndOtherCopiesWithTheirVersions() {
        String saved = System.getProperty(RseqUsers.REGISTRARS_PROPERTY);
        String otherCopy = "rseq4j in class loader 'plugin' from file:/plugins/rseq4j.jar, version 0.0.9";
        System.setProperty(RseqUsers.REGISTRARS_PROPERTY, otherCopy);
        List<RseqSupport.OtherUser> users;
        try {
            users = RseqSupport.otherUsers();
        } finally {
            if (saved == null) {
                System.clearProperty(RseqUsers.REGISTRARS_PROPERTY);
            } else {
                System.setProperty(RseqUsers.REGISTRARS_PROPERTY, saved);
            }
        }
        RseqSupport support = RseqSupport.probe();
        List<RseqSupport.OtherUser> glibc = users.stream().filter(user -> user.name().equals("glibc")).toList();
        if (support.glibcRseqSize() > 0) {
            assertEquals(1, glibc.size(), users.toString());
            assertEquals(Libc.glibcVersion(), glibc.getFirst().version());
            assertTrue(glibc.getFirst().detail().contains("__rseq_size " + support.glibcRseqSize()), users.toString());
        } else {
            assertEquals(List.of(), glibc, "glibc registers nothing here");
        }
        assertEquals(new RseqSupport.OtherUser("rseq4j", "0.0.9", otherCopy), users.getLast());
    }

    @Test
    void errnoNameNamesTheErrnoAsRseqExceptionDoes() {
        assertEquals("ENOSYS", unavailableWith(38).errnoName());
        assertEquals("EPERM", unavailableWith(1).errnoName());
        assertEquals("errno 95", unavailableWith(95).errnoName(), "an errno rseq4j does not know");
        assertEquals("", unavailableWith(0).errnoName(), "no errno: rseq available, or native access denied");
        assertEquals("", RseqSupport.probe().available() ? RseqSupport.probe().errnoName() : "");
    }

    private static RseqSupport unavailableWith(int errno) {
        return new RseqSupport(false, Owner.NONE, 20, 20, 32, 32, 0, 0, "x86_64", 0x53053053, errno, "blocked",
                PerCpuImplementation.ATOMICS, "rseq unavailable", false, "rseq is unavailable", true);
    }
}
