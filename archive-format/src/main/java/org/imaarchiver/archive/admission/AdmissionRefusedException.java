package org.imaarchiver.archive.admission;

import java.util.Objects;

/** Admission stopped: carries the typed {@link AdmissionRefusal}. */
public final class AdmissionRefusedException extends Exception {
    private final transient AdmissionRefusal refusal;

    public AdmissionRefusedException(AdmissionRefusal refusal) {
        super(Objects.requireNonNull(refusal, "refusal").message());
        this.refusal = refusal;
    }

    public AdmissionRefusal refusal() { return refusal; }
}
