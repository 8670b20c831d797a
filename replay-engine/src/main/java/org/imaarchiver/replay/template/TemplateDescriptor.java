package org.imaarchiver.replay.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A template: its name as it appears in the list and its fields in order.
 *
 * @param name    the template name in the record (for a custom format, the format string itself, B.3)
 * @param fields  the fields in order
 * @param builtIn true for the kernel's named templates (B.4)
 */
public record TemplateDescriptor(String name, List<TemplateField> fields, boolean builtIn) {
    /** IMA_TEMPLATE_NUM_FIELDS_MAX in the kernel. */
    public static final int MAX_FIELDS = 15;

    private static final Map<String, TemplateDescriptor> BUILT_IN = new LinkedHashMap<>();

    static {
        // kernel-interface.md B.4
        builtIn("ima", "d|n");
        builtIn("ima-ng", "d-ng|n-ng");
        builtIn("ima-sig", "d-ng|n-ng|sig");
        builtIn("ima-ngv2", "d-ngv2|n-ng");
        builtIn("ima-sigv2", "d-ngv2|n-ng|sig");
        builtIn("ima-buf", "d-ng|n-ng|buf");
        builtIn("ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig");
        builtIn("evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode");
    }

    private static void builtIn(String name, String format) {
        List<TemplateField> fields = new ArrayList<>();
        for (String id : format.split("\\|")) fields.add(TemplateField.byId(id).orElseThrow());
        BUILT_IN.put(name, new TemplateDescriptor(name, fields, true));
    }

    public TemplateDescriptor {
        Objects.requireNonNull(name, "name");
        fields = List.copyOf(fields);
        if (fields.isEmpty()) throw new IllegalArgumentException("a template has at least one field");
    }

    /** True for the legacy {@code ima} template, whose binary layout and hash differ (B.3, B.7). */
    public boolean isIma() { return builtIn && "ima".equals(name); }

    /** The built-in templates, in B.4 order. */
    public static List<TemplateDescriptor> builtIns() { return List.copyOf(BUILT_IN.values()); }

    /**
     * The descriptor for a template name: a built-in name, or a custom format string ({@code d-ng|sig},
     * or a single field id such as {@code n}). Empty when the name is neither.
     */
    public static Optional<TemplateDescriptor> find(String name) {
        TemplateDescriptor d = BUILT_IN.get(name);
        if (d != null) return Optional.of(d);
        return parseFormat(name);
    }

    /** Parses a custom format string; empty when a field id is unknown or the string is malformed. */
    public static Optional<TemplateDescriptor> parseFormat(String format) {
        if (format.isEmpty()) return Optional.empty();
        String[] ids = format.split("\\|", -1);
        if (ids.length > MAX_FIELDS) return Optional.empty();
        List<TemplateField> fields = new ArrayList<>(ids.length);
        for (String id : ids) {
            Optional<TemplateField> f = TemplateField.byId(id);
            if (f.isEmpty()) return Optional.empty();
            fields.add(f.get());
        }
        return Optional.of(new TemplateDescriptor(format, fields, false));
    }

    /**
     * For a name that is not a template: the first field id of a would-be format string that the
     * kernel does not define, when the name looks like a format string (contains '|').
     */
    public static Optional<String> unknownFieldIn(String name) {
        if (BUILT_IN.containsKey(name) || name.indexOf('|') < 0) return Optional.empty();
        for (String id : name.split("\\|", -1)) {
            if (TemplateField.byId(id).isEmpty()) return Optional.of(id);
        }
        return Optional.empty();
    }
}
