package org.imaarchiver.jobs.nightly.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.nightly.Enroller;
import org.imaarchiver.jobs.nightly.NightlyApplication;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** {@code ima-archiver enroll --out DIR}: writes ak.pem, ak.pub, ak.name and EK certificates for the verifier's trust dir. */
@Command(name = "enroll", description = "Create the AK and write its public key (and the EK certificate) for the verifier.",
        mixinStandardHelpOptions = true)
public final class EnrollCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output directory (copy it to <trust>/hosts/<host>/).")
    Path out;

    @Option(names = "--persist", description = "Make the primary AK persistent at ima-archiver.ak.handle.")
    boolean persist;

    @Unmatched // --ima-archiver.<property>=<value> overrides (docs/operations.md)
    List<String> properties = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        try (var ctx = NightlyApplication.context(properties)) {
            for (Path p : Enroller.enroll(ctx.getBean(ArchiverSettings.class), out, persist)) System.out.println(p);
        }
        return 0;
    }
}
