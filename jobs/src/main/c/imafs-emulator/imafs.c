/*
 * imafs-emulator: the Linux 7.2 IMA securityfs measurement interface (CONFIG_IMA_STAGING) as a
 * FUSE filesystem, driven by a line protocol on a UNIX socket. See README.md.
 * Section references ("A.8", "B.3", ...) point into docs/kernel-interface.md.
 */
#define FUSE_USE_VERSION 34
#define _GNU_SOURCE

#include "imafs.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- configuration & state */

static struct {
    struct bank banks[MAX_BANKS]; /* banks[0] is always sha1: the _sha1 files always exist (B.1) */
    int nbanks;
    bool staging;
    bool flush_htable;
    bool htable;         /* false: like CONFIG_IMA_DISABLE_HTABLE, duplicates are recorded */
    long max_readers;
    const char *control_path;
    char *tpm;           /* host:port of swtpm's command port, or NULL */
    bool allow_other;
    bool debug;
    const char *mountpoint;
    const char *tpm_device; /* --tpm-device NAME: a file forwarding TPM commands to --tpm, like /dev/tpmrm0 */
} cfg = {.staging = true, .htable = true, .max_readers = 1024};

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;

static struct {
    struct reclist current, staged;
    unsigned long total;      /* records since IMA init (or since the last kexec) */
    unsigned long violations;
    bool suspended;
    size_t tear;              /* >0: the next binary read ends this many bytes into a record */
    size_t tear_tail;         /* >0: the next binary read reaching the list's last record ends this many bytes into it, then EOF once */
    bool no_cap_sys_admin;    /* control `caps none`: nobody has CAP_SYS_ADMIN */
    /* A.8 open/close locking: >0 readers, -1 a writer */
    long users;
    pid_t writer;             /* thread id holding the writer slot */
    long writer_opens;        /* opens counted against the writer slot */
} st;

static struct fuse_session *session;
static time_t start_time;

/* ---------------------------------------------------------------- record lists */

static void list_push(struct reclist *l, struct record *r) {
    if (l->head + l->len == l->cap) {
        if (l->head > 0) {
            memmove(l->items, l->items + l->head, l->len * sizeof *l->items);
            l->head = 0;
        }
        if (l->len == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            struct record **p = realloc(l->items, cap * sizeof *p);
            if (!p) abort();
            l->items = p;
            l->cap = cap;
        }
    }
    l->items[l->head + l->len++] = r;
}

static struct record *list_at(const struct reclist *l, size_t i) { return l->items[l->head + i]; }

static void record_free(struct record *r) {
    free(r->template_name);
    free(r->data);
    free(r);
}

/* Frees the first n records. */
static void list_drop(struct reclist *l, size_t n) {
    for (size_t i = 0; i < n; i++) record_free(list_at(l, i));
    l->head += n;
    l->len -= n;
    if (l->len == 0) l->head = 0;
}

/* ---------------------------------------------------------------- hash table (duplicate detection) */
/*
 * IMA refuses to add a record whose template digest is already in its hash table for that PCR
 * ("hash_exists"). Trimming keeps the digests in the table unless ima_flush_htable (A.8).
 */
#define HT_BUCKETS 65536
struct hnode {
    uint8_t d[20];
    uint32_t pcr;
    struct hnode *next;
};
static struct hnode *htable[HT_BUCKETS];

static unsigned ht_bucket(const uint8_t *d, uint32_t pcr) { return (((unsigned)d[0] << 8 | d[1]) ^ pcr * 31u) % HT_BUCKETS; }

static bool ht_contains(const uint8_t *d, uint32_t pcr) {
    for (struct hnode *n = htable[ht_bucket(d, pcr)]; n; n = n->next)
        if (n->pcr == pcr && memcmp(n->d, d, 20) == 0) return true;
    return false;
}

static void ht_add(const uint8_t *d, uint32_t pcr) {
    struct hnode *n = malloc(sizeof *n);
    if (!n) abort();
    memcpy(n->d, d, 20);
    n->pcr = pcr;
    unsigned b = ht_bucket(d, pcr);
    n->next = htable[b];
    htable[b] = n;
}

static void ht_clear(void) {
    for (unsigned b = 0; b < HT_BUCKETS; b++) {
        struct hnode *n = htable[b];
        while (n) {
            struct hnode *next = n->next;
            free(n);
            n = next;
        }
        htable[b] = NULL;
    }
}

static void ht_rebuild_from_current(void) {
    ht_clear();
    for (size_t i = 0; i < st.current.len; i++) {
        struct record *r = list_at(&st.current, i);
        if (!r->violation) ht_add(r->digest[0], r->pcr);
    }
}

/* ---------------------------------------------------------------- the file tree */

enum kind { K_DIR, K_MEAS, K_COUNT, K_VIOL, K_LINK, K_TPMDEV };

struct entry {
    char name[80];
    enum kind kind;
    int bank;        /* K_MEAS: index into cfg.banks */
    bool ascii;      /* K_MEAS */
    bool staged;     /* K_MEAS: a `_staged` file */
    char target[80]; /* K_LINK */
};

#define MAX_ENTRIES 64
#define TPM_MAX_RESPONSE 8192 /* above the 4096 bytes TPM2_GetCapability(MAX) replies with */
static struct entry entries[MAX_ENTRIES]; /* inode = index + 1; entries[0] is the root */
static int nentries;

