package org.imaarchiver.cli.archive;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.chain.PackNonce;
import org.imaarchiver.archive.chain.PackRequest;
import org.imaarchiver.archive.chain.PackResult;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.replay.Replayer;
import org.imaarchiver.replay.synth.LogGenerator;

/**
 * A generated fleet archive for the bulk-verify benchmark: {@code hosts} hosts, each one boot with
 * {@code nights} nightly segments (the first holding {@code bootRecords} records, the others
 * {@code recordsPerNight}), packed by the real {@link SegmentPacker} with derived nonces and quotes of
 * a software P-256 "AK" over the generator's independently computed PCR values. Layout of {@code dir}:
 * {@code archive/} (the store), {@code trust/} (every host's AK, the signer), {@code keys/}.
 * Resumable: hosts whose chain already has {@code nights} segments are skipped, a partial host is
 * regenerated, so an interrupted generation continues with the same command.
 */
final class FleetArchive {
    static final Instant T0 = Instant.parse("2026-01-01T02:00:00Z");

    record Shape(int hosts, int nights, int bootRecords, int recordsPerNight) {
        long records() { return (long) hosts * (bootRecords + (long) (nights - 1) * recordsPerNight); }

        long segments() { return (long) hosts * nights; }
    }

    private final Path dir;
    private final Shape shape;

    FleetArchive(Path dir, Shape shape) {
        this.dir = dir;
        this.shape = shape;
    }

    Path archive() { return dir.resolve("archive"); }

    Path trust() { return dir.resolve("trust"); }

    static String hostId(int i) { return String.format("host-%05d", i); }

    /** Generates what is missing on {@code threads} threads; returns the number of hosts generated now. */
    int generate(int threads, PrintStream log) throws Exception {
        Files.createDirectories(archive());
        KeyMaterial signer = signerKey();
        KeyPair ak = akKey();
        String akPem = BenchVerifyCommand.pem(ak);
        Files.createDirectories(trust().resolve("signers"));
        Files.copy(dir.resolve("keys").resolve(KeyMaterial.CERT_FILE), trust().resolve("signers/archiver.pem"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong done = new AtomicLong();
        AtomicLong generated = new AtomicLong();
        long t0 = System.nanoTime();
        try (ArchiveStore store = LocalDirectoryStore.open(archive())) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < shape.hosts(); i++) {
                int index = i;
                fs.add(pool.submit(() -> {
                    String host = hostId(index);
                    Path akFile = trust().resolve("hosts").resolve(host).resolve("ak.pem");
                    if (!Files.exists(akFile)) {
                        Files.createDirectories(akFile.getParent());
                        Files.writeString(akFile, akPem);
                    }
                    if (!complete(store, host)) {
                        generateHost(store, signer, ak, host, index);
                        generated.incrementAndGet();
                    }
                    long n = done.incrementAndGet();
                    if (n % 50 == 0 || n == shape.hosts()) {
                        log.printf("generate   %d/%d hosts (%.0f s)%n", n, shape.hosts(), (System.nanoTime() - t0) / 1e9);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        return (int) generated.get();
    }

    private boolean complete(ArchiveStore store, String host) throws Exception {
        Optional<ChainHead> head = new ChainIndex(store).head(host);
        if (head.isPresent() && head.get().nextSequence() == shape.nights()) return true;
        // partial (or an orphaned object of an interrupted pack): start the host over
        StoreAccess.deleteTree(archive().resolve(ArchiveLayout.segmentsPrefix(host)));
        return false;
    }

    private void generateHost(ArchiveStore store, KeyMaterial signerKey, KeyPair ak, String host, int index) throws Exception {
        Path work = Files.createTempDirectory("ima-archiver-fleet");
        try {
            SegmentPacker packer = new SegmentPacker(store, new SegmentSigner(signerKey, Optional.empty()), work, Replayer.sequential());
            // Unsigned records as in bench-verify; one seed per host: every chain is different.
            LogGenerator gen = LogGenerator.newList(LogGenerator.Options.defaults(1_000_003L * (index + 1)).withSignatureRate(0)
                    .withExpectedBanks(EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256)));
            for (int night = 0; night < shape.nights(); night++) {
                long first = gen.nextIndex();
                ByteArrayOutputStream bos = new ByteArrayOutputStream();
                LogGenerator.Summary sum = gen.write(bos, night == 0 ? shape.bootRecords() : shape.recordsPerNight(), null);
                byte[] bytes = bos.toByteArray();
                Optional<MeasurementRecord> recordZero = Optional.empty();
                if (first == 0) {
                    recordZero = BinaryLogReader.open(new ByteArrayInputStream(bytes), LogReadOptions.of(host)).next();
                }
                SegmentPacker.PlanResult pr = packer.plan(host, recordZero, 1, 0, Bytes.EMPTY);
                if (!(pr instanceof SegmentPacker.Planned planned)) throw new IOException(host + ": plan refused: " + pr);
                byte[] nonce = planned.plan().derivedNonce().bytes();
                byte[] attest = BenchVerifyCommand.attest(sum.expectedPcrs(), nonce);
                QuoteEvidence quote = new QuoteEvidence(Bytes.wrap(attest), Bytes.wrap(BenchVerifyCommand.sign(ak.getPrivate(), attest)),
                        Bytes.EMPTY);
                BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(bytes), LogReadOptions.of(host).withFirstIndex(first));
                Instant createdAt = T0.plus(Duration.ofDays(night)).plusSeconds(index % 3600);
                PackResult r = packer.pack(planned.plan(), new PackRequest(host, reader, quote, AkPublicKey.of(ak.getPublic()), new PackNonce.Derived(),
                        createdAt, "ima-archiver/bench-fleet", Optional.empty()));
                if (!(r instanceof PackResult.Packed)) throw new IOException(host + " night " + night + ": " + r);
            }
        } finally {
            StoreAccess.deleteTree(work);
        }
    }

    private KeyMaterial signerKey() throws IOException {
        Path keys = dir.resolve("keys");
        if (Files.exists(keys.resolve(KeyMaterial.KEY_FILE))) return KeyMaterial.readPem(keys);
        KeyMaterial k = KeyMaterial.generate(KeyMaterial.KeyType.P256, "bench-fleet", T0.minus(Duration.ofDays(1)),
                T0.plus(Duration.ofDays(3650)));
        k.writePem(keys);
        return k;
    }

    /** The software AK, kept (PKCS#8 + SPKI, base64) so that a resumed generation quotes with the same key. */
    private KeyPair akKey() throws Exception {
        Path priv = dir.resolve("keys/ak-private.b64");
        Path pub = dir.resolve("keys/ak-public.b64");
        KeyFactory kf = KeyFactory.getInstance("EC");
        if (Files.exists(priv) && Files.exists(pub)) {
            PrivateKey p = kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(LimitedFiles.readString(priv, InputLimit.PEM).strip())));
            PublicKey q = kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(LimitedFiles.readString(pub, InputLimit.PEM).strip())));
            return new KeyPair(q, (ECPrivateKey) p);
        }
        KeyPair kp = BenchVerifyCommand.newAk();
        Files.createDirectories(priv.getParent());
        Files.writeString(priv, Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        Files.writeString(pub, Base64.getEncoder().encodeToString(kp.getPublic().getEncoded()), StandardCharsets.US_ASCII);
        return kp;
    }
}
