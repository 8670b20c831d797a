package org.imaarchiver.replay.log;

import java.security.MessageDigest;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * A record as another bank's list file shows it (kernel-interface.md B.1): the same record, with the
 * template digest of that bank in the digest field (B.3 field 2, that bank's size). The digest is the
 * bank's own hash over the template data (B.7), which is what a kernel with per-bank files (6.10+,
 * all of them "Type 2" extenders, B.10) stores for every bank it can hash; a violation keeps its all-zero
 * digest, of the bank's size (B.8). Only for records whose stored digest was checked against their
 * template data: this recomputes, it does not verify. One instance per thread (it reuses its digest).
 */
public final class BankView {
    private final HashAlgorithm bank;
    private final MessageDigest md;
    private final byte[] digest;

    public BankView(HashAlgorithm bank) {
        this.bank = bank;
        this.md = bank.newDigest();
        this.digest = new byte[bank.digestLength()];
    }

    public HashAlgorithm bank() { return bank; }

    /**
     * {@code r} (read from a list of the bank {@code from}) as this bank's file shows it, with its raw
     * bytes re-encoded: PCR, this bank's digest, then everything after the old digest unchanged.
     *
     * @throws MalformedLogException when {@code r} cannot be hashed by the kernel's rule (an {@code ima}
     *                               record whose data is not {@code d | nlen | name})
     */
    public MeasurementRecord of(MeasurementRecord r, HashAlgorithm from, String source) throws MalformedLogException {
        if (from == bank) return r;
        Digest d;
        if (r.isViolation()) {
            d = bank.zero();
        } else {
            md.reset();
            Optional<String> problem = TemplateHash.tryDigestInto(r, md, digest, 0);
            if (problem.isPresent()) {
                throw new MalformedLogException(MalformedLogException.Kind.BAD_LENGTH, source, r.index(), r.offset(), problem.get());
            }
            d = Digest.of(digest);
        }
        int oldLength = from.digestLength();
        int rest = r.raw().length() - 4 - oldLength;
        byte[] raw = new byte[4 + bank.digestLength() + rest];
        byte[] old = r.raw().toArray();
        System.arraycopy(old, 0, raw, 0, 4);
        d.copyTo(raw, 4);
        System.arraycopy(old, 4 + oldLength, raw, 4 + bank.digestLength(), rest);
        return new MeasurementRecord(r.index(), r.offset(), r.pcr(), d, r.templateName(), r.templateData(), r.byteOrder(), Bytes.wrap(raw));
    }
}
