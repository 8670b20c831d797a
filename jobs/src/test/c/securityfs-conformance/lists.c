/* Reading and parsing the measurement files (kernel-interface.md B.1, B.3, B.6). */
#define _GNU_SOURCE
#include "conformance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LIST_BYTES (256u << 20) /* a bound, far above any list the checks create */

void buf_free(struct buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

void list_free(struct list *l) {
    buf_free(&l->bytes);
    free(l->recs);
    memset(l, 0, sizeof *l);
}

void file_name(char *out, size_t outlen, const char *kind, const char *bank, bool staged) {
    snprintf(out, outlen, "%s_runtime_measurements%s%s%s", kind, *bank ? "_" : "", bank, staged ? "_staged" : "");
}

void path_of(const struct ctx *c, char *out, size_t outlen, const char *name) {
    snprintf(out, outlen, "%s/%s", c->dir, name);
}

int read_fd(int fd, struct buf *b) {
    for (;;) {
        if (b->cap - b->len < 65536) {
            size_t cap = b->cap ? b->cap * 2 : 131072;
            if (cap > MAX_LIST_BYTES) return EFBIG;
            uint8_t *p = realloc(b->p, cap);
            if (!p) return ENOMEM;
            b->p = p;
            b->cap = cap;
        }
        ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return 0;
        b->len += (size_t)n;
    }
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int parse_binary(struct list *l, size_t ds) {
    const uint8_t *p = l->bytes.p;
    size_t len = l->bytes.len, off = 0, cap = 0;
    free(l->recs);
    l->recs = NULL;
    l->n = 0;
    while (off < len) {
        struct rec r;
        size_t start = off;
        if (len - off < 4 + ds + 4) return EBADMSG;
        r.pcr = le32(p + off);
        r.digest = p + off + 4;
        r.digest_len = ds;
        off += 4 + ds;
        uint32_t nl = le32(p + off);
        off += 4;
        if (nl == 0 || nl > 255 || len - off < nl) return EBADMSG;
        r.name = p + off;
        r.name_len = nl;
        off += nl;
        if (nl == 3 && memcmp(r.name, "ima", 3) == 0) {
            /* B.3: the `ima` template has no data length: d(20) | u32 name length | name */
            if (len - off < 24) return EBADMSG;
            uint32_t fl = le32(p + off + 20);
            if (fl > 4096 || len - off - 24 < fl) return EBADMSG;
            r.data = p + off;
            r.data_len = 24 + fl;
        } else {
            if (len - off < 4) return EBADMSG;
            uint32_t dl = le32(p + off);
            if (dl > (64u << 20) || len - off - 4 < dl) return EBADMSG;
            r.data = p + off + 4;
            r.data_len = dl;
            off += 4;
        }
        off += r.data_len;
        r.raw = p + start;
        r.raw_len = off - start;
        if (l->n == cap) {
            cap = cap ? cap * 2 : 256;
            struct rec *nr = realloc(l->recs, cap * sizeof *nr);
            if (!nr) return ENOMEM;
            l->recs = nr;
        }
        l->recs[l->n++] = r;
    }
    return 0;
}

static size_t digest_size_of(const struct ctx *c, const char *bank) {
    for (int i = 0; i < c->nbanks; i++)
        if (strcmp(c->banks[i].name, bank) == 0) return c->banks[i].digest_size;
    return 20; /* the legacy files: SHA-1 (B.1) */
}

int read_list(const struct ctx *c, const char *bank, bool staged, struct list *l) {
    char name[128], path[4200];
    memset(l, 0, sizeof *l);
    file_name(name, sizeof name, "binary", bank, staged);
    path_of(c, path, sizeof path, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = read_fd(fd, &l->bytes);
    close(fd);
    if (err) return err;
    return parse_binary(l, digest_size_of(c, bank));
}

long read_count(const struct ctx *c) {
    char path[4200];
    path_of(c, path, sizeof path, "runtime_measurements_count");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct buf b = {0};
    int err = read_fd(fd, &b);
    close(fd);
    long v = -1;
    if (!err && b.len > 1 && b.len < 32 && b.p[b.len - 1] == '\n') {
        char s[32];
        memcpy(s, b.p, b.len - 1);
        s[b.len - 1] = 0;
        char *end;
        v = strtol(s, &end, 10);
        if (*end || v < 0) v = -1;
    }
    buf_free(&b);
    return v;
}

static char why[1024];

const char *ascii_mismatch(const struct list *bin, const struct buf *ascii) {
    const char *p = (const char *)ascii->p, *end = p + ascii->len;
    size_t i = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) { snprintf(why, sizeof why, "line %zu has no newline", i + 1); return why; }
        if (i >= bin->n) { snprintf(why, sizeof why, "more ASCII lines than the %zu binary records", bin->n); return why; }
        const struct rec *r = &bin->recs[i];
        char head[256];
        int hl = snprintf(head, sizeof head, "%u ", r->pcr);
        for (size_t k = 0; k < r->digest_len && hl < (int)sizeof head - 3; k++) hl += snprintf(head + hl, sizeof head - hl, "%02x", r->digest[k]);
        hl += snprintf(head + hl, sizeof head - hl, " %.*s ", (int)r->name_len, (const char *)r->name);
        if ((size_t)(nl - p) < (size_t)hl || memcmp(p, head, (size_t)hl) != 0) {
            snprintf(why, sizeof why, "line %zu is \"%.*s\", the binary record starts \"%s\"", i + 1,
                     (int)((nl - p) > 160 ? 160 : (nl - p)), p, head);
            return why;
        }
        p = nl + 1;
        i++;
    }
    if (i != bin->n) { snprintf(why, sizeof why, "%zu ASCII lines, %zu binary records", i, bin->n); return why; }
    return NULL;
}

const char *same_records(const struct list *a, const struct list *b) {
    if (a->n != b->n) { snprintf(why, sizeof why, "%zu records vs %zu", a->n, b->n); return why; }
    for (size_t i = 0; i < a->n; i++) {
        const struct rec *x = &a->recs[i], *y = &b->recs[i];
        if (x->pcr != y->pcr || x->name_len != y->name_len || memcmp(x->name, y->name, x->name_len) != 0 ||
            x->data_len != y->data_len || memcmp(x->data, y->data, x->data_len) != 0) {
            snprintf(why, sizeof why, "record %zu differs (pcr, template name or data)", i);
            return why;
        }
    }
    return NULL;
}
