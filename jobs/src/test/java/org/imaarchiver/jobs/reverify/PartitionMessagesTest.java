package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.batch.integration.partition.StepExecutionRequest;

class PartitionMessagesTest {
    @Test
    void requestRoundTripsAsText() {
        String wire = PartitionMessages.encode(new StepExecutionRequest("verifyChain", 4711));
        assertThat(wire).isEqualTo("verifyChain:4711");
        StepExecutionRequest r = PartitionMessages.decode(wire).orElseThrow();
        assertThat(r.getStepName()).isEqualTo("verifyChain");
        assertThat(r.getStepExecutionId()).isEqualTo(4711L);
    }

    @Test
    void anythingElseIsNotARequest() {
        for (Object junk : new Object[] {"verifyChain", ":12", "verifyChain:x", "verifyChain:-3", 42L, new byte[] {1}}) {
            assertThat(PartitionMessages.decode(junk)).as(String.valueOf(junk)).isEmpty();
        }
    }
}
