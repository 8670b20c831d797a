package org.imaarchiver.jobs.host.tpm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.quote.PcrValues;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.replay.quote.TpmReader;

/**
 * A minimal TPM 2.0 client speaking the command/response protocol directly (TCG TPM 2.0 Library
 * Part 3 marshalling, big-endian). Authorization is a password session (TPM_RS_PW) with the empty
 * password, which is what hierarchies, PCRs and our AKs use by default, or, for the EK only, an
 * unbound, unsalted policy session ({@link CredentialActivation}); there are no HMAC sessions and no
 * parameter encryption.
 *
 * <p>Not thread-safe: one command at a time per instance, like the transport under it.
 */
public final class Tpm2 implements AutoCloseable {
    private static final int ST_NO_SESSIONS = 0x8001;
    private static final int ST_SESSIONS = 0x8002;
    private static final int RS_PW = 0x40000009;
    private static final int SU_CLEAR = 0x0000;
    private static final int CAP_PCRS = 5;
    private static final int CAP_TPM_PROPERTIES = 6;
    private static final int PT_MANUFACTURER = 0x105;
    private static final int PT_NV_BUFFER_MAX = 0x12C;
    /** Chunk for NV_Read when the TPM does not say (MAX_NV_BUFFER_SIZE is at least 512 on PC clients). */
    private static final int NV_CHUNK_FALLBACK = 512;
    /** PCR_Read returns at most 8 digests per call (ms-tpm-20-ref PCRRead); re-read if a chunk's counter moved. */
    private static final int PCR_READ_ATTEMPTS = 5;
    /** EK certificates are a few KiB; refuse absurd sizes before allocating. */
    private static final int NV_MAX_READ = 16 * 1024;

    /** Any TPM2B in a response: no TPM buffer (MAX_NV_BUFFER_SIZE, MAX_CONTEXT_SIZE) comes near 4 KiB. */
    private static final int MAX_TPM2B = 4096;

    /** Resends of a command answered with a retry warning before giving up. */
    private static final int MAX_RETRIES = 16;

    private final TpmTransport transport;

    public Tpm2(TpmTransport transport) {
        this.transport = Objects.requireNonNull(transport, "transport");
    }

    public String endpoint() { return transport.endpoint(); }

    // ---------------------------------------------------------------------------------- commands

    /**
     * TPM2_Startup(TPM_SU_CLEAR). Returns true if this call started the TPM, false if it was already
     * started (TPM_RC_INITIALIZE: the normal case on a booted host, where firmware ran Startup).
     */
    public boolean startup() throws TpmFailure {
        try {
            execute(TpmCommandCode.STARTUP, new int[0], 0, new TpmWriter().u16(SU_CLEAR), 0);
            return true;
        } catch (TpmException e) {
            if (e.responseCode().baseCode() == TpmResponseCode.INITIALIZE) return false;
            throw e;
        }
    }

    /** The allocated PCR banks (TPM_CAP_PCRS), without banks that have no PCR allocated. */
    public List<PcrSelection> pcrBanks() throws TpmFailure {
        Response rsp = execute(TpmCommandCode.GET_CAPABILITY, new int[0], 0,
                new TpmWriter().u32(CAP_PCRS).u32(0).u32(1), 0);
        TpmReader<TpmProtocolException> r = rsp.params();
        r.u8("TPMI_YES_NO moreData"); // the whole selection fits in one response
        long cap = r.u32("TPMS_CAPABILITY_DATA.capability");
        if (cap != CAP_PCRS) throw r.error("TPMS_CAPABILITY_DATA.capability", "capability " + cap + " returned for TPM_CAP_PCRS");
        List<PcrSelection> banks = new ArrayList<>();
        // a TPM may allocate banks (SM3, SHA3) nothing here uses: they are left out, not an error
        for (PcrSelection s : r.pcrSelection("TPML_PCR_SELECTION", TpmReader.UnknownBank.SKIP)) {
            if (!s.pcrs().isEmpty()) banks.add(s);
        }
        r.expectEnd("TPMS_CAPABILITY_DATA");
        return List.copyOf(banks);
    }

