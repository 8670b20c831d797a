package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.quote.AkPublicKey;

/**
 * What a verifier trusts, loaded from a trust directory (docs/archive-format.md "Trust directory"):
 *
 * <pre>
 * &lt;dir&gt;/hosts/&lt;host&gt;/*.pem|*.pub   accepted AKs of the host: PEM SubjectPublicKeyInfo or TPM2B_PUBLIC
 *                                   (tpm2-tools ak.pub); "ak.pem" by convention, several allowed
 * &lt;dir&gt;/signers/*.pem              accepted archiver signers: X.509 certificates or PEM public keys
 * </pre>
 *
 * @param aks     accepted AKs per host id
 * @param signers accepted signer keys (by SubjectPublicKeyInfo)
 */
public record TrustStore(Map<String, List<AkPublicKey>> aks, TrustedKeys signers) {
    public TrustStore {
        Objects.requireNonNull(signers, "signers");
        aks = Map.copyOf(aks);
        aks.forEach((h, l) -> ArchiveLayout.requireValidHostId(h));
        aks = aks.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    /** The accepted AKs of {@code host}; empty if none are enrolled. */
    public List<AkPublicKey> aksOf(String host) { return aks.getOrDefault(host, List.of()); }

    /**
     * Loads a trust directory. Fails (IOException naming the file) on an unreadable or undecodable
     * file: a trust store that silently drops a key would turn into false findings, one that
     * silently adds one into false trust.
     */
    public static TrustStore load(Path dir) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }
}
