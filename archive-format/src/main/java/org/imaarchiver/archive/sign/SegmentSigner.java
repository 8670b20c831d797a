package org.imaarchiver.archive.sign;

import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * Signs canonical manifest bytes (docs/archive-format.md "Signature"): a detached CMS SignedData
 * (RFC 5652), one SignerInfo, the signer certificate embedded, signed attributes contentType,
 * messageDigest and signingTime. With a timestamp authority, an RFC 3161 token over the
 * SignerInfo's signature value is added as unsigned attribute id-aa-signatureTimeStampToken
 * (RFC 3161 Appendix A, CAdES-T).
 */
public final class SegmentSigner {
    private final KeyMaterial key;
    private final Optional<TimestampAuthority> tsa;
    private final SecureRandom random = new SecureRandom();

    public SegmentSigner(KeyMaterial key, Optional<TimestampAuthority> tsa) {
        this.key = Objects.requireNonNull(key, "key");
        this.tsa = Objects.requireNonNull(tsa, "tsa");
    }

    /**
     * @param content     the canonical manifest bytes
     * @param signingTime the signingTime attribute (the manifest's createdAt; supplied, never read from the clock)
     * @return the DER-encoded CMS ContentInfo
     */
    public Bytes sign(Bytes content, Instant signingTime) throws SigningException {
        CMSSignedData signed;
        try {
            ASN1EncodableVector attrs = new ASN1EncodableVector();
            attrs.add(new Attribute(CMSAttributes.signingTime, new DERSet(new Time(Date.from(signingTime)))));
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().setProvider(Bc.PROVIDER).build())
                    .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(attrs)))
                    .build(new JcaContentSignerBuilder(key.keyType().signatureAlgorithm()).setProvider(Bc.PROVIDER)
                            .build(key.privateKey()), key.certificate()));
            gen.addCertificates(new JcaCertStore(List.of(key.certificate())));
            signed = gen.generate(new CMSProcessableByteArray(content.toArray()), false);
        } catch (OperatorCreationException | CertificateEncodingException | CMSException e) {
            throw new SigningException("cannot sign manifest with " + key.keyType() + " key", e);
        }
        if (tsa.isPresent()) signed = addTimestamp(signed, tsa.get());
        try {
            return Bytes.wrap(signed.getEncoded("DER"));
        } catch (IOException e) {
            throw new SigningException("cannot encode CMS", e);
        }
    }

    private CMSSignedData addTimestamp(CMSSignedData signed, TimestampAuthority authority) throws SigningException {
        SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
        var md = HashAlgorithm.SHA256.newDigest();
        byte[] imprint = md.digest(si.getSignature());
        TimeStampRequestGenerator rg = new TimeStampRequestGenerator();
        rg.setCertReq(true);
        TimeStampRequest req = rg.generate(TSPAlgorithms.SHA256, imprint, new BigInteger(63, random));
        TimeStampToken token;
        try {
            Bytes answer = authority.exchange(Bytes.wrap(req.getEncoded()));
            TimeStampResponse resp = new TimeStampResponse(answer.toArray());
            resp.validate(req); // status, imprint, nonce and policy match what we asked for
            if (resp.getStatus() != PKIStatus.GRANTED && resp.getStatus() != PKIStatus.GRANTED_WITH_MODS) {
                throw new SigningException("TSA refused: status " + resp.getStatus() + " " + resp.getStatusString());
            }
            token = resp.getTimeStampToken();
            if (token == null) throw new SigningException("TSA response has no token");
        } catch (IOException | TSPException e) {
            throw new SigningException("timestamping failed", e);
        }
        Attribute a = new Attribute(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken,
                new DERSet(token.toCMSSignedData().toASN1Structure()));
        ASN1EncodableVector unsigned = new ASN1EncodableVector();
        unsigned.add(a);
        SignerInformation stamped = SignerInformation.replaceUnsignedAttributes(si, new AttributeTable(unsigned));
        return CMSSignedData.replaceSigners(signed, new SignerInformationStore(stamped));
    }
}