    /** TPM_PT_MANUFACTURER as its four ASCII characters (e.g. "IBM" for swtpm), trimmed. */
    public Optional<String> manufacturer() throws TpmFailure {
        return fixedProperty(PT_MANUFACTURER).map(value -> {
            int v = value;
            byte[] b = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
            return new String(b, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
        });
    }

    /** One TPM_PT property value, if the TPM reports it. */
    public Optional<Integer> fixedProperty(int property) throws TpmFailure {
        Response rsp = execute(TpmCommandCode.GET_CAPABILITY, new int[0], 0,
                new TpmWriter().u32(CAP_TPM_PROPERTIES).u32(property).u32(1), 0);
        TpmReader<TpmProtocolException> r = rsp.params();
        r.u8("TPMI_YES_NO moreData");
        if (r.u32("TPMS_CAPABILITY_DATA.capability") != CAP_TPM_PROPERTIES) {
            throw r.error("TPMS_CAPABILITY_DATA.capability", "wrong capability in TPM_CAP_TPM_PROPERTIES response");
        }
        long count = r.u32("TPML_TAGGED_TPM_PROPERTY.count");
        Optional<Integer> out = Optional.empty();
        for (long i = 0; i < count; i++) {
            int p = r.u32Bits("TPMS_TAGGED_PROPERTY.property");
            int v = r.u32Bits("TPMS_TAGGED_PROPERTY.value");
            if (p == property) out = Optional.of(v);
        }
        r.expectEnd("TPML_TAGGED_TPM_PROPERTY");
        return out;
    }

    /**
     * TPM2_PCR_Read of every requested (PCR, bank). The TPM returns at most 8 digests per call and
     * says in pcrSelectionOut which ones; we ask again for the rest. All chunks must carry the same
     * pcrUpdateCounter, else the whole read starts again, so the result is one consistent snapshot.
     * PCRs of an unallocated bank are absent from the result.
     */
    public PcrRead pcrRead(List<PcrSelection> selection) throws TpmFailure {
        for (int attempt = 0; attempt < PCR_READ_ATTEMPTS; attempt++) {
            Map<HashAlgorithm, SortedSet<Integer>> remaining = new LinkedHashMap<>();
            for (PcrSelection s : selection) remaining.computeIfAbsent(s.bank(), b -> new TreeSet<>()).addAll(s.pcrs());
            remaining.values().removeIf(SortedSet::isEmpty);
            TreeMap<PcrBank, Digest> values = new TreeMap<>();
            Long counter = null;
            boolean moved = false;
            while (!remaining.isEmpty()) {
                List<PcrSelection> ask = new ArrayList<>();
                remaining.forEach((bank, pcrs) -> ask.add(new PcrSelection(bank, pcrs)));
                TpmReader<TpmProtocolException> r =
                        execute(TpmCommandCode.PCR_READ, new int[0], 0, new TpmWriter().pcrSelection(ask), 0).params();
                long c = r.u32("pcrUpdateCounter");
                List<PcrSelection> got = r.pcrSelection("pcrSelectionOut", TpmReader.UnknownBank.REJECT);
                long digestCount = r.u32("TPML_DIGEST.count");
                List<PcrBank> order = new ArrayList<>();
                for (PcrSelection s : got) {
                    for (int pcr : s.pcrs()) {
                        SortedSet<Integer> want = remaining.get(s.bank());
                        if (want == null || !want.contains(pcr)) {
                            throw r.error("pcrSelectionOut", "TPM returned " + PcrBank.of(pcr, s.bank()) + ", which was not asked for");
                        }
                        order.add(PcrBank.of(pcr, s.bank()));
                    }
                }
                if (digestCount != order.size()) {
                    throw r.error("TPML_DIGEST.count", "pcrSelectionOut selects " + order.size() + " PCRs but " + digestCount + " digests follow");
                }
                for (PcrBank pb : order) {
                    byte[] d = r.tpm2b("TPM2B_DIGEST", pb.algorithm().digestLength());
                    if (d.length != pb.algorithm().digestLength()) throw r.error("TPM2B_DIGEST", pb + " has " + d.length + " bytes");
                    values.put(pb, Digest.wrap(d));
                }
                r.expectEnd("PCR_Read response");
                if (counter != null && counter != c) {
                    moved = true;
                    break;
                }
                counter = c;
                if (order.isEmpty()) break; // the rest is not allocated
                for (PcrBank pb : order) remaining.get(pb.algorithm()).remove(pb.index());
                remaining.values().removeIf(SortedSet::isEmpty);
            }
            if (!moved) return new PcrRead(counter == null ? 0 : counter, new PcrValues(values));
        }
        throw new TpmProtocolException(TpmCommandCode.PCR_READ, 0,
                "pcrUpdateCounter changed during each of " + PCR_READ_ATTEMPTS + " chunked reads");
    }

    /**
     * TPM2_PCR_Extend of one PCR in several banks at once (TPML_DIGEST_VALUES), like the kernel's
     * tpm_pcr_extend for an IMA record (kernel-interface.md B.10). Each digest must have its bank's size.
     */
    public void pcrExtend(int pcr, Map<HashAlgorithm, Digest> digests) throws TpmFailure {
        PcrBank.of(pcr, HashAlgorithm.SHA256); // range check
        TpmWriter w = new TpmWriter().u32(digests.size());
        for (Map.Entry<HashAlgorithm, Digest> e : new EnumMap<>(digests).entrySet()) {
            if (e.getValue().length() != e.getKey().digestLength()) {
                throw new IllegalArgumentException(e.getKey() + " digest has " + e.getValue().length() + " bytes");
            }
            w.u16(e.getKey().tpmAlgId()).bytes(e.getValue().bytes());
        }
        execute(TpmCommandCode.PCR_EXTEND, new int[] {pcr}, 1, w, 0);
    }

    /**
     * TPM2_CreatePrimary of an AK from {@code template} in {@code hierarchy} (empty userAuth, no
     * outsideInfo, no creation PCRs). The returned handle is transient: flush or persist it.
     */
    public PrimaryKey createPrimary(Hierarchy hierarchy, AkTemplate template) throws TpmFailure {
        return createPrimary(hierarchy, template.tpmtPublic());
    }

    /**
     * The endorsement key of {@code template}: CreatePrimary in the endorsement hierarchy, which gives
     * the key the manufacturer certified (kernel-interface.md T.7). Transient: flush it.
     */
    public PrimaryKey createEndorsementKey(EkTemplate template) throws TpmFailure {
        return createPrimary(Hierarchy.ENDORSEMENT, template.tpmtPublic());
    }

    private PrimaryKey createPrimary(Hierarchy hierarchy, byte[] tmpl) throws TpmFailure {
        TpmWriter w = new TpmWriter();
        w.u16(4).u16(0).u16(0);   // TPM2B_SENSITIVE_CREATE { userAuth empty, data empty }
        w.tpm2b(tmpl);            // TPM2B_PUBLIC inPublic
        w.u16(0);                 // outsideInfo
        w.u32(0);                 // creationPCR: none
        Response rsp = execute(TpmCommandCode.CREATE_PRIMARY, new int[] {hierarchy.handle()}, 1, w, 1);
        TpmReader<TpmProtocolException> r = rsp.params();
        TpmPublic pub = TpmPublic.read(r.sub(r.u16("TPM2B_PUBLIC.size"), "TPM2B_PUBLIC"));
        r.tpm2b("TPM2B_CREATION_DATA", MAX_TPM2B);
        r.tpm2b("creationHash", MAX_TPM2B);
        r.u16("TPMT_TK_CREATION.tag");
        r.u32("TPMT_TK_CREATION.hierarchy");
        r.tpm2b("TPMT_TK_CREATION.digest", MAX_TPM2B);
        byte[] name = r.tpm2b("TPM2B_NAME", MAX_TPM2B);
        r.expectEnd("CreatePrimary response");
        if (!Arrays.equals(name, pub.name().toArray())) {
            flushQuietly(rsp.handles()[0]);
            throw r.error("TPM2B_NAME", "returned name does not match the hash of the returned public area");
        }
        return new PrimaryKey(rsp.handles()[0], pub);
    }

    /** TPM2_ReadPublic of a loaded or persistent object; the TPM's name must equal our computed name. */
    public TpmPublic readPublic(int handle) throws TpmFailure {
        TpmReader<TpmProtocolException> r =
                execute(TpmCommandCode.READ_PUBLIC, new int[] {handle}, 0, new TpmWriter(), 0).params();
        TpmPublic pub = TpmPublic.read(r.sub(r.u16("TPM2B_PUBLIC.size"), "TPM2B_PUBLIC"));
        byte[] name = r.tpm2b("TPM2B_NAME", MAX_TPM2B);
        r.tpm2b("qualifiedName", MAX_TPM2B);
        r.expectEnd("ReadPublic response");
        if (!Arrays.equals(name, pub.name().toArray())) {
            throw r.error("TPM2B_NAME", "returned name does not match the hash of the returned public area");
        }
        return pub;
    }

    /**
     * TPM2_EvictControl with owner authorization: persists {@code objectHandle} (transient) at
     * {@code persistentHandle} (0x81xxxxxx). The transient copy stays loaded; flush it.
     */
    public void evictControl(int objectHandle, int persistentHandle) throws TpmFailure {
        execute(TpmCommandCode.EVICT_CONTROL, new int[] {Hierarchy.OWNER.handle(), objectHandle}, 1,
                new TpmWriter().u32(persistentHandle), 0);
    }

    /** Removes a persistent object (EvictControl with the persistent handle as the object). */
    public void evictPersistent(int persistentHandle) throws TpmFailure {
        evictControl(persistentHandle, persistentHandle);
    }

    /**
     * TPM2_Quote with the key's own scheme (inScheme TPM_ALG_NULL). {@code nonce} goes into extraData.
     * The TPM drops unallocated PCRs from the selection; the signed selection is the one in the
     * attest bytes (kernel-interface.md C.2), which the verifier must use. A response that does not decode
     * as TPM2B_ATTEST and a supported TPMT_SIGNATURE is a {@link TpmProtocolException} at its offset.
     *
     * @param akName the TPM name of the key at {@code keyHandle}, carried with the quote
     */
    public QuoteEvidence quote(int keyHandle, Bytes akName, Bytes nonce, List<PcrSelection> selection) throws TpmFailure {
        TpmWriter w = new TpmWriter().tpm2b(nonce.toArray()).u16(AkTemplate.ALG_NULL).pcrSelection(selection);
        TpmReader<TpmProtocolException> r = execute(TpmCommandCode.QUOTE, new int[] {keyHandle}, 1, w, 0).params();
        // decoded here, once: the attest and signature travel on in decoded form with their bytes
        QuoteEvidence quote = QuoteEvidence.readQuoteResponse(r, akName);
        r.expectEnd("Quote response");
        return quote;
    }

    /** TPM2_FlushContext of a transient object or session. */
    public void flushContext(int handle) throws TpmFailure {
        execute(TpmCommandCode.FLUSH_CONTEXT, new int[0], 0, new TpmWriter().u32(handle), 0);
    }

    /** TPM2_NV_ReadPublic; empty when the index is not defined (TPM_RC_HANDLE). */
    public Optional<NvPublic> nvReadPublic(int nvIndex) throws TpmFailure {
        TpmReader<TpmProtocolException> r;
        try {
            r = execute(TpmCommandCode.NV_READ_PUBLIC, new int[] {nvIndex}, 0, new TpmWriter(), 0).params();
        } catch (TpmException e) {
            if (e.responseCode().baseCode() == TpmResponseCode.HANDLE) return Optional.empty();
            throw e;
        }
        TpmReader<TpmProtocolException> pub = r.sub(r.u16("TPM2B_NV_PUBLIC.size"), "TPM2B_NV_PUBLIC");
        int index = pub.u32Bits("TPMS_NV_PUBLIC.nvIndex");
        int nameAlg = pub.u16("TPMS_NV_PUBLIC.nameAlg");
        int attributes = pub.u32Bits("TPMS_NV_PUBLIC.attributes");
        pub.tpm2b("TPMS_NV_PUBLIC.authPolicy", MAX_TPM2B);
        int dataSize = pub.u16("TPMS_NV_PUBLIC.dataSize");
        pub.expectEnd("TPMS_NV_PUBLIC");
        byte[] name = r.tpm2b("TPM2B_NAME", MAX_TPM2B);
        r.expectEnd("NV_ReadPublic response");
        if (index != nvIndex) {
            throw r.error("TPMS_NV_PUBLIC.nvIndex", String.format("asked for NV index 0x%08x, got 0x%08x", nvIndex, index));
        }
        return Optional.of(new NvPublic(index, nameAlg, attributes, dataSize, Bytes.wrap(name)));
    }

    /**
     * Reads a whole NV index in chunks of the TPM's NV buffer size, authorizing with the index's own
     * empty password (AUTHREAD), else the owner's (OWNERREAD), else the platform's (PPREAD).
     */
    public Bytes nvRead(NvPublic nv) throws TpmFailure {
        int auth;
        if ((nv.attributes() & NvPublic.AUTHREAD) != 0) {
            auth = nv.index();
        } else if ((nv.attributes() & NvPublic.OWNERREAD) != 0) {
            auth = Hierarchy.OWNER.handle();
        } else if ((nv.attributes() & NvPublic.PPREAD) != 0) {
            auth = Hierarchy.PLATFORM.handle();
        } else {
            throw new IllegalArgumentException(String.format("NV index 0x%08x is readable only by policy", nv.index()));
        }
        if (nv.dataSize() > NV_MAX_READ) {
            throw new TpmProtocolException(TpmCommandCode.NV_READ_PUBLIC, 0, "NV index claims " + nv.dataSize() + " bytes");
        }
        int chunk = fixedProperty(PT_NV_BUFFER_MAX).filter(v -> v > 0).orElse(NV_CHUNK_FALLBACK);
        ByteArrayOutputStream out = new ByteArrayOutputStream(nv.dataSize());
        while (out.size() < nv.dataSize()) {
            int n = Math.min(chunk, nv.dataSize() - out.size());
            TpmReader<TpmProtocolException> r = execute(TpmCommandCode.NV_READ, new int[] {auth, nv.index()}, 1,
                    new TpmWriter().u16(n).u16(out.size()), 0).params();
            byte[] data = r.tpm2b("TPM2B_MAX_NV_BUFFER", n);
            r.expectEnd("NV_Read response");
            if (data.length != n) throw r.error("TPM2B_MAX_NV_BUFFER", "asked for " + n + " NV bytes, got " + data.length);
            out.write(data, 0, data.length);
        }
        return Bytes.wrap(out.toByteArray());
    }

    /**
     * The certificate (DER as stored by the manufacturer) of the EK made from {@code template}, from
     * the TCG index for it ({@link EkTemplate#certificateIndex()}); empty when the index is absent or
     * never written (swtpm without {@code swtpm_setup --create-ek-cert}).
     */
    public Optional<Bytes> ekCertificate(EkTemplate template) throws TpmFailure {
        Optional<NvPublic> nv = nvReadPublic(template.certificateIndex());
        if (nv.isEmpty() || !nv.get().isWritten()) return Optional.empty();
        return Optional.of(nvRead(nv.get()));
    }

    @Override
    public void close() { transport.close(); }

    // ------------------------------------------------------------------------------ marshalling

    void flushQuietly(int handle) {
        try {
            flushContext(handle);
        } catch (TpmFailure ignored) {
            // the original failure is the one to report
        }
    }

    /** A checked response: response handles and a reader bounded to the parameter area. */
    record Response(int[] handles, TpmReader<TpmProtocolException> params) {}

    /**
     * One TPMS_AUTH_COMMAND: the password session with the empty password ({@link #PASSWORD}), or a
     * policy session whose policy holds no auth value, so its hmac is empty too.
     */
    record AuthSession(int handle, byte[] nonceCaller) {
        static final AuthSession PASSWORD = new AuthSession(RS_PW, new byte[0]);

        /** A policy session used once: continueSession clear, the TPM flushes it after the command. */
        static AuthSession policyOnce(int handle, byte[] nonceCaller) { return new AuthSession(handle, nonceCaller.clone()); }
    }

    /** {@link #execute(TpmCommandCode, int[], List, TpmWriter, int)} with password sessions for the first {@code authCount} handles. */
    private Response execute(TpmCommandCode cc, int[] handles, int authCount, TpmWriter params, int responseHandles)
            throws TpmFailure {
        return execute(cc, handles, java.util.Collections.nCopies(authCount, AuthSession.PASSWORD), params, responseHandles);
    }

    /**
     * Builds a command (header, handles, one auth session per authorized handle in order, parameters),
     * sends it and checks the response framing and code.
     */
    Response execute(TpmCommandCode cc, int[] handles, List<AuthSession> sessions, TpmWriter params, int responseHandles)
            throws TpmFailure {
        int authCount = sessions.size();
        TpmWriter body = new TpmWriter();
        for (int h : handles) body.u32(h);
        if (authCount > 0) {
            TpmWriter auth = new TpmWriter();
            for (AuthSession s : sessions) {
                auth.u32(s.handle()).tpm2b(s.nonceCaller()).u8(0).u16(0); // attributes 0, empty hmac/password
            }
            body.u32(auth.size()).bytes(auth.toByteArray());
        }
        body.bytes(params.toByteArray());
        byte[] bodyBytes = body.toByteArray();
        byte[] command = new TpmWriter().u16(authCount > 0 ? ST_SESSIONS : ST_NO_SESSIONS)
                .u32(TpmTransport.HEADER_SIZE + bodyBytes.length).u32(cc.code()).bytes(bodyBytes).toByteArray();

        TpmReader<TpmProtocolException> r;
        int tag;
        for (int attempt = 1; ; attempt++) {
            byte[] response = transport.transmit(command);
            r = TpmReader.over(response, 0, response.length, TpmProtocolException.reading(cc));
            tag = r.u16("TPM_ST tag");
            long size = r.u32("responseSize");
            int rc = r.u32Bits("responseCode");
            if (size != response.length) {
                throw r.error("responseSize", "header size " + size + " but " + response.length + " bytes received");
            }
            if (rc == TpmResponseCode.SUCCESS) break;
            TpmResponseCode code = new TpmResponseCode(rc);
            // RETRY/YIELDED/TESTING mean "not executed, send it again" (Part 2 §6.6.3). swtpm answers
            // an ECDSA quote with TPM_RC_RETRY now and then; tpm2-tss resends these the same way.
            if (!code.isRetryable() || attempt >= MAX_RETRIES) throw new TpmException(cc, code);
        }
        int expectedTag = authCount > 0 ? ST_SESSIONS : ST_NO_SESSIONS;
        if (tag != expectedTag) {
            throw r.error(MalformedQuoteException.Kind.BAD_VALUE, "TPM_ST tag", 0,
                    String.format("tag 0x%04x, expected 0x%04x", tag, expectedTag));
        }
        int[] outHandles = new int[responseHandles];
        for (int i = 0; i < responseHandles; i++) outHandles[i] = r.u32Bits("response handle");
        if (authCount == 0) return new Response(outHandles, r.sub(r.remaining(), "parameters"));
        TpmReader<TpmProtocolException> p = r.sub(r.u32("parameterSize"), "parameters");
        for (int i = 0; i < authCount; i++) { // TPMS_AUTH_RESPONSE for a password session: all empty
            r.tpm2b("TPMS_AUTH_RESPONSE.nonce", MAX_TPM2B);
            r.u8("TPMS_AUTH_RESPONSE.sessionAttributes");
            r.tpm2b("TPMS_AUTH_RESPONSE.hmac", MAX_TPM2B);
        }
        r.expectEnd("response authorization area");
        return new Response(outHandles, p);
    }
}
