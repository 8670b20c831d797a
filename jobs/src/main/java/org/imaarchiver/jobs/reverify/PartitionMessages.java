package org.imaarchiver.jobs.reverify;

import java.util.Optional;
import org.springframework.batch.integration.partition.StepExecutionRequest;

/**
 * The wire form of a partition request on the broker: the text {@code <stepName>:<stepExecutionId>}
 * instead of a serialized Java object, so a worker never deserializes objects from the network.
 * Everything else (host, job parameters) the worker reads from the shared job repository.
 */
final class PartitionMessages {
    /** The JMS queue (anycast address) that carries partition requests. */
    static final String QUEUE = "ima-archiver.verify.partitions";

    private PartitionMessages() {}

    static String encode(StepExecutionRequest r) {
        return r.getStepName() + ":" + r.getStepExecutionId();
    }

    /** Empty for a message that is not a request (dropped and logged by the worker). */
    static Optional<StepExecutionRequest> decode(Object payload) {
        if (!(payload instanceof String s)) return Optional.empty();
        int colon = s.lastIndexOf(':');
        if (colon <= 0) return Optional.empty();
        try {
            long id = Long.parseLong(s.substring(colon + 1));
            return id < 0 ? Optional.empty() : Optional.of(new StepExecutionRequest(s.substring(0, colon), id));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
