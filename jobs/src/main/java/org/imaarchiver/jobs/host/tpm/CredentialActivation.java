package org.imaarchiver.jobs.host.tpm;

import java.security.SecureRandom;
import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.quote.TpmReader;

/**
 * TPM2_ActivateCredential with an endorsement key (TPM 2.0 Part 1 §24, kernel-interface.md T.7): the
 * TPM decrypts the seed in {@code secret} with the EK, checks the credential blob's integrity HMAC,
 * which covers the name of the object at {@code activateHandle}, and only then returns the secret.
 * So only the TPM that holds both the EK and the AK the verifier named can answer.
 *
 * <p>The EK's user role is authorized by the policy its template asks for: a fresh policy session
 * satisfied by PolicySecret(TPM_RH_ENDORSEMENT) with the endorsement hierarchy's empty password
 * (low-range templates, policy A), or its empty auth value in a password session (userWithAuth set).
 * The AK's admin role takes its empty password. Every session made here is gone when this returns.
 */
public final class CredentialActivation {
    private static final int RH_NULL = 0x40000007;
    private static final int SE_POLICY = 0x01;
    /** The size of TPM_ALG_SHA256 digests: the policy session's nonces (Part 1 §19.6.3: 16 bytes up to the digest size). */
    private static final int NONCE_BYTES = 32;
    private static final int MAX_DIGEST = 64;
    private static final int MAX_TIMEOUT = 8;

    private final Tpm2 tpm;
    private final SecureRandom random = new SecureRandom();

    public CredentialActivation(Tpm2 tpm) { this.tpm = tpm; }

    /**
     * Activates {@code credentialBlob}/{@code encryptedSecret} (a TPM2B_ID_OBJECT's and a
     * TPM2B_ENCRYPTED_SECRET's contents) with the AK at {@code akHandle} and the EK at {@code ekHandle}
     * made from {@code ek}. A TPM that refuses the challenge as made for another EK or AK is an
     * {@link ActivationResult.NotForThisTpm}, not an exception: that is a verdict on the challenge.
     */
    public ActivationResult activate(int akHandle, int ekHandle, EkTemplate ek, Bytes credentialBlob, Bytes encryptedSecret)
            throws TpmFailure {
        Tpm2.AuthSession ekAuth = Tpm2.AuthSession.PASSWORD;
        int session = 0;
        if (ek.needsPolicySession()) {
            session = startPolicySession();
            try {
                policySecretEndorsement(session);
            } catch (TpmFailure e) {
                tpm.flushQuietly(session);
                throw e;
            }
            ekAuth = Tpm2.AuthSession.policyOnce(session, nonce());
        }
        TpmWriter w = new TpmWriter().tpm2b(credentialBlob.toArray()).tpm2b(encryptedSecret.toArray());
        TpmReader<TpmProtocolException> r;
        try {
            r = tpm.execute(TpmCommandCode.ACTIVATE_CREDENTIAL, new int[] {akHandle, ekHandle},
                    List.of(Tpm2.AuthSession.PASSWORD, ekAuth), w, 0).params();
        } catch (TpmException e) {
            if (session != 0) tpm.flushQuietly(session); // a failed command leaves its sessions loaded
            return ActivationResult.refusal(e);
        } catch (TpmFailure e) {
            if (session != 0) tpm.flushQuietly(session);
            throw e;
        }
        byte[] secret = r.tpm2b("TPM2B_DIGEST certInfo", MAX_DIGEST);
        r.expectEnd("ActivateCredential response");
        return new ActivationResult.Activated(Bytes.wrap(secret));
    }

    /** TPM2_StartAuthSession: an unbound, unsalted policy session with SHA-256, the hash of policy A. */
    private int startPolicySession() throws TpmFailure {
        TpmWriter w = new TpmWriter().tpm2b(nonce()).tpm2b(new byte[0]).u8(SE_POLICY)
                .u16(AkTemplate.ALG_NULL).u16(AkTemplate.ALG_SHA256);
        Tpm2.Response rsp = tpm.execute(TpmCommandCode.START_AUTH_SESSION, new int[] {RH_NULL, RH_NULL}, List.of(), w, 1);
        TpmReader<TpmProtocolException> r = rsp.params();
        r.tpm2b("TPM2B_NONCE nonceTPM", MAX_DIGEST);
        r.expectEnd("StartAuthSession response");
        return rsp.handles()[0];
    }

    /** TPM2_PolicySecret(TPM_RH_ENDORSEMENT) with no nonce, cpHash, policyRef or expiration: policy A. */
    private void policySecretEndorsement(int session) throws TpmFailure {
        TpmWriter w = new TpmWriter().tpm2b(new byte[0]).tpm2b(new byte[0]).tpm2b(new byte[0]).u32(0);
        TpmReader<TpmProtocolException> r = tpm.execute(TpmCommandCode.POLICY_SECRET,
                new int[] {Hierarchy.ENDORSEMENT.handle(), session}, List.of(Tpm2.AuthSession.PASSWORD), w, 0).params();
        r.tpm2b("TPM2B_TIMEOUT timeout", MAX_TIMEOUT);
        r.u16("TPMT_TK_AUTH.tag");
        r.u32("TPMT_TK_AUTH.hierarchy");
        r.tpm2b("TPMT_TK_AUTH.digest", MAX_DIGEST);
        r.expectEnd("PolicySecret response");
    }

    private byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }
}
