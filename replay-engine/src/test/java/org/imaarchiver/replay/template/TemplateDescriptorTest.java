package org.imaarchiver.replay.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TemplateDescriptorTest {
    @Test
    void builtInTemplatesHaveTheKernelFieldLists() {
        // kernel-interface.md B.4
        assertThat(TemplateDescriptor.builtIns()).extracting(TemplateDescriptor::name).containsExactly(
                "ima", "ima-ng", "ima-sig", "ima-ngv2", "ima-sigv2", "ima-buf", "ima-modsig", "evm-sig");
        assertThat(ids("ima")).isEqualTo("d|n");
        assertThat(ids("ima-ng")).isEqualTo("d-ng|n-ng");
        assertThat(ids("ima-sig")).isEqualTo("d-ng|n-ng|sig");
        assertThat(ids("ima-ngv2")).isEqualTo("d-ngv2|n-ng");
        assertThat(ids("ima-sigv2")).isEqualTo("d-ngv2|n-ng|sig");
        assertThat(ids("ima-buf")).isEqualTo("d-ng|n-ng|buf");
        assertThat(ids("ima-modsig")).isEqualTo("d-ng|n-ng|sig|d-modsig|modsig");
        assertThat(ids("evm-sig")).isEqualTo("d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode");
        assertThat(TemplateDescriptor.find("ima").orElseThrow().isIma()).isTrue();
        assertThat(TemplateDescriptor.find("ima-ng").orElseThrow().isIma()).isFalse();
    }

    @Test
    void customFormatStringsAreTheirOwnTemplate() {
        TemplateDescriptor t = TemplateDescriptor.find("n-ng|sig|d-ng").orElseThrow();
        assertThat(t.builtIn()).isFalse();
        assertThat(t.fields()).containsExactly(TemplateField.N_NG, TemplateField.SIG, TemplateField.D_NG);
        // a single field id is a format string too; "d|n" is not the ima template's special layout
        assertThat(TemplateDescriptor.find("n").orElseThrow().fields()).containsExactly(TemplateField.N);
        assertThat(TemplateDescriptor.find("d|n").orElseThrow().isIma()).isFalse();
        for (TemplateField f : TemplateField.values()) {
            assertThat(TemplateDescriptor.find(f.id())).isPresent();
        }
    }

    @Test
    void unknownNamesAndFieldsAreRefused() {
        assertThat(TemplateDescriptor.find("ima-foo")).isEmpty();
        assertThat(TemplateDescriptor.find("")).isEmpty();
        assertThat(TemplateDescriptor.find("d-ng|")).isEmpty();
        assertThat(TemplateDescriptor.find("d-ng|bogus")).isEmpty();
        assertThat(TemplateDescriptor.unknownFieldIn("d-ng|bogus")).contains("bogus");
        assertThat(TemplateDescriptor.unknownFieldIn("ima-foo")).isEmpty();
        assertThat(TemplateDescriptor.find(String.join("|", java.util.Collections.nCopies(16, "n")))).isEmpty();
    }

    private static String ids(String template) {
        List<TemplateField> fields = TemplateDescriptor.find(template).orElseThrow().fields();
        return String.join("|", fields.stream().map(TemplateField::id).toList());
    }
}
