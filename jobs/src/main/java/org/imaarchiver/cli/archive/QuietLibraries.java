package org.imaarchiver.cli.archive;

/**
 * Parquet and Hadoop log at INFO (a line per compressor); with no logging configuration that lands
 * between the CLI's own output. The archive commands raise those loggers to WARN when logback is
 * the SLF4J backend (it is, through Spring Boot's starter); anything else is left alone. Called when a
 * command that touches those libraries runs, not at start-up: initialising logback costs ~150 ms that
 * `replay` and `check-quote` do not need.
 */
final class QuietLibraries {
    private QuietLibraries() {}

    static void apply() {
        for (String name : new String[] {"org.apache.hadoop", "org.apache.parquet", "software.amazon.awssdk", "org.apache.hc"}) {
            try {
                Object logger = org.slf4j.LoggerFactory.getLogger(name);
                Class<?> level = Class.forName("ch.qos.logback.classic.Level", false, logger.getClass().getClassLoader());
                logger.getClass().getMethod("setLevel", level).invoke(logger, level.getField("WARN").get(null));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return;  // not logback
            }
        }
    }
}