static struct entry *add_entry(const char *name, enum kind kind) {
    struct entry *e = &entries[nentries++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->kind = kind;
    return e;
}

static void build_tree(void) {
    add_entry("", K_DIR);
    char name[80];
    for (int b = 0; b < cfg.nbanks; b++) {
        for (int staged = 0; staged <= (cfg.staging ? 1 : 0); staged++) {
            for (int ascii = 0; ascii <= 1; ascii++) {
                /* B.1 / A.8 Files */
                snprintf(name, sizeof name, "%s_runtime_measurements_%s%s", ascii ? "ascii" : "binary",
                         cfg.banks[b].name, staged ? "_staged" : "");
                struct entry *e = add_entry(name, K_MEAS);
                e->bank = b;
                e->ascii = ascii;
                e->staged = staged;
            }
        }
    }
    for (int staged = 0; staged <= (cfg.staging ? 1 : 0); staged++) {
        for (int ascii = 0; ascii <= 1; ascii++) {
            /* legacy names are symlinks to the _sha1 files (B.1, A.8) */
            const char *kind = ascii ? "ascii" : "binary";
            const char *sfx = staged ? "_staged" : "";
            snprintf(name, sizeof name, "%s_runtime_measurements%s", kind, sfx);
            struct entry *e = add_entry(name, K_LINK);
            snprintf(e->target, sizeof e->target, "%s_runtime_measurements_sha1%s", kind, sfx);
        }
    }
    add_entry("runtime_measurements_count", K_COUNT);
    add_entry("violations", K_VIOL);
    if (cfg.tpm_device) add_entry(cfg.tpm_device, K_TPMDEV);
}

static struct entry *entry_of(fuse_ino_t ino) {
    if (ino < 1 || ino > (fuse_ino_t)nentries) return NULL;
    return &entries[ino - 1];
}

static void fill_attr(fuse_ino_t ino, struct stat *s) {
    struct entry *e = entry_of(ino);
    memset(s, 0, sizeof *s);
    s->st_ino = ino;
    /* root:root on a kernel; here the mounting user, who is root wherever the emulator stands in
       for a kernel (a non-root mounter keeps reading its own mount) */
    s->st_uid = getuid();
    s->st_gid = getgid();
    s->st_size = 0; /* seq_file: size 0, read to EOF (B.1) */
    s->st_atime = s->st_mtime = s->st_ctime = start_time;
    s->st_nlink = 1;
    switch (e->kind) {
    case K_DIR:
        s->st_mode = S_IFDIR | 0755;
        s->st_nlink = 2;
        break;
    case K_LINK:
        s->st_mode = S_IFLNK | 0777;
        s->st_size = (off_t)strlen(e->target);
        break;
    case K_TPMDEV:
        s->st_mode = S_IFREG | 0660; /* a character device in real life; FUSE offers a direct_io file */
        break;
    case K_MEAS:
        /* A.8: 0660 with a write handler on 7.2; before, read-only 0440 */
        s->st_mode = S_IFREG | (cfg.staging ? 0660 : 0440);
        break;
    default:
        s->st_mode = S_IFREG | 0440;
        break;
    }
}

/* ---------------------------------------------------------------- callers */

/* Thread group and CAP_SYS_ADMIN of a calling thread, from /proc/<tid>/status. */
static void caller_info(pid_t tid, uid_t uid, pid_t *tgid, bool *cap_sys_admin) {
    char path[64], line[256];
    *tgid = tid;
    *cap_sys_admin = uid == 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Tgid:", 5) == 0) *tgid = (pid_t)strtol(line + 5, NULL, 10);
        if (strncmp(line, "CapEff:", 7) == 0) {
            unsigned long long caps = strtoull(line + 7, NULL, 16);
            *cap_sys_admin = (caps >> 21) & 1; /* CAP_SYS_ADMIN == 21 */
        }
    }
    fclose(f);
}

/* ---------------------------------------------------------------- open handles */

enum lockmode { LOCK_NONE, LOCK_READER, LOCK_WRITER };

struct handle {
    struct entry *e;
    enum lockmode lock;
    bool unlocked;
    pid_t opener_tgid;
    size_t index;       /* seq_file position: next record index in the list (B.1) */
    struct buf pend;    /* the formatted record being returned */
    size_t pend_off;
    uint64_t seq_bytes; /* bytes of the list returned so far (seq_file read_pos) */
    uint64_t fpos;      /* the file position the kernel keeps: advanced by reads AND by writes */
    bool eof_once;      /* control `tear-tail`: the next read returns 0 (EOF) inside the torn last record */
    uint8_t *resp;      /* K_TPMDEV: the response to the last command, until read */
    size_t resp_len, resp_off;
};

/* ima_measure_lock (A.8): one users counter across ALL measurement files. Called with mtx held. */
static int measure_lock(pid_t tid, bool write, bool cap_sys_admin, enum lockmode *mode) {
    if (write) {
        if (!cap_sys_admin || st.no_cap_sys_admin) return EPERM;
        if (st.users == -1 && st.writer == tid) { /* same task: counted, undone at close */
            st.writer_opens++;
            *mode = LOCK_WRITER;
            return 0;
        }
        if (st.users != 0) return EBUSY;
        st.users = -1;
        st.writer = tid;
        st.writer_opens = 1;
        *mode = LOCK_WRITER;
        return 0;
    }
    if (st.users == -1) return EBUSY; /* including the writer's own task opening read-only */
    if (st.users >= cfg.max_readers) return ENFILE;
    st.users++;
    *mode = LOCK_READER;
    return 0;
}

static void measure_unlock(struct handle *h) {
    if (h->unlocked) return;
    h->unlocked = true;
    if (h->lock == LOCK_READER) {
        st.users--;
    } else if (h->lock == LOCK_WRITER) {
        if (--st.writer_opens == 0) {
            st.users = 0;
            st.writer = 0;
        }
    }
}

