package org.imaarchiver.jobs.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostProgressTest {

    private static List<String> lines(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /**
     * A log's last progress line gives the final counts even when the run ends between two ticks
     * (a distributed manager learns the last hosts on its final poll, just before it closes).
     */
    @Test
    void logEndsWithTheFinalCountsWhenTheyChangedAfterTheLastLine() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(b, true, StandardCharsets.UTF_8);
        HostProgress p = HostProgress.of(HostProgress.Mode.LOG, "verify", "segments", err, Duration.ofMillis(20));
        p.total(6);
        p.set(2, 1, 2, 40);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (lines(b).isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(lines(b)).as("a tick printed a line").isNotEmpty();
        p.set(6, 1, 7, 140);
        p.close();
        List<String> out = lines(b);
        assertThat(out.get(out.size() - 1)).startsWith("verify: hosts 6/6 (1 failed), segments 7, ");
        int n = out.size();
        p.close();
        assertThat(lines(b)).as("a second close prints nothing").hasSize(n);
    }

    /** A run shorter than one interval prints no progress, and nothing is repeated at the end. */
    @Test
    void noLineForARunShorterThanOneIntervalAndNoRepeatedLine() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        HostProgress quick = HostProgress.of(HostProgress.Mode.LOG, "compact", "groups", new PrintStream(b, true, StandardCharsets.UTF_8),
                Duration.ofHours(1));
        quick.total(1);
        quick.hostDone(true, 1, 10);
        quick.close();
        assertThat(lines(b)).isEmpty();

        ByteArrayOutputStream b2 = new ByteArrayOutputStream();
        HostProgress steady = HostProgress.of(HostProgress.Mode.LOG, "compact", "groups", new PrintStream(b2, true, StandardCharsets.UTF_8),
                Duration.ofMillis(20));
        steady.total(1);
        steady.hostDone(true, 1, 10);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (lines(b2).isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        steady.close();
        List<String> out = lines(b2);
        assertThat(out).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("compact: hosts 1/1, groups 1, "));
    }
}
