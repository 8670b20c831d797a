package org.imaarchiver.archive.sign;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampResponseGenerator;
import org.bouncycastle.tsp.TimeStampTokenGenerator;

/** A test RFC 3161 TSA on BC's TSP classes, served over HTTP on 127.0.0.1 with a fixed genTime. */
final class LocalTsa implements AutoCloseable {
    static final Instant GEN_TIME = Instant.parse("2026-06-01T12:00:00Z");

    final X509Certificate certificate;
    private final HttpServer server;
    private final AtomicLong serial = new AtomicLong(1);

    LocalTsa() throws Exception {
        KeyPair kp = KeyMaterial.newKeyPair(KeyMaterial.KeyType.P256);
        X500Name name = new X500Name("CN=Test TSA");
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
                Date.from(Instant.parse("2026-01-01T00:00:00Z")), Date.from(Instant.parse("2036-01-01T00:00:00Z")), name, kp.getPublic());
        // RFC 3161 §2.3: the TSA certificate has exactly the critical extended key usage timeStamping.
        b.addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping));
        certificate = new JcaX509CertificateConverter().setProvider(Bc.PROVIDER)
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Bc.PROVIDER).build(kp.getPrivate())));
        var digests = new JcaDigestCalculatorProviderBuilder().setProvider(Bc.PROVIDER).build();
        TimeStampTokenGenerator tokens = new TimeStampTokenGenerator(
                new JcaSimpleSignerInfoGeneratorBuilder().setProvider(Bc.PROVIDER).build("SHA256withECDSA", kp.getPrivate(), certificate),
                digests.get(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256)), new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"));
        tokens.addCertificates(new JcaCertStore(List.of(certificate)));
        TimeStampResponseGenerator responses = new TimeStampResponseGenerator(tokens, TSPAlgorithms.ALLOWED);

        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/tsa", exchange -> {
            try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
                if (!"POST".equals(exchange.getRequestMethod())
                        || !"application/timestamp-query".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                    exchange.sendResponseHeaders(400, -1);
                    return;
                }
                byte[] resp;
                try {
                    TimeStampRequest req = new TimeStampRequest(in.readAllBytes());
                    resp = responses.generate(req, BigInteger.valueOf(serial.getAndIncrement()), Date.from(GEN_TIME)).getEncoded();
                } catch (Exception e) {
                    exchange.sendResponseHeaders(500, -1);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", "application/timestamp-reply");
                exchange.sendResponseHeaders(200, resp.length);
                out.write(resp);
            }
        });
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/tsa");
    }

    @Override
    public void close() { server.stop(0); }
}
