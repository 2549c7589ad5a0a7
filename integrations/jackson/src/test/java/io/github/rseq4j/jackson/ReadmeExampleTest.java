package io.github.rseq4j.jackson;

import io.github.rseq4j.integrations.testing.ReadmeExample;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README's "Using it" block, compiled with -Werror and run in a child JVM against this artifact. */
class ReadmeExampleTest {
    @Test
    void readmeExampleCompilesAndRuns(@TempDir Path work) throws Exception {
        Path readme = Path.of(System.getProperty("rseq4j.readme", "README.md"));
        ReadmeExample.compileAndRun(work, """
                import com.fasterxml.jackson.core.*;
                import io.github.rseq4j.jackson.PerCpuRecyclerPool;
                import java.io.StringWriter;
                """, "", ReadmeExample.block(readme, "## Using it"));
    }
}