/* ---------------------------------------------------------------- FUSE operations */

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    if (parent != 1) { fuse_reply_err(req, ENOENT); return; }
    for (int i = 1; i < nentries; i++) {
        if (strcmp(entries[i].name, name) == 0) {
            struct fuse_entry_param ep;
            memset(&ep, 0, sizeof ep);
            ep.ino = (fuse_ino_t)i + 1;
            ep.attr_timeout = 1.0;
            ep.entry_timeout = 1.0;
            fill_attr(ep.ino, &ep.attr);
            fuse_reply_entry(req, &ep);
            return;
        }
    }
    fuse_reply_err(req, ENOENT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)fi;
    if (!entry_of(ino)) { fuse_reply_err(req, ENOENT); return; }
    struct stat s;
    fill_attr(ino, &s);
    fuse_reply_attr(req, &s, 1.0);
}

/* O_TRUNC (a shell's `echo A > file`) truncates nothing on securityfs and succeeds. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
    (void)attr; (void)fi;
    struct entry *e = entry_of(ino);
    if (!e) { fuse_reply_err(req, ENOENT); return; }
    if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) { fuse_reply_err(req, EPERM); return; }
    struct stat s;
    fill_attr(ino, &s);
    fuse_reply_attr(req, &s, 1.0);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino) {
    struct entry *e = entry_of(ino);
    if (!e || e->kind != K_LINK) { fuse_reply_err(req, EINVAL); return; }
    fuse_reply_readlink(req, e->target);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)fi;
    if (ino != 1) { fuse_reply_err(req, ENOTDIR); return; }
    struct buf b = {0};
    const char *names[MAX_ENTRIES + 2];
    fuse_ino_t inos[MAX_ENTRIES + 2];
    int n = 0;
    names[n] = "."; inos[n++] = 1;
    names[n] = ".."; inos[n++] = 1;
    for (int i = 1; i < nentries; i++) { names[n] = entries[i].name; inos[n++] = (fuse_ino_t)i + 1; }
    for (int i = (int)off; i < n; i++) {
        struct stat s;
        fill_attr(inos[i], &s);
        size_t need = fuse_add_direntry(req, NULL, 0, names[i], NULL, 0);
        if (b.len + need > size) break;
        uint8_t tmp[512];
        fuse_add_direntry(req, (char *)tmp, sizeof tmp, names[i], &s, i + 1);
        buf_put(&b, tmp, need);
    }
    fuse_reply_buf(req, (const char *)b.p, b.len);
    buf_free(&b);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    struct entry *e = entry_of(ino);
    if (!e) { fuse_reply_err(req, ENOENT); return; }
    if (e->kind == K_DIR) { fuse_reply_err(req, EISDIR); return; }
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    bool write = (fi->flags & O_ACCMODE) != O_RDONLY;
    pid_t tgid;
    bool cap;
    caller_info(ctx->pid, ctx->uid, &tgid, &cap);
    struct handle *h = calloc(1, sizeof *h);
    if (!h) { fuse_reply_err(req, ENOMEM); return; }
    h->e = e;
    h->opener_tgid = tgid;
    if (e->kind == K_MEAS && cfg.staging) {
        pthread_mutex_lock(&mtx);
        int err = measure_lock(ctx->pid, write, cap, &h->lock);
        pthread_mutex_unlock(&mtx);
        if (err) { free(h); fuse_reply_err(req, err); return; }
    } else if (e->kind == K_TPMDEV) {
        /* like /dev/tpmrm0 (0660 tss): no IMA locking; each open file has its own pending response */
    }
    /* file modes (0440, 0660 with staging) are checked by the FUSE kernel module before this
       (mount option default_permissions), as the VFS checks them for securityfs: a non-root user
       gets EACCES, root passes by CAP_DAC_OVERRIDE */
    fi->fh = (uint64_t)(uintptr_t)h;
    fi->direct_io = 1; /* never serve from the page cache: every read reaches the emulator */
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) == -ENOENT) {
        /* the caller was interrupted: undo the open */
        pthread_mutex_lock(&mtx);
        measure_unlock(h);
        pthread_mutex_unlock(&mtx);
        free(h);
    }
}

/* Appends up to `size` bytes of the list this handle reads, continuing at its record position. */
static size_t produce(struct handle *h, uint8_t *out, size_t size, bool allow_tear) {
    size_t n = 0;
    const struct bank *bk = &cfg.banks[h->e->bank];
    while (n < size) {
        if (h->pend_off < h->pend.len) {
            size_t c = h->pend.len - h->pend_off;
            if (c > size - n) c = size - n;
            if (out) memcpy(out + n, h->pend.p + h->pend_off, c);
            n += c;
            h->pend_off += c;
            continue;
        }
        const struct reclist *l = h->e->staged ? &st.staged : &st.current;
        if (h->index >= l->len) break; /* EOF for now; later appends are read by a later read() */
        h->pend.len = 0;
        h->pend_off = 0;
        const struct record *r = list_at(l, h->index++);
        if (h->e->ascii) format_ascii(&h->pend, r, h->e->bank, bk);
        else format_binary(&h->pend, r, h->e->bank, bk);
        if (allow_tear && !h->e->ascii && st.tear > 0) {
            /* control `tear`: this read ends st.tear bytes into the record; the rest follows later */
            size_t c = st.tear;
            if (c > h->pend.len) c = h->pend.len;
            if (c > size - n) c = size - n;
            if (out) memcpy(out + n, h->pend.p, c);
            n += c;
            h->pend_off = c;
            st.tear = 0;
            break;
        }
        if (allow_tear && !h->e->ascii && st.tear_tail > 0 && h->index == l->len) {
            /* control `tear-tail`: the read ends inside the LAST record and the next read sees EOF, as
               a reader racing an append may (B.1); the rest of the record follows on later reads */
            size_t c = st.tear_tail;
            if (c >= h->pend.len) c = h->pend.len - 1;
            if (c > size - n) c = size - n;
            if (out) memcpy(out + n, h->pend.p, c);
            n += c;
            h->pend_off = c;
            h->eof_once = true;
            st.tear_tail = 0;
            break;
        }
    }
    return n;
}

