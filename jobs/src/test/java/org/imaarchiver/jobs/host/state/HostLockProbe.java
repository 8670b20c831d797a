package org.imaarchiver.jobs.host.state;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A second archiver process for {@link HostLockTest}: tries the lock, prints {@code ACQUIRED <pid>}
 * or {@code HELD <pid|?>}, and when it holds the lock keeps it until its stdin reaches a line or EOF.
 */
public final class HostLockProbe {
    private HostLockProbe() {}

    public static void main(String[] args) throws Exception {
        HostLock.Attempt a = HostLock.tryAcquire(Path.of(args[0]));
        if (a instanceof HostLock.HeldByAnother h) {
            System.out.println("HELD " + h.holderPid().map(String::valueOf).orElse("?"));
            System.out.flush();
            return;
        }
        try (HostLock lock = ((HostLock.Acquired) a).lock()) {
            System.out.println("ACQUIRED " + ProcessHandle.current().pid());
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }
}
