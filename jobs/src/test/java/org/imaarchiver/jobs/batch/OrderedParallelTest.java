package org.imaarchiver.jobs.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OrderedParallelTest {

    @Test
    void resultsInTheItemsOrder() {
        List<Integer> items = IntStream.range(0, 500).boxed().toList();
        // Later items finish first: the order must come from the list, not from completion.
        List<String> out = OrderedParallel.map(items, i -> {
            if (i % 7 == 0) sleep(2);
            return "h" + i;
        }, 16);
        assertThat(out).isEqualTo(items.stream().map(i -> "h" + i).toList());
    }

    /** Four items that each wait until all four have started: only possible when they run at once. */
    @Test
    void itemsRunConcurrently() {
        CountDownLatch started = new CountDownLatch(4);
        List<Boolean> allMet = OrderedParallel.map(List.of("a", "b", "c", "d"), h -> {
            started.countDown();
            try {
                return started.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, 4);
        assertThat(allMet).containsOnly(true);
    }

    @Test
    void theFirstFailureInListOrderIsRethrownAsItWas() {
        assertThatThrownBy(() -> OrderedParallel.map(List.of("ok", "bad-1", "ok", "bad-2"), h -> {
            if (h.equals("bad-2")) throw new IllegalArgumentException(h);
            if (h.equals("bad-1")) {
                sleep(50); // fails after bad-2 in time, but comes first in the list
                throw new UncheckedIOException(new java.io.IOException("cannot list the chain of host " + h));
            }
            return h;
        }, 4)).isInstanceOf(UncheckedIOException.class).hasMessageContaining("bad-1");
    }

    @Test
    void emptyAndSingleItemsRunInline() {
        assertThat(OrderedParallel.map(List.<String>of(), h -> h, 16)).isEmpty();
        Thread caller = Thread.currentThread();
        assertThat(OrderedParallel.map(List.of("x"), h -> Thread.currentThread() == caller, 16)).containsExactly(true);
        assertThatThrownBy(() -> OrderedParallel.map(List.of("x"), h -> h, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
