package org.imaarchiver.e2e.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imaarchiver.archive.admission.EnrolmentRequest;
import org.imaarchiver.archive.admission.ToolsHost;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admit} end to end: a swtpm with its local CA's EK certificate, tpm2-tools as the host, the
 * CLI as the verifier; then {@code verify} reports how the host's AK was admitted and refuses a
 * record it cannot trust.
 */
class AdmitCliTest {
    @TempDir Path dir;

    @Test
    void admitsThroughActivationRefusesReplaysAndVerifyReportsTheAdmission() throws Exception {
        try (ToolsHost host = ToolsHost.manufacture(dir.resolve("tpm"))) {
            ToolsHost.Ak ak = host.createAk(ToolsHost.RSA_EK, "ak", false);
            Path request = dir.resolve("web-01.json");
            Files.writeString(request, new EnrolmentRequest("web-01", host.readPublic(ToolsHost.RSA_EK),
                    List.of(host.nvRead(ToolsHost.RSA_EK_CERT)), ak.tpmtPublic(), ak.name()).toJson());
            Path ekCa = Files.createDirectories(dir.resolve("ek-ca"));
            for (Path c : host.caCertificates()) Files.copy(c, ekCa.resolve(c.getFileName()));
            Path trust = dir.resolve("trust");
            Path keys = dir.resolve("admission-key");
            assertThat(ArchiveCli.run("keygen", "--out", keys.toString()).code()).isZero();
            Path key = keys.resolve("signing-key.pem");
            Path cert = keys.resolve("signing-cert.pem");

            ArchiveCli.Result noCa = ArchiveCli.run("admit", request.toString(), "--trust", trust.toString());
            assertThat(noCa.code()).as(noCa.toString()).isEqualTo(2);
            assertThat(noCa.err()).contains("--ek-ca").doesNotContain("Exception");

            ArchiveCli.Result issued = ArchiveCli.run("admit", request.toString(), "--ek-ca", ekCa.toString(), "--trust", trust.toString());
            assertThat(issued.code()).as(issued.toString()).isZero();
            Path challenge = dir.resolve("web-01.challenge");
            assertThat(Files.readAllBytes(challenge)).startsWith(0xba, 0xdc, 0xc0, 0xde);
            assertThat(trust.resolve("hosts/web-01/admission-pending.json")).exists();

            Path answer = dir.resolve("web-01.answer");
            assertThat(host.activate(ak, ToolsHost.RSA_EK, true, challenge, answer).exitCode()).isZero();
            Path wrong = Files.write(dir.resolve("wrong.answer"), new byte[32]);
            ArchiveCli.Result mismatch = answer(wrong, trust, key, cert);
            assertThat(mismatch.code()).as(mismatch.toString()).isEqualTo(1);
            assertThat(mismatch.err()).contains("host web-01", "not the challenge's secret");

            ArchiveCli.Result admitted = answer(answer, trust, key, cert);
            assertThat(admitted.code()).as(admitted.toString()).isZero();
            Path hostDir = trust.resolve("hosts/web-01");
            assertThat(hostDir.resolve("ak.pem")).exists();
            assertThat(hostDir.resolve("ak.admission.json")).exists();
            assertThat(hostDir.resolve("ak.admission.cms")).exists();
            assertThat(hostDir.resolve("admission-pending.json")).doesNotExist();

            ArchiveCli.Result replay = answer(answer, trust, key, cert);
            assertThat(replay.code()).as(replay.toString()).isEqualTo(1);
            assertThat(replay.err()).contains("host web-01", "no challenge is pending");

            // verify: the record is not trusted until its key is an admission signer
            Map<String, Object> refused = verifiedHost(trust, "refused");
            assertThat(kinds(refused)).contains("admission-unverified");
            Files.createDirectories(trust.resolve("admission-signers"));
            Files.copy(cert, trust.resolve("admission-signers/admission.pem"));
            Map<String, Object> proven = verifiedHost(trust, "proven");
            assertThat(kinds(proven)).doesNotContain("admission-unverified", "admission-mismatch").contains("missing-chain");
            Map<String, Object> admission = Json.asObject(proven.get("admission"), "admission");
            assertThat(admission.get("status")).isEqualTo("proven-by-activation");
            Map<String, Object> akEntry = Json.asObject(Json.asArray(admission.get("aks"), "aks").get(0), "ak");
            assertThat(akEntry.get("akName")).isEqualTo(ak.name().hex());
            assertThat(akEntry.get("admission")).isEqualTo("credential-activation");

            // a trust directory from before admission: the AK was asserted by an operator
            Path old = dir.resolve("old-trust/hosts/web-01");
            Files.createDirectories(old);
            Files.copy(hostDir.resolve("ak.pem"), old.resolve("ak.pem"));
            Map<String, Object> asserted = verifiedHost(dir.resolve("old-trust"), "asserted");
            assertThat(Json.asObject(asserted.get("admission"), "admission").get("status")).isEqualTo("asserted-by-operator");
            assertThat(kinds(asserted)).containsExactly("missing-chain");
        }
    }

