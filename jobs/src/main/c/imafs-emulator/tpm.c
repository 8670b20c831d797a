/*
 * Raw TPM 2.0 commands over swtpm's TCP command port (`swtpm socket --server type=tcp`, which
 * carries bare TPM command/response bytes; kernel-interface.md T.1). One connection per command, because
 * swtpm serves one client at a time and tests run tpm2-tools against the same port.
 * TPM structures are big-endian.
 */
#include "imafs.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TPM_ST_NO_SESSIONS 0x8001
#define TPM_ST_SESSIONS 0x8002
#define TPM_CC_PCR_Extend 0x00000182
#define TPM_CC_GetCapability 0x0000017A
#define TPM_CAP_PCRS 0x00000005
#define TPM_RS_PW 0x40000009

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int tpm_connect(const char *hostport, char *err, size_t errlen) {
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, errlen, "bad TPM address '%s' (want host:port)", hostport);
        return -1;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "TPM address %s: %s", hostport, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) snprintf(err, errlen, "cannot connect to TPM at %s: %s", hostport, strerror(errno));
    return fd;
}

/* Sends one command, reads one whole response. Returns the response length or -1. */
static ssize_t tpm_transact(const char *hostport, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                            char *err, size_t errlen) {
    int fd = tpm_connect(hostport, err, errlen);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, cmd + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, errlen, "write to TPM %s: %s", hostport, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    size_t got = 0, want = 10;
    while (got < want) {
        ssize_t n = read(fd, resp + got, want - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, errlen, "read from TPM %s: %s", hostport, n == 0 ? "connection closed" : strerror(errno));
            close(fd);
            return -1;
        }
        got += (size_t)n;
        if (got >= 6 && want == 10) {
            want = get32(resp + 2);
            if (want < 10 || want > cap) {
                snprintf(err, errlen, "TPM %s: bad response size %zu", hostport, want);
                close(fd);
                return -1;
            }
        }
    }
    close(fd);
    return (ssize_t)got;
}

int tpm_check_banks(const char *hostport, const struct bank *banks, int nbanks, char *err, size_t errlen) {
    uint8_t cmd[22], resp[4096];
    put16(cmd, TPM_ST_NO_SESSIONS);
    put32(cmd + 2, sizeof cmd);
    put32(cmd + 6, TPM_CC_GetCapability);
    put32(cmd + 10, TPM_CAP_PCRS);
    put32(cmd + 14, 0);
    put32(cmd + 18, 1);
    ssize_t n = tpm_transact(hostport, cmd, sizeof cmd, resp, sizeof resp, err, errlen);
    if (n < 0) return -1;
    uint32_t rc = get32(resp + 6);
    if (rc != 0) {
        snprintf(err, errlen, "TPM2_GetCapability(PCRS) at %s failed: rc=0x%x%s", hostport, rc,
                 rc == 0x100 ? " (TPM_RC_INITIALIZE: run tpm2_startup -c first)" : "");
        return -1;
    }
    /* rc | moreData(1) | capability(4) | TPML_PCR_SELECTION: count(4) | {alg(2) size(1) select} */
    if (n < 19) { snprintf(err, errlen, "TPM %s: short GetCapability response", hostport); return -1; }
    uint32_t count = get32(resp + 15);
    size_t off = 19;
    char have[256] = "";
    bool allocated[MAX_BANKS] = {false};
    for (uint32_t i = 0; i < count; i++) {
        if (off + 3 > (size_t)n) break;
        uint16_t alg = get16(resp + off);
        uint8_t sz = resp[off + 2];
        if (off + 3 + sz > (size_t)n) break;
        bool any = false;
        for (int k = 0; k < sz; k++) any |= resp[off + 3 + k] != 0;
        if (any) {
            char tmp[16];
            snprintf(tmp, sizeof tmp, " 0x%04x", alg);
            strncat(have, tmp, sizeof have - strlen(have) - 1);
            for (int b = 0; b < nbanks; b++)
                if (banks[b].tpm_alg == alg) allocated[b] = true;
        }
        off += 3 + (size_t)sz;
    }
    for (int b = 0; b < nbanks; b++) {
        if (banks[b].in_tpm && !allocated[b]) {
            snprintf(err, errlen, "the TPM at %s has no allocated %s PCR bank (TPM_ALG 0x%04x); allocated:%s",
                     hostport, banks[b].name, banks[b].tpm_alg, have[0] ? have : " none");
            return -1;
        }
    }
    return 0;
}

int tpm_pcr_extend(const char *hostport, uint32_t pcr, const struct bank *banks, int nbanks,
                   const uint8_t digests[][MAX_DIGEST], char *err, size_t errlen) {
    uint8_t cmd[64 + MAX_BANKS * (2 + MAX_DIGEST)], resp[256];
    size_t off = 0;
    put16(cmd, TPM_ST_SESSIONS);
    off = 6; /* size filled in below */
    put32(cmd + off, TPM_CC_PCR_Extend); off += 4;
    put32(cmd + off, pcr); off += 4;             /* pcrHandle: the PCR index */
    put32(cmd + off, 9); off += 4;               /* authorizationSize */
    put32(cmd + off, TPM_RS_PW); off += 4;       /* password session, empty auth */
    put16(cmd + off, 0); off += 2;               /* nonce */
    cmd[off++] = 0;                              /* sessionAttributes */
    put16(cmd + off, 0); off += 2;               /* hmac (password) */
    size_t count_off = off;
    off += 4;
    uint32_t count = 0;
    for (int b = 0; b < nbanks; b++) {
        if (!banks[b].in_tpm) continue;
        put16(cmd + off, banks[b].tpm_alg); off += 2;
        memcpy(cmd + off, digests[b], (size_t)banks[b].size); off += (size_t)banks[b].size;
        count++;
    }
    put32(cmd + count_off, count);
    put32(cmd + 2, (uint32_t)off);
    ssize_t n = tpm_transact(hostport, cmd, off, resp, sizeof resp, err, errlen);
    if (n < 0) return -1;
    uint32_t rc = get32(resp + 6);
    if (rc != 0) {
        snprintf(err, errlen, "TPM2_PCR_Extend(PCR %u) at %s failed: rc=0x%x", pcr, hostport, rc);
        return -1;
    }
    return 0;
}

/* One command forwarded as is (the --tpm-device file): a whole response, or -1 with err set. */
ssize_t tpm_forward(const char *hostport, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, char *err, size_t errlen) {
    return tpm_transact(hostport, cmd, len, resp, cap, err, errlen);
}
