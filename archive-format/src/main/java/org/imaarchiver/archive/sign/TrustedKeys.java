package org.imaarchiver.archive.sign;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * A set of trusted public keys, compared by their SubjectPublicKeyInfo encoding. Trust is in the key,
 * not in a certificate chain: a certificate is trusted when its public key is in the set.
 */
public record TrustedKeys(Set<Bytes> encodedKeys) {
    public TrustedKeys {
        encodedKeys = Set.copyOf(encodedKeys);
    }

    public static TrustedKeys none() { return new TrustedKeys(Set.of()); }

    public static TrustedKeys ofKeys(Collection<? extends PublicKey> keys) {
        Set<Bytes> s = new HashSet<>();
        for (PublicKey k : keys) s.add(Bytes.wrap(k.getEncoded()));
        return new TrustedKeys(s);
    }

    public static TrustedKeys ofCertificates(Collection<? extends X509Certificate> certs) {
        Set<Bytes> s = new HashSet<>();
        for (X509Certificate c : certs) s.add(Bytes.wrap(c.getPublicKey().getEncoded()));
        return new TrustedKeys(s);
    }

    public boolean trusts(PublicKey key) { return encodedKeys.contains(Bytes.wrap(key.getEncoded())); }
}
