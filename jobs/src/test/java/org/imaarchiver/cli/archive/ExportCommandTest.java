package org.imaarchiver.cli.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.BootExporter;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.chain.VerifiedChain;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Main;
import org.imaarchiver.jobs.reverify.TestArchive;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export} through the command line on generated archives packed by the real SegmentPacker. The
 * expected lists are the generator's own bytes (GeneratedList writes the legacy binary list itself), and
 * for another bank the same records with a digest computed here with the JDK's MessageDigest (B.7),
 * never the exporter's output read back.
 */
class ExportCommandTest {
    @TempDir Path dir;
    TestArchive archive;
    Path trust;
    byte[] boot0;
    byte[] boot1;
    List<Bytes> boot1Data;

    record Result(int code, byte[] out, String err) {
        String outText() { return new String(out, StandardCharsets.UTF_8); }

        @Override
        public String toString() { return "exit " + code + "\nstdout:\n" + outText() + "\nstderr:\n" + err; }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    private Result export(String... extra) {
        List<String> args = new ArrayList<>(List.of("export", archive.root.toString(), "--trust", trust.toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    /** Host alpha: boot 0 in two segments (40 records), a reboot, boot 1 in two segments (30 records). */
    @BeforeEach
    void archive() throws Exception {
        archive = new TestArchive(dir.resolve("store"));
        TestArchive.Host alpha = archive.host("alpha", 21, 40).segment(15).segment(40);
        boot0 = alpha.listBytes(40);
        alpha.reboot(22, 30).segment(10).segment(30);
        boot1 = alpha.listBytes(30);
        boot1Data = alpha.templateData(30);
        archive.host("bravo", 23, 10).segment(10);
        trust = archive.trustDir(dir.resolve("trust"), List.of("alpha", "bravo"));
    }

    @Test
    void eachBootIsTheListTheGeneratorWrote() throws Exception {
        Result latest = export("--host", "alpha");
        assertThat(latest.code()).as(latest.toString()).isZero();
        assertThat(latest.out()).isEqualTo(boot1);
        assertThat(latest.err()).contains("boot 1: 30 records (0..29) from 2 verified segment(s) as binary_runtime_measurements_sha1");

        Path out = dir.resolve("boot0.bin");
        Result first = export("--host", "alpha", "--boot", "0", "--out", out.toString());
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(boot0);
        assertThat(first.outText()).contains("boot 0: 40 records").contains(out.toString());
    }

    @Test
    void aDeviceIsWrittenThroughNeverReplaced() {
        // OutputTargets: /dev/null stays the null device (renaming over it as root would replace it)
        Path devNull = Path.of("/dev/null");
        Result r = export("--host", "alpha", "--out", devNull.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.isRegularFile(devNull)).isFalse();
        assertThat(Files.exists(devNull)).isTrue();
    }

    @Test
    void anotherBankCarriesThatBanksTemplateDigests() throws Exception {
        // B.7: for ima-ng the bank's digest is its hash over the template data; the rest of each record is unchanged
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        StringBuilder ascii = new StringBuilder();
        for (Bytes data : boot1Data) {
            byte[] d = sha256.digest(data.toArray());
            byte[] name = "ima-ng".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer b = ByteBuffer.allocate(4 + 32 + 4 + name.length + 4 + data.length()).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(10).put(d).putInt(name.length).put(name).putInt(data.length()).put(data.toArray());
            expected.writeBytes(b.array());
            ascii.append("10 ").append(HexFormat.of().formatHex(d)).append(" ima-ng ").append(asciiFields(data)).append('\n');
        }
        Result bin = export("--host", "alpha", "--bank", "sha256");
        assertThat(bin.code()).as(bin.toString()).isZero();
        assertThat(bin.out()).isEqualTo(expected.toByteArray());
        Result text = export("--host", "alpha", "--bank", "sha256", "--format", "ascii");
        assertThat(text.code()).as(text.toString()).isZero();
        assertThat(text.outText()).isEqualTo(ascii.toString());
    }

    /** The generator's ima-ng data as B.6 prints it: {@code sha256:<hex> <name>} (d-ng, n-ng). */
    private static String asciiFields(Bytes data) {
        ByteBuffer b = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] dng = new byte[b.getInt()];
        b.get(dng);
        byte[] nng = new byte[b.getInt()];
        b.get(nng);
        String algo = new String(dng, 0, 6, StandardCharsets.US_ASCII); // "sha256", then ":\0"
        return algo + ":" + HexFormat.of().formatHex(dng, 8, dng.length) + " " + new String(nng, 0, nng.length - 1, StandardCharsets.UTF_8);
    }

    @Test
    void aTamperedSegmentIsRefusedAndTheOutFileIsLeftAlone() throws Exception {
        archive.flipByte("alpha", 3);
        Path out = Files.writeString(dir.resolve("previous.bin"), "an earlier export");
        Result r = export("--host", "alpha", "--out", out.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.NOT_VERIFIED);
        assertThat(Files.readString(out)).isEqualTo("an earlier export");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".previous.bin"));
        }
        // one line per finding, naming host and segment, then the verdict
        assertThat(r.err()).containsPattern("export: host alpha: [a-z-]+ segment 3[ :]");
        assertThat(r.err()).contains("not exported; nothing written");
        // a fresh path gets no file at all
        Path fresh = dir.resolve("fresh.bin");
        assertThat(export("--host", "alpha", "--boot", "0", "--out", fresh.toString()).code()).isEqualTo(ExitCode.NOT_VERIFIED);
        assertThat(fresh).doesNotExist();
    }

