package org.imaarchiver.replay.quote;

import java.util.Objects;
import java.util.Optional;

/** The outcome of {@link QuoteVerifier#verify}: a verified quote or the first failed check. */
public sealed interface QuoteResult permits QuoteResult.Verified, QuoteResult.Failed {

    default Optional<VerifiedQuote> verified() {
        return this instanceof Verified v ? Optional.of(v.value()) : Optional.empty();
    }

    default Optional<QuoteFailure> failure() {
        return this instanceof Failed f ? Optional.of(f.reason()) : Optional.empty();
    }

    record Verified(VerifiedQuote value) implements QuoteResult {
        public Verified { Objects.requireNonNull(value, "value"); }
    }

    record Failed(QuoteFailure reason) implements QuoteResult {
        public Failed { Objects.requireNonNull(reason, "reason"); }
    }
}
