package org.imaarchiver.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.synth.LogGenerator;

/**
 * What the nightly job will do against a real TPM, against a swtpm: extend the records of a list into
 * the PCRs (tpm-tools.md §4.1) and take quotes with an AK (the quote flow of tpm-tools.md §4.2).
 */
public final class TpmDemo {
    /** tpm2_pcrextend accepts 2000 specs per process; 1000 keeps command lines modest (§4.1). */
    public static final int EXTEND_BATCH = 1000;

    private final SwtpmProcess tpm;
    private final List<String> pending = new ArrayList<>();
    private final TreeSet<Integer> pcrsSeen = new TreeSet<>();

    public TpmDemo(SwtpmProcess tpm) { this.tpm = tpm; }

    /** A sink for {@link LogGenerator#write}: queues one extend spec per record, flushing in batches. */
    public LogGenerator.RecordSink extender() {
        return r -> {
            pcrsSeen.add(r.pcr());
            StringBuilder spec = new StringBuilder().append(r.pcr()).append(':');
            boolean first = true;
            for (Map.Entry<HashAlgorithm, Digest> e : r.extendValues().entrySet()) {
                if (!first) spec.append(',');
                first = false;
                spec.append(e.getKey().kernelName()).append('=').append(e.getValue().hex());
            }
            pending.add(spec.toString());
            if (pending.size() >= EXTEND_BATCH) {
                try {
                    flush();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", ex);
                } catch (SwtpmProcess.TpmUnavailableException ex) {
                    throw new IOException(ex.getMessage(), ex);
                }
            }
        };
    }

    /** Sends the queued extends. */
    public void flush() throws IOException, InterruptedException, SwtpmProcess.TpmUnavailableException {
        if (pending.isEmpty()) return;
        List<String> cmd = new ArrayList<>();
        cmd.add("tpm2_pcrextend");
        cmd.addAll(pending);
        tpm.tpm2(cmd.toArray(String[]::new));
        pending.clear();
    }

    /** The PCR indices extended so far (the quote must select all of them, ima-kernel.md C.3). */
    public TreeSet<Integer> pcrsSeen() { return pcrsSeen; }

    /** Files of one AK in the TPM's state directory. */
    public record Ak(Path context, Path pem, Path tpm2bPublic) {}

    /** Creates an RSA EK and an RSA AK (rsassa, sha256), flushing transient objects (tpm-tools.md §1, §4.2). */
    public Ak createAk() throws IOException, InterruptedException, SwtpmProcess.TpmUnavailableException {
        tpm.tpm2("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
        tpm.tpm2("tpm2_flushcontext", "-t");
        tpm.tpm2("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa",
                "-u", "ak.pub", "-n", "ak.name", "-r", "ak.priv");
        tpm.tpm2("tpm2_flushcontext", "-t");
        tpm.tpm2("tpm2_readpublic", "-c", "ak.ctx", "-f", "pem", "-o", "ak.pem");
        tpm.tpm2("tpm2_flushcontext", "-t");
        Path d = tpm.stateDir();
        return new Ak(d.resolve("ak.ctx"), d.resolve("ak.pem"), d.resolve("ak.pub"));
    }

    /** Quote files written by tpm2_quote. */
    public record QuoteFiles(Path msg, Path sig, Path pcrs, byte[] nonce) {}

    /** Quotes sha1 and sha256 over {@code pcrs} with {@code nonce}; files are named {@code quote-NAME.*}. */
    public QuoteFiles quote(String name, TreeSet<Integer> pcrs, byte[] nonce)
            throws IOException, InterruptedException, SwtpmProcess.TpmUnavailableException {
        flush();
        StringBuilder list = new StringBuilder();
        for (int p : pcrs) list.append(list.length() == 0 ? "" : ",").append(p);
        String sel = "sha1:" + list + "+sha256:" + list;
        Path d = tpm.stateDir();
        tpm.tpm2("tpm2_quote", "-c", "ak.ctx", "-l", sel, "-q", HexFormat.of().formatHex(nonce), "-g", "sha256",
                "-m", "quote-" + name + ".msg", "-s", "quote-" + name + ".sig", "-o", "quote-" + name + ".pcrs");
        tpm.tpm2("tpm2_flushcontext", "-t");
        return new QuoteFiles(d.resolve("quote-" + name + ".msg"), d.resolve("quote-" + name + ".sig"),
                d.resolve("quote-" + name + ".pcrs"), nonce.clone());
    }

    /** tpm2_checkquote's verdict (the peer), as its exit code. */
    public int checkquote(Path akPem, QuoteFiles q, byte[] nonce) throws IOException, InterruptedException {
        return tpm.run(List.of("tpm2_checkquote", "-u", akPem.toString(), "-m", q.msg().toString(),
                "-s", q.sig().toString(), "-f", q.pcrs().toString(), "-g", "sha256",
                "-q", HexFormat.of().formatHex(nonce))).exitCode();
    }

    static boolean exists(Path p) { return Files.exists(p); }
}
