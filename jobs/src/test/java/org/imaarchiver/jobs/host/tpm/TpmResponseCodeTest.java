package org.imaarchiver.jobs.host.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Decoding of TPM_RC values. Expected fields come from the bit layout in TCG TPM 2.0 Part 2 §6.6
 * (RC_FMT1 0x080, P 0x040, N in bits 8..11, RC_VER1 0x100, RC_WARN 0x900), not from the code.
 */
class TpmResponseCodeTest {
    @Test
    void formatOneHandleError() {
        TpmResponseCode rc = new TpmResponseCode(0x100 | 0x080 | 0x00B); // TPM_RC_HANDLE + TPM_RC_1 (handle 1)
        assertThat(rc.format()).isEqualTo(TpmResponseCode.Format.FORMAT_ONE);
        assertThat(rc.baseCode()).isEqualTo(TpmResponseCode.HANDLE);
        assertThat(rc.location()).isEqualTo(TpmResponseCode.Location.HANDLE);
        assertThat(rc.locationNumber()).isEqualTo(1);
        assertThat(rc.name()).contains("TPM_RC_HANDLE");
    }

    @Test
    void formatOneParameterError() {
        TpmResponseCode rc = new TpmResponseCode(0x080 | 0x004 | 0x040 | 0x300); // TPM_RC_VALUE + P + TPM_RC_3
        assertThat(rc.baseCode()).isEqualTo(TpmResponseCode.VALUE);
        assertThat(rc.location()).isEqualTo(TpmResponseCode.Location.PARAMETER);
        assertThat(rc.locationNumber()).isEqualTo(3);
    }

    @Test
    void formatOneSessionError() {
        TpmResponseCode rc = new TpmResponseCode(0x98E); // TPM_RC_AUTH_FAIL + TPM_RC_S + TPM_RC_1
        assertThat(rc.name()).contains("TPM_RC_AUTH_FAIL");
        assertThat(rc.location()).isEqualTo(TpmResponseCode.Location.SESSION);
        assertThat(rc.locationNumber()).isEqualTo(1);
    }

    @Test
    void formatZeroErrorAndWarning() {
        TpmResponseCode init = new TpmResponseCode(0x100);
        assertThat(init.format()).isEqualTo(TpmResponseCode.Format.FORMAT_ZERO_ERROR);
        assertThat(init.name()).contains("TPM_RC_INITIALIZE");
        assertThat(init.location()).isEqualTo(TpmResponseCode.Location.NONE);
        assertThat(init.isRetryable()).isFalse();

        TpmResponseCode retry = new TpmResponseCode(0x922);
        assertThat(retry.format()).isEqualTo(TpmResponseCode.Format.FORMAT_ZERO_WARNING);
        assertThat(retry.name()).contains("TPM_RC_RETRY");
        assertThat(retry.isRetryable()).isTrue();
        assertThat(new TpmResponseCode(0x902).name()).contains("TPM_RC_OBJECT_MEMORY");
        assertThat(new TpmResponseCode(0x902).isRetryable()).isFalse();
    }

    @Test
    void softwareLayerAndTpm12Codes() {
        TpmResponseCode tss = new TpmResponseCode(0x000A000A); // a TSS layer code, never from a TPM
        assertThat(tss.format()).isEqualTo(TpmResponseCode.Format.SOFTWARE_LAYER);
        assertThat(tss.layer()).isEqualTo(10);
        assertThat(tss.name()).isEmpty();
        assertThat(new TpmResponseCode(0x01E).format()).isEqualTo(TpmResponseCode.Format.TPM12);
    }
}
