package org.imaarchiver.e2e.archive;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imaarchiver.cli.Main;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.testsupport.TestData;

/** Runs the CLI in-process and holds the shared evidence of the archive e2e tests. */
final class ArchiveCli {
    private ArchiveCli() {}

    static final String HOST = "ibmtss-host";
    static final String QUOTES = "derived-swtpm-quotes-over-ibmtss-sha1log/";
    /** The derived swtpm quotes were taken with the record count as a 20-byte big-endian nonce (testdata README). */
    static final String NONCE_200 = "00000000000000000000000000000000000000c8";
    static final String NONCE_362 = "000000000000000000000000000000000000016a";

    record Result(int code, String out, String err) {
        Map<String, Object> json() throws Json.JsonException {
            return Json.asObject(Json.parse(out), "stdout");
        }

        @Override
        public String toString() { return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err; }
    }

    /** Commands that keep job state, by default under the user's ~/.cache: a test gives them a temp {@code --state}. */
    private static final java.util.Set<String> STATEFUL = java.util.Set.of("verify", "compact");

    static Result run(String... args) {
        List<String> a = List.of(args);
        if (!a.isEmpty() && STATEFUL.contains(a.get(0)) && !a.contains("--help") && !a.contains("--state")) {
            throw new IllegalArgumentException(a.get(0) + " without --state would write under the user's home: " + a);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Result run(List<String> args) { return run(args.toArray(String[]::new)); }

    static Path log() { return TestData.ima("kgoldman+ibmtss/sha1.log"); }

    static Path quoteFile(int n, String ext) { return TestData.ima(QUOTES + "quote-" + n + "." + ext); }

    static Path akPem() { return TestData.ima(QUOTES + "ak.pub.pem"); }

    /** {@code pack} of the quote after record {@code n} with its nonce; extra arguments appended. */
    static List<String> packArgs(int n, String nonce, Path keys, String store, String... extra) {
        List<String> a = new ArrayList<>(List.of("pack", "--log", log().toString(),
                "--quote", quoteFile(n, "msg").toString(), "--signature", quoteFile(n, "sig").toString(),
                "--ak", akPem().toString(), "--nonce", nonce, "--host", HOST,
                "--key", keys.resolve("signing-key.pem").toString(), "--cert", keys.resolve("signing-cert.pem").toString(),
                "--store", store, "--json"));
        a.addAll(List.of(extra));
        return a;
    }

    /** A trust directory: the test AK for HOST (unless {@code withAk} is false) and the archiver's certificate. */
    static Path trustDir(Path dir, Path keys, boolean withAk) throws Exception {
        Files.createDirectories(dir.resolve("signers"));
        Files.copy(keys.resolve("signing-cert.pem"), dir.resolve("signers/archiver.pem"));
        if (withAk) {
            Files.createDirectories(dir.resolve("hosts/" + HOST));
            Files.copy(akPem(), dir.resolve("hosts/" + HOST + "/ak.pem"));
        }
        return dir;
    }
}
