/*
 * imafs-emulator: a FUSE emulation of the Linux 7.2 IMA securityfs measurement interface.
 * Section references ("A.8", "B.3", ...) point into docs/kernel-interface.md.
 */
#ifndef IMAFS_H
#define IMAFS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#define MAX_BANKS 6
#define MAX_DIGEST 64
#define IMA_EVENT_NAME_LEN_MAX 255 /* B.5: `n` field of the `ima` template */

struct bank {
    char name[16];        /* kernel hash name: sha1, sha256, ... (B.1 file suffix) */
    const char *evp_name; /* OpenSSL digest name */
    uint16_t tpm_alg;     /* TPM_ALG_ID */
    int size;             /* digest size */
    bool in_tpm;          /* configured with --banks, so extended into the TPM */
};

struct record {
    uint32_t pcr;
    bool violation;
    char *template_name;
    uint8_t *data; /* template data as in the binary list (for `ima`: d | nlen | name) */
    size_t data_len;
    uint8_t digest[MAX_BANKS][MAX_DIGEST]; /* stored template digest per file bank (zeros for violations) */
};

struct reclist {
    struct record **items;
    size_t head, len, cap; /* live items are items[head .. head+len) */
};

/* growable byte buffer */
struct buf {
    uint8_t *p;
    size_t len, cap;
};

void buf_put(struct buf *b, const void *src, size_t n);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_u32le(struct buf *b, uint32_t v);
void buf_hex(struct buf *b, const uint8_t *p, size_t n);
void buf_free(struct buf *b);

/* template.c: template descriptors, validation, ASCII rendering (B.3..B.7) */
int template_validate(const char *name, const uint8_t *data, size_t len, char *err, size_t errlen);
void template_digest(const char *name, const uint8_t *data, size_t len, const struct bank *bk, uint8_t *out);
void format_binary(struct buf *out, const struct record *r, int bank_idx, const struct bank *bk);
void format_ascii(struct buf *out, const struct record *r, int bank_idx, const struct bank *bk);

/* tpm.c: raw TPM 2.0 commands to swtpm's TCP command port */
ssize_t tpm_forward(const char *hostport, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, char *err, size_t errlen);
int tpm_check_banks(const char *hostport, const struct bank *banks, int nbanks, char *err, size_t errlen);
int tpm_pcr_extend(const char *hostport, uint32_t pcr, const struct bank *banks, int nbanks,
                   const uint8_t digests[][MAX_DIGEST], char *err, size_t errlen);

#endif
