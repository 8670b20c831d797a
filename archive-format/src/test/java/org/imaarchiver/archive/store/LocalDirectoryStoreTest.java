package org.imaarchiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LocalDirectoryStoreTest extends ArchiveStoreContractTest {
    private Path root;

    @Override
    ArchiveStore openStore() throws Exception {
        root = Files.createTempDirectory("local-store");
        return LocalDirectoryStore.open(root.resolve("archive"));
    }

    @Override
    void overwriteBehindTheStoresBack(String key, byte[] bytes) throws Exception {
        Files.write(root.resolve("archive").resolve(key), bytes);
    }

    @Test
    void leavesNoTemporaryFilesAndIgnoresForeignDotFiles() throws Exception {
        store.createNew(ns + "a/1", ascii("1"));
        assertThatThrownBy(() -> store.createNew(ns + "a/1", ascii("2"))).isInstanceOf(ObjectAlreadyExistsException.class);
        Path dir = root.resolve("archive").resolve(ns).resolve("a");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("1");
        }
        Files.write(dir.resolve(".1.leftover.tmp"), ascii("partial"));
        try (Stream<String> keys = store.list(ns)) {
            assertThat(keys).containsExactly(ns + "a/1");
        }
    }

    @Test
    void anObjectInTheWayOfADirectoryIsAStoreError() throws Exception {
        store.createNew(ns + "a", ascii("file"));
        assertThatThrownBy(() -> store.createNew(ns + "a/b", ascii("x")))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.key()).isEqualTo(ns + "a/b"))
                .isNotInstanceOf(ObjectAlreadyExistsException.class);
        assertThat(store.stat(ns + "a/b")).isEmpty();
        assertThatThrownBy(() -> store.open(ns + "a/b")).isInstanceOf(ObjectMissingException.class);
    }

    @Test
    void aDirectoryIsNotAnObject() throws Exception {
        store.createNew(ns + "d/x", ascii("x"));
        assertThat(store.stat(ns + "d")).isEmpty();
        assertThatThrownBy(() -> store.open(ns + "d")).isInstanceOf(ObjectMissingException.class);
    }
}
