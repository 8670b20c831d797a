/* Template descriptors, record layout and template digests: kernel-interface.md B.3..B.8. */
#include "imafs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

void buf_put(struct buf *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { perror("imafs-emulator: realloc"); abort(); }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

void buf_printf(struct buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { buf_put(b, tmp, (size_t)n); return; }
    char *big = malloc((size_t)n + 1);
    if (!big) abort();
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_put(b, big, (size_t)n);
    free(big);
}

/* B.2: little-endian (canonical == native on the little-endian kernels we emulate) */
void buf_u32le(struct buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_put(b, x, 4);
}

void buf_hex(struct buf *b, const uint8_t *p, size_t n) {
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char c[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
        buf_put(b, c, 2);
    }
}

void buf_free(struct buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* How a field is shown in the ASCII list (B.6; the kernel's field_show functions). */
enum show { SHOW_HEX, SHOW_STRING, SHOW_DIGEST_NG, SHOW_UINT };

static const struct { const char *id; enum show show; } FIELDS[] = {
    {"d", SHOW_HEX},          {"n", SHOW_STRING},        {"d-ng", SHOW_DIGEST_NG},
    {"d-ngv2", SHOW_DIGEST_NG}, {"n-ng", SHOW_STRING},   {"sig", SHOW_HEX},
    {"buf", SHOW_HEX},        {"d-modsig", SHOW_DIGEST_NG}, {"modsig", SHOW_HEX},
    {"evmsig", SHOW_HEX},     {"xattrnames", SHOW_STRING}, {"xattrlengths", SHOW_HEX},
    {"xattrvalues", SHOW_HEX}, {"iuid", SHOW_UINT},      {"igid", SHOW_UINT},
    {"imode", SHOW_UINT},
};

/* B.4 built-in templates */
static const struct { const char *name; const char *fmt; } TEMPLATES[] = {
    {"ima", "d|n"},
    {"ima-ng", "d-ng|n-ng"},
    {"ima-sig", "d-ng|n-ng|sig"},
    {"ima-ngv2", "d-ngv2|n-ng"},
    {"ima-sigv2", "d-ngv2|n-ng|sig"},
    {"ima-buf", "d-ng|n-ng|buf"},
    {"ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig"},
    {"evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode"},
};

#define MAX_FIELDS 16

/*
 * Resolves a template name to its field show kinds. A name that is not built in is read as a
 * format string (B.3: a descriptor without a name is written as its format). Returns the
 * number of fields, or -1 when some field id is unknown (the caller then shows fields as hex).
 */
static int template_fields(const char *name, enum show *shows) {
    const char *fmt = name;
    for (size_t i = 0; i < sizeof TEMPLATES / sizeof TEMPLATES[0]; i++)
        if (strcmp(name, TEMPLATES[i].name) == 0) fmt = TEMPLATES[i].fmt;
    int n = 0;
    const char *p = fmt;
    while (*p) {
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
            if (strlen(FIELDS[i].id) == len && strncmp(FIELDS[i].id, p, len) == 0) {
                if (n == MAX_FIELDS) return -1;
                shows[n++] = FIELDS[i].show;
                found = true;
                break;
            }
        }
        if (!found) return -1;
        if (!end) break;
        p = end + 1;
    }
    return n;
}

static bool is_ima(const char *name) { return strcmp(name, "ima") == 0; }

int template_validate(const char *name, const uint8_t *data, size_t len, char *err, size_t errlen) {
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen > 255) {
        snprintf(err, errlen, "template name length %zu not in 1..255", nlen);
        return -1;
    }
    if (is_ima(name)) {
        /* B.3: d(20) | nlen(u32) | name(nlen), nlen <= IMA_EVENT_NAME_LEN_MAX */
        if (len < 24) {
            snprintf(err, errlen, "ima template data needs d(20)|nlen(4)|name, got %zu bytes", len);
            return -1;
        }
        uint32_t n = le32(data + 20);
        if (n > IMA_EVENT_NAME_LEN_MAX || len != 24 + (size_t)n) {
            snprintf(err, errlen, "ima template: name length %u does not fit data length %zu (max %d)",
                     n, len, IMA_EVENT_NAME_LEN_MAX);
            return -1;
        }
        return 0;
    }
    enum show shows[MAX_FIELDS];
    int want = template_fields(name, shows);
    int got = 0;
    size_t off = 0;
    while (off < len) {
        if (len - off < 4) {
            snprintf(err, errlen, "field %d: truncated length at byte %zu", got, off);
            return -1;
        }
        uint32_t fl = le32(data + off);
        if (fl > len - off - 4) {
            snprintf(err, errlen, "field %d: length %u overruns template data (%zu bytes) at byte %zu",
                     got, fl, len, off);
            return -1;
        }
        off += 4 + fl;
        got++;
    }
    if (want >= 0 && got != want) {
        snprintf(err, errlen, "template %s has %d fields, data has %d", name, want, got);
        return -1;
    }
    return 0;
}

void template_digest(const char *name, const uint8_t *data, size_t len, const struct bank *bk, uint8_t *out) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = EVP_get_digestbyname(bk->evp_name);
    unsigned int olen = 0;
    if (!ctx || !md || !EVP_DigestInit_ex(ctx, md, NULL)) abort();
    if (is_ima(name)) {
        /* B.7: H(d(20) || name in a zero-filled 256-byte buffer) */
        uint8_t padded[IMA_EVENT_NAME_LEN_MAX + 1];
        memset(padded, 0, sizeof padded);
        memcpy(padded, data + 24, len - 24);
        EVP_DigestUpdate(ctx, data, 20);
        EVP_DigestUpdate(ctx, padded, sizeof padded);
    } else {
        /* B.7: H(template data exactly as in the binary list) */
        EVP_DigestUpdate(ctx, data, len);
    }
    EVP_DigestFinal_ex(ctx, out, &olen);
    EVP_MD_CTX_free(ctx);
}

