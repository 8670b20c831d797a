package org.imaarchiver.jobs.nightly;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The archive job in a child JVM with the crash tests' hooks, which production code does not have:
 * after a named step the JVM halts with status 137, as a SIGKILL would; right after its quote it may
 * send control lines to the imafs emulator (records that arrive between the quote and the read, or
 * the {@code A}, which the quote does not cover).
 * Arguments: the step to halt after or {@code -}, the control socket or {@code -}, the file of
 * control lines or {@code -}, then the job's properties.
 */
public final class ArchiveChild {
    private ArchiveChild() {}

    public static void main(String[] args) throws Exception {
        Optional<String> killAfter = given(args[0]);
        Optional<Path> socket = given(args[1]).map(Path::of);
        List<String> lines = given(args[2]).isPresent() ? Files.readAllLines(Path.of(args[2])) : List.of();
        AfterStep hooks = step -> {
            if (step.equals("quoteTpm") && socket.isPresent()) send(socket.get(), lines);
            if (killAfter.equals(Optional.of(step))) Runtime.getRuntime().halt(137);
        };
        System.exit(NightlyApplication.archive(Arrays.asList(args).subList(3, args.length), System.out, hooks.installer()));
    }

    private static Optional<String> given(String arg) {
        return arg.equals("-") ? Optional.empty() : Optional.of(arg);
    }

    private static void send(Path socket, List<String> lines) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader replies = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            for (String line : lines) {
                ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
                String reply = replies.readLine();
                if (reply == null || !reply.startsWith("ok")) throw new IOException("emulator: " + line + " -> " + reply);
            }
        }
    }
}
