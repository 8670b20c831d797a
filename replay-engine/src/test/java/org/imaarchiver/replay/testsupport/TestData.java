package org.imaarchiver.replay.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates the public IMA test data (real logs and quotes) in {@link #DATA_DIR} beside the checkout
 * (outside the project, never copied into it). Tests call {@link #ima(String)}; when the folder is absent the test is skipped
 * with a message saying where it looked, except under CI ({@code CI=true}), where absence fails.
 */
public final class TestData {
    /** Where the public data sits relative to the checkout's parent (docs/testing.md). */
    public static final Path DATA_DIR = Path.of("shared", "testdata", "ima");

    private TestData() {}

    /** The folder holding the public IMA test data, if found. */
    public static java.util.Optional<Path> imaRoot() {
        String override = System.getenv("IMA_TESTDATA");
        if (override != null && !override.isBlank()) {
            Path p = Paths.get(override);
            return Files.isDirectory(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
        }
        Path start = projectRoot();
        for (Path d = start; d != null; d = d.getParent()) {
            Path candidate = d.resolve(DATA_DIR);
            if (d != start && Files.isDirectory(candidate)) return java.util.Optional.of(candidate);
            Path sibling = d.resolveSibling(DATA_DIR);
            if (Files.isDirectory(sibling)) return java.util.Optional.of(sibling);
        }
        return java.util.Optional.empty();
    }

    /** The repository root (set by surefire as imaarchiver.projectRoot, else the working directory). */
    public static Path projectRoot() {
        String p = System.getProperty("imaarchiver.projectRoot");
        Path root = p != null && !p.isBlank() ? Paths.get(p) : Paths.get("").toAbsolutePath();
        return root.toAbsolutePath().normalize();
    }

    /** A file under the public IMA test data; skips (or fails under CI) when it is absent. */
    public static Path ima(String relative) {
        var root = imaRoot();
        String msg = "public IMA test data not found (looked for ../" + DATA_DIR + " beside "
                + projectRoot() + "; set IMA_TESTDATA to override): " + relative;
        if (root.isEmpty() || !Files.exists(root.get().resolve(relative))) {
            if (Tools.inCi()) throw new AssertionError(msg);
            assumeTrue(false, msg);
        }
        return root.get().resolve(relative);
    }
}
