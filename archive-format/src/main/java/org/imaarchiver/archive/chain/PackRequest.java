package org.imaarchiver.archive.chain;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.replay.log.LogReader;
import org.imaarchiver.replay.quote.AkPublicKey;

/**
 * One packing job.
 *
 * @param hostId        the host ({@link ArchiveLayout#isValidHostId})
 * @param records       the list, in order: a full list from record 0 of the boot, or a slice whose reader
 *                      was opened with the slice's absolute first index ({@code LogReadOptions.withFirstIndex});
 *                      records below the chain head's next index are skipped
 * @param quote         TPMS_ATTEST, TPMT_SIGNATURE and AK name of the quote that ends the segment
 * @param ak            the AK public key the quote must verify under
 * @param nonce         how the quote's extraData was chosen
 * @param createdAt     the manifest's createdAt and the CMS signingTime (supplied, never the clock)
 * @param producer      producer name/version for the manifest
 * @param kernelVersion {@code uname -r} of the host, when known
 * @param closesBoot    the run at shutdown: the segment is marked as closing its boot
 *                      (docs/archive-format.md §6.1), and is written even with no new record
 */
public record PackRequest(String hostId, LogReader records, QuoteEvidence quote, AkPublicKey ak, PackNonce nonce,
                          Instant createdAt, String producer, Optional<String> kernelVersion, boolean closesBoot) {
    public PackRequest {
        ArchiveLayout.requireValidHostId(hostId);
        Objects.requireNonNull(records, "records");
        Objects.requireNonNull(quote, "quote");
        Objects.requireNonNull(ak, "ak");
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(kernelVersion, "kernelVersion");
    }

    /** A segment that does not close its boot. */
    public PackRequest(String hostId, LogReader records, QuoteEvidence quote, AkPublicKey ak, PackNonce nonce,
                       Instant createdAt, String producer, Optional<String> kernelVersion) {
        this(hostId, records, quote, ak, nonce, createdAt, producer, kernelVersion, false);
    }
}
