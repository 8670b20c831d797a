package org.imaarchiver.cli.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;
import java.util.Optional;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.jobs.reverify.VerifyJobRequest;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class DistributedOptionsTest {
    @Command(name = "t")
    static final class Holder {
        @Mixin DistributedOptions d = new DistributedOptions();
    }

    static DistributedOptions parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.d;
    }

    @Test
    void noOptionsIsLocalMode() throws Exception {
        DistributedOptions d = parse();
        assertThat(d.isSet()).isFalse();
        assertThat(d.distribution(Map.of())).isEqualTo(VerifyJobRequest.Distribution.LOCAL);
    }

    @Test
    void brokerWithRepositoryTakesUserAndPasswordFromTheEnvironment() throws Exception {
        VerifyJobRequest.Distribution d = parse("--broker", "tcp://10.0.0.5:61616", "--job-repository", "jdbc:postgresql://db:5432/batch")
                .distribution(Map.of(DistributedOptions.USER_ENV, "batch", DistributedOptions.PASSWORD_ENV, "s3cret"));
        assertThat(d.broker()).contains("tcp://10.0.0.5:61616");
        assertThat(d.isRemote()).isTrue();
        VerifyJobRequest.JdbcTarget t = d.jobRepository().orElseThrow();
        assertThat(t.url()).isEqualTo("jdbc:postgresql://db:5432/batch");
        assertThat(t.user()).contains("batch");
        assertThat(t.password()).contains("s3cret");
        assertThat(t.toString()).doesNotContain("s3cret");
        assertThat(d.toString()).doesNotContain("s3cret");
    }

    @Test
    void optionsWinOverTheEnvironment() throws Exception {
        VerifyJobRequest.JdbcTarget t = parse("--broker", "tcp://b:1", "--job-repository", "jdbc:postgresql://db/x", "--db-user", "u",
                "--db-password", "p").distribution(Map.of(DistributedOptions.USER_ENV, "env-u", DistributedOptions.PASSWORD_ENV, "env-p"))
                .jobRepository().orElseThrow();
        assertThat(t.user()).contains("u");
        assertThat(t.password()).contains("p");
    }

    @Test
    void workersAloneStartLocalWorkersOnTheDefaultRepository() throws Exception {
        VerifyJobRequest.Distribution d = parse("--workers", "3").distribution(Map.of());
        assertThat(d.localWorkers()).isEqualTo(3);
        assertThat(d.broker()).isEmpty();
        assertThat(d.jobRepository()).isEmpty();
        assertThat(d.isRemote()).isTrue();
    }

    @Test
    void inconsistentOptionsAreUsageErrors() {
        for (String[] args : new String[][] {
                {"--broker", "tcp://b:1"},                                              // workers could not share an H2 file
                {"--broker", "tcp://b:1", "--job-repository", "jdbc:postgresql://d/x", "--workers", "2"},
                {"--broker", "b:1", "--job-repository", "jdbc:postgresql://d/x"},         // not a URL
                {"--job-repository", "jdbc:mysql://d/x"},
                {"--workers", "-1"}}) {
            CliError e = catchThrowableOfType(CliError.class, () -> parse(args).distribution(Map.of()));
            assertThat(e).as(String.join(" ", args)).isNotNull();
            assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
        }
    }

    @Test
    void aRejectedJdbcUrlDoesNotEchoItsPassword() {
        CliError e = catchThrowableOfType(CliError.class,
                () -> parse("--job-repository", "jdbc:oracle:thin:@h:1/x?password=hunter2").distribution(Map.of()));
        assertThat(e.getMessage()).doesNotContain("hunter2");
    }

    @Test
    void aPasswordInsideTheJdbcUrlIsMaskedWhereTheUrlIsShown() {
        VerifyJobRequest.JdbcTarget t = new VerifyJobRequest.JdbcTarget("jdbc:postgresql://db/x?user=v&password=hunter2&ssl=true",
                Optional.empty(), Optional.empty());
        assertThat(t.redactedUrl()).isEqualTo("jdbc:postgresql://db/x?user=v&password=***&ssl=true");
        assertThat(t.toString()).doesNotContain("hunter2");
    }

    @Test
    void sinceReceiptIsAcceptedInDistributedMode() {
        VerifyJobRequest r = VerifyJobRequest.of("file:///a", java.nio.file.Path.of("t"), java.nio.file.Path.of("s"), java.nio.file.Path.of("o"))
                .withDistribution(new VerifyJobRequest.Distribution(Optional.empty(), Optional.empty(), 2));
        VerifyJobRequest since = r.withSinceReceipts(java.nio.file.Path.of("receipts"),
                Optional.of(org.imaarchiver.archive.sign.TrustedKeys.none()));
        assertThat(since.sinceReceipts()).contains(java.nio.file.Path.of("receipts"));
        assertThat(since.remote()).isTrue();
    }

    @Test
    void partitionTimeoutTakesOurDurationForms() throws Exception {
        assertThat(parse("--workers", "2", "--partition-timeout", "90s").distribution(Map.of()).partitionTimeout())
                .contains(java.time.Duration.ofSeconds(90));
        assertThat(parse("--broker", "tcp://b:1", "--job-repository", "jdbc:postgresql://d/x", "--partition-timeout", "10m")
                .distribution(Map.of()).partitionTimeout()).contains(java.time.Duration.ofMinutes(10));
        assertThat(parse("--workers", "1", "--partition-timeout", "PT2H").distribution(Map.of()).partitionTimeout())
                .contains(java.time.Duration.ofHours(2));
        assertThat(parse("--workers", "1").distribution(Map.of()).partitionTimeout()).isEmpty();
        for (String[] args : new String[][] {
                {"--partition-timeout", "10m"},                       // local mode has no partitions to wait for
                {"--workers", "1", "--partition-timeout", "0"},
                {"--workers", "1", "--partition-timeout", "soon"}}) {
            CliError e = catchThrowableOfType(CliError.class, () -> parse(args).distribution(Map.of()));
            assertThat(e).as(String.join(" ", args)).isNotNull();
            assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
        }
    }
}
