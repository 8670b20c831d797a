package org.imaarchiver.archive.sign;

import static org.imaarchiver.archive.sign.SignatureVerificationException.Kind.*;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSVerifierCertificateNotValidException;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * Verifies a manifest signature made by {@link SegmentSigner}: detached CMS SignedData with exactly
 * one SignerInfo whose embedded certificate's public key is trusted, within the algorithm profile,
 * over exactly the given manifest bytes. An attached RFC 3161 token must be over this SignerInfo's
 * signature value and signed by a trusted TSA key. Fails closed with a typed
 * {@link SignatureVerificationException}.
 */
public final class SignatureVerifier {
    private final TrustedKeys signers;
    private final TrustedKeys timestampAuthorities;
    private final boolean requireTimestamp;

    public SignatureVerifier(TrustedKeys signers, TrustedKeys timestampAuthorities, boolean requireTimestamp) {
        this.signers = Objects.requireNonNull(signers, "signers");
        this.timestampAuthorities = Objects.requireNonNull(timestampAuthorities, "timestampAuthorities");
        this.requireTimestamp = requireTimestamp;
    }

    /** Trusts {@code signers}; timestamps are verified when present against no trusted TSA (so they fail). */
    public static SignatureVerifier trusting(TrustedKeys signers) {
        return new SignatureVerifier(signers, TrustedKeys.none(), false);
    }

