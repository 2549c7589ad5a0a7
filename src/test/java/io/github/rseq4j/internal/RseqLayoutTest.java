package io.github.rseq4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.internal.binding.rseq;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import org.junit.jupiter.api.Test;

/**
 * The one home of struct rseq's layout agrees with the generated binding where the binding has the field (the
 * binding drops the struct's 32-byte alignment attribute, so only its size is compared).
 */
class RseqLayoutTest {

    @Test
    void offsetsAgreeWithTheGeneratedBinding() {
        assertEquals(rseq.cpu_id_start$offset(), RseqLayout.CPU_ID_START, "cpu_id_start");
        assertEquals(rseq.cpu_id$offset(), RseqLayout.CPU_ID, "cpu_id");
        assertEquals(rseq.rseq_cs$offset(), RseqLayout.RSEQ_CS, "rseq_cs");
        assertEquals(rseq.flags$offset(), RseqLayout.FLAGS, "flags");
        assertEquals(rseq.layout().byteSize(), RseqLayout.ORIGINAL_REGISTRATION_LENGTH, "original length");
    }

    @Test
    void theSectionIndexFieldsAreTheAreasFields() {
        assertEquals(RseqLayout.CPU_ID, IndexField.CPU_ID.offset());
        assertEquals(RseqLayout.MM_CID, IndexField.MM_CID.offset());
        assertEquals(RseqAbi.MM_CID, IndexField.MM_CID.offset());
    }
}
