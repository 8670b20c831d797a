package org.imaarchiver.replay.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small JSON reader and writer (RFC 8259) so the replay engine stays JDK-only.
 *
 * <p>Values map to Java as: object → {@code Map<String,Object>} (insertion order kept when reading),
 * array → {@code List<Object>}, string → {@code String}, number → {@code Long} when integral and in
 * range, else {@code BigDecimal}, {@code true/false} → {@code Boolean}, {@code null} → {@link #NULL}.
 *
 * <p>{@link #canonical(Object)} is the canonical encoding used for signed bytes: object keys sorted
 * by UTF-16 code unit order, no insignificant white space, strings escaped minimally with every
 * non-ASCII character as {@code \\uXXXX}, integers only (no fractions or exponents).
 */
public final class Json {
    /** The JSON null value (never Java null). */
    public static final Object NULL = new Object() {
        @Override public String toString() { return "null"; }
    };

    /** Depth limit: hostile input must not overflow the stack. */
    public static final int MAX_DEPTH = 64;
    /**
     * The most digits, and the largest exponent, of a number (RFC 8259 §6 lets a parser limit range and
     * precision): the documents read here hold 64-bit integers and hex strings, nothing near this.
     */
    public static final int MAX_NUMBER_DIGITS = 1000;

    private Json() {}

    /** Thrown for text that is not JSON; names the character offset. */
    public static final class JsonException extends Exception {
        private final int offset;
        public JsonException(String message, int offset) {
            super(message + " at character " + offset);
            this.offset = offset;
        }
        public int offset() { return offset; }
    }

    public static Object parse(String text) throws JsonException {
        Parser p = new Parser(text);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.pos != text.length()) throw new JsonException("trailing characters", p.pos);
        return v;
    }

    /** Compact, keys in insertion order (or sorted for TreeMaps). */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, false, -1, 0);
        return sb.toString();
    }

    /** Indented with two spaces, for humans and --json output. */
    public static String pretty(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, false, 2, 0);
        return sb.append('\n').toString();
    }

    /** Canonical form: sorted keys, compact, ASCII only, integral numbers only. */
    public static String canonical(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, true, -1, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, boolean canonical, int indent, int depth) {
        if (v == null || v == NULL) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            sb.append(v);
        } else if (v instanceof BigDecimal d) {
            if (canonical) {
                try {
                    sb.append(d.toBigIntegerExact());
                } catch (ArithmeticException e) {
                    throw new IllegalArgumentException("canonical JSON allows integers only: " + d);
                }
            } else {
                sb.append(d.toPlainString());
            }
        } else if (v instanceof Double || v instanceof Float) {
            if (canonical) throw new IllegalArgumentException("canonical JSON allows integers only: " + v);
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) throw new IllegalArgumentException("not a JSON number: " + v);
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            Map<?, ?> map = canonical ? new TreeMap<>(m) : m;
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) throw new IllegalArgumentException("non-string key " + e.getKey());
                if (!first) sb.append(',');
                first = false;
                newline(sb, indent, depth + 1);
                string(sb, key);
                sb.append(indent >= 0 ? ": " : ":");
                write(sb, e.getValue(), canonical, indent, depth + 1);
            }
            if (!map.isEmpty()) newline(sb, indent, depth);
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) sb.append(',');
                first = false;
                newline(sb, indent, depth + 1);
                write(sb, o, canonical, indent, depth + 1);
            }
            if (!c.isEmpty()) newline(sb, indent, depth);
            sb.append(']');
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    private static void newline(StringBuilder sb, int indent, int depth) {
        if (indent < 0) return;
        sb.append('\n');
        sb.append(" ".repeat(indent * depth));
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    // ---- typed access helpers for readers of JSON documents ----

    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object v, String what) throws JsonException {
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new JsonException(what + " must be an object", 0);
    }

    @SuppressWarnings("unchecked")
    public static List<Object> asArray(Object v, String what) throws JsonException {
        if (v instanceof List<?> l) return (List<Object>) l;
        throw new JsonException(what + " must be an array", 0);
    }

    public static String asString(Object v, String what) throws JsonException {
        if (v instanceof String s) return s;
        throw new JsonException(what + " must be a string", 0);
    }

    public static long asLong(Object v, String what) throws JsonException {
        if (v instanceof Long l) return l;
        throw new JsonException(what + " must be an integer", 0);
    }

    public static Object require(Map<String, Object> obj, String key, String what) throws JsonException {
        Object v = obj.get(key);
        if (v == null) throw new JsonException(what + ": missing key \"" + key + "\"", 0);
        return v;
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) { this.s = s; }

        void ws() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else break;
            }
        }

        Object value(int depth) throws JsonException {
            if (depth > MAX_DEPTH) throw new JsonException("nesting deeper than " + MAX_DEPTH, pos);
            if (pos >= s.length()) throw new JsonException("unexpected end", pos);
            char c = s.charAt(pos);
            switch (c) {
                case '{': return object(depth);
                case '[': return array(depth);
                case '"': return string();
                case 't': return literal("true", Boolean.TRUE);
                case 'f': return literal("false", Boolean.FALSE);
                case 'n': return literal("null", NULL);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw new JsonException("unexpected character '" + c + "'", pos);
            }
        }

        Object literal(String word, Object v) throws JsonException {
            if (!s.startsWith(word, pos)) throw new JsonException("expected " + word, pos);
            pos += word.length();
            return v;
        }

        Map<String, Object> object(int depth) throws JsonException {
            pos++;
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            if (peek() == '}') { pos++; return m; }
            while (true) {
                ws();
                if (peek() != '"') throw new JsonException("expected a string key", pos);
                String k = string();
                ws();
                expect(':');
                ws();
                Object v = value(depth + 1);
                if (m.put(k, v) != null) throw new JsonException("duplicate key \"" + k + "\"", pos);
                ws();
                char c = peek();
                pos++;
                if (c == '}') return m;
                if (c != ',') throw new JsonException("expected ',' or '}'", pos - 1);
            }
        }

        List<Object> array(int depth) throws JsonException {
            pos++;
            List<Object> l = new ArrayList<>();
            ws();
            if (peek() == ']') { pos++; return l; }
            while (true) {
                ws();
                l.add(value(depth + 1));
                ws();
                char c = peek();
                pos++;
                if (c == ']') return l;
                if (c != ',') throw new JsonException("expected ',' or ']'", pos - 1);
            }
        }

        char peek() throws JsonException {
            if (pos >= s.length()) throw new JsonException("unexpected end", pos);
            return s.charAt(pos);
        }

        void expect(char c) throws JsonException {
            if (peek() != c) throw new JsonException("expected '" + c + "'", pos);
            pos++;
        }

        String string() throws JsonException {
            pos++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = peek();
                pos++;
                if (c == '"') return sb.toString();
                if (c < 0x20) throw new JsonException("control character in string", pos - 1);
                if (c != '\\') { sb.append(c); continue; }
                char e = peek();
                pos++;
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw new JsonException("short \\u escape", pos);
                        try {
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw new JsonException("bad \\u escape", pos);
                        }
                        pos += 4;
                    }
                    default -> throw new JsonException("bad escape \\" + e, pos - 1);
                }
            }
        }

        Object number() throws JsonException {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            while (pos < s.length() && "0123456789.eE+-".indexOf(s.charAt(pos)) >= 0) pos++;
            String t = s.substring(start, pos);
            try {
                BigDecimal d = new BigDecimal(t);
                if (Math.abs((long) d.scale()) > MAX_NUMBER_DIGITS || d.precision() > MAX_NUMBER_DIGITS) {
                    // 1e999999999 is a short text, but as an integer (canonical form, asLong) a gigabyte
                    throw new JsonException("number '" + t + "' beyond " + MAX_NUMBER_DIGITS + " digits or exponent", start);
                }
                if (t.indexOf('.') < 0 && t.indexOf('e') < 0 && t.indexOf('E') < 0) {
                    try {
                        return d.longValueExact();
                    } catch (ArithmeticException ex) {
                        return d;
                    }
                }
                return d;
            } catch (NumberFormatException ex) {
                throw new JsonException("bad number '" + t + "'", start);
            }
        }
    }
}