static void read_counter(fuse_req_t req, unsigned long v, size_t size, off_t off) {
    char s[32];
    int len = snprintf(s, sizeof s, "%lu\n", v);
    if (off >= len) { fuse_reply_buf(req, NULL, 0); return; }
    size_t c = (size_t)(len - off);
    if (c > size) c = size;
    fuse_reply_buf(req, s + off, c);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)ino;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    pthread_mutex_lock(&mtx);
    if (h->e->kind == K_COUNT) {
        unsigned long v = st.current.len; /* current list only (A.8 Counters) */
        pthread_mutex_unlock(&mtx);
        read_counter(req, v, size, off);
        return;
    }
    if (h->e->kind == K_VIOL) {
        unsigned long v = st.violations;
        pthread_mutex_unlock(&mtx);
        read_counter(req, v, size, off);
        return;
    }
    if (h->e->kind == K_TPMDEV) {
        /* the response of the last command; nothing pending reads as 0 bytes, like the TPM driver */
        size_t c = h->resp_len - h->resp_off;
        if (c > size) c = size;
        const uint8_t *p = h->resp ? h->resp + h->resp_off : NULL;
        h->resp_off += c;
        pthread_mutex_unlock(&mtx);
        fuse_reply_buf(req, (const char *)p, c);
        pthread_mutex_lock(&mtx);
        if (h->resp && h->resp_off == h->resp_len) {
            free(h->resp);
            h->resp = NULL;
            h->resp_len = h->resp_off = 0;
        }
        pthread_mutex_unlock(&mtx);
        return;
    }
    if ((uint64_t)off != h->fpos) {
        /* lseek/pread: like seq_lseek, restart from record 0 and walk `off` bytes */
        h->index = 0;
        h->pend.len = h->pend_off = 0;
        h->eof_once = false;
        h->seq_bytes = 0;
        while (h->seq_bytes < (uint64_t)off) {
            size_t step = (uint64_t)off - h->seq_bytes > 65536 ? 65536 : (size_t)((uint64_t)off - h->seq_bytes);
            size_t got = produce(h, NULL, step, false);
            if (got == 0) break;
            h->seq_bytes += got;
        }
        h->fpos = (uint64_t)off;
    }
    if (h->eof_once) {
        h->eof_once = false;
        pthread_mutex_unlock(&mtx);
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    uint8_t *out = malloc(size ? size : 1);
    if (!out) { pthread_mutex_unlock(&mtx); fuse_reply_err(req, ENOMEM); return; }
    size_t n = produce(h, out, size, true);
    h->seq_bytes += n;
    h->fpos += n;
    pthread_mutex_unlock(&mtx);
    fuse_reply_buf(req, (const char *)out, n);
    free(out);
}

/* A.8 write grammar. Called with mtx held. Returns 0 or an errno. */
static int handle_request(struct handle *h, const char *buf, size_t size) {
    if (h->e->kind != K_MEAS || !cfg.staging) return EINVAL; /* no write handler */
    if (size < 2 || size > 21 || buf[size - 1] != '\n') return EINVAL;
    if (h->e->staged) {
        if (size == 2 && buf[0] == 'A') {
            if (st.suspended) return EACCES;
            if (st.staged.len > 0) return EEXIST;
            if (st.current.len == 0) return ENOENT;
            struct reclist tmp = st.staged; /* swap the list heads */
            st.staged = st.current;
            st.current = tmp;
            return 0;
        }
        if (size == 2 && buf[0] == 'D') {
            if (st.suspended) return ESTALE;
            if (st.staged.len == 0) return ENOENT;
            list_drop(&st.staged, st.staged.len);
            /* ima_flush_htable: a fresh table; the current list stays free of duplicates */
            if (cfg.flush_htable) ht_rebuild_from_current();
            return 0;
        }
        return EINVAL;
    }
    /* original file: "<N>\n", parsed like kstrtoul(buf, 10): optional '+', digits, one '\n' */
    char tmp[22];
    memcpy(tmp, buf, size);
    tmp[size - 1] = 0;
    const char *p = tmp;
    if (*p == '+') p++;
    if (!*p) return EINVAL;
    unsigned long long n = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return EINVAL;
        unsigned d = (unsigned)(*p - '0');
        if (n > (ULONG_MAX - d) / 10) return ERANGE; /* kstrtoul overflow */
        n = n * 10 + d;
    }
    if (n == 0 || cfg.flush_htable) return EINVAL;
    if (st.suspended) return ESTALE;
    if (n > st.current.len) return ENOENT; /* nothing is deleted */
    list_drop(&st.current, (size_t)n);
    return 0;
}

/*
 * --tpm-device: one write() is one whole TPM command, forwarded to swtpm; its response is returned
 * by the following read()s (the TPM character device protocol that /dev/tpmrm0 speaks). A write
 * while a response is still unread is EBUSY, as in the kernel driver. No resource manager: transient
 * objects stay in the TPM until the caller flushes them.
 */
