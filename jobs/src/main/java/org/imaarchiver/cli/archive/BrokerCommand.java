package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.jobs.reverify.VerifyBroker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code broker}: an embedded ActiveMQ Artemis broker for distributed verify; runs until stopped. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a JMS broker (embedded ActiveMQ Artemis) for distributed 'verify' until stopped.",
                "Persistent: queued partition requests survive a restart (journal in --data).",
                "No authentication: listen on loopback or a private network only."},
        footer = {"", "Exit codes: 0 stopped, 2 bad usage, 3 cannot listen or use the data directory."})
public final class BrokerCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:61616",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Journal directory.")
    Path data;

    public BrokerCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError, InterruptedException {
        QuietLibraries.apply();
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) throw CliError.usage("--listen: expected HOST:PORT, got " + listen);
        String host = listen.substring(0, colon).replaceAll("^\\[|\\]$", "");
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw CliError.usage("--listen: bad port in " + listen);
        }
        if (port < 1 || port > 65535) throw CliError.usage("--listen: port out of range: " + port);
        VerifyBroker broker;
        try {
            broker = VerifyBroker.start(host, port, data);
        } catch (IOException e) {
            throw CliError.environment(e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                broker.close();
            } catch (IOException e) {
                // shutting down anyway
            } finally {
                stopped.countDown();
            }
        }, "broker-shutdown"));
        ctx.err().println("broker: listening on " + broker.url() + ", data in " + data + "; stop with Ctrl-C or SIGTERM");
        stopped.await();
        return ExitCode.OK;
    }
}
