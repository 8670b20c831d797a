package org.imaarchiver.cli;

/** Entry point of {@code bin/ima-archiver}. Commands are added as they are built. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.err.println("ima-archiver: no commands yet");
        System.exit(2);
    }
}