static void tpmdev_write(fuse_req_t req, struct handle *h, const char *buf, size_t size) {
    pthread_mutex_lock(&mtx);
    char *target = cfg.tpm ? strdup(cfg.tpm) : NULL;
    bool pending = h->resp != NULL;
    pthread_mutex_unlock(&mtx);
    if (pending) { free(target); fuse_reply_err(req, EBUSY); return; }
    if (!target || size < 10) { free(target); fuse_reply_err(req, target ? EINVAL : ENODEV); return; }
    uint8_t *resp = malloc(TPM_MAX_RESPONSE);
    char err[256];
    ssize_t n = resp ? tpm_forward(target, (const uint8_t *)buf, size, resp, TPM_MAX_RESPONSE, err, sizeof err) : -1;
    free(target);
    if (n < 0) {
        if (resp) fprintf(stderr, "imafs-emulator: %s: %s\n", cfg.tpm_device, err);
        free(resp);
        fuse_reply_err(req, EIO);
        return;
    }
    pthread_mutex_lock(&mtx);
    h->resp = resp;
    h->resp_len = (size_t)n;
    h->resp_off = 0;
    pthread_mutex_unlock(&mtx);
    fuse_reply_write(req, size);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi) {
    (void)ino; (void)off; /* *ppos is ignored (A.8) */
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (h->e->kind == K_TPMDEV) {
        tpmdev_write(req, h, buf, size);
        return;
    }
    pthread_mutex_lock(&mtx);
    int err = handle_request(h, buf, size);
    /* the write handler ignores *ppos, but FUSE's direct-I/O write moves the file position: track it
       so the next read is not mistaken for an lseek */
    if (!err) h->fpos += size;
    pthread_mutex_unlock(&mtx);
    if (err) fuse_reply_err(req, err);
    else fuse_reply_write(req, size);
}

/*
 * close(): FUSE sends FLUSH synchronously from close() but RELEASE asynchronously, after close()
 * has returned. The kernel's securityfs release runs before close() returns, so a close followed
 * at once by an open must not see a stale lock: the lock is dropped at the first FLUSH coming
 * from the process that opened the file (a forked child closing its inherited copy is ignored),
 * and at RELEASE otherwise.
 */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)ino;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    pid_t tgid;
    bool cap;
    caller_info(ctx->pid, ctx->uid, &tgid, &cap);
    if (tgid == h->opener_tgid) {
        pthread_mutex_lock(&mtx);
        measure_unlock(h);
        pthread_mutex_unlock(&mtx);
    }
    fuse_reply_err(req, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)ino;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    pthread_mutex_lock(&mtx);
    measure_unlock(h);
    pthread_mutex_unlock(&mtx);
    buf_free(&h->pend);
    free(h->resp);
    free(h);
    fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino) {
    (void)ino;
    struct statvfs s;
    memset(&s, 0, sizeof s);
    s.f_bsize = 4096;
    s.f_namemax = 255;
    fuse_reply_statfs(req, &s);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = op_lookup,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .readdir = op_readdir,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .statfs = op_statfs,
};

/* ---------------------------------------------------------------- measuring (control channel) */

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static const char *errname(int e) {
    const char *n = strerrorname_np(e);
    return n ? n : "EIO";
}

/*
 * Like ima_add_template_entry: refuse while suspended, check the hash table, add the record,
 * then extend the TPM (record first, then extend). Called with mtx held.
 * Returns 0, or an errno with a message in err.
 */
static int measure(uint32_t pcr, const char *tname, uint8_t *data, size_t len, bool violation,
                   struct buf *reply, char *err, size_t errlen) {
    if (template_validate(tname, data, len, err, errlen) != 0) return EINVAL;
    if (st.suspended) {
        snprintf(err, errlen, "measurements suspended: record not added");
        return ENODEV;
    }
    struct record *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->pcr = pcr;
    r->violation = violation;
    r->template_name = strdup(tname);
    r->data = data;
    r->data_len = len;
    uint8_t computed[MAX_BANKS][MAX_DIGEST];
    for (int b = 0; b < cfg.nbanks; b++) template_digest(tname, data, len, &cfg.banks[b], computed[b]);
    if (!violation && cfg.htable && ht_contains(computed[0], pcr)) {
        r->data = NULL;
        record_free(r);
        snprintf(err, errlen, "hash_exists: the template digest is already in IMA's hash table for PCR %u", pcr);
        return EEXIST;
    }
    uint8_t extend[MAX_BANKS][MAX_DIGEST];
    for (int b = 0; b < cfg.nbanks; b++) {
        if (violation) {
            memset(r->digest[b], 0, MAX_DIGEST);          /* B.8: stored as zeros */
            memset(extend[b], 0xff, (size_t)cfg.banks[b].size); /* B.8: extended as 0xFF.. */
        } else {
            memcpy(r->digest[b], computed[b], MAX_DIGEST);
            memcpy(extend[b], computed[b], MAX_DIGEST);
        }
    }
    if (violation) st.violations++;
    list_push(&st.current, r);
    st.total++;
    if (!violation && cfg.htable) ht_add(computed[0], pcr);
    buf_printf(reply, "ok count=%zu", st.current.len);
    for (int b = 0; b < cfg.nbanks; b++) {
        buf_printf(reply, " %s=", cfg.banks[b].name);
        buf_hex(reply, r->digest[b], (size_t)cfg.banks[b].size);
    }
    if (cfg.tpm) {
        if (tpm_pcr_extend(cfg.tpm, pcr, cfg.banks, cfg.nbanks, (const uint8_t(*)[MAX_DIGEST])extend, err, errlen) != 0) {
            /* IMA keeps the record and only audits the TPM error */
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " (record %zu was appended)", st.current.len);
            return EIO;
        }
    }
    return 0;
}

