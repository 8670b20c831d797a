package org.imaarchiver.replay.template;

import java.util.Optional;

/**
 * The template fields the kernel defines (kernel-interface.md B.5), with the largest length each may have
 * in the binary list. The bounds are checked before anything is allocated for a field.
 */
public enum TemplateField {
    /** SHA-1 (or MD5) file digest, no prefix; in the {@code ima} template written without a length (B.3). */
    D("d", TemplateField.MAX_D_LENGTH, AsciiForm.HEX),
    /** File name, at most 255 characters plus NUL (IMA_EVENT_NAME_LEN_MAX, B.5). */
    N("n", TemplateField.MAX_N_LENGTH, AsciiForm.STRING),
    /** {@code algo:} NUL digest (B.5). */
    D_NG("d-ng", TemplateField.MAX_DIGEST_FIELD_LENGTH, AsciiForm.DIGEST_WITH_PREFIX),
    /** {@code type:algo:} NUL digest (B.5). */
    D_NGV2("d-ngv2", TemplateField.MAX_DIGEST_FIELD_LENGTH, AsciiForm.DIGEST_WITH_PREFIX),
    /** Like d-ng over the file without its appended signature; empty without one (B.5). */
    D_MODSIG("d-modsig", TemplateField.MAX_DIGEST_FIELD_LENGTH, AsciiForm.DIGEST_WITH_PREFIX),
    /** Path or label plus NUL (B.5). */
    N_NG("n-ng", TemplateField.MAX_N_NG_LENGTH, AsciiForm.STRING),
    /** The security.ima xattr (B.5). */
    SIG("sig", TemplateField.MAX_XATTR_LENGTH, AsciiForm.HEX),
    /** The security.evm xattr (B.5). */
    EVMSIG("evmsig", TemplateField.MAX_XATTR_LENGTH, AsciiForm.HEX),
    /** A key, critical data or the kexec command line (B.5). */
    BUF("buf", Integer.MAX_VALUE, AsciiForm.HEX),
    /** An appended PKCS#7 signature (B.5). */
    MODSIG("modsig", Integer.MAX_VALUE, AsciiForm.HEX),
    /** Inode uid, a sized integer (B.5). */
    IUID("iuid", TemplateField.MAX_UINT_LENGTH, AsciiForm.UINT),
    /** Inode gid, a sized integer (B.5). */
    IGID("igid", TemplateField.MAX_UINT_LENGTH, AsciiForm.UINT),
    /** Inode mode, a sized integer (B.5). */
    IMODE("imode", TemplateField.MAX_UINT_LENGTH, AsciiForm.UINT),
    /** '|'-separated xattr names plus NUL (B.5). */
    XATTRNAMES("xattrnames", TemplateField.MAX_XATTR_LENGTH, AsciiForm.STRING),
    /** An array of u32 xattr value lengths (B.5). */
    XATTRLENGTHS("xattrlengths", TemplateField.MAX_XATTR_LENGTH, AsciiForm.HEX),
    /** The xattr values concatenated (B.5). */
    XATTRVALUES("xattrvalues", Integer.MAX_VALUE, AsciiForm.HEX);

    /** SHA-1 is the largest digest the {@code d} field carries (B.5). */
    public static final int MAX_D_LENGTH = 20;
    /** IMA_EVENT_NAME_LEN_MAX (255) plus the NUL (B.5). */
    public static final int MAX_N_LENGTH = 256;
    /** PATH_MAX plus the NUL: the kernel's documented n-ng maximum (B.5, D.3). */
    public static final int MAX_N_NG_LENGTH = 4097;
    /** A type and algorithm prefix (each far below 100 characters), two separators and a 64-byte digest. */
    public static final int MAX_DIGEST_FIELD_LENGTH = 256;
    /** XATTR_SIZE_MAX / XATTR_LIST_MAX: no xattr value or name list is larger. */
    public static final int MAX_XATTR_LENGTH = 65536;
    /** iuid/igid/imode are at most 64-bit integers. */
    public static final int MAX_UINT_LENGTH = 8;

    /** How the kernel prints a field in the ASCII list (B.6). */
    public enum AsciiForm { HEX, STRING, DIGEST_WITH_PREFIX, UINT }

    private final String id;
    private final int maxLength;
    private final AsciiForm asciiForm;

    TemplateField(String id, int maxLength, AsciiForm asciiForm) {
        this.id = id;
        this.maxLength = maxLength;
        this.asciiForm = asciiForm;
    }

    /** The field id used in format strings ({@code d-ng}, {@code n-ng}...). */
    public String id() { return id; }

    /**
     * The largest length this field may have; {@link Integer#MAX_VALUE} means "bounded only by the
     * template-data bound" ({@code buf}, {@code modsig}, {@code xattrvalues}).
     */
    public int maxLength() { return maxLength; }

    public AsciiForm asciiForm() { return asciiForm; }

    public static Optional<TemplateField> byId(String id) {
        for (TemplateField f : values()) {
            if (f.id.equals(id)) return Optional.of(f);
        }
        return Optional.empty();
    }

    @Override
    public String toString() { return id; }
}
