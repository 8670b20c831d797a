package org.imaarchiver.replay.replay;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * The JSON form of a {@link PcrState} (the CLI's {@code replay --json} "state" and {@code --base}):
 * <pre>
 * {"nextIndex": 362, "banks": ["sha1", "sha256"],
 *  "extendModes": {"sha1": "per-bank-hash", "sha256": "per-bank-hash"},
 *  "pcrs": {"10": {"sha1": "&lt;hex&gt;", "sha256": "&lt;hex&gt;"}}}
 * </pre>
 * PCR keys are decimal strings, values lowercase hex of the bank's length. A (PCR, bank) absent from
 * {@code pcrs} is at its reset value (zeros). Decoding is strict (unknown keys, banks, modes, bad
 * hex or lengths are errors naming the JSON path), because a base state decides what a replay proves.
 */
public final class PcrStateJson {
    public static final String NEXT_INDEX = "nextIndex";
    public static final String BANKS = "banks";
    public static final String EXTEND_MODES = "extendModes";
    public static final String PCRS = "pcrs";

    private PcrStateJson() {}

    /** A state that cannot be decoded; {@link #path()} is a JSON path such as {@code $.pcrs.10.sha1}. */
    public static final class DecodeException extends Exception {
        private final String path;
        private final String reason;

        public DecodeException(String path, String reason) {
            super(path + ": " + reason);
            this.path = path;
            this.reason = reason;
        }

        public String path() { return path; }

        public String reason() { return reason; }
    }

    /** The JSON value (maps and lists for {@link Json#write}), keys in the documented order. */
    public static Map<String, Object> toJsonValue(PcrState state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(NEXT_INDEX, state.nextIndex());
        List<Object> banks = new ArrayList<>();
        Map<String, Object> modes = new LinkedHashMap<>();
        for (HashAlgorithm a : state.banks()) {
            banks.add(a.kernelName());
            modes.put(a.kernelName(), state.extendMode(a).id());
        }
        m.put(BANKS, banks);
        m.put(EXTEND_MODES, modes);
        Map<String, Object> pcrs = new LinkedHashMap<>();
        for (var e : state.values().entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> perBank = (Map<String, Object>) pcrs.computeIfAbsent(
                    Integer.toString(e.getKey().index()), k -> new LinkedHashMap<String, Object>());
            perBank.put(e.getKey().algorithm().kernelName(), e.getValue().hex());
        }
        m.put(PCRS, pcrs);
        return m;
    }

    /** Compact JSON text. */
    public static String write(PcrState state) {
        return Json.write(toJsonValue(state));
    }

    /** Parses JSON text into a state. */
    public static PcrState parse(String text) throws DecodeException {
        Object v;
        try {
            v = Json.parse(text);
        } catch (Json.JsonException e) {
            throw new DecodeException("$", "not JSON: " + e.getMessage());
        }
        return fromJsonValue(v, "$");
    }

    /** Decodes a JSON value found at {@code path} (for states embedded in larger documents). */
    public static PcrState fromJsonValue(Object value, String path) throws DecodeException {
        Objects.requireNonNull(path);
        Map<String, Object> obj = object(value, path);
        for (String k : obj.keySet()) {
            if (!Set.of(NEXT_INDEX, BANKS, EXTEND_MODES, PCRS).contains(k)) throw new DecodeException(path + "." + k, "unknown key");
        }
        Object ni = require(obj, NEXT_INDEX, path);
        if (!(ni instanceof Long n) || n < 0) throw new DecodeException(path + "." + NEXT_INDEX, "must be an integer >= 0");
        long nextIndex = (Long) ni;

        Object bv = require(obj, BANKS, path);
        if (!(bv instanceof List<?> bl) || bl.isEmpty()) throw new DecodeException(path + "." + BANKS, "must be a non-empty array");
        Set<HashAlgorithm> banks = EnumSet.noneOf(HashAlgorithm.class);
        for (int i = 0; i < bl.size(); i++) {
            HashAlgorithm a = bank(bl.get(i), path + "." + BANKS + "[" + i + "]");
            if (!banks.add(a)) throw new DecodeException(path + "." + BANKS + "[" + i + "]", "duplicate bank " + a);
        }

        Map<HashAlgorithm, ExtendMode> modes = new EnumMap<>(HashAlgorithm.class);
        String modesPath = path + "." + EXTEND_MODES;
        for (var e : object(require(obj, EXTEND_MODES, path), modesPath).entrySet()) {
            String p = modesPath + "." + e.getKey();
            HashAlgorithm a = bank(e.getKey(), p);
            if (!banks.contains(a)) throw new DecodeException(p, "bank not listed in " + BANKS);
            if (!(e.getValue() instanceof String id)) throw new DecodeException(p, "must be a string");
            modes.put(a, ExtendMode.byId(id).orElseThrow(() -> new DecodeException(p, "unknown extend mode \"" + id + "\"")));
        }
        for (HashAlgorithm a : banks) {
            if (!modes.containsKey(a)) throw new DecodeException(modesPath, "missing mode for bank " + a);
        }

        SortedMap<PcrBank, Digest> values = new TreeMap<>();
        String pcrsPath = path + "." + PCRS;
        for (var e : object(require(obj, PCRS, path), pcrsPath).entrySet()) {
            String p = pcrsPath + "." + e.getKey();
            int pcr = pcrIndex(e.getKey(), p);
            for (var be : object(e.getValue(), p).entrySet()) {
                String bp = p + "." + be.getKey();
                HashAlgorithm a = bank(be.getKey(), bp);
                if (!banks.contains(a)) throw new DecodeException(bp, "bank not listed in " + BANKS);
                values.put(PcrBank.of(pcr, a), hex(be.getValue(), a.digestLength(), bp));
            }
        }
        return new PcrState(nextIndex, banks, values, modes);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String path) throws DecodeException {
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new DecodeException(path, "must be an object");
    }

    private static Object require(Map<String, Object> obj, String key, String path) throws DecodeException {
        Object v = obj.get(key);
        if (v == null) throw new DecodeException(path + "." + key, "missing");
        return v;
    }

    private static HashAlgorithm bank(Object v, String path) throws DecodeException {
        if (!(v instanceof String s)) throw new DecodeException(path, "must be a string");
        // Exact kernel names only: the canonical form is lowercase.
        return HashAlgorithm.byKernelName(s).filter(a -> a.kernelName().equals(s))
                .orElseThrow(() -> new DecodeException(path, "unsupported bank \"" + s + "\""));
    }

    private static int pcrIndex(String key, String path) throws DecodeException {
        // Decimal without sign or leading zeros, so each PCR has exactly one key.
        if (!key.matches("0|[1-9][0-9]?")) throw new DecodeException(path, "PCR key must be a decimal 0.." + PcrBank.MAX_PCR);
        int pcr = Integer.parseInt(key);
        if (pcr > PcrBank.MAX_PCR) throw new DecodeException(path, "PCR out of range 0.." + PcrBank.MAX_PCR);
        return pcr;
    }

    private static Digest hex(Object v, int length, String path) throws DecodeException {
        if (!(v instanceof String s)) throw new DecodeException(path, "must be a hex string");
        if (s.length() != 2 * length) throw new DecodeException(path, "must be " + length + " bytes (" + 2 * length + " hex digits)");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) throw new DecodeException(path, "must be lowercase hex");
        }
        return Digest.ofHex(s);
    }
}
