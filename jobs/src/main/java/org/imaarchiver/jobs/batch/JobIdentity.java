package org.imaarchiver.jobs.batch;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/** SHA-256 over the lines that make two commands "the same run" (the identifying job parameter {@code key}). */
public final class JobIdentity {
    private final MessageDigest md = HashAlgorithm.SHA256.newDigest();

    public JobIdentity line(String s) {
        md.update((s + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Lowercase hex; call once. */
    public String hex() { return HexFormat.of().formatHex(md.digest()); }

    /** Digest of every regular file under {@code dir}: relative path and content digest, in path order. */
    public static String treeDigest(Path dir) throws IOException {
        JobIdentity id = new JobIdentity();
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> files = s.filter(Files::isRegularFile).sorted().toList();
            for (Path f : files) {
                MessageDigest fd = HashAlgorithm.SHA256.newDigest();
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), fd)) {
                    in.transferTo(OutputStream.nullOutputStream()); // streamed: a trust directory may hold anything
                }
                id.line(dir.relativize(f) + " " + HexFormat.of().formatHex(fd.digest()));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return id.hex();
    }
}
