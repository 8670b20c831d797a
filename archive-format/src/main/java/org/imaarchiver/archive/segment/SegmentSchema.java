package org.imaarchiver.archive.segment;

import static org.apache.parquet.schema.LogicalTypeAnnotation.stringType;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BOOLEAN;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64;

import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Types;

/**
 * The Parquet schema of a segment, format version 1 (docs/archive-format.md §5). Field ids are
 * forever: a removed column's id is reserved, never reused. Only {@code record_index} and {@code raw}
 * are authoritative; every other column is a query convenience derived from {@code raw} and is not
 * covered by the data digest.
 */
public final class SegmentSchema {
    private SegmentSchema() {}

    /** Absolute record index within the boot (0 = the first boot_aggregate). int64, required. */
    public static final int RECORD_INDEX_ID = 1;
    public static final String RECORD_INDEX = "record_index";
    /** PCR index (kernel-interface.md B.3 field 1). int32, required. */
    public static final int PCR_ID = 2;
    public static final String PCR = "pcr";
    /** Template name or custom format string (B.3 field 4). STRING, required. */
    public static final int TEMPLATE_NAME_ID = 3;
    public static final String TEMPLATE_NAME = "template_name";
    /** The complete binary record (B.3): the authoritative bytes. binary, required. */
    public static final int RAW_ID = 5;
    public static final String RAW = "raw";
    /** Kernel hash name of the file digest (d-ng/d-ngv2 prefix, or sha1 for ima). STRING, optional. */
    public static final int FILE_DIGEST_ALGORITHM_ID = 6;
    public static final String FILE_DIGEST_ALGORITHM = "file_digest_algorithm";
    /** The file digest as lowercase hex, what analysts paste from sha256sum. STRING, optional. */
    public static final int FILE_DIGEST_HEX_ID = 7;
    public static final String FILE_DIGEST_HEX = "file_digest_hex";
    /** The n-ng / n field without its NUL (a path, or a label for ima-buf). STRING, optional. */
    public static final int NAME_ID = 8;
    public static final String NAME = "name";
    /** A non-empty sig / evmsig / modsig field. boolean, required. */
    public static final int SIGNATURE_PRESENT_ID = 9;
    public static final String SIGNATURE_PRESENT = "signature_present";
    /** Stored template digest all zeros (B.8). boolean, required. */
    public static final int VIOLATION_ID = 10;
    public static final String VIOLATION = "violation";
    /** The buf field of ima-buf records. binary, optional. */
    public static final int BUFFER_ID = 11;
    public static final String BUFFER = "buffer";
    /** d-ngv2 digest type ({@code ima} or {@code verity}). STRING, optional. */
    public static final int FILE_DIGEST_TYPE_ID = 12;
    public static final String FILE_DIGEST_TYPE = "file_digest_type";
    // Next id to assign: 13. Reserved (never reuse): 4 (template_digest, dropped before v1 was
    // released: it repeated 20-64 incompressible bytes already inside `raw`).

    /** The Parquet message name. */
    public static final String MESSAGE_NAME = "ima_segment";

    /** Footer key/value metadata key holding the canonical manifest JSON. */
    public static final String MANIFEST_KEY = "ima-archiver.manifest";
    /** Footer key/value metadata key holding the base64 DER CMS signature over the manifest, if any. */
    public static final String MANIFEST_SIGNATURE_KEY = "ima-archiver.manifest-signature";

    public static final MessageType SCHEMA = Types.buildMessage()
            .required(INT64).id(RECORD_INDEX_ID).named(RECORD_INDEX)
            .required(INT32).id(PCR_ID).named(PCR)
            .required(BINARY).as(stringType()).id(TEMPLATE_NAME_ID).named(TEMPLATE_NAME)
            .required(BINARY).id(RAW_ID).named(RAW)
            .optional(BINARY).as(stringType()).id(FILE_DIGEST_ALGORITHM_ID).named(FILE_DIGEST_ALGORITHM)
            .optional(BINARY).as(stringType()).id(FILE_DIGEST_HEX_ID).named(FILE_DIGEST_HEX)
            .optional(BINARY).as(stringType()).id(NAME_ID).named(NAME)
            .required(BOOLEAN).id(SIGNATURE_PRESENT_ID).named(SIGNATURE_PRESENT)
            .required(BOOLEAN).id(VIOLATION_ID).named(VIOLATION)
            .optional(BINARY).id(BUFFER_ID).named(BUFFER)
            .optional(BINARY).as(stringType()).id(FILE_DIGEST_TYPE_ID).named(FILE_DIGEST_TYPE)
            .named(MESSAGE_NAME);

    /** The projection a verifier needs: only the authoritative columns. */
    public static final MessageType AUTHORITATIVE_PROJECTION = Types.buildMessage()
            .required(INT64).id(RECORD_INDEX_ID).named(RECORD_INDEX)
            .required(BINARY).id(RAW_ID).named(RAW)
            .named(MESSAGE_NAME);
}
