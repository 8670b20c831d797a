package org.imaarchiver.jobs.host.securityfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesUpToTheCap() {
        Backoff b = new Backoff(6, Duration.ofMillis(10), Duration.ofMillis(50));
        assertThat(b.delayAfter(1)).isEqualTo(Duration.ofMillis(10));
        assertThat(b.delayAfter(2)).isEqualTo(Duration.ofMillis(20));
        assertThat(b.delayAfter(3)).isEqualTo(Duration.ofMillis(40));
        assertThat(b.delayAfter(4)).isEqualTo(Duration.ofMillis(50));
        assertThat(b.delayAfter(1000)).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Backoff(0, Duration.ZERO, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(1, Duration.ofMillis(5), Duration.ofMillis(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
