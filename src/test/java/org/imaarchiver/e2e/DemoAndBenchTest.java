package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo loop on a swtpm, and a small bench run (which checks evmctl agreement itself). */
class DemoAndBenchTest {
    @TempDir Path dir;

    @Test
    void demoFindsTheQuotePointOfAQuoteTakenMidList() {
        Tools.require("swtpm", "swtpm");
        Tools.require("tpm2_quote", "tpm2-tools");
        Cli.Result r = Cli.run("demo", "--records", "2000", "--quote-after", "1500", "--dir", dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("tpm2_checkquote  ok");
    }

    @Test
    void benchRunsBothToolsOnTheSameListAndTheyAgree() throws Exception {
        Tools.require("evmctl", "ima-evm-utils");
        Cli.Result r = Cli.run("bench", "--records", "20000", "--repeat", "1", "--out", dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("evmctl Matched our PCR values", "records/s", "ratio");
    }
}
