package io.github.rseq4j.internal.cs;

import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.ExecutableMemory;
import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every operation of one {@link SectionConfig}, mapped read-execute once and callable through
 * critical downcalls. A record, so the JIT trusts its final fields: reached through a
 * {@code static final}, each handle folds to a constant.
 *
 * <p>A library linked with test-only delay loops ({@link SectionConfig#delayIterations()} &gt; 0) counts the
 * {@link SectionTemplates#ABORTED} results of its calls in {@link #injectedAborts()}, so forced-abort tests can
 * show that aborts happened; other libraries' handles are the bare downcalls.
 *
 * <p>The mapping is never released: a thread may sit preempted inside a section, and a
 * thread's {@code rseq_cs} may keep pointing at a descriptor until its next preemption.
 *
 * <p>Each handle is {@code int (parameters of its Operation[, long area])}, as {@link Operation} specifies; the
 * result is one of {@link SectionTemplates}' return codes ({@link SectionTemplates#code} of it for
 * {@link #addEach}; {@link #popNode} returns {@code long}, its node or a code).
 *
 * @param add          {@link Operation#ADD}
 * @param cmpeqvStorev {@link Operation#CMPEQV_STOREV}
 * @param pushRecord   {@link Operation#PUSH_RECORD}, with {@code src} passed as a {@link MemorySegment}
 * @param popRecord    {@link Operation#POP_RECORD}, with {@code dst} passed as a {@link MemorySegment}
 * @param popNode      {@link Operation#POP_NODE}, the one handle returning {@code long}
 * @param pushNode     {@link Operation#PUSH_NODE}
 * @param addEach      {@link Operation#ADD_EACH}, whose result also carries the remaining count
 */
public record SectionLibrary(SectionConfig config, int strideShift, MethodHandle add, MethodHandle cmpeqvStorev,
                             MethodHandle pushRecord, MethodHandle popRecord, MethodHandle popNode,
                             MethodHandle pushNode, MethodHandle addEach) {

    /** The record operations' parameter passed as a segment ({@code src} or {@code dst}); none for the others. */
    private static final int RECORD_SEGMENT = 2, NO_SEGMENT = -1;

    /** ABORTED results returned by delay-injected sections, process-wide; updated by any caller's thread. */
    private static final LongAdder INJECTED_ABORTS = new LongAdder();

    private static final MethodHandle COUNT_ABORT, COUNT_ABORT_OR_NODE;

    static {
        try {
            COUNT_ABORT = MethodHandles.lookup().findStatic(SectionLibrary.class, "countAbort",
                    MethodType.methodType(int.class, int.class));
            COUNT_ABORT_OR_NODE = MethodHandles.lookup().findStatic(SectionLibrary.class, "countAbort",
                    MethodType.methodType(long.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Emits, relocates and maps all operations for {@code config}.
     *
     * @throws io.github.rseq4j.RseqException if the system refuses executable memory
     * @throws UnsupportedOperationException if the kernel does not keep the index field current
     */
    public static SectionLibrary link(SectionConfig config, int strideShift) {
        int indexEnd = config.indexField().offset() + Integer.BYTES;
        if (!RseqAbi.covers(indexEnd)) {
            // The field would read a stale value (0 on glibc's area), putting threads on
            // different CPUs in one cell: lost updates, not just contention.
            throw new UnsupportedOperationException(config.indexField() + "-indexed sections need Linux 6.3 or later "
                    + "(the field ends at byte " + indexEnd + "); this kernel and libc keep " + RseqAbi.USABLE_SIZE
                    + " bytes of struct rseq current");
        }
        SectionTemplates templates = SectionTemplates.forCurrentArchitecture(config);
        Map<Operation, EmittedSection> sections = new EnumMap<>(Operation.class);
        long size = 0;
        for (Operation op : Operation.values()) {
            EmittedSection section = templates.emit(op, strideShift);
            sections.put(op, section);
            size = alignUp(size) + section.size();
        }
        MemorySegment mapping = ExecutableMemory.allocateWritable(size);
        Map<Operation, Long> entries = new EnumMap<>(Operation.class);
        long offset = 0;
        for (Map.Entry<Operation, EmittedSection> e : sections.entrySet()) {
            offset = alignUp(offset);
            EmittedSection section = e.getValue();
            byte[] bytes = section.relocate(mapping.address() + offset);
            MemorySegment.copy(bytes, 0, mapping, ValueLayout.JAVA_BYTE, offset, bytes.length);
            entries.put(e.getKey(), mapping.address() + offset + section.entryOffset());
            offset += bytes.length;
        }
        ExecutableMemory.makeExecutable(mapping);
        return new SectionLibrary(config, strideShift,
                handle(Operation.ADD, config, entries), handle(Operation.CMPEQV_STOREV, config, entries),
                handle(Operation.PUSH_RECORD, config, entries, RECORD_SEGMENT),
                handle(Operation.POP_RECORD, config, entries, RECORD_SEGMENT),
                handle(Operation.POP_NODE, config, entries), handle(Operation.PUSH_NODE, config, entries),
                handle(Operation.ADD_EACH, config, entries));
    }

    private static MethodHandle handle(Operation op, SectionConfig config, Map<Operation, Long> entries) {
        return handle(op, config, entries, NO_SEGMENT);
    }

    /**
     * The downcall of {@code op}; parameter {@code segment} (unless {@link #NO_SEGMENT}) is a pointer passed as a
     * {@link MemorySegment}, so that FFM checks the segment's thread and liveness and keeps its arena open for the
     * whole call, as for any access. Such a handle is linked with heap access: the section then reads or writes
     * a heap segment's array in place, the GC held off for the call (sections are short: records are capped).
     */
    private static MethodHandle handle(Operation op, SectionConfig config, Map<Operation, Long> entries,
            int segment) {
        List<Class<?>> types = op.parameterTypes(config.addressing());
        MemoryLayout[] parameters = new MemoryLayout[types.size()];
        for (int i = 0; i < parameters.length; i++) {
            parameters[i] = i == segment ? ValueLayout.ADDRESS
                    : types.get(i) == int.class ? ValueLayout.JAVA_INT : ValueLayout.JAVA_LONG;
        }
        MemorySegment entry = MemorySegment.ofAddress(entries.get(op));
        FunctionDescriptor descriptor =
                FunctionDescriptor.of(op.returnsNode() ? ValueLayout.JAVA_LONG : ValueLayout.JAVA_INT, parameters);
        MethodHandle function = segment == NO_SEGMENT ? ExecutableMemory.function(entry, descriptor)
                : Native.downcall(entry, descriptor, Linker.Option.critical(true));
        if (config.delayIterations() == 0) {
            return function;
        }
        return MethodHandles.filterReturnValue(function, op.returnsNode() ? COUNT_ABORT_OR_NODE : COUNT_ABORT);
    }

    /**
     * How many calls of delay-injected sections (of any library in this process) returned
     * {@link SectionTemplates#ABORTED} so far; always 0 when no such library was linked.
     */
    public static long injectedAborts() {
        return INJECTED_ABORTS.sum();
    }

    private static int countAbort(int result) {
        if (SectionTemplates.code(result) == SectionTemplates.ABORTED) {
            INJECTED_ABORTS.increment();
        }
        return result;
    }

    private static long countAbort(long result) {
        if (result == SectionTemplates.ABORTED) {
            INJECTED_ABORTS.increment();
        }
        return result;
    }

    private static long alignUp(long offset) {
        long alignment = EmittedSection.BASE_ALIGNMENT;
        return (offset + alignment - 1) / alignment * alignment;
    }
}
