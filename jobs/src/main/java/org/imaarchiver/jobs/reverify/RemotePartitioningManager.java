package org.imaarchiver.jobs.reverify;

import jakarta.jms.ConnectionFactory;
import javax.sql.DataSource;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.channel.DirectChannel;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.core.MessagingTemplate;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.jms.dsl.Jms;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * Distributed mode, manager side: the partition handler ({@link RemotePartitionHandler}) sends one
 * request per partition step execution to {@value PartitionMessages#QUEUE} and learns the outcomes by
 * polling the shared job repository (no reply queue: a restarted manager needs no replies addressed
 * to its dead predecessor, and the correlation-header pitfall of architecture.md L.5 does not arise).
 */
@Configuration(proxyBeanMethods = false)
@EnableIntegration
class RemotePartitioningManager {
    /** How often the manager polls the repository for finished partitions. */
    static final long POLL_MILLIS = RemotePartitionHandler.POLL_MILLIS;

    /**
     * The broker this manager sends to.
     *
     * @param workerHint how to give this manager workers (the "waiting for workers" line)
     */
    record Broker(String url, String workerHint) {}

    @Bean(destroyMethod = "destroy")
    CachingConnectionFactory jmsConnectionFactory(Broker broker) {
        return new CachingConnectionFactory(new ActiveMQConnectionFactory(broker.url()));
    }

    @Bean
    DirectChannel partitionRequests() {
        return new DirectChannel();
    }

    @Bean
    IntegrationFlow partitionRequestFlow(DirectChannel partitionRequests, ConnectionFactory jmsConnectionFactory) {
        return IntegrationFlow.from(partitionRequests)
                .transform(StepExecutionRequest.class, PartitionMessages::encode)
                .handle(Jms.outboundAdapter(jmsConnectionFactory).destination(PartitionMessages.QUEUE))
                .get();
    }

    @Bean
    RemotePartitionHandler partitionHandler(JobRepository jobRepository, DirectChannel partitionRequests, VerifyJobRequest request,
                                            DataSource dataSource, Progress progress, Broker broker) {
        MessagingTemplate t = new MessagingTemplate();
        t.setDefaultChannel(partitionRequests);
        RemotePartitionHandler h = new RemotePartitionHandler(t, ReverifyWorkerConfiguration.WORKER_STEP, jobRepository, dataSource, request,
                progress, broker.workerHint());
        h.setGridSize(request.parallel());
        return h;
    }
}
