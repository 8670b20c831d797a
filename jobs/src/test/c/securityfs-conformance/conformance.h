/*
 * securityfs-conformance: checks an IMA securityfs directory (the real /sys/kernel/security/ima or
 * the imafs emulator's mount) against the behaviour docs/kernel-interface.md A.8 and B.1 describe.
 * Test tooling, not production: see README.md.
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- result lines (main.c) */
void check_ok(const char *name);
void check_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ok when seen == expected, else FAIL "expected E, seen S"; errno 0 is printed as "success" */
bool check_errno(const char *name, int expected, int seen);
const char *errno_name(int e);

/* ---- what the directory offers */
enum profile { PROFILE_NO_STAGING, PROFILE_STAGING, PROFILE_STAGING_FLUSH };

#define MAX_BANKS 8
struct bank {
    char name[24];   /* "sha1", "sha256", ...; "" = the legacy files of a kernel without per-bank files */
    size_t digest_size;
};

struct target;

struct ctx {
    const char *dir;
    enum profile profile;
    bool per_bank;              /* binary_runtime_measurements_sha1 exists (Linux >= 6.10) */
    struct bank banks[MAX_BANKS];
    int nbanks;                 /* banks[0] is sha1 (or the legacy files) */
    const char *expect_banks;   /* --banks: the banks that must have files, besides sha1 */
    uid_t nobody_uid;
    struct target *target;      /* how to make a new record, or NULL */
    unsigned seq;               /* unique names for new records */
};

/* ---- files and lists (lists.c) */
struct buf {
    uint8_t *p;
    size_t len, cap;
};
void buf_free(struct buf *b);

struct rec {
    uint32_t pcr;
    const uint8_t *digest;
    size_t digest_len;
    const uint8_t *name;
    size_t name_len;
    const uint8_t *data;       /* template data as it enters the record (for `ima`: d | nlen | name) */
    size_t data_len;
    const uint8_t *raw;        /* the whole record */
    size_t raw_len;
};
struct list {
    struct buf bytes;
    struct rec *recs;
    size_t n;
};
void list_free(struct list *l);

/* the measurement file name: kind "binary"/"ascii", bank "" for the legacy name, staged suffix */
void file_name(char *out, size_t outlen, const char *kind, const char *bank, bool staged);
void path_of(const struct ctx *c, char *out, size_t outlen, const char *name);
/* reads an fd to EOF (bounded); returns 0 or an errno */
int read_fd(int fd, struct buf *b);
/* opens read-only, reads to EOF, parses; returns 0 or an errno (EBADMSG: not a valid list) */
int read_list(const struct ctx *c, const char *bank, bool staged, struct list *l);
int parse_binary(struct list *l, size_t digest_size);
/* the number in runtime_measurements_count, or -1 */
long read_count(const struct ctx *c);
/* NULL when the ASCII text matches the binary records (pcr, template digest, template name per
   line, same number of lines), else a description of the first difference (static buffer) */
const char *ascii_mismatch(const struct list *bin, const struct buf *ascii);
/* NULL when both lists hold the same records (pcr, template name and data) */
const char *same_records(const struct list *a, const struct list *b);

/* ---- new records (target.c) */
/* "emulator:SOCKET" (the emulator's control socket) or "file:DIR" (a file on a filesystem the
   kernel's policy measures, read as root). NULL and a message on a bad spec. */
struct target *target_open(const char *spec, char *err, size_t errlen);
/* One measured event for (name, content): the same pair again is a duplicate (same template
   digest). Returns 0 when the action ran (whether or not a record was added), else an errno. */
int target_measure(struct target *t, const char *name, const char *content, char *err, size_t errlen);

/* ---- other identities (target.c): run fn in a forked child; returns the child's errno or 0 */
enum identity { AS_ROOT, AS_ROOT_WITHOUT_CAP_SYS_ADMIN, AS_NOBODY };
int as_identity(enum identity who, uid_t nobody, int (*fn)(void *), void *arg);

/* ---- the checks (checks.c, staging.c) */
void checks_files(struct ctx *c);
void checks_lists(struct ctx *c);
void checks_open(struct ctx *c);
void checks_no_staging_writes(struct ctx *c);
void checks_duplicates(struct ctx *c);
void checks_staging(struct ctx *c);
int kexec_save(struct ctx *c, const char *file);
int kexec_check(struct ctx *c, const char *file);

/* helpers shared by the checks (checks.c) */
int open_errno(const char *path, int flags, int *fd_out);
int write_request(int fd, const char *req, size_t len);
int measure_new(struct ctx *c, const char *check, char *name_out, size_t namelen, const char *content);
/* the change of runtime_measurements_count across one measure action; -1000 when it failed (reported) */
long measure_delta(struct ctx *c, const char *check, char *name, size_t namelen, const char *content);

#endif
