package org.imaarchiver.replay.replay;

import java.io.IOException;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.PcrDigest;
import org.imaarchiver.replay.quote.PcrSelection;

/**
 * Finds which prefix of the log a quote covers (kernel-interface.md C.3): replaying from a base state,
 * the quote point is the first record count after which the pcrDigest over the quote's returned
 * selection (C.2: selection order, PCRs ascending, hashed with the signing hash) equals the quote's.
 * The base state itself is checked first (a quote taken before any new record).
 *
 * <p>IMA appends a record to the list before extending the TPM, under one lock, so a list read
 * after the quote holds every extend the quote covers and maybe more: records after the quote point
 * are not a failure. Do not compare against a PCR read instead: the read is not atomic with the
 * quote or the list, so it may lag the list (C.3).
 *
 * <p>Records that extend a PCR outside the selection leave the digest unchanged, so a digest can
 * match over a range of counts; the smallest is returned, which is the prefix guaranteed covered.
 * The caller must make sure the selection includes every PCR the policy extends.
 *
 * <p>This checks digests only; the quote's signature, nonce, magic and type must be verified first.
 */
public final class QuotePointFinder {
    private final Replayer replayer;

    public QuotePointFinder(Replayer replayer) {
        this.replayer = Objects.requireNonNull(replayer);
    }

    /** With {@link Replayer#parallel()}. */
    public static QuotePointFinder create() {
        return new QuotePointFinder(Replayer.parallel());
    }

    /**
     * Replays from {@code base} until the pcrDigest over {@code selection} equals
     * {@code expectedPcrDigest}, and stops there.
     *
     * @param selection  the quote's RETURNED selection (the TPM drops unallocated PCRs, C.2); not empty
     * @param signingHash the hash of the quote's signing scheme
     */
    public QuotePointResult find(PcrState base, RecordSource source, List<PcrSelection> selection,
                                 HashAlgorithm signingHash, Digest expectedPcrDigest) throws IOException {
        Objects.requireNonNull(base);
        Objects.requireNonNull(source);
        Objects.requireNonNull(signingHash);
        Objects.requireNonNull(expectedPcrDigest);
        int selected = 0;
        for (PcrSelection s : selection) selected += s.pcrs().size();
        if (selected == 0) throw new IllegalArgumentException("empty PCR selection: a quote over no PCRs covers nothing");
        for (PcrSelection s : selection) {
            if (!s.pcrs().isEmpty() && !base.banks().contains(s.bank())) {
                ReplayFailure f = new ReplayFailure.BankNotReplayed(s.bank());
                return new QuotePointResult.NotFound(f, new ReplayResult(base, 0, 0, List.of(), 0, false));
            }
        }

        Digest atBase = PcrDigest.compute(selection, signingHash, k -> base.value(k.index(), k.algorithm()));
        if (atBase.equals(expectedPcrDigest)) {
            return new QuotePointResult.Found(base.nextIndex(), new ReplayResult(base, 0, 0, List.of(), 0, false));
        }

        Matcher m = new Matcher(selection, signingHash, expectedPcrDigest);
        ReplayResult replay = replayer.replay(base, source, m);
        if (m.matched) return new QuotePointResult.Found(replay.state().nextIndex(), replay);

        PcrState end = replay.state();
        SortedMap<PcrBank, Digest> endValues = new TreeMap<>();
        for (PcrSelection s : selection) {
            for (int p : s.pcrs()) endValues.put(PcrBank.of(p, s.bank()), end.value(p, s.bank()));
        }
        Digest endDigest = PcrDigest.compute(selection, signingHash, k -> end.value(k.index(), k.algorithm()));
        return new QuotePointResult.NotFound(
                new ReplayFailure.NoQuotePoint(expectedPcrDigest, endDigest, end.nextIndex(), endValues), replay);
    }

    /** Recomputes the quote digest only after records that touch a selected PCR (others cannot change it). */
    private static final class Matcher implements ReplayObserver {
        final HashAlgorithm[] banks;
        final int[] pcrs;
        final int touchMask;
        final MessageDigest md;
        final byte[] out;
        final Digest expected;
        boolean matched;

        Matcher(List<PcrSelection> selection, HashAlgorithm signingHash, Digest expected) {
            List<HashAlgorithm> b = new ArrayList<>();
            List<Integer> p = new ArrayList<>();
            int mask = 0;
            for (PcrSelection s : selection) {
                for (int pcr : s.pcrs()) {
                    b.add(s.bank());
                    p.add(pcr);
                    mask |= 1 << pcr;
                }
            }
            banks = b.toArray(new HashAlgorithm[0]);
            pcrs = p.stream().mapToInt(Integer::intValue).toArray();
            touchMask = mask;
            md = signingHash.newDigest();
            out = new byte[signingHash.digestLength()];
            this.expected = expected;
        }

        @Override
        public boolean afterRecord(MeasurementRecord record, PcrView state) {
            if ((touchMask & (1 << record.pcr())) == 0) return true;
            // md is in its initial state: fresh, or reset by the digest() below (a JDK reset clears
            // the message schedule, a measurable cost once per record).
            for (int i = 0; i < pcrs.length; i++) state.updateDigest(md, pcrs[i], banks[i]);
            try {
                md.digest(out, 0, out.length);
            } catch (DigestException e) {
                throw new IllegalStateException(e);
            }
            if (expected.length() == out.length && expected.equalsBytes(out, 0, out.length)) {
                matched = true;
                return false;
            }
            return true;
        }
    }
}
