package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.step.AbstractStep;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Test-only: an action run after each step of {@code archiveAndTrimJob} with the step's name (e.g.
 * append records after the quote and before the read, or halt the JVM). {@link #installer()} adds
 * it to every step of the job's context as a Spring Batch {@link StepExecutionListener}; the
 * production configuration has no such hook.
 */
@FunctionalInterface
interface AfterStep {
    void after(String step) throws IOException;

    /** Pass to {@code NightlyApplication.archive} as an extra source. */
    default ApplicationContextInitializer<ConfigurableApplicationContext> installer() {
        AfterStep action = this;
        StepExecutionListener listener = new StepExecutionListener() {
            @Override
            public ExitStatus afterStep(StepExecution execution) {
                try {
                    action.after(execution.getStepName());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null;
            }
        };
        return ctx -> ctx.getBeanFactory().addBeanPostProcessor(new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (bean instanceof AbstractStep step) step.registerStepExecutionListener(listener);
                return bean;
            }
        });
    }
}
