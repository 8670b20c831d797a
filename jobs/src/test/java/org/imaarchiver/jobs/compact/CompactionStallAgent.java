package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.matcher.ElementMatchers;
import org.imaarchiver.archive.compact.CompactionStep;
import org.imaarchiver.archive.compact.Compactor;

/**
 * Test-only crash point for a child JVM, a Java agent: the first time a compactor reports step
 * {@code STEP}, the marker file is written and the thread stalls forever, so that the test can
 * SIGKILL the JVM exactly at that protocol boundary. It wraps the {@link Compactor.StepHook} every
 * {@link Compactor} is constructed with in the stall; production code has no such hook.
 * {@link #jar} writes the agent jar (a manifest naming this class, found on the child's class path);
 * the child runs with {@code -javaagent:<jar>=STEP,MARKER}.
 */
public final class CompactionStallAgent {
    private static final String COMPACTOR = "org.imaarchiver.archive.compact.Compactor";
    private static volatile CompactionStep stallAt;
    private static volatile Path marker;
    private static final AtomicBoolean FIRED = new AtomicBoolean();

    private CompactionStallAgent() {}

    public static void premain(String args, Instrumentation inst) {
        String[] a = args.split(",", 2);
        stallAt = CompactionStep.valueOf(a[0]);
        marker = Path.of(a[1]);
        new AgentBuilder.Default()
                .with(AgentBuilder.Listener.StreamWriting.toSystemError().withErrorsOnly())
                // by name: a class literal here would load Compactor before the agent can transform it
                .type(ElementMatchers.named(COMPACTOR))
                .transform((builder, type, loader, module, domain) -> builder.visit(Advice.to(WrapHook.class)
                        .on(ElementMatchers.isConstructor().and(ElementMatchers.takesArgument(8, ElementMatchers.named(COMPACTOR + "$StepHook"))))))
                .installOn(inst);
    }

    /** Inlined at the start of the compactor's constructor that takes the hook: the stall wraps its argument. */
    public static final class WrapHook {
        private WrapHook() {}

        @Advice.OnMethodEnter
        static void enter(@Advice.Argument(value = 8, readOnly = false) Compactor.StepHook hook) {
            hook = CompactionStallAgent.stalling(hook);
        }
    }

    public static Compactor.StepHook stalling(Compactor.StepHook inner) {
        return step -> {
            inner.after(step);
            if (step != stallAt || !FIRED.compareAndSet(false, true)) return;
            Files.writeString(marker, step.name() + "\n", StandardCharsets.UTF_8);
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the stall point " + step, e);
            }
        };
    }

    /** Writes the agent jar: only a manifest; the class itself is on the child's class path. */
    static Path jar(Path dir) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(new Attributes.Name("Premain-Class"), CompactionStallAgent.class.getName());
        Path jar = dir.resolve("compaction-stall-agent.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return jar;
    }
}
