/*
 * The staging interface (kernel-interface.md A.8): open-time locking, the write grammar and its
 * errnos, N, A and D, the staged files' contents, a reader's fd across a trim, the hash table with
 * and without ima_flush_htable, and the kexec carry-over (two runs around a kexec).
 */
#define _GNU_SOURCE
#include "conformance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void path_for(const struct ctx *c, char *out, size_t len, const char *kind, int bank, bool staged) {
    char name[128];
    file_name(name, sizeof name, kind, c->banks[bank].name, staged);
    path_of(c, out, len, name);
}

/* Sends one request through a fresh O_WRONLY fd of the sha1 (or legacy) binary file. */
static int request(const struct ctx *c, bool staged, const char *req) {
    char path[4200];
    path_for(c, path, sizeof path, "binary", 0, staged);
    int fd;
    int e = open_errno(path, O_WRONLY, &fd);
    if (e) return e;
    e = write_request(fd, req, strlen(req));
    close(fd);
    return e;
}

static size_t staged_count(const struct ctx *c) {
    struct list l;
    size_t n = read_list(c, c->banks[0].name, true, &l) == 0 ? l.n : (size_t)-1;
    list_free(&l);
    return n;
}

/* Makes records until the current list holds at least n; false (reported) when it cannot. */
static bool at_least(struct ctx *c, const char *check, long n) {
    char nm[128];
    for (int i = 0; i < 8 && read_count(c) < n; i++) {
        if (!c->target) break;
        if (measure_new(c, check, nm, sizeof nm, NULL)) return false;
    }
    if (read_count(c) >= n) return true;
    check_skip(check, "needs %ld records in the current list and --measure was not given", n);
    return false;
}

static int open_in_child(void *p) {
    const char **a = p;
    return open_errno(a[0], a[1][0] == 'w' ? O_RDWR : O_RDONLY, NULL);
}

static void locking(struct ctx *c) {
    char sha1[4200], other[4200], ascii_staged[4200];
    path_for(c, sha1, sizeof sha1, "binary", 0, false);
    path_for(c, other, sizeof other, "binary", c->nbanks - 1, false);
    path_for(c, ascii_staged, sizeof ascii_staged, "ascii", 0, true);
    int r;
    if (!check_errno("open.reader", 0, open_errno(sha1, O_RDONLY, &r))) return;
    check_errno("open.write-while-reader", EBUSY, open_errno(other, O_RDWR, NULL));
    check_errno("open.write-same-file-while-reader", EBUSY, open_errno(sha1, O_WRONLY, NULL));
    close(r);
    int w;
    if (!check_errno("open.writer", 0, open_errno(sha1, O_RDWR, &w))) return;
    check_errno("open.read-while-writer-same-task", EBUSY, open_errno(sha1, O_RDONLY, NULL));
    check_errno("open.read-staged-while-writer-same-task", EBUSY, open_errno(ascii_staged, O_RDONLY, NULL));
    const char *ro[] = {other, "r"}, *rw[] = {other, "w"};
    check_errno("open.read-while-writer-other-process", EBUSY, as_identity(AS_ROOT, 0, open_in_child, ro));
    check_errno("open.write-while-writer-other-process", EBUSY, as_identity(AS_ROOT, 0, open_in_child, rw));
    close(w);
    check_errno("open.released-at-close", 0, as_identity(AS_ROOT, 0, open_in_child, rw));
}

