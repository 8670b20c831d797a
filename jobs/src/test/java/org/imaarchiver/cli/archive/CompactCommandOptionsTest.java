package org.imaarchiver.cli.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.jobs.compact.Retention;
import org.junit.jupiter.api.Test;

/** The value syntax of {@code compact}'s size, duration and retention options. */
class CompactCommandOptionsTest {
    @Test
    void sizes() throws Exception {
        assertThat(CompactCommand.size("1048576", "--target-bytes")).isEqualTo(1_048_576L);
        assertThat(CompactCommand.size("512M", "--target-bytes")).isEqualTo(512L * 1024 * 1024);
        assertThat(CompactCommand.size("1g", "--target-bytes")).isEqualTo(1024L * 1024 * 1024);
        assertThat(CompactCommand.size("10KiB", "--target-bytes")).isEqualTo(10_240L);
        assertThatThrownBy(() -> CompactCommand.size("1.5G", "--target-bytes")).isInstanceOf(CliError.class);
        assertThatThrownBy(() -> CompactCommand.size("99999999999T", "--target-bytes")).isInstanceOf(CliError.class);
    }

    @Test
    void durations() throws Exception {
        assertThat(CompactCommand.duration("0", "--min-age")).isEqualTo(Duration.ZERO);
        assertThat(CompactCommand.duration("90", "--min-age")).isEqualTo(Duration.ofSeconds(90));
        assertThat(CompactCommand.duration("30m", "--min-age")).isEqualTo(Duration.ofMinutes(30));
        assertThat(CompactCommand.duration("12h", "--min-age")).isEqualTo(Duration.ofHours(12));
        assertThat(CompactCommand.duration("7d", "--min-age")).isEqualTo(Duration.ofDays(7));
        assertThat(CompactCommand.duration("PT36H", "--min-age")).isEqualTo(Duration.ofHours(36));
        assertThatThrownBy(() -> CompactCommand.duration("-PT1H", "--min-age")).isInstanceOf(CliError.class);
        assertThatThrownBy(() -> CompactCommand.duration("a week", "--min-age")).isInstanceOf(CliError.class);
    }

    @Test
    void retention() throws Exception {
        assertThat(CompactCommand.retention("none")).isInstanceOf(Retention.None.class);
        assertThat(CompactCommand.retention("keep-all")).isInstanceOf(Retention.KeepAll.class);
        assertThat(CompactCommand.retention("90d")).isEqualTo(new Retention.For(Duration.ofDays(90)));
        assertThatThrownBy(() -> CompactCommand.retention("forever")).isInstanceOf(CliError.class);
    }
}
