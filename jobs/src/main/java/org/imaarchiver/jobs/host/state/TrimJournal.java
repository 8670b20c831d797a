package org.imaarchiver.jobs.host.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.json.Json.JsonException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * A durable intent file for one trim (kernel-interface.md D.1 item 5, D.2 step 6): written (fsync, atomic
 * rename, fsync of the directory) before {@code "<N>\n"} is written to the kernel, cleared after.
 * After a crash, {@link #recover} compares the kernel's current first record with the journal.
 */
public final class TrimJournal {
    private static final long VERSION = 1;

    private final Path file;

    public TrimJournal(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    public Path file() { return file; }

    /** What a restart concludes from an open intent and the kernel's current head. */
    public sealed interface Recovery {}

    /** No intent was open: the last trim (if any) completed and was recorded. */
    public record NoIntent() implements Recovery {}

    /** The kernel still starts at record {@code start}: the trim did not happen; trimmedSoFar stays. */
    public record TrimNotApplied(TrimIntent intent) implements Recovery {}

    /** The kernel starts at record {@code start + N}: the trim happened; trimmedSoFar = start + N. */
    public record TrimApplied(TrimIntent intent) implements Recovery {
        public long trimmedSoFar() { return intent.indexAfterTrim(); }
    }

    /** The head proves neither: a foreign trimmer, lost state, or not enough journaled to tell. */
    public record Unknown(TrimIntent intent, Why why) implements Recovery {}

    public enum Why {
        /** The head is neither record {@code start} nor record {@code start + N}. */
        HEAD_UNRECOGNISED,
        /** The head is not record {@code start}, and record {@code start + N} was never read, so a trim of exactly N cannot be confirmed. */
        AFTER_LAST_NOT_JOURNALED,
        /** The kernel list is empty: every record was deleted, by us or by someone else. */
        KERNEL_LIST_EMPTY,
        /** The head is identical to both records; they cannot be told apart. */
        AMBIGUOUS_HEAD
    }

    /** Journals the intent durably; replaces an earlier one. */
    public void record(TrimIntent intent) throws IOException {
        AtomicFiles.write(file, Json.pretty(toJson(intent)).getBytes(StandardCharsets.UTF_8));
    }

    /** The open intent, if any. */
    public Optional<TrimIntent> pending() throws IOException {
        String text;
        try {
            text = LimitedFiles.readString(file, InputLimit.STATE_FILE);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(fromJson(Json.asObject(Json.parse(text), "trim intent")));
        } catch (JsonException | IllegalArgumentException e) {
            throw new StateFileException(file, "not a trim intent: " + e.getMessage(), e);
        }
    }

    /** Closes the intent after the outcome is recorded in the archive state. */
    public void clear() throws IOException {
        AtomicFiles.delete(file);
    }

    /**
     * D.2 step 6: decide from the kernel's current first record (empty when the list is empty).
     * Never guesses: anything the journal cannot prove is {@link Unknown}.
     */
    public Recovery recover(Optional<MeasurementRecord> currentKernelHead) throws IOException {
        Optional<TrimIntent> open = pending();
        if (open.isEmpty()) return new NoIntent();
        TrimIntent intent = open.get();
        if (currentKernelHead.isEmpty()) return new Unknown(intent, Why.KERNEL_LIST_EMPTY);
        MeasurementRecord head = currentKernelHead.get();
        boolean isStart = intent.first().identifies(head);
        boolean isAfter = intent.afterLast().map(r -> r.identifies(head)).orElse(false);
        if (isStart && isAfter) return new Unknown(intent, Why.AMBIGUOUS_HEAD);
        if (isStart) return new TrimNotApplied(intent);
        if (isAfter) return new TrimApplied(intent);
        return new Unknown(intent, intent.afterLast().isEmpty() ? Why.AFTER_LAST_NOT_JOURNALED : Why.HEAD_UNRECOGNISED);
    }

    private static Map<String, Object> toJson(TrimIntent intent) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("plannedN", intent.plannedN());
        m.put("startIndex", intent.startIndex());
        m.put("bank", intent.bank().kernelName());
        m.put("first", toJson(intent.first()));
        m.put("last", toJson(intent.last()));
        intent.afterLast().ifPresent(r -> m.put("afterLast", toJson(r)));
        m.put("segmentKey", intent.segmentKey());
        return m;
    }

    private static Map<String, Object> toJson(RecordId id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("templateDigest", id.templateDigest().hex());
        m.put("rawSha256", id.rawSha256().hex());
        return m;
    }

    private static TrimIntent fromJson(Map<String, Object> m) throws JsonException {
        long version = Json.asLong(Json.require(m, "version", "trim intent"), "version");
        if (version != VERSION) throw new JsonException("unsupported trim intent version " + version, 0);
        String bankName = Json.asString(Json.require(m, "bank", "trim intent"), "bank");
        HashAlgorithm bank = HashAlgorithm.byKernelName(bankName)
                .orElseThrow(() -> new JsonException("unknown bank " + bankName, 0));
        Optional<RecordId> afterLast = m.containsKey("afterLast")
                ? Optional.of(recordId(m.get("afterLast"), "afterLast")) : Optional.empty();
        return new TrimIntent(
                Json.asLong(Json.require(m, "plannedN", "trim intent"), "plannedN"),
                Json.asLong(Json.require(m, "startIndex", "trim intent"), "startIndex"),
                bank,
                recordId(Json.require(m, "first", "trim intent"), "first"),
                recordId(Json.require(m, "last", "trim intent"), "last"),
                afterLast,
                Json.asString(Json.require(m, "segmentKey", "trim intent"), "segmentKey"));
    }

    private static RecordId recordId(Object v, String what) throws JsonException {
        Map<String, Object> m = Json.asObject(v, what);
        return new RecordId(
                Digest.ofHex(Json.asString(Json.require(m, "templateDigest", what), what + ".templateDigest")),
                Digest.ofHex(Json.asString(Json.require(m, "rawSha256", what), what + ".rawSha256")));
    }
}