    @Test
    void helpAndUsage() {
        ArchiveCli.Result help = ArchiveCli.run("admit", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage:", "admit", "--answer", "--ek-ca", "--allow-no-ek-certificate");
        ArchiveCli.Result neither = ArchiveCli.run("admit", "--trust", dir.toString());
        assertThat(neither.code()).isEqualTo(2);
        assertThat(neither.err()).contains("REQUEST or --answer");
        ArchiveCli.Result noKey = ArchiveCli.run("admit", "--answer", dir.resolve("a").toString(), "--host", "h", "--trust", dir.toString());
        assertThat(noKey.code()).isEqualTo(2);
        assertThat(noKey.err()).contains("--key");
    }

    @Test
    void aMalformedRequestIsExit2() throws Exception {
        Path request = Files.writeString(dir.resolve("bad.json"), "{\"format\": \"ima-archiver-enrolment-request\", \"version\": 1}");
        ArchiveCli.Result r = ArchiveCli.run("admit", request.toString(), "--allow-no-ek-certificate", "--trust", dir.resolve("t").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("bad.json").doesNotContain("Exception");
        Path garbage = Files.writeString(dir.resolve("garbage.json"), new EnrolmentRequest("web-02", Bytes.ofHex("0001"), List.of(),
                Bytes.ofHex("0001"), Bytes.ofHex("000b")).toJson());
        ArchiveCli.Result g = ArchiveCli.run("admit", garbage.toString(), "--allow-no-ek-certificate", "--trust", dir.resolve("t").toString());
        assertThat(g.code()).as(g.toString()).isEqualTo(2);
        assertThat(g.err()).contains("host web-02", "malformed");
    }

    private ArchiveCli.Result answer(Path answer, Path trust, Path key, Path cert) {
        return ArchiveCli.run("admit", "--answer", answer.toString(), "--host", "web-01", "--trust", trust.toString(),
                "--key", key.toString(), "--cert", cert.toString());
    }

    /** {@code verify} of an empty archive: the host's report entry (it fails: enrolled without a chain). */
    private Map<String, Object> verifiedHost(Path trust, String label) throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive-" + label));
        Path report = dir.resolve("report-" + label + ".json");
        ArchiveCli.Result r = ArchiveCli.run("verify", archive.toString(), "--trust", trust.toString(), "--state", dir.resolve("state-" + label).toString(),
                "--json", report.toString(), "--out", dir.resolve("out-" + label).toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        Map<String, Object> json = Json.asObject(Json.parse(Files.readString(report)), "report");
        return Json.asObject(Json.asArray(json.get("hosts"), "hosts").get(0), "host");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> kinds(Map<String, Object> host) {
        return ((List<Object>) host.get("failures")).stream().map(f -> ((Map<String, Object>) f).get("kind")).toList();
    }
}