static void reset_all(void) {
    list_drop(&st.current, st.current.len);
    list_drop(&st.staged, st.staged.len);
    ht_clear();
    st.total = 0;
    st.violations = 0;
    st.suspended = false;
    st.tear = 0;
    st.tear_tail = 0;
}

static int cmd_measure(char *args, bool violation, struct buf *reply, char *err, size_t errlen) {
    char *save = NULL;
    char *spcr = strtok_r(args, " \t", &save);
    char *tname = strtok_r(NULL, " \t", &save);
    char *hex = strtok_r(NULL, " \t", &save);
    if (!spcr || !tname) {
        snprintf(err, errlen, "usage: %s <pcr> <template-name> <hex template data>", violation ? "violation" : "measure");
        return EINVAL;
    }
    char *end;
    unsigned long pcr = strtoul(spcr, &end, 10);
    if (*end || pcr > 23) { snprintf(err, errlen, "bad PCR index '%s' (0..23)", spcr); return EINVAL; }
    size_t hl = hex ? strlen(hex) : 0;
    if (hl % 2) { snprintf(err, errlen, "odd number of hex digits"); return EINVAL; }
    uint8_t *data = malloc(hl / 2 + 1);
    if (!data) abort();
    for (size_t i = 0; i < hl / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) { free(data); snprintf(err, errlen, "bad hex at %zu", 2 * i); return EINVAL; }
        data[i] = (uint8_t)(hi << 4 | lo);
    }
    pthread_mutex_lock(&mtx);
    int rc = measure((uint32_t)pcr, tname, data, hl / 2, violation, reply, err, errlen);
    pthread_mutex_unlock(&mtx);
    if (rc == EINVAL || rc == EEXIST || rc == ENODEV) free(data);
    return rc;
}

/* Executes one control line; writes the reply (without newline) into reply. Returns false on quit. */
static bool control_line(char *line, struct buf *reply) {
    char err[512] = "";
    int rc = 0;
    char *args = line;
    while (*args && *args != ' ' && *args != '\t') args++;
    if (*args) *args++ = 0;
    const char *cmd = line;
    bool quit = false;
    if (strcmp(cmd, "measure") == 0 || strcmp(cmd, "violation") == 0) {
        rc = cmd_measure(args, cmd[0] == 'v', reply, err, sizeof err);
    } else if (strcmp(cmd, "suspend") == 0 || strcmp(cmd, "resume") == 0) {
        pthread_mutex_lock(&mtx);
        st.suspended = cmd[0] == 's';
        pthread_mutex_unlock(&mtx);
        buf_printf(reply, "ok suspended=%d", cmd[0] == 's');
    } else if (strcmp(cmd, "tear") == 0) {
        char *end;
        unsigned long n = strtoul(args, &end, 10);
        if (!*args || *end || n == 0) { rc = EINVAL; snprintf(err, sizeof err, "usage: tear <nbytes >= 1>"); }
        else {
            pthread_mutex_lock(&mtx);
            st.tear = n;
            pthread_mutex_unlock(&mtx);
            buf_printf(reply, "ok tear=%lu", n);
        }
    } else if (strcmp(cmd, "tear-tail") == 0) {
        char *end;
        unsigned long n = strtoul(args, &end, 10);
        if (!*args || *end || n == 0) { rc = EINVAL; snprintf(err, sizeof err, "usage: tear-tail <nbytes >= 1>"); }
        else {
            pthread_mutex_lock(&mtx);
            st.tear_tail = n;
            pthread_mutex_unlock(&mtx);
            buf_printf(reply, "ok tear-tail=%lu", n);
        }
    } else if (strcmp(cmd, "count") == 0) {
        pthread_mutex_lock(&mtx);
        buf_printf(reply, "ok current=%zu staged=%zu total=%lu violations=%lu users=%ld writer=%d suspended=%d",
                   st.current.len, st.staged.len, st.total, st.violations, st.users, (int)st.writer, st.suspended);
        pthread_mutex_unlock(&mtx);
    } else if (strcmp(cmd, "reboot") == 0) {
        pthread_mutex_lock(&mtx);
        reset_all();
        pthread_mutex_unlock(&mtx);
        buf_printf(reply, "ok");
    } else if (strcmp(cmd, "kexec") == 0) {
        /* A.8 kexec / C.5: staged records are carried before the current list; the new kernel
           restores them into a fresh hash table; the full counters and violations restart */
        pthread_mutex_lock(&mtx);
        struct reclist carried = {0};
        for (size_t i = 0; i < st.staged.len; i++) list_push(&carried, list_at(&st.staged, i));
        for (size_t i = 0; i < st.current.len; i++) list_push(&carried, list_at(&st.current, i));
        free(st.staged.items);
        free(st.current.items);
        memset(&st.staged, 0, sizeof st.staged);
        st.current = carried;
        ht_rebuild_from_current();
        st.total = st.current.len;
        st.violations = 0;
        st.suspended = false;
        st.tear = 0;
        st.tear_tail = 0;
        buf_printf(reply, "ok current=%zu", st.current.len);
        pthread_mutex_unlock(&mtx);
    } else if (strcmp(cmd, "tpm") == 0) {
        char *a = args;
        while (*a == ' ') a++;
        if (strcmp(a, "off") == 0) {
            pthread_mutex_lock(&mtx);
            free(cfg.tpm);
            cfg.tpm = NULL;
            pthread_mutex_unlock(&mtx);
            buf_printf(reply, "ok tpm=off");
        } else if (!*a) {
            rc = EINVAL;
            snprintf(err, sizeof err, "usage: tpm <host:port>|off");
        } else if (tpm_check_banks(a, cfg.banks, cfg.nbanks, err, sizeof err) != 0) {
            rc = EHOSTUNREACH;
        } else {
            pthread_mutex_lock(&mtx);
            free(cfg.tpm);
            cfg.tpm = strdup(a);
            pthread_mutex_unlock(&mtx);
            buf_printf(reply, "ok tpm=%s", a);
        }
    } else if (strcmp(cmd, "caps") == 0) {
        if (strcmp(args, "none") != 0 && strcmp(args, "real") != 0) {
            rc = EINVAL;
            snprintf(err, sizeof err, "usage: caps none|real");
        } else {
            pthread_mutex_lock(&mtx);
            st.no_cap_sys_admin = strcmp(args, "none") == 0;
            pthread_mutex_unlock(&mtx);
            buf_printf(reply, "ok caps=%s", args);
        }
    } else if (strcmp(cmd, "ping") == 0) {
        buf_printf(reply, "ok");
    } else if (strcmp(cmd, "quit") == 0) {
        buf_printf(reply, "ok");
        quit = true;
    } else {
        rc = EINVAL;
        snprintf(err, sizeof err, "unknown command '%s'", cmd);
    }
    if (rc != 0) {
        reply->len = 0;
        buf_printf(reply, "err %s %s", errname(rc), err[0] ? err : strerror(rc));
    }
    return !quit;
}

