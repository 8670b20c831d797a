package org.imaarchiver.jobs.host.tpm;

import java.util.Map;
import java.util.Optional;

/**
 * A TPM_RC value, decoded per TCG TPM 2.0 Part 2 §6.6. Format one (bit 7 set) carries an error
 * number in bits 0..5 and says which handle, parameter or session was at fault in bits 6 and 8..11;
 * format zero (bit 7 clear, bit 8 VER1 set) carries an error or warning (bit 11) number in bits 0..6.
 * Bits 16..23 are a software layer (TSS, resource manager), never set by a TPM itself.
 */
public record TpmResponseCode(int value) {
    public static final int SUCCESS = 0x000;
    /** Format zero: TPM2_Startup already done (or needed again). */
    public static final int INITIALIZE = 0x100;
    /** Format one base codes (location bits cleared). */
    public static final int VALUE = 0x084;
    public static final int HANDLE = 0x08B;
    public static final int SIZE = 0x095;
    public static final int BAD_AUTH = 0x0A2;
    /** Format one: an integrity check (HMAC) failed, e.g. a credential made for another name or key. */
    public static final int INTEGRITY = 0x09F;
    /** Format zero: the TPM is in failure mode, or (libtpms) a cryptographic operation failed. */
    public static final int FAILURE = 0x101;
    /** Format zero: NV index not written yet. */
    public static final int NV_UNINITIALIZED = 0x14A;

    private static final int RC_FMT1 = 0x080;
    private static final int RC_VER1 = 0x100;
    private static final int RC_WARN = 0x900;

    /** Where a format-one error points. */
    public enum Location { NONE, HANDLE, PARAMETER, SESSION }

    /** How the value is built. */
    public enum Format { SUCCESS, FORMAT_ONE, FORMAT_ZERO_ERROR, FORMAT_ZERO_WARNING, VENDOR, TPM12, SOFTWARE_LAYER }

    private static final Map<Integer, String> FMT1 = Map.ofEntries(
            Map.entry(0x01, "ASYMMETRIC"), Map.entry(0x02, "ATTRIBUTES"), Map.entry(0x03, "HASH"),
            Map.entry(0x04, "VALUE"), Map.entry(0x05, "HIERARCHY"), Map.entry(0x07, "KEY_SIZE"),
            Map.entry(0x08, "MGF"), Map.entry(0x09, "MODE"), Map.entry(0x0A, "TYPE"), Map.entry(0x0B, "HANDLE"),
            Map.entry(0x0C, "KDF"), Map.entry(0x0D, "RANGE"), Map.entry(0x0E, "AUTH_FAIL"), Map.entry(0x0F, "NONCE"),
            Map.entry(0x10, "PP"), Map.entry(0x12, "SCHEME"), Map.entry(0x15, "SIZE"), Map.entry(0x16, "SYMMETRIC"),
            Map.entry(0x17, "TAG"), Map.entry(0x18, "SELECTOR"), Map.entry(0x1A, "INSUFFICIENT"),
            Map.entry(0x1B, "SIGNATURE"), Map.entry(0x1C, "KEY"), Map.entry(0x1D, "POLICY_FAIL"),
            Map.entry(0x1F, "INTEGRITY"), Map.entry(0x20, "TICKET"), Map.entry(0x21, "RESERVED_BITS"),
            Map.entry(0x22, "BAD_AUTH"), Map.entry(0x23, "EXPIRED"), Map.entry(0x24, "POLICY_CC"),
            Map.entry(0x25, "BINDING"), Map.entry(0x26, "CURVE"), Map.entry(0x27, "ECC_POINT"));

    private static final Map<Integer, String> FMT0 = Map.ofEntries(
            Map.entry(0x000, "INITIALIZE"), Map.entry(0x001, "FAILURE"), Map.entry(0x003, "SEQUENCE"),
            Map.entry(0x00B, "PRIVATE"), Map.entry(0x019, "HMAC"), Map.entry(0x020, "DISABLED"),
            Map.entry(0x021, "EXCLUSIVE"), Map.entry(0x024, "AUTH_TYPE"), Map.entry(0x025, "AUTH_MISSING"),
            Map.entry(0x026, "POLICY"), Map.entry(0x027, "PCR"), Map.entry(0x028, "PCR_CHANGED"),
            Map.entry(0x02D, "UPGRADE"), Map.entry(0x02E, "TOO_MANY_CONTEXTS"), Map.entry(0x02F, "AUTH_UNAVAILABLE"),
            Map.entry(0x030, "REBOOT"), Map.entry(0x031, "UNBALANCED"), Map.entry(0x042, "COMMAND_SIZE"),
            Map.entry(0x043, "COMMAND_CODE"), Map.entry(0x044, "AUTHSIZE"), Map.entry(0x045, "AUTH_CONTEXT"),
            Map.entry(0x046, "NV_RANGE"), Map.entry(0x047, "NV_SIZE"), Map.entry(0x048, "NV_LOCKED"),
            Map.entry(0x049, "NV_AUTHORIZATION"), Map.entry(0x04A, "NV_UNINITIALIZED"), Map.entry(0x04B, "NV_SPACE"),
            Map.entry(0x04C, "NV_DEFINED"), Map.entry(0x050, "BAD_CONTEXT"), Map.entry(0x051, "CPHASH"),
            Map.entry(0x052, "PARENT"), Map.entry(0x053, "NEEDS_TEST"), Map.entry(0x054, "NO_RESULT"),
            Map.entry(0x055, "SENSITIVE"));

