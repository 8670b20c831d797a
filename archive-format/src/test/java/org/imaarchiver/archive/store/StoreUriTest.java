package org.imaarchiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StoreUriTest {
    @Test
    void plainPathsAndFileUrisAreLocal() {
        assertThat(StoreUri.parse("/var/lib/ima-archive")).isEqualTo(new StoreUri.Local(Path.of("/var/lib/ima-archive")));
        assertThat(StoreUri.parse("archive")).isEqualTo(new StoreUri.Local(Path.of("archive").toAbsolutePath()));
        assertThat(StoreUri.parse("file:///tmp/a/")).isEqualTo(new StoreUri.Local(Path.of("/tmp/a")));
        assertThat(StoreUri.parse("file://localhost/tmp/a")).isEqualTo(new StoreUri.Local(Path.of("/tmp/a")));
        assertThat(StoreUri.parse("/tmp/x/../y")).isEqualTo(new StoreUri.Local(Path.of("/tmp/y")));
    }

    @Test
    void s3UrisHaveABucketAndAnOptionalPrefix() {
        assertThat(StoreUri.parse("s3://ima-archive")).isEqualTo(new StoreUri.S3("ima-archive", ""));
        assertThat(StoreUri.parse("s3://ima-archive/")).isEqualTo(new StoreUri.S3("ima-archive", ""));
        StoreUri.S3 s3 = (StoreUri.S3) StoreUri.parse("S3://my.bucket-1/fleet/prod/");
        assertThat(s3).isEqualTo(new StoreUri.S3("my.bucket-1", "fleet/prod"));
        assertThat(s3.objectKey("hosts/h/boots/b/segments/1.parquet")).isEqualTo("fleet/prod/hosts/h/boots/b/segments/1.parquet");
        assertThat(new StoreUri.S3("b12", "").objectKey("k")).isEqualTo("k");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/var/lib/a", "file:///tmp/b", "s3://bucket", "s3://bucket/a/b"})
    void canonicalFormParsesBack(String s) {
        StoreUri u = StoreUri.parse(s);
        assertThat(StoreUri.parse(u.uri())).isEqualTo(u);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "s3://", "s3:///prefix", "s3://ab", "s3://Upper", "s3://under_score", "s3://-dash",
            "s3://a..b", "s3://bucket/../x", "s3://bucket/a//b", "s3://bucket/a?x=1", "s3://bucket/a#f", "s3://bucket/has space",
            "gs://bucket/x", "http://host/x", "file:relative/path", "file://otherhost/x", "file:///tmp/x?y"})
    void badLocationsAreIllegalArguments(String s) {
        assertThatThrownBy(() -> StoreUri.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void credentialsInTheUriAreRefusedWithoutEchoingThem() {
        assertThatThrownBy(() -> StoreUri.parse("s3://AKIAEXAMPLE:wJalrXUtnFEMIsecret@bucket/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wJalrXUtnFEMIsecret").doesNotContain("AKIAEXAMPLE"));
    }
}