static void grammar(struct ctx *c) {
    long before = read_count(c);
    /* original files take only "<N>\n", N >= 1 */
    check_errno("write.original.zero", EINVAL, request(c, false, "0\n"));
    check_errno("write.original.A", EINVAL, request(c, false, "A\n"));
    check_errno("write.original.D", EINVAL, request(c, false, "D\n"));
    check_errno("write.original.junk", EINVAL, request(c, false, "1x\n"));
    check_errno("write.original.no-newline", EINVAL, request(c, false, "1"));
    check_errno("write.original.too-long", EINVAL, request(c, false, "0000000000000000000001\n"));
    if (c->profile == PROFILE_STAGING_FLUSH) check_errno("write.original.N-with-flush-htable", EINVAL, request(c, false, "1\n"));
    if (c->profile == PROFILE_STAGING) {
        char req[32];
        snprintf(req, sizeof req, "%ld\n", before + 1);
        check_errno("write.original.N-beyond-list", ENOENT, request(c, false, req));
    }
    long after = read_count(c);
    if (after == before) check_ok("write.original.refused-requests-delete-nothing");
    else check_fail("write.original.refused-requests-delete-nothing", "expected the count to stay %ld, seen %ld", before, after);
    /* _staged files take only "A\n" and "D\n" */
    check_errno("write.staged.N", EINVAL, request(c, true, "1\n"));
    check_errno("write.staged.junk", EINVAL, request(c, true, "X\n"));
    check_errno("write.staged.A-no-newline", EINVAL, request(c, true, "A"));
    check_errno("write.staged.D-nothing-staged", ENOENT, request(c, true, "D\n"));
}

