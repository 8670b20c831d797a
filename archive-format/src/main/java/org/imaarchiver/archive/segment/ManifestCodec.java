package org.imaarchiver.archive.segment;

import static org.imaarchiver.archive.segment.MalformedManifestException.Kind.BAD_FIELD;
import static org.imaarchiver.archive.segment.MalformedManifestException.Kind.MISSING_FIELD;
import static org.imaarchiver.archive.segment.MalformedManifestException.Kind.NOT_CANONICAL;
import static org.imaarchiver.archive.segment.MalformedManifestException.Kind.NOT_JSON;
import static org.imaarchiver.archive.segment.MalformedManifestException.Kind.UNKNOWN_FIELD;
import static org.imaarchiver.archive.segment.MalformedManifestException.Kind.UNSUPPORTED_VERSION;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.QuoteEvidence;

/**
 * Canonical JSON encoding of {@link SegmentManifest} (docs/archive-format.md §6): {@link Json#canonical}
 * of the document, UTF-8. Binary values are lowercase hex strings. Parsing is strict: the input must be
 * byte-identical to the canonical re-encoding of what it parses to, unknown keys are rejected, and
 * every failure is a {@link MalformedManifestException} naming the JSON path.
 */
public final class ManifestCodec {
    private ManifestCodec() {}

    // Top-level keys.
    public static final String FORMAT_VERSION = "formatVersion";
    public static final String HOST_ID = "hostId";
    public static final String BOOT = "boot";
    public static final String SEQUENCE = "sequence";
    public static final String FIRST_INDEX = "firstIndex";
    public static final String RECORD_COUNT = "recordCount";
    public static final String BASE = "base";
    public static final String END = "end";
    public static final String QUOTE = "quote";
    public static final String NONCE_DERIVATION = "nonceDerivation";
    public static final String REPLAY = "replay";
    public static final String CREATED_AT = "createdAt";
    public static final String PRODUCER = "producer";
    public static final String DATA_DIGEST = "dataDigest";
    public static final String PREVIOUS_MANIFEST_DIGEST = "previousManifestDigest";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String COMPACTION = "compaction";
    public static final String CLOSES_BOOT = "closesBoot";
    // checkpoint (also SEQUENCE, END, QUOTE, NONCE_DERIVATION, PREVIOUS_MANIFEST_DIGEST, RESTART_COUNT)
    public static final String MANIFEST_DIGEST = "manifestDigest";
    // compaction
    public static final String LAST_SEQUENCE = "lastSequence";
    public static final String REPLACES = "replaces";
    public static final String CHAIN_LINK_DIGEST = "chainLinkDigest";
    // boot
    public static final String BOOT_AGGREGATE = "bootAggregate";
    public static final String BOOT_AGGREGATE_ALGORITHM = "bootAggregateAlgorithm";
    public static final String RESET_COUNT = "resetCount";
    public static final String RESTART_COUNT = "restartCount";
    public static final String BOOT_COUNTER = "bootCounter";
    // quote
    public static final String ATTEST = "attest";
    public static final String SIGNATURE = "signature";
    public static final String AK_NAME = "akName";
    // nonceDerivation
    public static final String KIND = "kind";
    public static final String NONCE = "nonce";
    // replay
    public static final String TEMPLATE_DIGEST_ALGORITHM = "templateDigestAlgorithm";
    public static final String BYTE_ORDER = "byteOrder";
    public static final String KERNEL_VERSION = "kernelVersion";
    // PcrState
    public static final String NEXT_INDEX = "nextIndex";
    public static final String BANKS = "banks";
    public static final String EXTEND_MODES = "extendModes";
    public static final String PCRS = "pcrs";

    public static final String LITTLE_ENDIAN = "little-endian";
    public static final String BIG_ENDIAN = "big-endian";

    private static final HexFormat HEX = HexFormat.of();

