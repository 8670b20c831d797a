package org.imaarchiver.jobs.batch;

import java.util.List;
import org.slf4j.LoggerFactory;

/** Spring, Hikari, H2, Artemis, Netty and the PostgreSQL driver at WARN unless the application configured them (no logback.xml is ours to ship). */
public final class FrameworkLogging {
    private FrameworkLogging() {}

    public static void quiet() {
        if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc)) return;
        for (String name : List.of("org.springframework", "com.zaxxer.hikari", "org.h2", "org.apache.activemq", "io.netty",
                "org.postgresql", "org.jboss.logging")) {
            ch.qos.logback.classic.Logger l = lc.getLogger(name);
            if (l.getLevel() == null) l.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }
}
