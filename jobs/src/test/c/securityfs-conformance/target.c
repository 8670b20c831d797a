/*
 * What differs between targets: how a new record is made ("emulator:SOCKET" asks the emulator's
 * control socket to measure, "file:DIR" makes the kernel measure a fresh file), and running a step
 * as another identity (a forked child without CAP_SYS_ADMIN, or a non-root uid).
 */
#define _GNU_SOURCE
#include "conformance.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

enum target_kind { T_EMULATOR, T_FILE };

struct target {
    enum target_kind kind;
    char where[4096]; /* the control socket, or the directory of the measured files */
};

struct target *target_open(const char *spec, char *err, size_t errlen) {
    struct target *t = calloc(1, sizeof *t);
    if (!t) abort();
    const char *arg;
    if (strncmp(spec, "emulator:", 9) == 0) {
        t->kind = T_EMULATOR;
        arg = spec + 9;
    } else if (strncmp(spec, "file:", 5) == 0) {
        t->kind = T_FILE;
        arg = spec + 5;
    } else {
        snprintf(err, errlen, "--measure wants emulator:SOCKET or file:DIR, not '%s'", spec);
        free(t);
        return NULL;
    }
    if (!*arg || strlen(arg) >= sizeof t->where - 64) {
        snprintf(err, errlen, "--measure %s: missing or too long path", spec);
        free(t);
        return NULL;
    }
    snprintf(t->where, sizeof t->where, "%s", arg);
    return t;
}

/* The emulator's control protocol (imafs-emulator README): one line, one reply line. */
static int control(const char *sock, const char *line, char *reply, size_t replylen) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(sock) >= sizeof sa.sun_path) return ENAMETOOLONG;
    strcpy(sa.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t w = write(fd, line + off, len - off);
        if (w <= 0) { int e = w < 0 ? errno : EIO; close(fd); return e; }
        off += (size_t)w;
    }
    size_t got = 0;
    while (got + 1 < replylen) {
        ssize_t r = read(fd, reply + got, 1);
        if (r <= 0 || reply[got] == '\n') break;
        got++;
    }
    reply[got] = 0;
    close(fd);
    return 0;
}

static void put_le32(char **hex, uint32_t v) {
    for (int i = 0; i < 4; i++) *hex += sprintf(*hex, "%02x", (v >> (8 * i)) & 0xff);
}

/* `measure 10 ima-ng <hex>`: d-ng = "sha256:" NUL digest, n-ng = the name and its NUL (B.5) */
static int measure_emulator(struct target *t, const char *name, const char *content, char *err, size_t errlen) {
    unsigned char d[32];
    unsigned int dl = 0;
    if (!EVP_Digest(content, strlen(content), d, &dl, EVP_sha256(), NULL) || dl != 32) {
        snprintf(err, errlen, "SHA-256 failed");
        return EIO;
    }
    size_t nl = strlen(name) + 1;
    char *line = malloc(64 + 2 * (4 + 40 + 4 + nl));
    if (!line) abort();
    char *h = line + sprintf(line, "measure 10 ima-ng ");
    put_le32(&h, 40);
    for (const char *s = "sha256:"; *s; s++) h += sprintf(h, "%02x", (unsigned char)*s);
    h += sprintf(h, "00");
    for (int i = 0; i < 32; i++) h += sprintf(h, "%02x", d[i]);
    put_le32(&h, (uint32_t)nl);
    for (size_t i = 0; i < nl; i++) h += sprintf(h, "%02x", (unsigned char)name[i]);
    strcpy(h, "\n");
    char reply[512];
    int e = control(t->where, line, reply, sizeof reply);
    free(line);
    if (e) {
        snprintf(err, errlen, "control socket %s: %s", t->where, strerror(e));
        return e;
    }
    /* a duplicate is refused with EEXIST hash_exists: the action ran, the caller sees no new record */
    if (strncmp(reply, "ok", 2) == 0 || strncmp(reply, "err EEXIST", 10) == 0) return 0;
    snprintf(err, errlen, "emulator replied: %s", reply);
    return EIO;
}

/* A fresh inode (unlink, create) holding `content`, read as root: FILE_CHECK under ima_policy=tcb. */
static int measure_file(struct target *t, const char *name, const char *content, char *err, size_t errlen) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", t->where, name);
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
        return errno;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) { snprintf(err, errlen, "create %s: %s", path, strerror(errno)); return errno; }
    size_t len = strlen(content);
    if (write(fd, content, len) != (ssize_t)len) {
        int e = errno ? errno : EIO;
        close(fd);
        snprintf(err, errlen, "write %s: %s", path, strerror(e));
        return e;
    }
    close(fd); /* closed before the read: no open writer, so no ToMToU violation */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { snprintf(err, errlen, "open %s: %s", path, strerror(errno)); return errno; }
    struct buf b = {0};
    int e = read_fd(fd, &b);
    close(fd);
    buf_free(&b);
    if (e) snprintf(err, errlen, "read %s: %s", path, strerror(e));
    return e;
}

int target_measure(struct target *t, const char *name, const char *content, char *err, size_t errlen) {
    return t->kind == T_EMULATOR ? measure_emulator(t, name, content, err, errlen)
                                 : measure_file(t, name, content, err, errlen);
}

static int drop_cap_sys_admin(void) {
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) != 0) return errno;
    unsigned bit = CAP_SYS_ADMIN % 32, word = CAP_SYS_ADMIN / 32;
    data[word].effective &= ~(1u << bit);
    data[word].permitted &= ~(1u << bit);
    data[word].inheritable &= ~(1u << bit);
    if (syscall(SYS_capset, &hdr, data) != 0) return errno;
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0) return errno;
    return 0;
}

int as_identity(enum identity who, uid_t nobody, int (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return errno;
    if (pid == 0) {
        int e = 0;
        if (who == AS_ROOT_WITHOUT_CAP_SYS_ADMIN) e = drop_cap_sys_admin();
        if (who == AS_NOBODY) {
            if (setgroups(0, NULL) != 0 || setgid((gid_t)nobody) != 0 || setuid(nobody) != 0) e = errno;
        }
        if (e) _exit(200); /* could not become `who` */
        _exit(fn(arg) & 0xff);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return errno;
    if (!WIFEXITED(status)) return ECHILD;
    return WEXITSTATUS(status);
}
