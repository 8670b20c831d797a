package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;

/**
 * An embedded ActiveMQ Artemis broker for distributed verification ({@code ima-archiver broker}):
 * one TCP acceptor (CORE protocol), a persistent journal in {@code dataDir} (queued partition
 * requests survive a broker restart), security off (bind it to loopback or a private network), and
 * the partition queue with a redelivery back-off: a request whose worker failed on an environment
 * error (repository down) is retried after 1 s, 2 s, 4 s ... up to a minute, never dropped.
 */
public final class VerifyBroker implements AutoCloseable {
    private final EmbeddedActiveMQ server;
    private final String url;

    private VerifyBroker(EmbeddedActiveMQ server, String url) {
        this.server = server;
        this.url = url;
    }

    /**
     * Starts the broker listening on {@code host:port}.
     *
     * @throws IOException when the data directory is unusable or the port cannot be bound
     */
    public static VerifyBroker start(String host, int port, Path dataDir) throws IOException {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
        org.imaarchiver.jobs.batch.FrameworkLogging.quiet();
        Files.createDirectories(dataDir);
        Path d = dataDir.toAbsolutePath();
        String acceptor = "tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        try {
            ConfigurationImpl c = new ConfigurationImpl();
            c.setName("ima-archiver-verify");
            c.setPersistenceEnabled(true);
            c.setSecurityEnabled(false);
            c.setJMXManagementEnabled(false);
            c.setJournalType(JournalType.NIO); // no native libaio needed
            c.setJournalDirectory(d.resolve("journal").toString());
            c.setBindingsDirectory(d.resolve("bindings").toString());
            c.setPagingDirectory(d.resolve("paging").toString());
            c.setLargeMessagesDirectory(d.resolve("large-messages").toString());
            c.setNodeManagerLockDirectory(d.toString());
            c.addAcceptorConfiguration("tcp", acceptor + "?protocols=CORE");
            c.addAddressSetting("#", new AddressSettings()
                    .setRedeliveryDelay(1000).setRedeliveryMultiplier(2.0).setMaxRedeliveryDelay(60_000).setMaxDeliveryAttempts(-1)
                    .setAutoCreateQueues(true).setAutoCreateAddresses(true)
                    // never used (no delivery limit, no expiry); named so the broker does not warn
                    .setDeadLetterAddress(SimpleString.of("DLQ")).setExpiryAddress(SimpleString.of("ExpiryQueue")));
            c.addQueueConfiguration(QueueConfiguration.of(PartitionMessages.QUEUE).setAddress(PartitionMessages.QUEUE)
                    .setRoutingType(RoutingType.ANYCAST).setDurable(true));
            EmbeddedActiveMQ server = new EmbeddedActiveMQ();
            server.setConfiguration(c);
            server.start();
            var tcp = server.getActiveMQServer().getRemotingService().getAcceptor("tcp");
            if (!server.getActiveMQServer().isActive() || tcp == null || !tcp.isStarted()) {
                server.stop();
                throw new IOException("cannot listen on " + acceptor + " (port in use?)");
            }
            return new VerifyBroker(server, acceptor);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot start the broker on " + acceptor + ": " + ReverifyInfrastructure.rootMessage(e), e);
        }
    }

    /** The URL clients use ({@code tcp://host:port}). */
    public String url() { return url; }

    @Override
    public void close() throws IOException {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IOException("cannot stop the broker: " + e.getMessage(), e);
        }
    }
}