void format_binary(struct buf *out, const struct record *r, int bank_idx, const struct bank *bk) {
    /* B.3 */
    size_t nlen = strlen(r->template_name);
    buf_u32le(out, r->pcr);
    buf_put(out, r->digest[bank_idx], (size_t)bk->size);
    buf_u32le(out, (uint32_t)nlen);
    buf_put(out, r->template_name, nlen);
    if (!is_ima(r->template_name)) buf_u32le(out, (uint32_t)r->data_len);
    buf_put(out, r->data, r->data_len);
}

static void show_field(struct buf *out, enum show show, const uint8_t *p, size_t len) {
    switch (show) {
    case SHOW_HEX:
        buf_hex(out, p, len);
        break;
    case SHOW_STRING: {
        size_t n = 0;
        while (n < len && p[n]) n++;
        buf_put(out, p, n);
        break;
    }
    case SHOW_DIGEST_NG: {
        /* prefix up to and including the last ':' before the NUL ("sha256:", "ima:sha256:"), then hex */
        const uint8_t *nul = memchr(p, 0, len);
        if (nul && nul > p && nul[-1] == ':') {
            buf_put(out, p, (size_t)(nul - p));
            buf_hex(out, nul + 1, len - (size_t)(nul + 1 - p));
        } else {
            buf_hex(out, p, len);
        }
        break;
    }
    case SHOW_UINT: {
        uint64_t v = 0;
        if (len == 1 || len == 2 || len == 4 || len == 8) {
            for (size_t i = 0; i < len; i++) v |= (uint64_t)p[i] << (8 * i);
            buf_printf(out, "%llu", (unsigned long long)v);
        }
        break;
    }
    }
}

void format_ascii(struct buf *out, const struct record *r, int bank_idx, const struct bank *bk) {
    /* B.6: "%2d " pcr, digest hex, " " name, " " field..., "\n" */
    buf_printf(out, "%2u ", r->pcr);
    buf_hex(out, r->digest[bank_idx], (size_t)bk->size);
    buf_printf(out, " %s", r->template_name);
    if (is_ima(r->template_name)) {
        buf_put(out, " ", 1);
        buf_hex(out, r->data, 20);
        buf_put(out, " ", 1);
        buf_put(out, r->data + 24, r->data_len - 24);
    } else {
        enum show shows[MAX_FIELDS];
        int nf = template_fields(r->template_name, shows);
        size_t off = 0;
        int i = 0;
        while (off + 4 <= r->data_len) {
            uint32_t fl = le32(r->data + off);
            buf_put(out, " ", 1);
            show_field(out, (nf >= 0 && i < nf) ? shows[i] : SHOW_HEX, r->data + off + 4, fl);
            off += 4 + fl;
            i++;
        }
    }
    buf_put(out, "\n", 1);
}