    /** The canonical UTF-8 bytes (ASCII in practice: {@link Json#canonical} escapes non-ASCII). */
    public static Bytes encode(SegmentManifest m) {
        return Bytes.wrap(Json.canonical(toJson(m)).getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 over the canonical bytes: the manifest digest that chains and nonces refer to. */
    public static Digest digest(SegmentManifest m) {
        return digestOf(encode(m));
    }

    /** SHA-256 over the given manifest bytes. */
    public static Digest digestOf(Bytes canonicalBytes) {
        var md = HashAlgorithm.SHA256.newDigest();
        canonicalBytes.updateDigest(md);
        return Digest.wrap(md.digest());
    }

    public static Map<String, Object> toJson(SegmentManifest m) {
        Map<String, Object> o = new TreeMap<>();
        o.put(FORMAT_VERSION, (long) m.formatVersion());
        o.put(HOST_ID, m.hostId());
        Map<String, Object> boot = new TreeMap<>();
        boot.put(BOOT_AGGREGATE, m.boot().bootAggregate().hex());
        boot.put(BOOT_AGGREGATE_ALGORITHM, m.boot().bootAggregateAlgorithm().kernelName());
        boot.put(RESET_COUNT, m.boot().resetCount());
        boot.put(RESTART_COUNT, m.boot().restartCount());
        boot.put(BOOT_COUNTER, m.boot().bootCounter());
        o.put(BOOT, boot);
        o.put(SEQUENCE, m.sequence());
        o.put(FIRST_INDEX, m.firstIndex());
        o.put(RECORD_COUNT, m.recordCount());
        o.put(BASE, pcrStateToJson(m.base()));
        o.put(END, pcrStateToJson(m.end()));
        o.put(QUOTE, quoteToJson(m.quote()));
        o.put(NONCE_DERIVATION, nonceToJson(m.nonceDerivation()));
        Map<String, Object> replay = new TreeMap<>();
        replay.put(TEMPLATE_DIGEST_ALGORITHM, m.replay().templateDigestAlgorithm().kernelName());
        replay.put(BYTE_ORDER, m.replay().byteOrder() == ByteOrder.BIG_ENDIAN ? BIG_ENDIAN : LITTLE_ENDIAN);
        m.replay().kernelVersion().ifPresent(v -> replay.put(KERNEL_VERSION, v));
        o.put(REPLAY, replay);
        o.put(CREATED_AT, m.createdAt());
        o.put(PRODUCER, m.producer());
        o.put(DATA_DIGEST, m.dataDigest().hex());
        m.previousManifestDigest().ifPresent(d -> o.put(PREVIOUS_MANIFEST_DIGEST, d.hex()));
        List<Object> cps = new ArrayList<>();
        for (Checkpoint c : m.checkpoints()) cps.add(checkpointToJson(c));
        o.put(CHECKPOINTS, cps);
        m.compaction().ifPresent(c -> {
            Map<String, Object> co = new TreeMap<>();
            co.put(LAST_SEQUENCE, c.lastSequence());
            List<Object> rep = new ArrayList<>();
            for (Digest d : c.replaces()) rep.add(d.hex());
            co.put(REPLACES, rep);
            co.put(CHAIN_LINK_DIGEST, c.chainLinkDigest().hex());
            o.put(COMPACTION, co);
        });
        if (m.closesBoot()) o.put(CLOSES_BOOT, Boolean.TRUE);
        return o;
    }

    private static Map<String, Object> nonceToJson(NonceDerivation n) {
        Map<String, Object> nd = new TreeMap<>();
        nd.put(KIND, n.kind());
        nd.put(NONCE, n.nonce().hex());
        return nd;
    }

    private static Map<String, Object> checkpointToJson(Checkpoint c) {
        Map<String, Object> o = new TreeMap<>();
        o.put(SEQUENCE, c.sequence());
        o.put(MANIFEST_DIGEST, c.manifestDigest().hex());
        c.previousManifestDigest().ifPresent(d -> o.put(PREVIOUS_MANIFEST_DIGEST, d.hex()));
        o.put(RESTART_COUNT, c.restartCount());
        o.put(END, pcrStateToJson(c.end()));
        o.put(QUOTE, quoteToJson(c.quote()));
        o.put(NONCE_DERIVATION, nonceToJson(c.nonceDerivation()));
        return o;
    }

    /**
     * The PcrState JSON shape shared with the replay state files:
     * {@code {"banks":["sha1"],"extendModes":{"sha1":"per-bank-hash"},"nextIndex":n,"pcrs":{"10":{"sha1":"hex"}}}}.
     * Only (PCR, bank) values present in the state are written; absent ones are all zeros.
     */
    public static Map<String, Object> pcrStateToJson(PcrState s) {
        Map<String, Object> o = new TreeMap<>();
        o.put(NEXT_INDEX, s.nextIndex());
        List<Object> banks = new ArrayList<>();
        for (HashAlgorithm a : s.banks()) banks.add(a.kernelName());
        o.put(BANKS, banks);
        Map<String, Object> modes = new TreeMap<>();
        for (var e : s.extendModes().entrySet()) modes.put(e.getKey().kernelName(), e.getValue().id());
        o.put(EXTEND_MODES, modes);
        Map<String, Object> pcrs = new TreeMap<>();
        for (var e : s.values().entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> perPcr = (Map<String, Object>) pcrs.computeIfAbsent(
                    Integer.toString(e.getKey().index()), k -> new TreeMap<String, Object>());
            perPcr.put(e.getKey().algorithm().kernelName(), e.getValue().hex());
        }
        o.put(PCRS, pcrs);
        return o;
    }

    private static Map<String, Object> quoteToJson(QuoteEvidence q) {
        Map<String, Object> o = new TreeMap<>();
        o.put(ATTEST, q.attest().hex());
        o.put(SIGNATURE, q.signature().hex());
        o.put(AK_NAME, q.akName().hex());
        return o;
    }

    // ------------------------------------------------------------------ parsing

    public static SegmentManifest decode(Bytes bytes) throws MalformedManifestException {
        return decode(bytes.toArray());
    }

    public static SegmentManifest decode(byte[] bytes) throws MalformedManifestException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedManifestException(NOT_JSON, "$", "not UTF-8", e);
        }
        Object doc;
        try {
            doc = Json.parse(text);
        } catch (Json.JsonException e) {
            throw new MalformedManifestException(NOT_JSON, "$", e.getMessage(), e);
        }
        Obj root = Obj.of(doc, "$");
        long version = root.longValue(FORMAT_VERSION);
        if (version != SegmentManifest.FORMAT_VERSION) {
            throw new MalformedManifestException(UNSUPPORTED_VERSION, "$." + FORMAT_VERSION,
                    "formatVersion " + version + " (supported: " + SegmentManifest.FORMAT_VERSION + ")");
        }
        SegmentManifest m;
        try {
            m = fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new MalformedManifestException(BAD_FIELD, "$", e.getMessage(), e);
        }
        // Signed bytes must be the canonical bytes, or two encodings of one value would have two digests.
        String canonical = Json.canonical(toJson(m));
        if (!canonical.equals(text)) {
            throw new MalformedManifestException(NOT_CANONICAL, "$", "input differs from its canonical encoding at character "
                    + firstDifference(canonical, text));
        }
        return m;
    }