static int listen_fd = -1;

static void *control_conn(void *arg) {
    int fd = (int)(intptr_t)arg;
    FILE *in = fdopen(fd, "r");
    if (!in) { close(fd); return NULL; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool go_on = true;
    while (go_on && (n = getline(&line, &cap, in)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0) continue;
        struct buf reply = {0};
        go_on = control_line(line, &reply);
        buf_put(&reply, "\n", 1);
        size_t off = 0;
        while (off < reply.len) {
            ssize_t w = send(fd, reply.p + off, reply.len - off, MSG_NOSIGNAL);
            if (w <= 0) break;
            off += (size_t)w;
        }
        buf_free(&reply);
    }
    free(line);
    fclose(in);
    if (!go_on) kill(getpid(), SIGTERM); /* the FUSE loop's handler exits and unmounts */
    return NULL;
}

static void *control_accept(void *arg) {
    (void)arg;
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return NULL;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, control_conn, (void *)(intptr_t)fd) != 0) close(fd);
        else pthread_detach(t);
    }
}

static int control_listen(const char *path) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "imafs-emulator: control socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
        fprintf(stderr, "imafs-emulator: control socket %s: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    chmod(path, 0600);
    return fd;
}

/* ---------------------------------------------------------------- main */

static const struct { const char *name; const char *evp; uint16_t alg; } KNOWN_BANKS[] = {
    {"sha1", "SHA1", 0x0004}, {"sha256", "SHA256", 0x000B}, {"sha384", "SHA384", 0x000C},
    {"sha512", "SHA512", 0x000D}, {"sm3", "SM3", 0x0012},
};

static int add_bank(const char *name, bool in_tpm) {
    for (int b = 0; b < cfg.nbanks; b++) {
        if (strcmp(cfg.banks[b].name, name) == 0) {
            cfg.banks[b].in_tpm |= in_tpm;
            return 0;
        }
    }
    for (size_t k = 0; k < sizeof KNOWN_BANKS / sizeof KNOWN_BANKS[0]; k++) {
        if (strcmp(KNOWN_BANKS[k].name, name) != 0) continue;
        const EVP_MD *md = EVP_get_digestbyname(KNOWN_BANKS[k].evp);
        if (!md) {
            fprintf(stderr, "imafs-emulator: OpenSSL has no %s digest\n", KNOWN_BANKS[k].evp);
            return -1;
        }
        if (cfg.nbanks == MAX_BANKS) return -1;
        struct bank *bk = &cfg.banks[cfg.nbanks++];
        snprintf(bk->name, sizeof bk->name, "%s", name);
        bk->evp_name = KNOWN_BANKS[k].evp;
        bk->tpm_alg = KNOWN_BANKS[k].alg;
        bk->size = EVP_MD_get_size(md);
        bk->in_tpm = in_tpm;
        return 0;
    }
    fprintf(stderr, "imafs-emulator: unknown bank '%s' (known: sha1 sha256 sha384 sha512 sm3)\n", name);
    return -1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: imafs-emulator [options] MOUNTPOINT\n"
            "Emulates /sys/kernel/security/ima/ of Linux 7.2 (CONFIG_IMA_STAGING) as a FUSE filesystem.\n"
            "Runs in the foreground; SIGTERM/SIGINT unmount and exit.\n\n"
            "  --banks LIST        TPM banks, comma separated (default sha1,sha256; known: sha1 sha256\n"
            "                      sha384 sha512 sm3). The _sha1 files always exist.\n"
            "  --staging           7.2 staging interface: _staged files, writable files (default)\n"
            "  --no-staging        pre-7.2 kernel: no _staged files, read-only measurement files\n"
            "  --flush-htable      like the ima_flush_htable boot parameter: N requests give EINVAL\n"
            "  --no-htable         like CONFIG_IMA_DISABLE_HTABLE: duplicate measurements are recorded\n"
            "  --max-readers N     concurrent readers before open fails with ENFILE (default 1024)\n"
            "  --control PATH      UNIX socket for the control protocol (see README.md)\n"
            "  --tpm HOST:PORT     extend PCRs of this swtpm (TCP command port) after each record\n"
            "  --tpm-device NAME   a file NAME in the mount that forwards each written TPM command to --tpm and\n"
            "                      returns the response on the next read (the /dev/tpmrm0 protocol, no resource manager)\n"
            "  --allow-other       FUSE allow_other: let other users reach the mount\n"
            "  --debug             libfuse debug output\n"
            "  --help              this text\n\n"
            "Control commands (one line each; reply 'ok ...' or 'err <ERRNO> <text>'):\n"
            "  measure <pcr> <template> <hex template data>    violation <pcr> <template> <hex>\n"
            "  suspend | resume | tear <nbytes> | tear-tail <nbytes> | count | reboot | kexec | tpm <host:port>|off\n"
            "  caps none|real | ping | quit\n");
}

