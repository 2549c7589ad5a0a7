package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The generator is pure: emitting every operation for both architectures, and for the running one, touches no
 * native access (no {@code RseqAbi}, no binding), so it runs in a JVM that denies native access to rseq4j.
 */
class GeneratorNeedsNoNativeAccessTest {

    @Test
    void emitsEveryOperationWithNativeAccessDenied() {
        ForkedJvm.Result result = ForkedJvm.run(ForkedJvm.deniedNativeAccess(false, Child.class.getName()),
                Map.of(), "generator, native access denied");
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.output().contains("emitted " + 3 * Operation.values().length), result::describe);
    }

    /** Emits, in the forked JVM, and prints how many sections. */
    public static final class Child {
        public static void main(String[] args) {
            SectionConfig config = SectionConfig.register(IndexField.CPU_ID, 64);
            int emitted = 0;
            SectionTemplates[] all = {SectionTemplates.forArchitecture("x86_64", config),
                SectionTemplates.forArchitecture("aarch64", config), SectionTemplates.forCurrentArchitecture(config)};
            for (SectionTemplates templates : all) {
                for (Operation op : Operation.values()) {
                    templates.emit(op, 6);
                    emitted++;
                }
            }
            System.out.println("emitted " + emitted);
        }
    }
}
