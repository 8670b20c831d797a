package org.imaarchiver.archive.admission;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.admission.TpmPublicArea.Attribute;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * Admission of a host's AK by credential activation (docs/trust-model.md "Admission"), in two steps
 * with the host's TPM in between:
 * <ol>
 * <li>{@link #challenge}: the request's EK certificate and EK and AK public areas are checked, and a
 *     secret is made into a credential only the TPM holding the EK can activate, and only for a
 *     loaded key of the AK's name ({@link MakeCredential}); the verifier keeps a {@link PendingAdmission};</li>
 * <li>{@link #answer}: the host's answer must be that secret; then the AK is admitted, described by an
 *     {@link AdmissionRecord} the caller signs.</li>
 * </ol>
 * Every refusal is an {@link AdmissionRefusedException} carrying its typed {@link AdmissionRefusal}.
 */
public final class Admission {
    private Admission() {}

    /** How long a challenge may be answered: long enough to carry it to the host and back by hand. */
    public static final Duration CHALLENGE_VALIDITY = Duration.ofHours(24);
    /** The secret's size (capped at the EK nameAlg's digest size, the most a TPM2B_DIGEST of a credential holds). */
    static final int SECRET_BYTES = 32;

    /** Whether a TPM without an EK certificate can be admitted (only on the operator's word that the EK is this TPM's). */
    public enum EkCertificatePolicy { REQUIRED, OPTIONAL }

    /** A challenge made: the file for {@code tpm2_activatecredential -i} / {@code enroll --activate}, and what to keep. */
    public record Issued(Bytes challengeFile, PendingAdmission pending) {}

    /** The attributes an AK must have: a restricted signing key generated in and bound to the TPM. */
    static final List<Attribute> AK_REQUIRED = List.of(Attribute.RESTRICTED, Attribute.SIGN, Attribute.FIXED_TPM, Attribute.FIXED_PARENT,
            Attribute.SENSITIVE_DATA_ORIGIN);
    /** The EK must be a restricted decryption (storage) key of the TPM: the only kind TPM2_ActivateCredential takes. */
    static final List<Attribute> EK_REQUIRED = List.of(Attribute.RESTRICTED, Attribute.DECRYPT, Attribute.FIXED_TPM, Attribute.FIXED_PARENT);

    /**
     * Checks {@code request} and makes its challenge.
     *
     * @param requestSha256 SHA-256 of the request file (kept in the record)
     * @param ekCas         the EK CA check; needed when the request has an EK certificate
     * @param at            the admission time (EK certificate validity; the challenge's issue time)
     */
    public static Issued challenge(EnrolmentRequest request, Bytes requestSha256, Optional<EkCertificateCheck> ekCas,
                                   EkCertificatePolicy policy, Instant at, SecureRandom random) throws AdmissionRefusedException {
        String host = request.host();
        if (!ArchiveLayout.isValidHostId(host)) {
            throw new AdmissionRefusedException(new AdmissionRefusal.MalformedEvidence(host, "host", "not a valid host id"));
        }
        TpmPublicArea ek = publicArea(host, "ekPublic", request.ekPublic());
        TpmPublicArea ak = publicArea(host, "akPublic", request.akPublic());
        if (!ak.name().equals(request.akName())) {
            throw new AdmissionRefusedException(new AdmissionRefusal.AkNameMismatch(host, request.akName().hex(), ak.name().hex()));
        }
        List<String> missing = new ArrayList<>();
        for (Attribute a : AK_REQUIRED) if (!ak.has(a)) missing.add(a.toolName());
        List<String> forbidden = ak.has(Attribute.DECRYPT) ? List.of(Attribute.DECRYPT.toolName()) : List.of();
        if (!missing.isEmpty() || !forbidden.isEmpty()) {
            throw new AdmissionRefusedException(new AdmissionRefusal.AkAttributes(host, missing, forbidden));
        }
        List<String> ekMissing = new ArrayList<>();
        for (Attribute a : EK_REQUIRED) if (!ek.has(a)) ekMissing.add(a.toolName());
        if (!ekMissing.isEmpty()) {
            throw new AdmissionRefusedException(new AdmissionRefusal.EkNotAStorageKey(host, "lacks " + String.join(", ", ekMissing)));
        }
        EkEndorsement endorsement;
        if (request.ekCertificates().isEmpty()) {
            if (policy == EkCertificatePolicy.REQUIRED) throw new AdmissionRefusedException(new AdmissionRefusal.NoEkCertificate(host));
            endorsement = new EkEndorsement.Uncertified();
        } else {
            EkCertificateCheck check = ekCas.orElseThrow(() -> new IllegalArgumentException("the request has an EK certificate but no EK CA was given"));
            endorsement = check.check(host, request.ekCertificates(), ek, at);
        }
        byte[] secret = new byte[Math.min(SECRET_BYTES, ek.nameAlg().digestLength())];
        random.nextBytes(secret);
        CredentialChallenge credential;
        try {
            credential = MakeCredential.make(ek, ak.name(), Bytes.wrap(secret), random);
        } catch (MakeCredential.UnsupportedEkException e) {
            throw new AdmissionRefusedException(new AdmissionRefusal.EkNotAStorageKey(host, e.getMessage()));
        }
        Bytes secretSha256 = sha256(secret);
        java.util.Arrays.fill(secret, (byte) 0);
        return new Issued(Bytes.wrap(credential.toBytes()),
                new PendingAdmission(request, requestSha256, secretSha256, at, at.plus(CHALLENGE_VALIDITY), endorsement));
    }

    /**
     * Checks {@code answer} against {@code pending} (in constant time) and describes the admitted AK.
     *
     * @param admittedBy SHA-256 of the admission key's SubjectPublicKeyInfo
     */
    public static AdmissionRecord answer(PendingAdmission pending, Bytes answer, Instant at, Bytes admittedBy) throws AdmissionRefusedException {
        String host = pending.host();
        if (at.isAfter(pending.expiresAt())) {
            throw new AdmissionRefusedException(new AdmissionRefusal.ChallengeExpired(host, pending.issuedAt(), pending.expiresAt(), at));
        }
        if (!MessageDigest.isEqual(sha256(answer.toArray()).toArray(), pending.secretSha256().toArray())) {
            throw new AdmissionRefusedException(new AdmissionRefusal.AnswerMismatch(host));
        }
        EnrolmentRequest r = pending.request();
        TpmPublicArea ak = publicArea(host, "akPublic", r.akPublic());
        TpmPublicArea ek = publicArea(host, "ekPublic", r.ekPublic());
        return new AdmissionRecord(host, ak.name(), ak.marshalled(), sha256(ak.publicKey().getEncoded()), ak.attributeNames(), ek.name(),
                pending.endorsement(), pending.requestSha256(), pending.issuedAt(), at, admittedBy);
    }

    private static TpmPublicArea publicArea(String host, String field, Bytes tpmt) throws AdmissionRefusedException {
        try {
            return TpmPublicArea.parse(tpmt);
        } catch (TpmPublicArea.MalformedPublicAreaException e) {
            throw new AdmissionRefusedException(new AdmissionRefusal.MalformedEvidence(host, field, e.getMessage()));
        }
    }

    public static Bytes sha256(byte[] b) {
        try {
            return Bytes.wrap(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
