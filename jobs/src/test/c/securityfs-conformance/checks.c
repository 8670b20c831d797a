/* The checks every profile runs: files and modes, list consistency, who may open, duplicates. */
#define _GNU_SOURCE
#include "conformance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int open_errno(const char *path, int flags, int *fd_out) {
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) return errno;
    if (fd_out) *fd_out = fd;
    else close(fd);
    return 0;
}

/* One request in one write() (A.8); a short write counts as an error. */
int write_request(int fd, const char *req, size_t len) {
    ssize_t n = write(fd, req, len);
    if (n < 0) return errno;
    return (size_t)n == len ? 0 : EIO;
}

int measure_new(struct ctx *c, const char *check, char *name, size_t namelen, const char *content) {
    char err[512];
    if (!content) {
        snprintf(name, namelen, "conformance-%d-%u", (int)getpid(), ++c->seq);
        static char fresh[128];
        snprintf(fresh, sizeof fresh, "securityfs-conformance %s %ld\n", name, (long)time(NULL));
        content = fresh;
    }
    int e = target_measure(c->target, name, content, err, sizeof err);
    if (e) check_fail(check, "could not make a record: %s", err);
    return e;
}

static void name_check(char *out, size_t len, const char *check, const char *detail) {
    snprintf(out, len, "%s[%s]", check, detail);
}

/* ------------------------------------------------------------------ files (B.1, A.8) */

static void expect_link(struct ctx *c, const char *check, const char *link, const char *target) {
    char path[4200], got[256];
    path_of(c, path, sizeof path, link);
    ssize_t n = readlink(path, got, sizeof got - 1);
    if (n < 0) { check_fail(check, "expected %s -> %s, seen %s", link, target, errno_name(errno)); return; }
    got[n] = 0;
    if (strcmp(got, target) == 0) check_ok(check);
    else check_fail(check, "expected %s -> %s, seen -> %s", link, target, got);
}

static void expect_mode(struct ctx *c, const char *name, mode_t mode) {
    char path[4200], check[200];
    struct stat s;
    path_of(c, path, sizeof path, name);
    name_check(check, sizeof check, "files.mode", name);
    if (lstat(path, &s) != 0) { check_fail(check, "expected mode %04o, seen %s", mode, errno_name(errno)); return; }
    if (S_ISREG(s.st_mode) && (s.st_mode & 07777) == mode && s.st_uid == 0 && s.st_gid == 0) check_ok(check);
    else check_fail(check, "expected a regular file %04o root:root, seen %s %04o %d:%d", mode,
                    S_ISREG(s.st_mode) ? "regular file" : "not a regular file", s.st_mode & 07777, (int)s.st_uid, (int)s.st_gid);
}

