package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.archive.store.StoreOptions;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.state.HostState;
import org.imaarchiver.jobs.host.state.HostStateFile;
import org.imaarchiver.jobs.host.state.TrimJournal;
import org.imaarchiver.jobs.logview.KeptChunk;
import org.imaarchiver.jobs.logview.KeptRecords;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/** {@code status}: read-only; never writes the kernel, the archive or the state. */
public final class StatusReport {
    private StatusReport() {}

    public static void print(ArchiverSettings s, PrintStream out) {
        String host = s.effectiveHostId();
        out.println("host: " + host);
        Optional<ChainHead> head = Optional.empty();
        try {
            head = new ChainIndex(ArchiveStores.open(s.store().uri(), StoreOptions.defaults())).head(host);
            out.println("archive head: " + head.map(h -> "segment " + h.sequence() + ", boot " + h.boot().bootCounter()
                    + ", next index " + h.endState().nextIndex()
                    + (h.manifest().closesBoot() ? ", closes its boot (a run at shutdown)" : ", boot still open")).orElse("none"));
        } catch (Exception e) {
            out.println("archive head: unreadable (" + e.getMessage() + ")");
        }
        Optional<HostState> state = Optional.empty();
        try {
            state = new HostStateFile(s.hostStatePath()).read();
            out.println("local state: " + state.map(st -> "kernel list starts at " + st.nextIndex() + ", last run " + st.lastRun()).orElse("none"));
        } catch (IOException e) {
            out.println("local state: unreadable (" + e.getMessage() + ")");
        }
        try (var store = ArchiveStores.open(s.store().uri(), StoreOptions.defaults())) {
            // staging with prompt (ima_flush_htable): records beyond the last quote kept before D
            ExcessRecords excess = new ExcessRecords(s.stateDir(), store, host);
            long boot = head.map(h -> h.boot().bootCounter()).orElse(-1L);
            java.util.Set<ExcessRecords.Excess> all = new java.util.LinkedHashSet<>(excess.local());
            all.addAll(excess.inStore());
            all.addAll(excess.unverified());
            for (ExcessRecords.Excess e : all) {
                boolean current = e.boot() == boot && !excess.unverified().contains(e);
                out.println((current ? "excess: " : "unverified excess: ") + e.count() + " records [" + e.start() + ", " + e.end()
                        + ") of boot " + e.boot() + (current ? ", archived by the next run" : ", never quoted (a reboot came first): kept, not chained")
                        + " (local " + (excess.local().contains(e) || excess.unverified().contains(e) ? "yes" : "no")
                        + ", store " + (excess.inStore().contains(e) ? "yes" : "no") + ")");
            }
        } catch (Exception e) {
            out.println("excess: unreadable (" + e.getMessage() + ")");
        }
        printKeptRecords(s, out);
        long count = -1;
        HashAlgorithm bank = HashAlgorithm.byKernelName(s.templateBank()).orElse(HashAlgorithm.SHA256);
        var log = SecurityfsLog.at(s.securityfsRoot(), s.procCmdline());
        boolean staging = false;
        try (FileChannel ch = FileChannel.open(log.binaryFile(bank), StandardOpenOption.READ)) {
            var r = BinaryLogReader.open(ch, LogReadOptions.of(log.binaryFile(bank).toString()).withBank(bank));
            count = 0;
            while (r.next().isPresent()) count++;
            staging = log.features().staging();
            out.println("kernel list: " + count + " records" + (staging ? "" : " (no staging: archive-only)"));
        } catch (Exception e) {
            out.println("kernel list: unreadable (" + e.getMessage() + ")");
        }
        try {
            String metrics = new MetricsFile(s.metricsPath()).read();
            out.println("last run: " + metrics.lines().filter(l -> l.startsWith(MetricsFile.OUTCOME) && l.endsWith(" 1"))
                    .map(l -> l.substring(l.indexOf('"') + 1, l.lastIndexOf('"'))).findFirst().orElse("unknown"));
        } catch (IOException e) {
            out.println("last run: unknown");
        }
        String next;
        try {
            if (Files.exists(s.stateDir().resolve(ArchiveRun.BLOCK_FILE))) {
                next = "blocked: " + LimitedFiles.readString(s.stateDir().resolve(ArchiveRun.BLOCK_FILE), InputLimit.STATE_FILE).strip();
            } else if (new TrimJournal(s.journalPath()).pending().isPresent()) {
                next = "recover the journaled trim first";
            } else {
                long start = state.map(HostState::nextIndex).orElse(0L);
                long archivedUpTo = head.map(h -> h.endState().nextIndex()).orElse(0L);
                long fresh = count < 0 ? -1 : Math.max(0, start + count - archivedUpTo);
                next = "archive up to " + fresh + " records" + (staging ? ", then trim up to the quote point" : " (archive-only)");
            }
        } catch (IOException e) {
            next = "unknown (" + e.getMessage() + ")";
        }
        out.println("next run: " + next);
    }

    /** The log view's kept records: per boot, how many, how many trims, and the disk they take. */
    private static void printKeptRecords(ArchiverSettings s, PrintStream out) {
        KeptRecords kept = new KeptRecords(s.stateDir());
        try {
            List<Long> boots = kept.boots();
            if (boots.isEmpty()) out.println("log view: no kept records (" + kept.root() + ")");
            for (long boot : boots) {
                List<KeptChunk> chunks = kept.chunks(boot);
                long records = chunks.stream().mapToLong(KeptChunk::count).sum();
                out.println("log view: " + records + " kept records of boot " + boot + " (" + chunks.size() + " trims), "
                        + kept.diskUse() + " bytes on disk in " + kept.root());
            }
        } catch (IOException e) {
            out.println("log view: unreadable (" + e.getMessage() + ")");
        }
    }
}
