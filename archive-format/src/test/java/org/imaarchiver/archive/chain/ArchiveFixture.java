package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.replay.Replayer;

/** Builds generated archives with the real packer: derived nonces, quotes from a {@link FakeTpm}. */
public final class ArchiveFixture {
    public static final Instant T0 = Instant.parse("2026-11-27T00:00:00Z");

    /** One boot: a generated list of {@code count} records, quoted after each of {@code quotes}. */
    public record Boot(long seed, int count, List<Integer> quotes) {}

    public final KeyMaterial signerKey = KeyMaterial.generate(KeyMaterial.KeyType.P256, "archiver", T0.minusSeconds(3600),
            T0.plusSeconds(365L * 86400));
    public final SegmentSigner signer = new SegmentSigner(signerKey, Optional.empty());
    private long minute;

    /** Packs the boots of {@code host} into {@code storeDir}; asserts every pack succeeds. */
    public void build(Path storeDir, Path work, String host, FakeTpm tpm, List<Boot> boots) throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(storeDir)) {
            SegmentPacker packer = new SegmentPacker(store, signer, work, Replayer.sequential());
            boolean first = true;
            for (Boot boot : boots) {
                if (!first) tpm.reboot();
                first = false;
                GeneratedList list = new GeneratedList(boot.seed(), boot.count());
                int extended = 0;
                for (int q : boot.quotes()) {
                    while (extended < q) tpm.extend(list.records.get(extended++));
                    SegmentPacker.PlanResult pr = packer.plan(host, Optional.of(list.records.get(0)), tpm.resetCount,
                            tpm.restartCount, tpm.akName);
                    assertThat(pr).isInstanceOf(SegmentPacker.Planned.class);
                    PackPlan plan = ((SegmentPacker.Planned) pr).plan();
                    QuoteEvidence quote = tpm.quote(Bytes.wrap(plan.derivedNonce().bytes()));
                    // The list read after the quote holds every record (the whole boot here): more than the quote covers.
                    BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(list.bytes(boot.count())),
                            LogReadOptions.of(host + "-" + boot.seed()));
                    PackResult r = packer.pack(plan, new PackRequest(host, reader, quote, tpm.akPublic(), new PackNonce.Derived(),
                            T0.plusSeconds(60 * minute++), "ima-archiver/test", Optional.empty()));
                    assertThat(r).isInstanceOf(PackResult.Packed.class);
                    assertThat(((PackResult.Packed) r).quotePoint()).isEqualTo(q);
                }
            }
        }
    }

    /** A trust directory: the given hosts' AKs and this fixture's signer. */
    public Path trustDir(Path dir, String[] hosts, FakeTpm[] tpms) throws IOException {
        for (int i = 0; i < hosts.length; i++) {
            Path h = Files.createDirectories(dir.resolve("hosts").resolve(hosts[i]));
            Files.writeString(h.resolve("ak.pem"), tpms[i].akPem());
        }
        Path keys = dir.resolve("signer-keys");
        signerKey.writePem(keys);
        Files.createDirectories(dir.resolve("signers"));
        Files.copy(keys.resolve(KeyMaterial.CERT_FILE), dir.resolve("signers").resolve("archiver.pem"));
        return dir;
    }

    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
