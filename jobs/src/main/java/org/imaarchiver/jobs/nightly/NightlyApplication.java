package org.imaarchiver.jobs.nightly;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;

/**
 * The Spring Boot application behind {@code archive}, {@code enroll} and {@code status}. Only these
 * commands start Spring; the light CLI commands never load this class.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableConfigurationProperties(ArchiverSettings.class)
@Import(ArchiveJobConfiguration.class)
public class NightlyApplication {

    /** Starts the context with {@code args} as Spring properties ({@code --ima-archiver.x=y}). */
    public static ConfigurableApplicationContext context(List<String> properties, Object... extraSources) {
        List<Class<?>> sources = new ArrayList<>(List.of(NightlyApplication.class));
        SpringApplication app = new SpringApplication(sources.toArray(Class[]::new));
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setBannerMode(org.springframework.boot.Banner.Mode.OFF);
        app.setLogStartupInfo(false);
        for (Object extra : extraSources) {
            if (extra instanceof org.springframework.context.ApplicationContextInitializer<?> i) app.addInitializers(i);
        }
        return app.run(properties.toArray(String[]::new));
    }

    /**
     * Runs {@code archiveAndTrimJob} once; prints the structured log line to {@code out}; returns
     * the exit code ({@link RunOutcome}).
     */
    public static int archive(List<String> properties, PrintStream out, Object... extraSources) {
        return archive(properties, RunKind.NIGHTLY, out, extraSources);
    }

    /** As {@link #archive(List, PrintStream, Object...)}, for the run of {@code kind}. */
    public static int archive(List<String> properties, RunKind kind, PrintStream out, Object... extraSources) {
        List<Object> sources = new ArrayList<>(List.of(extraSources));
        sources.add((org.springframework.context.ApplicationContextInitializer<ConfigurableApplicationContext>)
                c -> c.getBeanFactory().registerSingleton("runKind", kind));
        try (ConfigurableApplicationContext ctx = context(properties, sources.toArray())) {
            JobOperator operator = ctx.getBean(JobOperator.class);
            Job job = ctx.getBean(ArchiveJobConfiguration.JOB_NAME, Job.class);
            ArchiveRun run = ctx.getBean(ArchiveRun.class);
            operator.start(job, new JobParametersBuilder().addString("host", run.host())
                    .addLong("run", System.currentTimeMillis()).toJobParameters());
            RunSummary s = ctx.getBean(RunLedger.class).summary();
            out.println(s.logLine());
            out.flush();
            return s.outcome().exitCode();
        } catch (Exception e) {
            out.println("ima-archiver archive outcome=" + RunOutcome.ENVIRONMENT_ERROR.label() + " exit="
                    + RunOutcome.ENVIRONMENT_ERROR.exitCode() + " detail=\"" + e.toString().replace('"', '\'') + "\"");
            return RunOutcome.ENVIRONMENT_ERROR.exitCode();
        }
    }

    /** For the crash tests: {@code java ... NightlyApplication --ima-archiver.x=y ...}; exits with the outcome's code. */
    public static void main(String[] args) {
        System.exit(archive(List.of(args), System.out));
    }
}
