package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imaarchiver.replay.testsupport.CapturedData;

/**
 * A one-segment local archive of host {@code h1} made with the CLI ({@code keygen}, {@code pack}) from
 * the captured Debian 6.1 list and its RSA quote (testdata/), with its trust directory.
 */
record CapturedArchive(Path keys, Path archive, Path trust, Path state) {
    static String file(String name) {
        return CapturedData.file(CapturedData.DEBIAN_6_1, name).toString();
    }

    static CapturedArchive create(Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        assertThat(Cli.run("keygen", "--out", keys.toString()).code()).isZero();
        Path archive = dir.resolve("archive");
        Cli.Result pack = Cli.run("pack", "--log", file("binary_runtime_measurements"), "--quote", file("quote-rsa.msg"),
                "--signature", file("quote-rsa.sig"), "--ak", file("ak-rsa.pub.pem"),
                "--nonce", Files.readString(Path.of(file("quote-rsa.nonce"))).strip(), "--host", "h1",
                "--key", keys.resolve("signing-key.pem").toString(), "--cert", keys.resolve("signing-cert.pem").toString(),
                "--store", archive.toString());
        assertThat(pack.code()).as(pack.toString()).isZero();
        Path trust = dir.resolve("trust");
        Files.createDirectories(trust.resolve("hosts/h1"));
        Files.createDirectories(trust.resolve("signers"));
        Files.copy(Path.of(file("ak-rsa.pub.pem")), trust.resolve("hosts/h1/ak.pem"));
        Files.copy(keys.resolve("signing-cert.pem"), trust.resolve("signers/archiver.pem"));
        return new CapturedArchive(keys, archive, trust, dir.resolve("state"));
    }

    /** {@code verify ARCHIVE --trust TRUST --state STATE} and {@code more}. */
    Cli.Result verify(String... more) {
        List<String> args = new ArrayList<>(List.of("verify", archive.toString(), "--trust", trust.toString(),
                "--state", state.toString()));
        args.addAll(List.of(more));
        return Cli.run(args);
    }
}
