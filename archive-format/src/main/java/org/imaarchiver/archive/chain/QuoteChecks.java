package org.imaarchiver.archive.chain;

import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.segment.Checkpoint;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.QuoteFailure;
import org.imaarchiver.replay.quote.QuoteResult;
import org.imaarchiver.replay.quote.QuoteVerifier;
import org.imaarchiver.replay.quote.VerifiedQuote;

/**
 * A segment's quotes against the host's enrolled AKs: the end quote (§12.5–6) and a compacted
 * segment's checkpoint quotes (§16.5). Each quote is verified here once; the {@link VerifiedQuote}
 * goes on to the replay, which needs its selection and pcrDigest.
 */
final class QuoteChecks {
    private final TrustStore trust;
    private final QuoteVerifier quoteVerifier = new QuoteVerifier();

    QuoteChecks(TrustStore trust) { this.trust = trust; }

    /** The end quote of segment {@code seq}: AK, nonce, pcrDigest over the manifest's end, counters. */
    Optional<VerifiedQuote> endQuote(String host, long seq, SegmentManifest m, List<ChainFinding> out) {
        Bytes nonce = m.nonceDerivation().nonce();
        List<AkPublicKey> aks = trust.aksOf(host);
        Optional<String> lastSignatureFailure = Optional.empty();
        for (AkPublicKey ak : aks) {
            QuoteResult r = quoteVerifier.verify(m.quote(), ak, nonce);
            if (r instanceof QuoteResult.Verified v) {
                VerifiedQuote q = v.value();
                PcrState end = m.end();
                Optional<QuoteFailure> f = quoteVerifier.checkPcrDigest(q, (PcrBank k) -> valueOf(end, k));
                if (f.isPresent()) {
                    out.add(new QuoteFinding.PcrDigestMismatch(host, seq, q.pcrDigest(), computed(f.get()), f.get().describe()));
                }
                if (q.resetCount() != m.boot().resetCount() || q.restartCount() != m.boot().restartCount()) {
                    out.add(new QuoteFinding.BootMismatch(host, seq, m.boot().resetCount(), m.boot().restartCount(), q.resetCount(),
                            q.restartCount()));
                }
                return Optional.of(q);
            }
            QuoteFailure f = ((QuoteResult.Failed) r).reason();
            if (f instanceof QuoteFailure.BadSignature || f instanceof QuoteFailure.SignatureKeyMismatch) {
                lastSignatureFailure = Optional.of(f.describe());
                continue;
            }
            if (f instanceof QuoteFailure.NonceMismatch nm) {
                out.add(new QuoteFinding.NonceMismatch(host, seq, nm.expected(), nm.found()));
            } else {
                out.add(new QuoteFinding.Malformed(host, seq, f.describe()));
            }
            return Optional.empty();
        }
        out.add(new QuoteFinding.UntrustedAk(host, seq, aks.size(), m.quote().akName(), lastSignatureFailure));
        return Optional.empty();
    }

    /** A checkpoint's quote: AK, nonce, pcrDigest over its end state, counters; failures are checkpoint findings. */
    Optional<VerifiedQuote> checkpointQuote(String host, long seq, SegmentManifest m, Checkpoint c, List<ChainFinding> out) {
        long rec = c.quotePoint() - 1;
        List<AkPublicKey> aks = trust.aksOf(host);
        for (AkPublicKey ak : aks) {
            QuoteResult r = quoteVerifier.verify(c.quote(), ak,
                    c.nonceDerivation().nonce());
            if (r instanceof QuoteResult.Verified v) {
                VerifiedQuote q = v.value();
                PcrState end = c.end();
                Optional<QuoteFailure> f = quoteVerifier.checkPcrDigest(q, (PcrBank k) -> valueOf(end, k));
                if (f.isPresent()) {
                    out.add(new CheckpointFinding.PcrDigestMismatch(host, seq, c.sequence(), rec, q.pcrDigest(), computed(f.get())));
                }
                if (q.resetCount() != m.boot().resetCount() || q.restartCount() != c.restartCount()) {
                    out.add(new CheckpointFinding.BootMismatch(host, seq, c.sequence(), rec, m.boot().resetCount(), c.restartCount(),
                            q.resetCount(), q.restartCount()));
                }
                return Optional.of(q);
            }
            QuoteFailure f = ((QuoteResult.Failed) r).reason();
            if (f instanceof QuoteFailure.BadSignature || f instanceof QuoteFailure.SignatureKeyMismatch) continue;
            out.add(new CheckpointFinding.QuoteInvalid(host, seq, c.sequence(), rec,
                    f instanceof QuoteFailure.NonceMismatch nm ? Optional.of(nm.found()) : Optional.empty(), f.describe()));
            return Optional.empty();
        }
        out.add(new CheckpointFinding.UntrustedAk(host, seq, c.sequence(), rec, aks.size(), c.quote().akName()));
        return Optional.empty();
    }

    private static Optional<Digest> valueOf(PcrState s, PcrBank k) {
        return s.banks().contains(k.algorithm()) ? Optional.of(s.value(k.index(), k.algorithm())) : Optional.empty();
    }

    private static Optional<Digest> computed(QuoteFailure f) {
        return f instanceof QuoteFailure.PcrDigestMismatch d ? Optional.of(d.computed()) : Optional.empty();
    }
}