int main(int argc, char **argv) {
    enum { O_BANKS = 1, O_STAGING, O_NO_STAGING, O_FLUSH, O_NO_HTABLE, O_MAXR, O_CONTROL, O_TPM, O_ALLOW, O_DEBUG, O_HELP, O_TPMDEV };
    static const struct option lopts[] = {
        {"banks", required_argument, NULL, O_BANKS},
        {"staging", optional_argument, NULL, O_STAGING},
        {"no-staging", no_argument, NULL, O_NO_STAGING},
        {"flush-htable", no_argument, NULL, O_FLUSH},
        {"no-htable", no_argument, NULL, O_NO_HTABLE},
        {"max-readers", required_argument, NULL, O_MAXR},
        {"control", required_argument, NULL, O_CONTROL},
        {"tpm", required_argument, NULL, O_TPM},
        {"tpm-device", required_argument, NULL, O_TPMDEV},
        {"allow-other", no_argument, NULL, O_ALLOW},
        {"debug", no_argument, NULL, O_DEBUG},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *banks = "sha1,sha256";
    int c;
    while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        switch (c) {
        case O_BANKS: banks = optarg; break;
        case O_STAGING:
            if (optarg && strcmp(optarg, "off") != 0 && strcmp(optarg, "on") != 0) {
                fprintf(stderr, "imafs-emulator: --staging=on|off\n");
                return 2;
            }
            cfg.staging = !optarg || strcmp(optarg, "on") == 0;
            break;
        case O_NO_STAGING: cfg.staging = false; break;
        case O_FLUSH: cfg.flush_htable = true; break;
        case O_NO_HTABLE: cfg.htable = false; break;
        case O_MAXR: {
            char *end;
            cfg.max_readers = strtol(optarg, &end, 10);
            if (*end || cfg.max_readers < 1) { fprintf(stderr, "imafs-emulator: bad --max-readers\n"); return 2; }
            break;
        }
        case O_CONTROL: cfg.control_path = optarg; break;
        case O_TPM: cfg.tpm = strdup(optarg); break;
        case O_TPMDEV:
            if (!*optarg || strchr(optarg, '/') || strlen(optarg) >= 64) { fprintf(stderr, "imafs-emulator: --tpm-device wants a file name\n"); return 2; }
            cfg.tpm_device = optarg;
            break;
        case O_ALLOW: cfg.allow_other = true; break;
        case O_DEBUG: cfg.debug = true; break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) { usage(stderr); return 2; }
    cfg.mountpoint = argv[optind];

    if (add_bank("sha1", false) != 0) return 2;
    char *bl = strdup(banks), *save = NULL;
    for (char *t = strtok_r(bl, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (add_bank(t, true) != 0) return 2;
    free(bl);
    if (cfg.tpm) {
        char err[512];
        if (tpm_check_banks(cfg.tpm, cfg.banks, cfg.nbanks, err, sizeof err) != 0) {
            fprintf(stderr, "imafs-emulator: %s\n", err);
            return 1;
        }
    }
    build_tree();
    start_time = time(NULL);

    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    fuse_opt_add_arg(&args, argv[0]);
    fuse_opt_add_arg(&args, "-o");
    fuse_opt_add_arg(&args, cfg.allow_other ? "fsname=imafs,subtype=imafs,default_permissions,allow_other"
                                            : "fsname=imafs,subtype=imafs,default_permissions");
    if (cfg.debug) fuse_opt_add_arg(&args, "-d");
    session = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (!session) return 1;
    if (fuse_set_signal_handlers(session) != 0) return 1;

    /* the control threads must not take SIGTERM/SIGINT/SIGHUP: they go to the FUSE loop */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (cfg.control_path) {
        listen_fd = control_listen(cfg.control_path);
        if (listen_fd < 0) return 1;
        pthread_t t;
        pthread_create(&t, NULL, control_accept, NULL);
        pthread_detach(t);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (fuse_session_mount(session, cfg.mountpoint) != 0) {
        if (cfg.control_path) unlink(cfg.control_path);
        return 1;
    }
    printf("imafs-emulator: ready mount=%s control=%s banks=%s staging=%s tpm=%s\n", cfg.mountpoint,
           cfg.control_path ? cfg.control_path : "-", banks, cfg.staging ? "on" : "off", cfg.tpm ? cfg.tpm : "-");
    fflush(stdout);
    int rc = fuse_session_loop(session);
    fuse_session_unmount(session);
    fuse_remove_signal_handlers(session);
    fuse_session_destroy(session);
    fuse_opt_free_args(&args);
    if (cfg.control_path) unlink(cfg.control_path);
    return rc < 0 ? 1 : 0;
}
