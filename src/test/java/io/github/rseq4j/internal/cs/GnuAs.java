package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: assembles a listing with GNU binutils and returns the bytes of its .text section.
 * Tests that need an assembler call {@link #forArch} which skips them (JUnit assumption) when absent.
 */
final class GnuAs {

    /** The two target architectures, with the binutils names that target them. */
    enum Arch {
        X86_64("x86_64", "amd64", "--64"),
        AARCH64("aarch64", "aarch64", null);

        final String prefix;
        final String osArch;
        final String flag;

        Arch(String prefix, String osArch, String flag) {
            this.prefix = prefix;
            this.osArch = osArch;
            this.flag = flag;
        }

        SectionTemplates templates(SectionConfig config) {
            return SectionTemplates.forArchitecture(osArch, config);
        }
    }

    private final Arch arch;
    private final Path as;
    private final Path objcopy;

    private GnuAs(Arch arch, Path as, Path objcopy) {
        this.arch = arch;
        this.as = as;
        this.objcopy = objcopy;
    }

    /** The assembler for {@code arch}; skips the calling test when none is installed. */
    static GnuAs forArch(Arch arch) {
        Optional<GnuAs> found = find(arch);
        assumeTrue(found.isPresent(), () -> "GNU as for " + arch + " not found on PATH (looked for "
                + arch.prefix + "-linux-gnu-as" + (isHost(arch) ? " and as" : "")
                + "); on Debian: apt-get install binutils" + (isHost(arch) ? "" : "-aarch64-linux-gnu"));
        return found.get();
    }

    static Optional<GnuAs> find(Arch arch) {
        String cross = arch.prefix + "-linux-gnu-";
        Optional<Path> as = which(cross + "as");
        Optional<Path> objcopy = which(cross + "objcopy");
        if ((as.isEmpty() || objcopy.isEmpty()) && isHost(arch)) {
            as = which("as");
            objcopy = which("objcopy");
        }
        return as.isPresent() && objcopy.isPresent() ? Optional.of(new GnuAs(arch, as.get(), objcopy.get()))
                : Optional.empty();
    }

    private static boolean isHost(Arch arch) {
        String host = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return host.equals(arch.osArch) || host.equals(arch.prefix);
    }

    private static Optional<Path> which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Assembles {@code listing} in {@code dir} and returns the .text bytes. */
    byte[] assemble(String listing, Path dir) throws IOException, InterruptedException {
        Path src = Files.createTempFile(dir, "cs", ".s");
        Path obj = Path.of(src + ".o");
        Path bin = Path.of(src + ".bin");
        Files.writeString(src, "\t.text\n" + listing);
        List<String> asCmd = new ArrayList<>(List.of(as.toString()));
        if (arch.flag != null) {
            asCmd.add(arch.flag);
        }
        asCmd.addAll(List.of("-o", obj.toString(), src.toString()));
        run(asCmd, listing);
        run(List.of(objcopy.toString(), "-O", "binary", "-j", ".text", obj.toString(), bin.toString()), listing);
        return Files.readAllBytes(bin);
    }

    private static void run(List<String> cmd, String listing) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out + "\nlisting:\n" + listing);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }
}