void checks_files(struct ctx *c) {
    bool staging = c->profile != PROFILE_NO_STAGING;
    mode_t mode = staging ? 0660 : 0440; /* A.8: 0660 with a write handler; before 7.2, 0440 */
    char name[128], path[4200];
    if (c->per_bank) {
        expect_link(c, "files.legacy-binary-link", "binary_runtime_measurements", "binary_runtime_measurements_sha1");
        expect_link(c, "files.legacy-ascii-link", "ascii_runtime_measurements", "ascii_runtime_measurements_sha1");
    } else {
        check_skip("files.legacy-binary-link", "no per-bank files (a kernel before 6.10, B.1): the legacy names are the files");
    }
    for (int b = 0; b < c->nbanks; b++) {
        for (int st = 0; st <= (staging ? 1 : 0); st++) {
            for (int ascii = 0; ascii <= 1; ascii++) {
                file_name(name, sizeof name, ascii ? "ascii" : "binary", c->banks[b].name, st);
                expect_mode(c, name, mode);
            }
        }
    }
    expect_mode(c, "runtime_measurements_count", 0440);
    expect_mode(c, "violations", 0440);
    if (staging) {
        expect_link(c, "files.staged-binary-link", "binary_runtime_measurements_staged", "binary_runtime_measurements_sha1_staged");
        expect_link(c, "files.staged-ascii-link", "ascii_runtime_measurements_staged", "ascii_runtime_measurements_sha1_staged");
    } else {
        /* the profile came from listing the directory; a lookup by name must agree */
        path_of(c, path, sizeof path, "binary_runtime_measurements_staged");
        check_errno("files.no-staged-files", ENOENT, open_errno(path, O_RDONLY, NULL));
    }
    if (!c->expect_banks) {
        check_skip("files.banks", "--banks not given");
    } else if (!c->per_bank) {
        check_skip("files.banks", "no per-bank files on this kernel (before 6.10, B.1)");
    } else {
        char *want = strdup(c->expect_banks), *save = NULL;
        int wanted = 1; /* sha1 always (B.1) */
        bool all = true;
        for (char *t = strtok_r(want, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (strcmp(t, "sha1") == 0) continue;
            wanted++;
            file_name(name, sizeof name, "binary", t, false);
            path_of(c, path, sizeof path, name);
            if (access(path, F_OK) != 0) { check_fail("files.banks", "expected %s, it is missing", name); all = false; }
        }
        free(want);
        if (all && wanted != c->nbanks) check_fail("files.banks", "expected files for %d banks, seen %d", wanted, c->nbanks);
        else if (all) check_ok("files.banks");
    }
}

/* ------------------------------------------------------------------ lists (B.1, B.3, B.6) */

void checks_lists(struct ctx *c) {
    char check[200];
    struct list ref = {0};
    /* the count file against the records of the binary list, read in between two counts */
    long before = -1, after = -2;
    for (int attempt = 0; attempt < 5 && before != after; attempt++) {
        list_free(&ref);
        before = read_count(c);
        int e = read_list(c, c->banks[0].name, false, &ref);
        after = read_count(c);
        if (e) { check_fail("list.binary-parses", "expected a valid list, seen %s", errno_name(e)); return; }
    }
    check_ok("list.binary-parses");
    if (before != after) check_fail("list.count-matches-binary", "the count kept changing (%ld, %ld)", before, after);
    else if (before != (long)ref.n) check_fail("list.count-matches-binary", "expected %zu (records in the binary list), seen %ld", ref.n, before);
    else check_ok("list.count-matches-binary");

    for (int b = 0; b < c->nbanks; b++) {
        const char *bank = c->banks[b].name[0] ? c->banks[b].name : "legacy";
        struct list bin = {0};
        struct buf ascii = {0};
        char name[128], path[4200];
        int e = read_list(c, c->banks[b].name, false, &bin);
        file_name(name, sizeof name, "ascii", c->banks[b].name, false);
        path_of(c, path, sizeof path, name);
        int fd = -1;
        if (!e) e = open_errno(path, O_RDONLY, &fd);
        if (!e) { e = read_fd(fd, &ascii); close(fd); }
        name_check(check, sizeof check, "list.ascii-matches-binary", bank);
        const char *why = e ? NULL : ascii_mismatch(&bin, &ascii);
        if (e) check_fail(check, "expected both lists readable, seen %s", errno_name(e));
        else if (why) check_fail(check, "%s", why);
        else check_ok(check);
        if (b > 0 && !e) {
            name_check(check, sizeof check, "list.same-records-as-sha1", bank);
            why = same_records(&ref, &bin);
            if (why) check_fail(check, "%s", why);
            else check_ok(check);
        }
        list_free(&bin);
        buf_free(&ascii);
    }
    if (c->per_bank) {
        struct list legacy = {0};
        int e = read_list(c, "", false, &legacy);
        if (e) check_fail("list.legacy-is-sha1", "expected the legacy list readable, seen %s", errno_name(e));
        else if (legacy.bytes.len != ref.bytes.len || memcmp(legacy.bytes.p, ref.bytes.p, ref.bytes.len) != 0)
            check_fail("list.legacy-is-sha1", "binary_runtime_measurements differs from binary_runtime_measurements_sha1");
        else check_ok("list.legacy-is-sha1");
        list_free(&legacy);
    }
    list_free(&ref);
}

/* ------------------------------------------------------------------ who may open (A.8) */

struct open_arg {
    const char *path;
    int flags;
    const char *request; /* written after a successful open, or NULL */
};

static int open_in_child(void *p) {
    struct open_arg *a = p;
    int fd = -1;
    int e = open_errno(a->path, a->flags, &fd);
    if (e) return e;
    if (a->request) e = write_request(fd, a->request, strlen(a->request));
    close(fd);
    return e;
}

void checks_open(struct ctx *c) {
    bool staging = c->profile != PROFILE_NO_STAGING;
    char name[128], path[4200];
    file_name(name, sizeof name, "binary", c->banks[0].name, false);
    path_of(c, path, sizeof path, name);
    struct open_arg rd = {path, O_RDONLY, NULL}, wr = {path, O_WRONLY, NULL}, stat_dir = {c->dir, O_RDONLY | O_DIRECTORY, NULL};
    /* the directory is world-readable; the files are root's (0440, or 0660 with staging) */
    check_errno("open.nobody-lists-directory", 0, as_identity(AS_NOBODY, c->nobody_uid, open_in_child, &stat_dir));
    check_errno("open.nobody-read", EACCES, as_identity(AS_NOBODY, c->nobody_uid, open_in_child, &rd));
    check_errno("open.nobody-write", EACCES, as_identity(AS_NOBODY, c->nobody_uid, open_in_child, &wr));
    check_errno("open.read-without-CAP_SYS_ADMIN", 0, as_identity(AS_ROOT_WITHOUT_CAP_SYS_ADMIN, 0, open_in_child, &rd));
    /* with staging the open handler wants CAP_SYS_ADMIN for write access (EPERM); before 7.2 root
       opens for write (CAP_DAC_OVERRIDE) and there is no write handler */
    check_errno("open.write-without-CAP_SYS_ADMIN", staging ? EPERM : 0,
                as_identity(AS_ROOT_WITHOUT_CAP_SYS_ADMIN, 0, open_in_child, &wr));
    if (staging) {
        file_name(name, sizeof name, "binary", c->banks[0].name, true);
        char spath[4200];
        path_of(c, spath, sizeof spath, name);
        struct open_arg swr = {spath, O_RDWR, NULL};
        check_errno("open.staged-write-without-CAP_SYS_ADMIN", EPERM,
                    as_identity(AS_ROOT_WITHOUT_CAP_SYS_ADMIN, 0, open_in_child, &swr));
    }
}

/* ------------------------------------------------------------------ no staging: read-only lists */

void checks_no_staging_writes(struct ctx *c) {
    char name[128], path[4200];
    file_name(name, sizeof name, "binary", c->banks[0].name, false);
    path_of(c, path, sizeof path, name);
    long before = read_count(c);
    int fd = -1;
    if (!check_errno("write.no-staging.open-read-write", 0, open_errno(path, O_RDWR, &fd))) return;
    struct buf b = {0};
    check_errno("write.no-staging.read-through-read-write-fd", 0, read_fd(fd, &b));
    buf_free(&b);
    check_errno("write.no-staging.N", EINVAL, write_request(fd, "1\n", 2));
    check_errno("write.no-staging.A", EINVAL, write_request(fd, "A\n", 2));
    /* no open-time locking before 7.2: a reader beside the writer */
    int fd2 = -1;
    check_errno("open.no-staging.reader-beside-writer", 0, open_errno(path, O_RDONLY, &fd2));
    if (fd2 >= 0) close(fd2);
    close(fd);
    long after = read_count(c);
    if (before >= 0 && after >= before) check_ok("write.no-staging.list-untouched");
    else check_fail("write.no-staging.list-untouched", "expected the count to stay at least %ld, seen %ld", before, after);
}

/* ------------------------------------------------------------------ duplicates (A.8 hash table) */

long measure_delta(struct ctx *c, const char *check, char *nm, size_t nmlen, const char *content) {
    long before = read_count(c);
    if (measure_new(c, check, nm, nmlen, content)) return -1000;
    long after = read_count(c);
    return after - before;
}

void checks_duplicates(struct ctx *c) {
    if (!c->target) {
        check_skip("measure.new-record", "--measure not given: the runner cannot make records here");
        check_skip("measure.duplicate-not-recorded", "--measure not given");
        return;
    }
    char nm[128];
    char content[200];
    long d = measure_delta(c, "measure.new-record", nm, sizeof nm, NULL);
    if (d == -1000) return;
    struct list l = {0};
    int e = read_list(c, c->banks[0].name, false, &l);
    bool named = !e && l.n > 0 && memmem(l.recs[l.n - 1].data, l.recs[l.n - 1].data_len, nm, strlen(nm));
    if (d != 1) check_fail("measure.new-record", "expected the count to grow by 1, seen %+ld", d);
    else if (!named) check_fail("measure.new-record", "expected the last record to name %s", nm);
    else check_ok("measure.new-record");
    list_free(&l);
    /* the same name and content again (a fresh inode for the kernel): the same template digest */
    snprintf(content, sizeof content, "securityfs-conformance duplicate %d\n", (int)getpid());
    snprintf(nm, sizeof nm, "conformance-%d-dup", (int)getpid());
    if (measure_delta(c, "measure.duplicate-not-recorded", nm, sizeof nm, content) == -1000) return;
    d = measure_delta(c, "measure.duplicate-not-recorded", nm, sizeof nm, content);
    if (d == 0) check_ok("measure.duplicate-not-recorded");
    else if (d != -1000) check_fail("measure.duplicate-not-recorded", "expected the count to stay, seen %+ld", d);
}
