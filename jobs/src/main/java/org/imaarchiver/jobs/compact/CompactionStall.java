package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.imaarchiver.archive.compact.CompactionStep;
import org.imaarchiver.archive.compact.Compactor;

/**
 * Test-only crash point, off unless the system property {@value #STEP} names a {@link CompactionStep}:
 * the first time the compactor reports that step, the marker file {@value #MARKER} is written and
 * the thread stalls forever, so a test can SIGKILL the JVM exactly at that protocol boundary (as
 * the nightly and reverify crash tests do). Read where the compactor's step hook is set.
 */
final class CompactionStall {
    static final String STEP = "imaarchiver.compact.stallAt";
    static final String MARKER = "imaarchiver.compact.stallMarker";

    private CompactionStall() {}

    /** The hook the system properties ask for, if any. */
    static Optional<Compactor.StepHook> fromSystemProperties() {
        String step = System.getProperty(STEP);
        if (step == null || step.isBlank()) return Optional.empty();
        CompactionStep at = CompactionStep.valueOf(step.trim());
        Path marker = Path.of(System.getProperty(MARKER, "compact-stall.marker"));
        AtomicBoolean fired = new AtomicBoolean();
        return Optional.of(s -> {
            if (s != at || !fired.compareAndSet(false, true)) return;
            Files.writeString(marker, s.name() + "\n", StandardCharsets.UTF_8);
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the stall point " + s, e);
            }
        });
    }
}