    public VerifiedSignature verify(Bytes manifestBytes, Bytes cms) throws SignatureVerificationException {
        Collection<SignerInformation> infos;
        Store<X509CertificateHolder> certificates;
        try {
            CMSSignedData alone = new CMSSignedData(cms.toArray());
            if (alone.getSignedContent() != null) throw new SignatureVerificationException(NOT_DETACHED, "CMS carries encapsulated content");
            CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(manifestBytes.toArray()), cms.toArray());
            // Bouncy Castle decodes these lazily: a malformed signer info or certificate set throws here
            infos = signed.getSignerInfos().getSigners();
            certificates = signed.getCertificates();
        } catch (CMSException | RuntimeException e) {
            throw new SignatureVerificationException(MALFORMED, "not DER CMS SignedData", e);
        }
        try {
            return verifyParsed(infos, certificates);
        } catch (RuntimeException e) {
            // Bouncy Castle decodes signer infos, attributes and certificates lazily: whatever part is
            // malformed throws an unchecked exception where it is first read
            throw new SignatureVerificationException(MALFORMED, "malformed CMS SignedData: " + e.getMessage(), e);
        }
    }

    private VerifiedSignature verifyParsed(Collection<SignerInformation> infos, Store<X509CertificateHolder> certificates)
            throws SignatureVerificationException {
        if (infos.size() != 1) throw new SignatureVerificationException(SIGNER_COUNT, infos.size() + " signer infos");
        SignerInformation si = infos.iterator().next();

        X509Certificate cert = certificateFor(certificates, si.getSID(), SIGNER_CERTIFICATE_MISSING);
        if (!signers.trusts(cert.getPublicKey())) {
            throw new SignatureVerificationException(UNTRUSTED_SIGNER, "signer " + cert.getSubjectX500Principal().getName()
                    + " key not trusted");
        }
        checkProfile(si, cert);
        try {
            boolean ok = si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(Bc.PROVIDER).build(cert));
            if (!ok) throw new SignatureVerificationException(BAD_SIGNATURE, "signature does not verify over the manifest bytes");
        } catch (CMSVerifierCertificateNotValidException e) {
            throw new SignatureVerificationException(SIGNER_CERTIFICATE_NOT_VALID, "signer certificate not valid at signingTime", e);
        } catch (CMSException | OperatorCreationException | RuntimeException e) {
            throw new SignatureVerificationException(BAD_SIGNATURE, "signature does not verify over the manifest bytes", e);
        }

        Optional<TimeStampToken> token = timestampOf(si);
        if (token.isEmpty()) {
            if (requireTimestamp) throw new SignatureVerificationException(TIMESTAMP_MISSING, "no signature timestamp token");
            return new VerifiedSignature(cert, Optional.empty(), Optional.empty());
        }
        TimeStampToken tst = token.get();
        X509Certificate tsaCert = certificateFor(tst.getCertificates(), tst.getSID(), BAD_TIMESTAMP);
        if (!timestampAuthorities.trusts(tsaCert.getPublicKey())) {
            throw new SignatureVerificationException(UNTRUSTED_TIMESTAMP_AUTHORITY, "TSA "
                    + tsaCert.getSubjectX500Principal().getName() + " key not trusted");
        }
        checkImprint(tst, si.getSignature());
        try {
            tst.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider(Bc.PROVIDER).build(tsaCert));
        } catch (TSPException | OperatorCreationException | RuntimeException e) {
            throw new SignatureVerificationException(BAD_TIMESTAMP, "timestamp token does not verify", e);
        }
        return new VerifiedSignature(cert, Optional.of(tst.getTimeStampInfo().getGenTime().toInstant()), Optional.of(tsaCert));
    }

    private static void checkProfile(SignerInformation si, X509Certificate cert) throws SignatureVerificationException {
        String enc = si.getEncryptionAlgOID();
        String dig = si.getDigestAlgOID();
        KeyMaterial.KeyType type;
        try {
            type = KeyMaterial.keyTypeOf(cert);
        } catch (IllegalArgumentException e) {
            throw new SignatureVerificationException(UNSUPPORTED_ALGORITHM, e.getMessage());
        }
        boolean ok = switch (type) {
            case P256 -> X9ObjectIdentifiers.ecdsa_with_SHA256.getId().equals(enc)
                    && NISTObjectIdentifiers.id_sha256.getId().equals(dig);
            case ED25519 -> EdECObjectIdentifiers.id_Ed25519.getId().equals(enc)
                    && NISTObjectIdentifiers.id_sha512.getId().equals(dig);
        };
        if (!ok) throw new SignatureVerificationException(UNSUPPORTED_ALGORITHM, "signature " + enc + " / digest " + dig
                + " outside the profile for a " + type + " key");
        AttributeTable signedAttrs = si.getSignedAttributes();
        if (signedAttrs == null || signedAttrs.get(CMSAttributes.messageDigest) == null
                || signedAttrs.get(CMSAttributes.contentType) == null) {
            throw new SignatureVerificationException(UNSUPPORTED_ALGORITHM, "signed attributes contentType and messageDigest are required");
        }
    }

    private static Optional<TimeStampToken> timestampOf(SignerInformation si) throws SignatureVerificationException {
        AttributeTable unsigned = si.getUnsignedAttributes();
        if (unsigned == null) return Optional.empty();
        var all = unsigned.getAll(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
        if (all.size() == 0) return Optional.empty();
        if (all.size() != 1) throw new SignatureVerificationException(BAD_TIMESTAMP, all.size() + " timestamp attributes");
        Attribute a = Attribute.getInstance(all.get(0));
        if (a.getAttrValues().size() != 1) throw new SignatureVerificationException(BAD_TIMESTAMP, "timestamp attribute must hold one token");
        try {
            return Optional.of(new TimeStampToken(ContentInfo.getInstance(a.getAttrValues().getObjectAt(0))));
        } catch (TSPException | IOException | RuntimeException e) {
            throw new SignatureVerificationException(BAD_TIMESTAMP, "timestamp token unreadable", e);
        }
    }

    private static void checkImprint(TimeStampToken tst, byte[] signatureValue) throws SignatureVerificationException {
        ASN1ObjectIdentifier alg = tst.getTimeStampInfo().getMessageImprintAlgOID();
        String jca;
        if (NISTObjectIdentifiers.id_sha256.equals(alg)) jca = "SHA-256";
        else if (NISTObjectIdentifiers.id_sha384.equals(alg)) jca = "SHA-384";
        else if (NISTObjectIdentifiers.id_sha512.equals(alg)) jca = "SHA-512";
        else throw new SignatureVerificationException(BAD_TIMESTAMP, "imprint algorithm " + alg + " not allowed");
        byte[] expected;
        try {
            expected = MessageDigest.getInstance(jca).digest(signatureValue);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks " + jca, e);
        }
        if (!MessageDigest.isEqual(expected, tst.getTimeStampInfo().getMessageImprintDigest())) {
            throw new SignatureVerificationException(BAD_TIMESTAMP, "timestamp token is over another signature value");
        }
    }

    @SuppressWarnings("unchecked")
    private static X509Certificate certificateFor(Store<X509CertificateHolder> store, org.bouncycastle.cms.SignerId sid,
                                                  SignatureVerificationException.Kind missing)
            throws SignatureVerificationException {
        Collection<X509CertificateHolder> matches = store.getMatches(sid);
        if (matches.size() != 1) throw new SignatureVerificationException(missing, matches.size() + " certificates match the signer id");
        try {
            X509Certificate cert = new JcaX509CertificateConverter().setProvider(Bc.PROVIDER).getCertificate(matches.iterator().next());
            cert.getPublicKey(); // decoded lazily: a malformed key (e.g. an EC point off its curve) throws here, not later
            return cert;
        } catch (CertificateException | RuntimeException e) {
            throw new SignatureVerificationException(missing, "embedded certificate unreadable", e);
        }
    }
}
