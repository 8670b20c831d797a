package org.imaarchiver.cli.archive;

import java.nio.file.Path;
import java.util.Optional;
import org.imaarchiver.cli.CliError;
import picocli.CommandLine.Option;

/**
 * The segment options of {@code inspect}, as a picocli mixin for the list-inspecting command:
 * {@code @Mixin SegmentInspectOptions segment;} and, first thing in {@code call()},
 * {@code if (segment.applies(path)) return segment.inspect(path.toString(), json, out);}.
 */
public final class SegmentInspectOptions {
    @Option(names = "--records", description = "Segments: also print the records (kernel ASCII format; JSON lines with --json).")
    boolean records;

    @Option(names = "--store", paramLabel = "URI", description = "Segments: SEGMENT is a key in this store.")
    String store;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "Segments: S3 endpoint of --store.")
    String s3Endpoint;

    /** True when the argument names a segment: a store key (--store) or a Parquet file. */
    public boolean applies(Path argument) {
        return store != null || SegmentInspector.isParquet(argument);
    }

    /** Inspects the segment; returns the exit code. */
    public int inspect(String segment, boolean json, java.io.PrintStream out) throws CliError {
        SegmentInspector.run(segment, Optional.ofNullable(store), Optional.ofNullable(s3Endpoint),
                new SegmentInspector.Options(records, json), out);
        return org.imaarchiver.cli.ExitCode.OK;
    }

    /** For a list (not a segment), segment-only options are a usage error. */
    public void rejectForLists() throws CliError {
        if (records) throw CliError.usage("--records applies to segments (Parquet files) only; a list prints all its records");
        if (s3Endpoint != null) throw CliError.usage("--s3-endpoint applies with --store only");
    }
}
