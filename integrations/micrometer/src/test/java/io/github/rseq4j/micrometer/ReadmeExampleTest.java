package io.github.rseq4j.micrometer;

import io.github.rseq4j.integrations.testing.ReadmeExample;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README's blocks, compiled with -Werror and run in a child JVM against this artifact. */
class ReadmeExampleTest {
    private static final Path README = Path.of(System.getProperty("rseq4j.readme", "README.md"));
    private static final String IMPORTS = """
            import io.github.rseq4j.PerCpuCounter;
            import io.github.rseq4j.micrometer.PerCpuTimer;
            import io.micrometer.core.instrument.*;
            import io.micrometer.core.instrument.binder.MeterBinder;
            import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
            import java.util.concurrent.TimeUnit;
            """;

    @Test
    void usingItCompilesAndRuns(@TempDir Path work) throws Exception {
        ReadmeExample.compileAndRun(work, IMPORTS, "", ReadmeExample.block(README, "## Using it"));
    }

    /**
     * The Spring Boot block as members of a class, with Spring's {@code @Bean} stubbed (the project does not
     * pull Spring); the main method then does what Spring Boot does with the beans: binds each
     * {@code MeterBinder} to a registry, and the test reads the meters back.
     */
    @Test
    void springBootBeansCompileAndBind(@TempDir Path work) throws Exception {
        String springBootDoes = """
                MeterRegistry registry = new SimpleMeterRegistry();
                ReadmeExample config = new ReadmeExample();
                PerCpuTimer timer = config.checkoutTimer();
                PerCpuCounter orders = config.orders();
                timer.bindTo(registry);
                config.ordersCounter(orders).bindTo(registry);
                timer.record(7, TimeUnit.MILLISECONDS);
                orders.increment();
                if (registry.get("checkout").functionTimer().count() != 1
                        || registry.get("orders").functionCounter().count() != 1
                        || registry.get("checkout.percentile").tag("phi", "0.99").gauge() == null) {
                    throw new AssertionError(registry.getMeters());
                }
                """;
        ReadmeExample.compileAndRun(work, IMPORTS + "import org.springframework.context.annotation.Bean;\n",
                ReadmeExample.block(README, "## With Spring Boot"), springBootDoes,
                Map.of("org/springframework/context/annotation/Bean.java", """
                        package org.springframework.context.annotation;

                        /** A stand-in for Spring's annotation, which is all the block needs to compile. */
                        public @interface Bean {}
                        """));
    }
}
