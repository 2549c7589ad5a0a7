package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.rseq4j.internal.cs.SectionConfig.Addressing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The order rseq depends on, asserted on the decoded instructions (mnemonic and operands) of every template,
 * both architectures, every addressing, index field and delay setting. Between entry and post_commit:
 * <ul>
 *   <li>the descriptor's address is stored to the area's {@code rseq_cs} field exactly once, before start_ip
 *       (storing it later leaves the index load unprotected);
 *   <li>the index field is loaded exactly once, after start_ip;
 *   <li>that loaded index is compared with the slot count {@link SectionConfig#indexLimit()} (an immediate, or
 *       on aarch64 a movz/movk constant above 4095), and an unsigned at-or-above branch leaves for
 *       {@code index_out_of_range}, before any store and before the index is changed;
 *   <li>in templates that take an expected index (the cmpeqv family), that loaded index is compared with the
 *       expected-index argument, and the branch leaves for {@code index_mismatch}, before any store of the
 *       section; then {@code *v} is compared with the expected value, leaving for {@code compare_failed}, before
 *       any store;
 *   <li>in templates that find their word from the index ({@code pushRecord}, {@code popRecord},
 *       {@code popNode}, {@code pushNode}), a branch leaves for {@code compare_failed} before any store of the
 *       section;
 *   <li>{@code pushRecord}, {@code popRecord}: the count is loaded from the index's word once, after the range
 *       check, and (less one for a pop) compared with {@code capacity}, an unsigned at-or-above branch leaving
 *       for {@code compare_failed} before any other use; the commit stores that count (plus one for a push);
 *   <li>the commit is the last instruction before post_commit, and writes where the operation says (the
 *       index's slot for every template but the cmpeqv family,
 *       {@code *v} otherwise).
 *   <li>{@code addEach}: the offset is loaded from the cursor (argument 1) once, after the index's range check,
 *       and compared with {@code maxOffset} (argument 4), an unsigned above branch leaving for
 *       {@code compare_failed} before any store; after post_commit the cursor advances by 8 and the code jumps
 *       back to {@code next}, which precedes the arming store, so every element runs armed.
 * </ul>
 * Instructions in between (delay loops, further checks) are allowed. The listing parsed here is the one
 * {@link SectionsMatchGnuAsTest} assembles and compares byte for byte with the emitted code.
 */
class SectionOrderTest {

    /** One line of a listing: a label ({@code mnemonic} null) or an instruction with its operands. */
    record Line(String label, String mnemonic, List<String> operands) {
        boolean is(String m) {
            return m.equals(mnemonic);
        }
    }

    /** A memory operand: {@code %fs:} absolute, or base register (canonical 64-bit name) with displacement. */
    record Mem(boolean fs, String base, String index, long disp) {}

    static List<Line> parse(String listing) {
        List<Line> lines = new ArrayList<>();
        for (String raw : listing.lines().map(String::strip).toList()) {
            if (raw.endsWith(":")) {
                lines.add(new Line(raw.substring(0, raw.length() - 1), null, List.of()));
            } else if (!raw.isEmpty() && !raw.startsWith(".")) {
                String text = raw.replaceFirst("^\\{disp32\\} ", "").replaceFirst("\\s*/\\*.*\\*/$", "");
                int space = text.indexOf(' ');
                String mnemonic = space < 0 ? text : text.substring(0, space);
                lines.add(new Line(null, mnemonic, space < 0 ? List.of() : splitOperands(text.substring(space + 1))));
            }
        }
        return lines;
    }

