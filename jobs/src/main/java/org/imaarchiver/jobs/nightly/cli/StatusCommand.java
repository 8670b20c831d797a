package org.imaarchiver.jobs.nightly.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.nightly.NightlyApplication;
import org.imaarchiver.jobs.nightly.StatusReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code ima-archiver status}: chain head, local state, kernel list length, last run, next run. Exit 0. */
@Command(name = "status", description = "Show the chain head, the local state, the kernel list and what the next run would do.",
        mixinStandardHelpOptions = true)
public final class StatusCommand implements Callable<Integer> {
    @Unmatched // --ima-archiver.<property>=<value> overrides (docs/operations.md)
    List<String> properties = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        try (var ctx = NightlyApplication.context(properties)) {
            StatusReport.print(ctx.getBean(ArchiverSettings.class), System.out);
        }
        return 0;
    }
}
