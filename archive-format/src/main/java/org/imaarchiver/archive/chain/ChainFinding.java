package org.imaarchiver.archive.chain;

import java.util.OptionalLong;

/**
 * One thing wrong with a host's archive, as its typed cause: every finding names the host and a
 * {@link FindingKind}, a segment finding the segment's (first) sequence, a record finding also the
 * absolute record index, and each cause the values it is about (digests, PCR states, boot
 * identities, sequences). The report's text ({@link #expected}, {@link #found}, {@link #detail}) is
 * rendered from those fields and never read back to decide anything.
 *
 * <p>The causes are grouped by the step that raises them: {@link ObjectFinding} (the objects of a
 * segment and their decoding), {@link QuoteFinding} (the end quote), {@link ReplayFinding} (the rows
 * replayed), {@link CheckpointFinding} (a compacted segment's checkpoints), {@link LinkFinding} (the
 * chain rules between segments, {@link ChainLink}) and {@link SegmentCheck} (the per-segment checks
 * of {@code archive.segment}, carried as their own typed {@link org.imaarchiver.archive.segment.SegmentFinding}),
 * {@link LossFinding} (history that should exist and does not: a missing, rolled back or stale chain),
 * and {@link AdmissionFinding} (an AK of the trust directory whose admission record does not hold).
 */
public sealed interface ChainFinding permits ObjectFinding, QuoteFinding, ReplayFinding, CheckpointFinding, LinkFinding, SegmentCheck,
        LossFinding, AdmissionFinding {
    String host();

    FindingKind kind();

    /** The segment sequence, if the finding is about one segment. */
    OptionalLong segment();

    /** The absolute record index, if the finding is about one record. */
    OptionalLong record();

    /** The expected value as report text (a hex digest, an index, a PCR summary), or empty. */
    String expected();

    /** The value found, as report text, or empty. */
    String found();

    /** One line for operators. */
    String detail();
}