    private static int firstDifference(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) if (a.charAt(i) != b.charAt(i)) return i;
        return n;
    }

    private static SegmentManifest fromJson(Obj root) throws MalformedManifestException {
        root.allowOnly(FORMAT_VERSION, HOST_ID, BOOT, SEQUENCE, FIRST_INDEX, RECORD_COUNT, BASE, END, QUOTE,
                NONCE_DERIVATION, REPLAY, CREATED_AT, PRODUCER, DATA_DIGEST, PREVIOUS_MANIFEST_DIGEST, CHECKPOINTS, COMPACTION,
                CLOSES_BOOT);
        Obj boot = root.obj(BOOT);
        boot.allowOnly(BOOT_AGGREGATE, BOOT_AGGREGATE_ALGORITHM, RESET_COUNT, RESTART_COUNT, BOOT_COUNTER);
        HashAlgorithm baAlg = boot.algorithm(BOOT_AGGREGATE_ALGORITHM);
        Digest ba = boot.digest(BOOT_AGGREGATE, baAlg.digestLength());
        BootIdentity bootIdentity = boot.build(() -> new BootIdentity(baAlg, ba, boot.longValue(RESET_COUNT),
                boot.longValue(RESTART_COUNT), boot.longValue(BOOT_COUNTER)));

        NonceDerivation nonceDerivation = nonceDerivation(root.obj(NONCE_DERIVATION));

        Obj replay = root.obj(REPLAY);
        replay.allowOnly(TEMPLATE_DIGEST_ALGORITHM, BYTE_ORDER, KERNEL_VERSION);
        HashAlgorithm tdAlg = replay.algorithm(TEMPLATE_DIGEST_ALGORITHM);
        String bo = replay.string(BYTE_ORDER);
        ByteOrder order;
        if (LITTLE_ENDIAN.equals(bo)) order = ByteOrder.LITTLE_ENDIAN;
        else if (BIG_ENDIAN.equals(bo)) order = ByteOrder.BIG_ENDIAN;
        else throw new MalformedManifestException(BAD_FIELD, replay.path + "." + BYTE_ORDER, "unknown byte order: " + bo);
        Optional<String> kernel = replay.has(KERNEL_VERSION) ? Optional.of(replay.string(KERNEL_VERSION)) : Optional.empty();

        List<Checkpoint> checkpoints = new ArrayList<>();
        List<Object> cps = root.array(CHECKPOINTS);
        for (int i = 0; i < cps.size(); i++) {
            checkpoints.add(checkpoint(Obj.of(cps.get(i), root.path + "." + CHECKPOINTS + "[" + i + "]")));
        }
        Optional<Compaction> compaction = Optional.empty();
        if (root.has(COMPACTION)) {
            Obj co = root.obj(COMPACTION);
            co.allowOnly(LAST_SEQUENCE, REPLACES, CHAIN_LINK_DIGEST);
            long lastSeq = co.longValue(LAST_SEQUENCE);
            List<Object> rep = co.array(REPLACES);
            List<Digest> replaces = new ArrayList<>();
            for (int i = 0; i < rep.size(); i++) {
                String p = co.path + "." + REPLACES + "[" + i + "]";
                if (!(rep.get(i) instanceof String h) || h.length() != 64 || !h.chars().allMatch(ch -> (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
                    throw new MalformedManifestException(BAD_FIELD, p, "must be a lowercase hex SHA-256 digest");
                }
                replaces.add(Digest.wrap(HEX.parseHex(h)));
            }
            Digest link = co.digest(CHAIN_LINK_DIGEST, 32);
            compaction = Optional.of(co.build(() -> new Compaction(lastSeq, replaces, link)));
        }
        Optional<Digest> previous = root.has(PREVIOUS_MANIFEST_DIGEST)
                ? Optional.of(root.digest(PREVIOUS_MANIFEST_DIGEST, 32)) : Optional.empty();

        PcrState base = pcrState(root.obj(BASE));
        PcrState end = pcrState(root.obj(END));
        QuoteEvidence quote = quote(root.obj(QUOTE));
        Digest dataDigest = root.digest(DATA_DIGEST, 32);
        // Present only as true: false is the absent key, so each manifest keeps one encoding (§6.5).
        boolean closesBoot = root.has(CLOSES_BOOT);
        if (closesBoot && root.get(CLOSES_BOOT) != Boolean.TRUE) {
            throw new MalformedManifestException(BAD_FIELD, root.path + "." + CLOSES_BOOT, "must be true when present");
        }
        return new SegmentManifest((int) root.longValue(FORMAT_VERSION), root.string(HOST_ID), bootIdentity,
                root.longValue(SEQUENCE), root.longValue(FIRST_INDEX), root.longValue(RECORD_COUNT), base, end, quote,
                nonceDerivation, new ReplayFacts(tdAlg, order, kernel), root.string(CREATED_AT), root.string(PRODUCER),
                dataDigest, previous, checkpoints, compaction, closesBoot);
    }

    private static NonceDerivation nonceDerivation(Obj nd) throws MalformedManifestException {
        nd.allowOnly(KIND, NONCE);
        String kind = nd.string(KIND);
        Bytes nonce = nd.hex(NONCE);
        if (NonceDerivation.Derived.KIND.equals(kind)) {
            return nd.build(() -> new NonceDerivation.Derived(Digest.wrap(nonce.toArray())));
        } else if (NonceDerivation.External.KIND.equals(kind)) {
            return new NonceDerivation.External(nonce);
        }
        throw new MalformedManifestException(BAD_FIELD, nd.path + "." + KIND, "unknown nonce derivation kind: " + kind);
    }

    private static Checkpoint checkpoint(Obj c) throws MalformedManifestException {
        c.allowOnly(SEQUENCE, MANIFEST_DIGEST, PREVIOUS_MANIFEST_DIGEST, RESTART_COUNT, END, QUOTE, NONCE_DERIVATION);
        long seq = c.longValue(SEQUENCE);
        Digest digest = c.digest(MANIFEST_DIGEST, 32);
        Optional<Digest> prev = c.has(PREVIOUS_MANIFEST_DIGEST) ? Optional.of(c.digest(PREVIOUS_MANIFEST_DIGEST, 32)) : Optional.empty();
        long restart = c.longValue(RESTART_COUNT);
        PcrState end = pcrState(c.obj(END));
        QuoteEvidence q = quote(c.obj(QUOTE));
        NonceDerivation nd = nonceDerivation(c.obj(NONCE_DERIVATION));
        return c.build(() -> new Checkpoint(seq, digest, prev, restart, end, q, nd));
    }

    private static QuoteEvidence quote(Obj q) throws MalformedManifestException {
        q.allowOnly(ATTEST, SIGNATURE, AK_NAME);
        Bytes attest = q.hex(ATTEST);
        Bytes sig = q.hex(SIGNATURE);
        Bytes ak = q.hex(AK_NAME);
        return q.build(() -> new QuoteEvidence(attest, sig, ak));
    }

    /** Parses the PcrState JSON shape ({@link #pcrStateToJson}); {@code path} names it in errors. */
    public static PcrState pcrState(Object json, String path) throws MalformedManifestException {
        return pcrState(Obj.of(json, path));
    }

    private static PcrState pcrState(Obj s) throws MalformedManifestException {
        s.allowOnly(NEXT_INDEX, BANKS, EXTEND_MODES, PCRS);
        long next = s.longValue(NEXT_INDEX);
        Set<HashAlgorithm> banks = EnumSet.noneOf(HashAlgorithm.class);
        List<Object> bl = s.array(BANKS);
        for (int i = 0; i < bl.size(); i++) {
            String p = s.path + "." + BANKS + "[" + i + "]";
            HashAlgorithm a = algorithmNamed(bl.get(i), p);
            if (!banks.add(a)) throw new MalformedManifestException(BAD_FIELD, p, "duplicate bank " + a);
        }
        Obj modes = s.obj(EXTEND_MODES);
        Map<HashAlgorithm, ExtendMode> modeMap = new EnumMap<>(HashAlgorithm.class);
        for (String k : modes.map.keySet()) {
            String p = modes.path + "." + k;
            HashAlgorithm a = algorithmNamed(k, p);
            String id = modes.string(k);
            modeMap.put(a, ExtendMode.byId(id).orElseThrow(
                    () -> new MalformedManifestException(BAD_FIELD, p, "unknown extend mode: " + id)));
        }
        if (!modeMap.keySet().equals(banks)) {
            throw new MalformedManifestException(BAD_FIELD, modes.path, "extend modes must name exactly the banks " + banks);
        }
        Obj pcrs = s.obj(PCRS);
        TreeMap<PcrBank, Digest> values = new TreeMap<>();
        for (String k : pcrs.map.keySet()) {
            int pcr;
            try {
                pcr = Integer.parseInt(k);
            } catch (NumberFormatException e) {
                throw new MalformedManifestException(BAD_FIELD, pcrs.path + "." + k, "PCR key is not a number");
            }
            if (pcr < 0 || pcr > PcrBank.MAX_PCR || !Integer.toString(pcr).equals(k)) {
                throw new MalformedManifestException(BAD_FIELD, pcrs.path + "." + k, "PCR key outside 0.." + PcrBank.MAX_PCR);
            }
            Obj perBank = pcrs.obj(k);
            for (String b : perBank.map.keySet()) {
                String p = perBank.path + "." + b;
                HashAlgorithm a = algorithmNamed(b, p);
                if (!banks.contains(a)) throw new MalformedManifestException(BAD_FIELD, p, "bank not in banks " + banks);
                values.put(PcrBank.of(pcr, a), perBank.digest(b, a.digestLength()));
            }
        }
        return s.build(() -> new PcrState(next, banks, values, modeMap));
    }

    private static HashAlgorithm algorithmNamed(Object v, String path) throws MalformedManifestException {
        if (!(v instanceof String name)) throw new MalformedManifestException(BAD_FIELD, path, "must be a string");
        // Kernel names are lowercase; accepting "SHA1" would break canonical round trips.
        return HashAlgorithm.byKernelName(name).filter(a -> a.kernelName().equals(name)).orElseThrow(
                () -> new MalformedManifestException(BAD_FIELD, path, "unsupported algorithm: " + name));
    }

    /** A JSON object with its path, and typed accessors that fail with the field's path. */
    private static final class Obj {
        final Map<String, Object> map;
        final String path;

        private Obj(Map<String, Object> map, String path) {
            this.map = map;
            this.path = path;
        }

        @SuppressWarnings("unchecked")
        static Obj of(Object v, String path) throws MalformedManifestException {
            if (v instanceof Map<?, ?> m) return new Obj((Map<String, Object>) m, path);
            throw new MalformedManifestException(BAD_FIELD, path, "must be an object");
        }

        void allowOnly(String... keys) throws MalformedManifestException {
            Set<String> allowed = Set.of(keys);
            for (String k : map.keySet()) {
                if (!allowed.contains(k)) throw new MalformedManifestException(UNKNOWN_FIELD, path + "." + k, "not defined in format version 1");
            }
        }

        boolean has(String key) { return map.containsKey(key); }

        Object get(String key) throws MalformedManifestException {
            Object v = map.get(key);
            if (v == null) throw new MalformedManifestException(MISSING_FIELD, path + "." + key, "required");
            if (v == Json.NULL) throw new MalformedManifestException(BAD_FIELD, path + "." + key, "null is not allowed");
            return v;
        }

        Obj obj(String key) throws MalformedManifestException { return of(get(key), path + "." + key); }

        @SuppressWarnings("unchecked")
        List<Object> array(String key) throws MalformedManifestException {
            Object v = get(key);
            if (v instanceof List<?> l) return (List<Object>) l;
            throw new MalformedManifestException(BAD_FIELD, path + "." + key, "must be an array");
        }

        String string(String key) throws MalformedManifestException {
            Object v = get(key);
            if (v instanceof String s) return s;
            throw new MalformedManifestException(BAD_FIELD, path + "." + key, "must be a string");
        }

        long longValue(String key) throws MalformedManifestException {
            Object v = get(key);
            if (v instanceof Long l && l >= 0) return l;
            throw new MalformedManifestException(BAD_FIELD, path + "." + key, "must be a non-negative integer");
        }

        HashAlgorithm algorithm(String key) throws MalformedManifestException {
            return algorithmNamed(get(key), path + "." + key);
        }

        Bytes hex(String key) throws MalformedManifestException {
            String s = string(key);
            if (s.length() % 2 != 0 || !s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new MalformedManifestException(BAD_FIELD, path + "." + key, "must be lowercase hex");
            }
            return Bytes.wrap(HEX.parseHex(s));
        }

        Digest digest(String key, int length) throws MalformedManifestException {
            Bytes b = hex(key);
            if (b.length() != length) {
                throw new MalformedManifestException(BAD_FIELD, path + "." + key, "must be " + length + " bytes, found " + b.length());
            }
            return Digest.wrap(b.toArray());
        }

        interface Builder<T> { T build() throws MalformedManifestException; }

        /** Runs a value constructor; its invariant failures become BAD_FIELD at this object's path. */
        <T> T build(Builder<T> b) throws MalformedManifestException {
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new MalformedManifestException(BAD_FIELD, path, e.getMessage(), e);
            }
        }
    }
}
