package org.imaarchiver.replay.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * A short number text with a huge exponent is refused at parse time: as an integer (canonical form,
 * {@code asLong}) {@code 1e999999999} would be a billion digits (found by fuzzing receipts).
 */
class JsonNumberBoundTest {
    @Test
    void hugeExponentsAndPrecisionsAreMalformed() {
        for (String t : new String[] {"1e999999999", "1e-999999999", "01e1000000", "1" + "0".repeat(1001)}) {
            assertThatThrownBy(() -> Json.parse("{\"n\":" + t + "}")).as(t).isInstanceOf(Json.JsonException.class)
                    .hasMessageContaining("digits or exponent");
        }
    }

    @Test
    void numbersWithinTheBoundParseAsBefore() throws Exception {
        assertThat(Json.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(Json.parse("1e3")).isEqualTo(new BigDecimal("1e3"));
        assertThat(Json.parse("1" + "0".repeat(999))).isEqualTo(new BigDecimal("1" + "0".repeat(999)));
    }
}