/* N on an original: the first N records go, the count drops by N (staging without flush only). */
static void trim_n(struct ctx *c) {
    if (!at_least(c, "trim.N", 3)) return;
    struct list l0, l1;
    if (read_list(c, c->banks[0].name, false, &l0)) { check_fail("trim.N", "cannot read the list"); return; }
    long before = read_count(c);
    check_errno("trim.N", 0, request(c, false, "1\n"));
    long after = read_count(c);
    if (after == before - 1) check_ok("trim.N-count-drops");
    else check_fail("trim.N-count-drops", "expected %ld, seen %ld", before - 1, after);
    if (read_list(c, c->banks[0].name, false, &l1) == 0 && l1.n + 1 >= l0.n &&
        l1.recs[0].raw_len == l0.recs[1].raw_len && memcmp(l1.recs[0].raw, l0.recs[1].raw, l0.recs[1].raw_len) == 0)
        check_ok("trim.N-first-record-is-the-former-second");
    else check_fail("trim.N-first-record-is-the-former-second", "the list after the trim does not start at the former record 2");
    list_free(&l0);
    list_free(&l1);

    /* a writer reading through its own fd across its trim: the position counts records (B.1, A.2) */
    if (!at_least(c, "read.writer-fd-across-trim", 3)) return;
    if (read_list(c, c->banks[0].name, false, &l0)) return;
    char path[4200];
    path_for(c, path, sizeof path, "binary", 0, false);
    int fd;
    if (!check_errno("read.writer-fd-open", 0, open_errno(path, O_RDWR, &fd))) { list_free(&l0); return; }
    size_t first = l0.recs[0].raw_len, got = 0;
    uint8_t *head = malloc(first);
    while (got < first) {
        ssize_t n = read(fd, head + got, first - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    int e = got == first ? write_request(fd, "1\n", 2) : EIO;
    struct buf rest = {0};
    if (!e) e = read_fd(fd, &rest);
    close(fd);
    const uint8_t *expect = l0.recs[2].raw;
    size_t expect_len = l0.bytes.len - (size_t)(expect - l0.bytes.p);
    if (e) check_fail("read.writer-fd-across-trim", "expected read, trim, read to succeed, seen %s", errno_name(e));
    else if (rest.len < expect_len || memcmp(rest.p, expect, expect_len) != 0)
        check_fail("read.writer-fd-across-trim", "expected the reads after trimming 1 to continue at the former record 3 (%zu bytes), seen %zu bytes", expect_len, rest.len);
    else check_ok("read.writer-fd-across-trim");
    free(head);
    buf_free(&rest);
    list_free(&l0);
}

/* A, the staged files, A again, the hash table, D (staging with prompt). */
static void stage(struct ctx *c) {
    char x[128], z[128], cx[160], cz[160];
    snprintf(x, sizeof x, "conformance-%d-staged", (int)getpid());
    snprintf(cx, sizeof cx, "securityfs-conformance staged %d\n", (int)getpid());
    snprintf(z, sizeof z, "conformance-%d-current", (int)getpid());
    snprintf(cz, sizeof cz, "securityfs-conformance current %d\n", (int)getpid());
    if (c->target && measure_new(c, "stage.A", x, sizeof x, cx)) return;
    if (!at_least(c, "stage.A", 1)) return;
    struct list before[MAX_BANKS];
    for (int b = 0; b < c->nbanks; b++) read_list(c, c->banks[b].name, false, &before[b]);
    char path[4200];
    path_for(c, path, sizeof path, "binary", 0, true);
    int fd;
    if (!check_errno("stage.open-staged-read-write", 0, open_errno(path, O_RDWR, &fd))) goto out;
    check_errno("stage.A", 0, write_request(fd, "A\n", 2));
    struct buf through = {0};
    int e = read_fd(fd, &through);
    close(fd);
    if (!e && through.len == before[0].bytes.len && memcmp(through.p, before[0].bytes.p, through.len) == 0)
        check_ok("stage.writer-fd-reads-the-staged-list");
    else check_fail("stage.writer-fd-reads-the-staged-list", "expected the %zu bytes of the former current list, seen %zu bytes (%s)",
                    before[0].bytes.len, through.len, errno_name(e));
    buf_free(&through);
    long cur = read_count(c);
    if (cur == 0) check_ok("stage.current-empty-after-A");
    else check_fail("stage.current-empty-after-A", "expected runtime_measurements_count 0, seen %ld", cur);
    for (int b = 0; b < c->nbanks; b++) {
        char check[200], apath[4200];
        struct list sl;
        struct buf ascii = {0};
        snprintf(check, sizeof check, "stage.staged-list-is-the-former-current[%s]", c->banks[b].name);
        e = read_list(c, c->banks[b].name, true, &sl);
        if (!e && sl.bytes.len == before[b].bytes.len && memcmp(sl.bytes.p, before[b].bytes.p, sl.bytes.len) == 0) check_ok(check);
        else check_fail(check, "expected %zu bytes, seen %zu (%s)", before[b].bytes.len, sl.bytes.len, errno_name(e));
        snprintf(check, sizeof check, "stage.staged-ascii-matches-binary[%s]", c->banks[b].name);
        path_for(c, apath, sizeof apath, "ascii", b, true);
        int afd;
        e = open_errno(apath, O_RDONLY, &afd);
        if (!e) { e = read_fd(afd, &ascii); close(afd); }
        const char *why = e ? errno_name(e) : ascii_mismatch(&sl, &ascii);
        if (why) check_fail(check, "%s", why);
        else check_ok(check);
        list_free(&sl);
        buf_free(&ascii);
    }
    check_errno("stage.A-again", EEXIST, request(c, true, "A\n"));
    if (c->target) {
        char nm[128];
        snprintf(nm, sizeof nm, "%s", x);
        long d = measure_delta(c, "dup.staged-digest-still-known", nm, sizeof nm, cx);
        if (d == 0) check_ok("dup.staged-digest-still-known");
        else if (d != -1000) check_fail("dup.staged-digest-still-known", "expected no new record, seen %+ld", d);
        if (measure_new(c, "dup.current-record", z, sizeof z, cz)) goto out;
    }
    long cur_before_d = read_count(c);
    check_errno("stage.D", 0, request(c, true, "D\n"));
    size_t left = staged_count(c);
    if (left == 0) check_ok("stage.staged-empty-after-D");
    else check_fail("stage.staged-empty-after-D", "expected 0 staged records, seen %zd", (ssize_t)left);
    long cur_after_d = read_count(c);
    if (cur_after_d == cur_before_d) check_ok("stage.D-leaves-current");
    else check_fail("stage.D-leaves-current", "expected %ld, seen %ld", cur_before_d, cur_after_d);
    check_errno("stage.D-again", ENOENT, request(c, true, "D\n"));
    if (c->target) {
        /* deleted digests stay in the table, unless ima_flush_htable (then the table holds the current list only) */
        long want = c->profile == PROFILE_STAGING_FLUSH ? 1 : 0;
        long d = measure_delta(c, "dup.after-D", x, sizeof x, cx);
        if (d == want) check_ok("dup.after-D");
        else if (d != -1000) check_fail("dup.after-D", "expected %+ld record(s) re-measuring a deleted record, seen %+ld", want, d);
        d = measure_delta(c, "dup.current-after-D", z, sizeof z, cz);
        if (d == 0) check_ok("dup.current-after-D");
        else if (d != -1000) check_fail("dup.current-after-D", "expected no new record re-measuring one in the current list, seen %+ld", d);
    } else {
        check_skip("dup.after-D", "--measure not given");
    }
out:
    for (int b = 0; b < c->nbanks; b++) list_free(&before[b]);
}

void checks_staging(struct ctx *c) {
    size_t staged = staged_count(c);
    if (staged != 0) {
        check_skip("staging", "the staged list holds %zd records: another stager is between A and D; nothing was changed", (ssize_t)staged);
        return;
    }
    locking(c);
    grammar(c);
    if (c->profile == PROFILE_STAGING) trim_n(c);
    stage(c);
}

/* ------------------------------------------------------------------ kexec (A.8 kexec) */

static int write_file(const char *path, const struct buf *a, const struct buf *b) {
    FILE *f = fopen(path, "we");
    if (!f) return errno;
    if (fwrite(a->p, 1, a->len, f) != a->len || (b && fwrite(b->p, 1, b->len, f) != b->len)) { fclose(f); return EIO; }
    return fclose(f) == 0 ? 0 : errno;
}

int kexec_save(struct ctx *c, const char *file) {
    struct list staged = {0}, current = {0};
    char nm[128];
    if (c->profile != PROFILE_NO_STAGING) {
        if (!c->target) { check_fail("kexec.prepare", "--measure is needed to make records"); return 1; }
        if (staged_count(c) != 0) { check_fail("kexec.prepare", "expected nothing staged at the start"); return 1; }
        if (measure_new(c, "kexec.prepare", nm, sizeof nm, NULL) || measure_new(c, "kexec.prepare", nm, sizeof nm, NULL)) return 1;
        if (!check_errno("kexec.prepare-A", 0, request(c, true, "A\n"))) return 1;
        if (measure_new(c, "kexec.prepare", nm, sizeof nm, NULL)) return 1;
        read_list(c, c->banks[0].name, true, &staged);
    }
    read_list(c, c->banks[0].name, false, &current);
    int e = write_file(file, c->profile != PROFILE_NO_STAGING ? &staged.bytes : &current.bytes,
                       c->profile != PROFILE_NO_STAGING ? &current.bytes : NULL);
    if (check_errno("kexec.saved", 0, e))
        printf("# saved %zu staged and %zu current records in %s\n", staged.n, current.n, file);
    list_free(&staged);
    list_free(&current);
    return e;
}

int kexec_check(struct ctx *c, const char *file) {
    struct buf saved = {0};
    int fd;
    int e = open_errno(file, O_RDONLY, &fd);
    if (!e) { e = read_fd(fd, &saved); close(fd); }
    if (!check_errno("kexec.saved-state-readable", 0, e)) return 1;
    struct list now = {0};
    e = read_list(c, c->banks[0].name, false, &now);
    if (e) check_fail("kexec.carried-staged-then-current", "cannot read the list: %s", errno_name(e));
    else if (now.bytes.len < saved.len || memcmp(now.bytes.p, saved.p, saved.len) != 0)
        check_fail("kexec.carried-staged-then-current", "expected the list to start with the %zu saved bytes (staged, then current), seen %zu bytes",
                   saved.len, now.bytes.len);
    else check_ok("kexec.carried-staged-then-current");
    if (c->profile != PROFILE_NO_STAGING) {
        size_t s = staged_count(c);
        if (s == 0) check_ok("kexec.nothing-staged-after");
        else check_fail("kexec.nothing-staged-after", "expected 0 staged records, seen %zd", (ssize_t)s);
    }
    list_free(&now);
    buf_free(&saved);
    return 0;
}
