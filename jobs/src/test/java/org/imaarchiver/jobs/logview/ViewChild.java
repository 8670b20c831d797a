package org.imaarchiver.jobs.logview;

import java.nio.file.Path;

/** Test main: serves the log view (args: kernel root, state dir, mount point) until killed or unmounted. */
public final class ViewChild {
    private ViewChild() {}

    public static void main(String[] args) throws Exception {
        LogViewDaemon.serve(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), 0, false, System.err);
    }
}