    @Test
    void aSegmentChangedAfterVerificationStopsTheExport() throws Exception {
        // the exporter binds its second read to the manifests the chain was verified with
        try (ArchiveStore store = LocalDirectoryStore.open(archive.root)) {
            VerifiedChain chain = new ChainVerifier(TrustStore.load(trust), 1, dir.resolve("work")).verifyHostChain(store, "alpha");
            assertThat(chain.report().findings()).isEmpty();
            var boot = BootExporter.boot(chain.report(), java.util.OptionalLong.of(0)).orElseThrow();
            List<VerifiedChain.Segment> segments = BootExporter.segmentsOf(chain, boot);
            assertThat(segments).hasSize(2);
            // segment 1 swapped for boot 1's segment 3 (valid Parquet, other records)
            Files.copy(archive.segmentFile("alpha", 3), archive.segmentFile("alpha", 1), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            BootExporter.Outcome o = BootExporter.write(store, "alpha", segments, new BootExporter.ListFile(BootExporter.Form.BINARY,
                    HashAlgorithm.SHA1), dir.resolve("work"), sink);
            assertThat(o).isInstanceOf(BootExporter.Outcome.Refused.class);
            BootExporter.Outcome.Refused refused = (BootExporter.Outcome.Refused) o;
            assertThat(refused.finding().segment()).hasValue(1);
            assertThat(refused.finding().kind().id()).isIn("index-gap", "data-digest-mismatch", "record-count-mismatch");
        }
    }

    @Test
    void unknownHostOrBootListsWhatExists() {
        Result host = export("--host", "charlie");
        assertThat(host.code()).as(host.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(host.err()).contains("--host charlie").contains("hosts with a chain: alpha, bravo");
        assertThat(host.out()).isEmpty();

        Result boot = export("--host", "alpha", "--boot", "7");
        assertThat(boot.code()).as(boot.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(boot.err()).contains("--boot 7").contains("boot 0 (segments 0..1, 40 records)").contains("boot 1 (segments 2..3, 30 records)");
        assertThat(boot.out()).isEmpty();
    }

    @Test
    void aBankTheArchiveDidNotReplayIsAUsageErrorSayingWhy() {
        Result r = export("--host", "bravo", "--bank", "sha384");
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("--bank sha384").contains("segment 0").contains("replayed only sha1, sha256");
        assertThat(r.out()).isEmpty();
        assertThat(export("--host", "bravo", "--format", "json").code()).isEqualTo(ExitCode.USAGE);
        assertThat(export("--host", "bravo", "--bank", "md5").code()).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void anEnrolledHostWithoutAChainIsAFinding() throws Exception {
        Path more = archive.trustDir(dir.resolve("trust2"), Set.of("alpha", "delta"));
        Result r = run("export", archive.root.toString(), "--trust", more.toString(), "--host", "delta");
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.NOT_VERIFIED);
        assertThat(r.err()).contains("missing-chain");
    }
}
