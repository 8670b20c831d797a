package org.imaarchiver.jobs.reverify;

import jakarta.jms.ConnectionFactory;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.integration.partition.StepExecutionRequestHandler;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.jms.dsl.Jms;

/**
 * Distributed mode, worker side: {@code parallel} JMS consumers on {@value PartitionMessages#QUEUE},
 * each in a transacted session, so a request is acknowledged only after its partition ran; a worker
 * that dies mid-partition leaves the request unacknowledged and the broker redelivers it to another
 * consumer. Consumers take one message at a time ({@code consumerWindowSize=0}: no client-side
 * prefetch, which would pin queued partitions to the first worker that connected).
 */
@Configuration(proxyBeanMethods = false)
@EnableIntegration
class RemotePartitioningWorker {

    /** The broker and how many partitions this worker runs at once. */
    record Consumer(String brokerUrl, int concurrency) {}

    @Bean(destroyMethod = "close")
    ActiveMQConnectionFactory jmsConnectionFactory(Consumer consumer) {
        String url = consumer.brokerUrl();
        return new ActiveMQConnectionFactory(url + (url.contains("?") ? "&" : "?") + "consumerWindowSize=0");
    }

    @Bean
    StepExecutionRequestHandler stepExecutionRequestHandler(JobRepository jobRepository, Step verifyChain) {
        StepExecutionRequestHandler h = new StepExecutionRequestHandler();
        h.setJobRepository(jobRepository);
        h.setStepLocator(name -> {
            if (!name.equals(ReverifyWorkerConfiguration.WORKER_STEP)) throw new IllegalArgumentException("unknown step " + name);
            return verifyChain;
        });
        return h;
    }

    @Bean
    PartitionRequestHandler partitionRequestHandler(JobRepository jobRepository, StepExecutionRequestHandler stepExecutionRequestHandler) {
        return new PartitionRequestHandler(jobRepository, stepExecutionRequestHandler);
    }

    @Bean
    IntegrationFlow partitionWorkerFlow(ConnectionFactory jmsConnectionFactory, Consumer consumer, PartitionRequestHandler handler) {
        return IntegrationFlow.from(Jms.messageDrivenChannelAdapter(Jms.container(jmsConnectionFactory, PartitionMessages.QUEUE)
                                .sessionTransacted(true)
                                .concurrentConsumers(consumer.concurrency())
                                .maxConcurrentConsumers(consumer.concurrency())
                                .receiveTimeout(1000))
                        .autoStartup(true))
                .handle((payload, headers) -> {
                    handler.handle(payload);
                    return null;
                })
                .get();
    }
}
