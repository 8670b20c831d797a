package org.imaarchiver.jobs.nightly.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imaarchiver.jobs.nightly.NightlyApplication;
import org.imaarchiver.jobs.nightly.RunKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code ima-archiver archive [--ima-archiver.x=y ...]}: one run of archiveAndTrimJob. Exit codes:
 * 0 archived and trimmed, 10 nothing to do, 11 archived but not trimmed, 12 trimming blocked,
 * 13 another archiver holds the lock, 1 verification failure, 3 environment error
 * (docs/operations.md).
 */
@Command(name = "archive", description = "Quote, archive the measurement list as a signed segment, and trim what is durable.",
        mixinStandardHelpOptions = true)
public final class ArchiveCommand implements Callable<Integer> {
    @Option(names = "--at-shutdown", description = "The run at shutdown (ima-archiver-shutdown.service): the segment closes the boot "
            + "and is written even with no new record, so verify reports the boot as closed.")
    boolean atShutdown;

    @Unmatched // --ima-archiver.<property>=<value> overrides (docs/operations.md)
    List<String> properties = new ArrayList<>();

    @Override
    public Integer call() {
        return NightlyApplication.archive(properties, atShutdown ? RunKind.SHUTDOWN : RunKind.NIGHTLY, System.out);
    }
}