    private static final Map<Integer, String> WARN = Map.ofEntries(
            Map.entry(0x001, "CONTEXT_GAP"), Map.entry(0x002, "OBJECT_MEMORY"), Map.entry(0x003, "SESSION_MEMORY"),
            Map.entry(0x004, "MEMORY"), Map.entry(0x005, "SESSION_HANDLES"), Map.entry(0x006, "OBJECT_HANDLES"),
            Map.entry(0x007, "LOCALITY"), Map.entry(0x008, "YIELDED"), Map.entry(0x009, "CANCELED"),
            Map.entry(0x00A, "TESTING"), Map.entry(0x010, "REFERENCE_H0"), Map.entry(0x011, "REFERENCE_H1"),
            Map.entry(0x012, "REFERENCE_H2"), Map.entry(0x013, "REFERENCE_H3"), Map.entry(0x014, "REFERENCE_H4"),
            Map.entry(0x015, "REFERENCE_H5"), Map.entry(0x016, "REFERENCE_H6"), Map.entry(0x018, "REFERENCE_S0"),
            Map.entry(0x019, "REFERENCE_S1"), Map.entry(0x01A, "REFERENCE_S2"), Map.entry(0x01B, "REFERENCE_S3"),
            Map.entry(0x01C, "REFERENCE_S4"), Map.entry(0x01D, "REFERENCE_S5"), Map.entry(0x01E, "REFERENCE_S6"),
            Map.entry(0x020, "NV_RATE"), Map.entry(0x021, "LOCKOUT"), Map.entry(0x022, "RETRY"),
            Map.entry(0x023, "NV_UNAVAILABLE"));

    public Format format() {
        if (value == SUCCESS) return Format.SUCCESS;
        if ((value & 0xFF0000) != 0) return Format.SOFTWARE_LAYER;
        if ((value & RC_FMT1) != 0) return Format.FORMAT_ONE;
        if ((value & RC_VER1) == 0) return Format.TPM12;
        if ((value & 0x400) != 0) return Format.VENDOR;
        return (value & 0x800) != 0 ? Format.FORMAT_ZERO_WARNING : Format.FORMAT_ZERO_ERROR;
    }

    /**
     * The code without its location bits: for format one {@code 0x080 | number} (compare with
     * {@link #HANDLE} etc.), for format zero the value's low 12 bits.
     */
    public int baseCode() {
        return switch (format()) {
            case FORMAT_ONE -> RC_FMT1 | (value & 0x3F);
            case SOFTWARE_LAYER -> value;
            default -> value & 0xFFF;
        };
    }

    /** Software layer (bits 16..23; 0 for codes from the TPM). */
    public int layer() { return (value >>> 16) & 0xFF; }

    public Location location() {
        if (format() != Format.FORMAT_ONE) return Location.NONE;
        int n = (value >>> 8) & 0xF;
        if ((value & 0x40) != 0) return Location.PARAMETER;
        if (n == 0) return Location.NONE;
        return (n & 0x8) != 0 ? Location.SESSION : Location.HANDLE;
    }

    /** 1-based handle, parameter or session number; 0 when {@link #location()} is NONE. */
    public int locationNumber() {
        return switch (location()) {
            case PARAMETER -> (value >>> 8) & 0xF;
            case HANDLE, SESSION -> (value >>> 8) & 0x7;
            case NONE -> 0;
        };
    }

    /** The TCG name, e.g. {@code TPM_RC_HANDLE}, when the code is one we know. */
    public Optional<String> name() {
        String n = switch (format()) {
            case SUCCESS -> "SUCCESS";
            case FORMAT_ONE -> FMT1.get(value & 0x3F);
            case FORMAT_ZERO_ERROR -> FMT0.get(value & 0x7F);
            case FORMAT_ZERO_WARNING -> WARN.get(value & 0x7F);
            default -> null;
        };
        return Optional.ofNullable(n).map(s -> "TPM_RC_" + s);
    }

    /** True for warnings the caller may simply retry (TPM busy, not a verdict). */
    public boolean isRetryable() {
        int b = baseCode();
        return format() == Format.FORMAT_ZERO_WARNING && (b == (RC_WARN | 0x008) || b == (RC_WARN | 0x00A) || b == (RC_WARN | 0x022));
    }

    public String description() {
        StringBuilder sb = new StringBuilder(String.format("0x%03x", value));
        sb.append(' ').append(name().orElse(format() + " code"));
        if (location() != Location.NONE) {
            sb.append(" (").append(location().name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(locationNumber()).append(')');
        }
        if (format() == Format.SOFTWARE_LAYER) sb.append(" (software layer ").append(layer()).append(')');
        return sb.toString();
    }

    @Override
    public String toString() { return description(); }
}
