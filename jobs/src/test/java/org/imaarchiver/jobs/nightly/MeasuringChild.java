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
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The archive job in a child JVM (so it can be halted like a SIGKILL) that, right after its quote,
 * sends control lines to the imafs emulator: records that arrive between the quote and the read
 * (or the {@code A}), which the quote does not cover.
 * Arguments: control socket, file of control lines, then the job's properties.
 */
public final class MeasuringChild {
    private MeasuringChild() {}

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        List<String> lines = Files.readAllLines(Path.of(args[1]));
        ArchiveRun.StepListener listener = step -> {
            if (step.equals("quoteTpm")) send(socket, lines);
        };
        ApplicationContextInitializer<ConfigurableApplicationContext> init =
                ctx -> ctx.getBeanFactory().registerSingleton("testStepListener", listener);
        System.exit(NightlyApplication.archive(Arrays.asList(args).subList(2, args.length), System.out, init));
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