    /** Splits on commas outside () and []. */
    private static List<String> splitOperands(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0, from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            depth += c == '(' || c == '[' ? 1 : c == ')' || c == ']' ? -1 : 0;
            if (c == ',' && depth == 0) {
                out.add(s.substring(from, i).strip());
                from = i + 1;
            }
        }
        out.add(s.substring(from).strip());
        return out;
    }

    // ---------------------------------------------------------------------------------------------------
    // The two architectures' operand syntax, as far as the templates' shapes need it.

    /** What the assertions need to know about one architecture's listing. */
    interface Isa {
        /**
         * The canonical name of a register operand (x86 {@code %eax} -> {@code rax}, aarch64 {@code w10} ->
         * {@code x10}), or null.
         */
        String register(String operand);

        /** The memory operand of a load or store, or null. */
        Mem memory(String operand);

        /** The register the instruction loads the descriptor's address into, or null. */
        String descriptorAddress(Line l);

        boolean isStore(Line l);

        /** The register a plain load writes, or null if {@code l} is no load. */
        String loadDestination(Line l);

        /** Memory operand of a load or store. */
        Mem access(Line l);

        /** The register a store writes to memory. */
        String storedRegister(Line l);

        /** Registers {@code l} writes (stores and compares write none). */
        Set<String> writes(Line l);

        /** A compare's operands as [left, right], the flags being those of left - right; null for no compare. */
        List<String> compared(Line l);

        /** The target label of a branch taken when the compared values differ, or null. */
        String notEqualBranchTarget(Line l);

        /** The target label of a branch taken when the first compared value is unsigned higher or same, or null. */
        String unsignedAtLeastBranchTarget(Line l);

        /** The target label of a branch taken when the first compared value is unsigned above, or null. */
        String unsignedAboveBranchTarget(Line l);

        /** The target label of an unconditional jump, or null. */
        String jumpTarget(Line l);

        /** The value of an immediate operand, or null. */
        Long immediate(String operand);

        /** Where integer argument {@code i} is at entry: a register name, or a stack slot. */
        Object argument(int i);

        /** The register holding the area inside the function, checked against the prologue. */
        String areaRegister(List<Line> prologue, SectionConfig config, Operation op);

        /** The area field at {@code offset} as a memory operand, for the area register {@code area}. */
        Mem areaField(SectionConfig config, String area, int offset);
    }

    static final Isa X86 = new Isa() {
        private static final String[] ARGS = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"};

        @Override
        public String register(String op) {
            if (!op.startsWith("%") || op.startsWith("%fs:")) {
                return null;
            }
            String r = op.substring(1);
            if (r.matches("r\\d+[dwb]?")) {
                return r.replaceFirst("[dwb]$", "");
            }
            if (r.matches("e[a-z]{2}")) {
                return "r" + r.substring(1);
            }
            if (r.matches("[abcd]l")) {
                return "r" + r.charAt(0) + "x";
            }
            return r;
        }

        @Override
        public Mem memory(String op) {
            var m = java.util.regex.Pattern.compile("(%fs:)?(-?0x[0-9a-f]+)?(?:\\((%\\w+)(?:,(%\\w+))?\\))?")
                    .matcher(op);
            if (op.startsWith("$") || op.startsWith(".") || register(op) != null || !m.matches()
                    || (m.group(2) == null && m.group(3) == null)) {
                return null;
            }
            long disp = m.group(2) == null ? 0 : Long.decode(m.group(2));
            return new Mem(m.group(1) != null, m.group(3) == null ? null : register(m.group(3)),
                    m.group(4) == null ? null : register(m.group(4)), disp);
        }

        @Override
        public String descriptorAddress(Line l) {
            return l.is("lea") && l.operands().get(0).equals(".Lrseq_cs(%rip)") ? register(l.operands().get(1)) : null;
        }

        @Override
        public boolean isStore(Line l) {
            return (l.is("mov") || l.is("add") || l.is("movups")) && l.operands().size() == 2
                    && memory(l.operands().get(1)) != null;
        }

        @Override
        public String loadDestination(Line l) {
            return (l.is("mov") || l.is("movzbl") || l.is("movups")) && memory(l.operands().get(0)) != null
                    ? register(l.operands().get(1)) : null;
        }

        @Override
        public Mem access(Line l) {
            return isStore(l) ? memory(l.operands().get(1)) : memory(l.operands().get(0));
        }

        @Override
        public String storedRegister(Line l) {
            return register(l.operands().get(0));
        }

        @Override
        public Set<String> writes(Line l) {
            if (l.mnemonic() == null || isStore(l) || l.is("cmp") || l.is("test") || l.mnemonic().startsWith("j")
                    || l.is("ret") || l.operands().isEmpty()) {
                return Set.of();
            }
            String dst = register(l.operands().getLast());
            return dst == null ? Set.of() : Set.of(dst);
        }

        @Override
        public List<String> compared(Line l) {
            return l.is("cmp") ? l.operands().reversed() : null; // AT&T: cmp right, left
        }

        @Override
        public String notEqualBranchTarget(Line l) {
            return l.is("jne") ? l.operands().get(0) : null;
        }

        @Override
        public String unsignedAtLeastBranchTarget(Line l) {
            return l.is("jae") ? l.operands().get(0) : null;
        }

        @Override
        public String unsignedAboveBranchTarget(Line l) {
            return l.is("ja") ? l.operands().get(0) : null;
        }

        @Override
        public String jumpTarget(Line l) {
            return l.is("jmp") ? l.operands().get(0) : null;
        }

        @Override
        public Long immediate(String operand) {
            return operand.startsWith("$") ? Long.decode(operand.substring(1)) : null;
        }

        @Override
        public Object argument(int i) {
            return i < ARGS.length ? ARGS[i] : new Mem(false, "rsp", null, 8L * (i - ARGS.length + 1));
        }

        @Override
        public String areaRegister(List<Line> prologue, SectionConfig config, Operation op) {
            if (config.addressing() == Addressing.TLS) {
                return null; // %fs:disp32 operands, no register
            }
            Object arg = argument(op.baseArity());
            if (arg instanceof String r) {
                return r;
            }
            // A stack-passed area is loaded from its slot into a register before the section.
            for (Line l : prologue) {
                if (arg.equals(access(l)) && loadDestination(l) != null) {
                    return loadDestination(l);
                }
            }
            return fail("no load of the stack-passed area argument " + arg + " in " + prologue);
        }

        @Override
        public Mem areaField(SectionConfig config, String area, int offset) {
            return config.addressing() == Addressing.TLS ? new Mem(true, null, null, config.rseqOffset() + offset)
                    : new Mem(false, area, null, offset);
        }
    };

    static final Isa A64 = new Isa() {
        @Override
        public String register(String op) {
            return op.matches("[wx]\\d+") ? "x" + op.substring(1) : op.matches("q\\d+") ? "v" + op.substring(1) : null;
        }

        @Override
        public Mem memory(String op) {
            var m = java.util.regex.Pattern.compile("\\[(x\\d+)(?:, #(\\d+)|, (x\\d+))?\\]").matcher(op);
            return m.matches()
                    ? new Mem(false, m.group(1), m.group(3), m.group(2) == null ? 0 : Long.parseLong(m.group(2)))
                    : null;
        }

        @Override
        public String descriptorAddress(Line l) {
            return l.is("adr") && l.operands().get(1).equals(".Lrseq_cs") ? register(l.operands().get(0)) : null;
        }

        @Override
        public boolean isStore(Line l) {
            return l.is("str") || l.is("stlr") || l.is("strb");
        }

        @Override
        public String loadDestination(Line l) {
            return l.is("ldr") || l.is("ldrb") ? register(l.operands().get(0)) : null;
        }

        @Override
        public Mem access(Line l) {
            return memory(l.operands().get(1));
        }

        @Override
        public String storedRegister(Line l) {
            return register(l.operands().get(0));
        }

        @Override
        public Set<String> writes(Line l) {
            if (l.mnemonic() == null || isStore(l) || l.is("cmp") || l.mnemonic().startsWith("b")
                    || l.is("cbz") || l.is("ret") || l.operands().isEmpty()) {
                return Set.of();
            }
            String dst = register(l.operands().get(0));
            Set<String> written = new java.util.HashSet<>();
            if (dst != null) {
                written.add(dst);
            }
            if (l.operands().size() == 3 && l.operands().get(1).matches("\\[x\\d+\\]")) { // post-indexed
                written.add(memory(l.operands().get(1)).base());
            }
            return written;
        }

        @Override
        public List<String> compared(Line l) {
            return l.is("cmp") ? l.operands() : null;
        }

        @Override
        public String notEqualBranchTarget(Line l) {
            return l.is("b.ne") ? l.operands().get(0) : null;
        }

        @Override
        public String unsignedAtLeastBranchTarget(Line l) {
            return l.is("b.hs") || l.is("b.cs") ? l.operands().get(0) : null;
        }

        @Override
        public String unsignedAboveBranchTarget(Line l) {
            return l.is("b.hi") ? l.operands().get(0) : null;
        }

        @Override
        public String jumpTarget(Line l) {
            return l.is("b") ? l.operands().get(0) : null;
        }

        @Override
        public Long immediate(String operand) {
            return operand.startsWith("#") ? Long.decode(operand.substring(1)) : null;
        }

        @Override
        public Object argument(int i) {
            return "x" + i;
        }

        @Override
        public String areaRegister(List<Line> prologue, SectionConfig config, Operation op) {
            if (config.addressing() == Addressing.REGISTER) {
                return "x" + op.baseArity();
            }
            // mrs AREA, tpidr_el0; then AREA += or -= __rseq_offset (an immediate, or movz/movk into a scratch).
            assertTrue(!prologue.isEmpty() && prologue.getFirst().is("mrs")
                    && prologue.getFirst().operands().get(1).equals("tpidr_el0"), "TLS prologue reads tpidr_el0");
            String area = register(prologue.getFirst().operands().get(0));
            Map<String, Long> constants = new HashMap<>();
            long offset = 0;
            for (Line l : prologue.subList(1, prologue.size())) {
                List<String> o = l.operands();
                if (trackConstant(this, l, constants)) {
                    continue;
                }
                if ((l.is("add") || l.is("sub"))
                        && area.equals(register(o.get(0))) && area.equals(register(o.get(1)))) {
                    Long v = immediate(o.get(2)) != null ? immediate(o.get(2)) : constants.get(register(o.get(2)));
                    offset += l.is("add") ? v : -v;
                } else {
                    fail("unexpected TLS prologue instruction " + l);
                }
            }
            assertEquals(config.rseqOffset(), offset, "area = tpidr_el0 + __rseq_offset");
            return area;
        }

        @Override
        public Mem areaField(SectionConfig config, String area, int offset) {
            return new Mem(false, area, null, offset);
        }
    };

    // ---------------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("io.github.rseq4j.internal.cs.SectionLayoutTest#sections")
    void armsBeforeStartLoadsIndexAfterChecksItAndCommitsLast(GnuAs.Arch arch, Operation op, SectionConfig config) {
        EmittedSection section = arch.templates(config).emit(op, 6);
        assertOrder(arch == GnuAs.Arch.X86_64 ? X86 : A64, op, config, section.listing());
    }

    /** Limits too large for an aarch64 compare immediate: movz only, and movz plus movk. */
    static Stream<Arguments> largeLimits() {
        List<Arguments> all = new ArrayList<>();
        for (GnuAs.Arch arch : GnuAs.Arch.values()) {
            for (int limit : new int[] {4096, 0x12345}) {
                for (Operation op : Operation.values()) {
                    all.add(Arguments.of(arch, op, SectionConfig.register(SectionConfig.IndexField.MM_CID, limit)));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("largeLimits")
    void checksLargeIndexLimits(GnuAs.Arch arch, Operation op, SectionConfig config) {
        armsBeforeStartLoadsIndexAfterChecksItAndCommitsLast(arch, op, config);
    }

    /** All the order assertions on one listing; see the class comment. */
    static void assertOrder(Isa isa, Operation op, SectionConfig config, String listing) {
        List<Line> lines = parse(listing);
        int entry = labelIndex(lines, ".Lentry"), start = labelIndex(lines, ".Lstart");
        int postCommit = labelIndex(lines, ".Lpost_commit");
        assertTrue(entry < start && start < postCommit, "entry < start < post_commit");
        List<Line> body = lines.subList(entry + 1, postCommit);
        int startInBody = start - entry - 1;

        // The area: where it lives must be set up before the section and never changed inside the function. An
        // addEach's prologue ends where its loop starts: at the first write of its count register (argument 2).
        int descriptor = onlyIndex(body, l -> isa.descriptorAddress(l) != null, "descriptor address");
        int prologueEnd = descriptor;
        for (int i = 0; op.eachElement() && i < descriptor && prologueEnd == descriptor; i++) {
            prologueEnd = isa.writes(body.get(i)).contains(isa.argument(2)) ? i : prologueEnd;
        }
        String area = isa.areaRegister(body.subList(0, prologueEnd), config, op);
        if (area != null) {
            for (Line l : body.subList(prologueEnd, body.size())) {
                assertFalse(isa.writes(l).contains(area), "area register " + area + " overwritten by " + l);
            }
        }

        // 1. area->rseq_cs = &descriptor, once, before start_ip.
        Mem rseqCsField = isa.areaField(config, area, SectionTemplates.RSEQ_CS_FIELD);
        int arm = onlyIndex(body, l -> isa.isStore(l) && rseqCsField.equals(isa.access(l)),
                "store to area->rseq_cs " + rseqCsField);
        assertTrue(descriptor < arm && arm < startInBody, "descriptor address, then the rseq_cs store, then start_ip:\n"
                + listing);
        String descriptorRegister = isa.descriptorAddress(body.get(descriptor));
        assertEquals(descriptorRegister, isa.storedRegister(body.get(arm)), "the store arms with the descriptor");
        for (Line l : body.subList(descriptor + 1, arm)) {
            assertFalse(isa.writes(l).contains(descriptorRegister), "descriptor register overwritten by " + l);
        }

        // 2. idx = area->INDEX, once, after start_ip.
        Mem indexField = isa.areaField(config, area, config.indexField().offset());
        int load = onlyIndex(body, l -> isa.loadDestination(l) != null && indexField.equals(isa.access(l)),
                "load of the index field " + indexField);
        assertTrue(load > startInBody, "the index load follows start_ip:\n" + listing);
        String index = isa.loadDestination(body.get(load));

        // 3. The index range: (u32) idx >= indexLimit leaves for index_out_of_range before the index is used.
        Map<String, Long> constants = new HashMap<>();
        int range = -1;
        for (int i = load + 1; i < body.size() && range < 0; i++) {
            Line l = body.get(i);
            trackConstant(isa, l, constants);
            List<String> operands = isa.compared(l);
            if (operands != null && index.equals(isa.register(operands.get(0)))) {
                String limit = operands.get(1);
                Long value = isa.immediate(limit) != null ? isa.immediate(limit) : constants.get(isa.register(limit));
                if (value != null && value == config.indexLimit()) {
                    range = i;
                }
            }
        }
        assertTrue(range > 0, "no compare of the loaded index " + index + " with the limit " + config.indexLimit()
                + ":\n" + listing);
        assertEquals(".Lindex_out_of_range", isa.unsignedAtLeastBranchTarget(body.get(range + 1)),
                "an index at or above the limit (unsigned) leaves for index_out_of_range:\n" + listing);
        for (Line l : body.subList(load + 1, range)) {
            assertFalse(isa.writes(l).contains(index), "index overwritten before its range check by " + l);
            assertFalse(isa.isStore(l), "store before the index range check: " + l);
        }

        // 4. The commit: last before post_commit.
        int commit = body.size() - 1;
        Line commitLine = body.get(commit);
        assertTrue(isa.isStore(commitLine), "last instruction before post_commit is a store: " + commitLine);
        Mem target = isa.access(commitLine);
        boolean adds = op == Operation.ADD || op == Operation.ADD_EACH;
        if (!takesExpectedIndex(op)) {
            assertTrue(index.equals(target.base()) || index.equals(target.index()),
                    op + " commits to the loaded index's slot: " + commitLine);
            for (Line l : body.subList(load + 1, commit)) {
                assertFalse(adds && isa.isStore(l), "add stores nothing but its commit: " + l);
                assertFalse(isa.writes(l).contains(index) && !l.is("shl") && !l.is("add"),
                        "the index becomes the slot's address by shift and add only: " + l);
            }
        } else {
            assertEquals(isa.argument(0), target.base(), "commit writes *v: " + commitLine);
        }

        if (op.eachElement()) {
            assertLoop(isa, lines, body, prologueEnd, arm, postCommit, range, commit, listing);
        }
        if (op == Operation.PUSH_RECORD || op == Operation.POP_RECORD) {
            assertRecordCount(isa, op, body, index, range, commit, listing);
        }

        if (!adds && !takesExpectedIndex(op)) {
            int leave = -1;
            for (int i = load + 1; i < commit && leave < 0; i++) {
                leave = body.get(i).operands().contains(".Lcompare_failed") ? i : -1;
            }
            assertTrue(leave > 0, "no branch to compare_failed:\n" + listing);
            for (Line l : body.subList(load + 1, leave)) {
                assertFalse(isa.isStore(l), "store before the branch to compare_failed: " + l);
            }
        }

        // 5. The index compare, when the operation takes an expected index: after the load, before any store.
        if (takesExpectedIndex(op)) {
            Object expected = isa.argument(op.baseArity() - 1);
            int compare = -1;
            for (int i = load + 1; i < commit && compare < 0; i++) {
                List<String> operands = isa.compared(body.get(i));
                if (operands != null && operands.stream().map(isa::register).anyMatch(index::equals)
                        && operands.stream().anyMatch(o -> expected.equals(isa.register(o))
                                || expected.equals(isa.memory(o)))) {
                    compare = i;
                }
            }
            assertTrue(compare > 0, "no compare of the loaded index " + index + " with the expected index "
                    + expected + ":\n" + listing);
            assertEquals(".Lindex_mismatch", isa.notEqualBranchTarget(body.get(compare + 1)),
                    "a mismatch leaves for index_mismatch");
            for (Line l : body.subList(load + 1, compare)) {
                assertFalse(isa.writes(l).contains(index), "index overwritten before its compare by " + l);
            }
            for (Line l : body.subList(startInBody, compare)) {
                assertFalse(isa.isStore(l), "store before the index compare: " + l);
            }

            // The value check: *v (read in the compare, or loaded into a register first) against the expected
            // value (argument 1), leaving for compare_failed, between the index compare and the first store.
            Object expectedValue = isa.argument(1);
            Mem v = new Mem(false, (String) isa.argument(0), null, 0);
            String loadedV = null;
            int valueCompare = -1;
            for (int i = compare + 2; i < commit && valueCompare < 0; i++) {
                Line l = body.get(i);
                List<String> operands = isa.compared(l);
                String vRegister = loadedV == null ? "" : loadedV;
                if (isa.loadDestination(l) != null && v.equals(isa.access(l))) {
                    loadedV = isa.loadDestination(l);
                } else if (operands != null && operands.stream().anyMatch(o -> expectedValue.equals(isa.register(o)))
                        && operands.stream().anyMatch(o -> v.equals(isa.memory(o))
                                || vRegister.equals(isa.register(o)))) {
                    valueCompare = i;
                }
                assertFalse(isa.isStore(l) && valueCompare < 0, "store before the value compare: " + l);
            }
            assertTrue(valueCompare > 0, "no compare of *v with the expected value:\n" + listing);
            assertEquals(".Lcompare_failed", body.get(valueCompare + 1).operands().getLast(),
                    "a failed value compare leaves for compare_failed");
        }
        assertNotNull(index);
    }

    /**
     * addEach's own order (see the class comment): {@code range} is the index's range check and {@code commit}
     * the commit, both in {@code body}; {@code postCommit} indexes {@code lines}.
     */
    private static void assertLoop(Isa isa, List<Line> lines, List<Line> body, int prologueEnd, int arm,
            int postCommit, int range, int commit, String listing) {
        int next = -1;
        for (int i = prologueEnd; i < arm; i++) {
            next = ".Lnext".equals(body.get(i).label()) ? i : next;
        }
        assertTrue(next >= 0, "next precedes the arming store:\n" + listing);

        Mem cursor = new Mem(false, (String) isa.argument(1), null, 0);
        int load = onlyIndex(body, l -> isa.loadDestination(l) != null && cursor.equals(isa.access(l)),
                "load of the offset at the cursor " + cursor);
        assertTrue(range < load && load < commit, "the offset is loaded after the index check:\n" + listing);
        String offset = isa.loadDestination(body.get(load));
        int bound = compareWithArgument(isa, body, load + 1, commit, offset, 4);
        assertTrue(bound > 0, "no compare of the offset " + offset + " with maxOffset:\n" + listing);
        assertEquals(".Lcompare_failed", isa.unsignedAboveBranchTarget(body.get(bound + 1)),
                "an offset above maxOffset (unsigned) leaves for compare_failed:\n" + listing);
        for (Line l : body.subList(load + 1, bound)) {
            assertFalse(isa.writes(l).contains(offset), "offset overwritten before its check by " + l);
        }
        for (Line l : body.subList(arm + 1, commit)) {
            assertFalse(isa.isStore(l), "a store inside the section before the commit: " + l);
        }

        // After post_commit: the cursor advances by one element, then the code goes back to next.
        Line advance = lines.get(postCommit + 1);
        assertTrue(isa.writes(advance).contains(isa.argument(1))
                && advance.operands().stream().map(isa::immediate).anyMatch(v -> v != null && v == 8),
                "the cursor advances by 8 after the commit: " + advance);
        assertEquals(".Lnext", isa.jumpTarget(lines.get(postCommit + 2)), "then back to next:\n" + listing);
    }

    /**
     * The record operations: the count is loaded from the index's word once, after the range check; less one for a
     * pop, it is compared with {@code capacity} (argument 5), and an unsigned at-or-above branch leaves for
     * {@code compare_failed}, before any other use of it and any store; the commit stores it (plus one for a push).
     */
    private static void assertRecordCount(Isa isa, Operation op, List<Line> body, String index, int range, int commit,
            String listing) {
        int load = onlyIndex(body, l -> isa.loadDestination(l) != null && isa.access(l) != null
                && index.equals(isa.access(l).base()) && isa.access(l).index() == null, "load of the count");
        assertTrue(load > range, "the count is loaded after the index's range check:\n" + listing);
        String count = isa.loadDestination(body.get(load));
        int compare = compareWithArgument(isa, body, load + 1, commit, count, 5);
        assertTrue(compare > 0, "no compare of the count " + count + " with capacity:\n" + listing);
        assertEquals(".Lcompare_failed", isa.unsignedAtLeastBranchTarget(body.get(compare + 1)),
                "a count at or above capacity (unsigned) leaves for compare_failed:\n" + listing);
        List<Line> between = body.subList(load + 1, compare);
        assertEquals(op == Operation.POP_RECORD ? 1 : 0, between.size(), "only a pop's decrement comes between the "
                + "count's load and its check:\n" + listing);
        for (Line l : between) {
            assertTrue(l.is("sub") && isa.writes(l).contains(count)
                    && l.operands().stream().map(isa::immediate).anyMatch(v -> v != null && v == 1),
                    "the pop takes one from the count: " + l);
        }
        for (Line l : body.subList(compare + 2, commit)) {
            assertFalse(isa.isStore(l) && isa.access(l) != null && index.equals(isa.access(l).base()),
                    "the count's word is written only by the commit: " + l);
        }
        assertEquals(count, isa.storedRegister(body.get(commit)), "the commit stores the count:\n" + listing);
    }

    /** The first line in {@code [from, to)} comparing {@code register} with argument {@code argument}, or -1. */
    private static int compareWithArgument(Isa isa, List<Line> body, int from, int to, String register,
            int argument) {
        for (int i = from; i < to; i++) {
            List<String> operands = isa.compared(body.get(i));
            if (operands != null && register.equals(isa.register(operands.get(0)))
                    && isa.argument(argument).equals(isa.register(operands.get(1)))) {
                return i;
            }
        }
        return -1;
    }

    /** The cmpeqv family: the caller names the index it expects, and {@code *v} is its argument 0. */
    static boolean takesExpectedIndex(Operation op) {
        return switch (op) {
            case CMPEQV_STOREV -> true;
            case ADD, PUSH_RECORD, POP_RECORD, POP_NODE, PUSH_NODE, ADD_EACH -> false;
        };
    }

    /** Follows aarch64 movz/movk, which build constants too large for an immediate; true if {@code l} is one. */
    private static boolean trackConstant(Isa isa, Line l, Map<String, Long> constants) {
        if (!(l.is("movz") || l.is("movk"))) {
            return false;
        }
        List<String> o = l.operands();
        String reg = isa.register(o.get(0));
        long half = isa.immediate(o.get(1));
        int shift = o.size() > 2 ? Integer.parseInt(o.get(2).replace("lsl #", "")) : 0;
        long before = l.is("movz") ? 0 : constants.getOrDefault(reg, 0L);
        constants.put(reg, before & ~(0xffffL << shift) | half << shift);
        return true;
    }

    private static int labelIndex(List<Line> lines, String label) {
        for (int i = 0; i < lines.size(); i++) {
            if (label.equals(lines.get(i).label())) {
                return i;
            }
        }
        return fail("no label " + label);
    }

    private static int onlyIndex(List<Line> lines, Predicate<Line> what, String description) {
        int found = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (what.test(lines.get(i))) {
                if (found >= 0) {
                    fail("more than one " + description + ": " + lines.get(found) + ", " + lines.get(i));
                }
                found = i;
            }
        }
        assertTrue(found >= 0, "no " + description);
        return found;
    }
}
