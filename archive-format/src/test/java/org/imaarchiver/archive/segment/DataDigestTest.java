package org.imaarchiver.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.Test;

class DataDigestTest {
    /** Spec Appendix A test vectors, computed with Python hashlib. */
    @Test
    void matchesSpecVectors() {
        assertThat(new DataDigest().finish().hex()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        DataDigest d = new DataDigest();
        d.update(5, Bytes.ofHex("0a000000"));
        d.update(6, Bytes.EMPTY);
        assertThat(d.current().hex()).isEqualTo("657dcb507b11575b6046cc80e4a37c5ad535d9c869788b661d7f66bec3f8bfc3");
        assertThat(d.finish().hex()).isEqualTo("657dcb507b11575b6046cc80e4a37c5ad535d9c869788b661d7f66bec3f8bfc3");
    }
}
