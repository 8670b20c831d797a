/*
 * securityfs-conformance [options] DIR
 * Checks an IMA securityfs directory against docs/kernel-interface.md A.8/B.1: one line per check
 * ("ok NAME", "FAIL NAME: expected ..., seen ...", "skip NAME: reason"), exit 1 on any FAIL.
 * See README.md for the options and what each profile checks.
 */
#define _GNU_SOURCE
#include "conformance.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

void check_ok(const char *name) { printf("ok %s\n", name); fflush(stdout); }

void check_fail(const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    failures++;
}

void check_skip(const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("skip %s: ", name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

const char *errno_name(int e) {
    static char other[32];
    if (e == 0) return "success";
    if (e == 200) return "(the child could not switch identity)";
    const char *n = strerrorname_np(e);
    if (n) return n;
    snprintf(other, sizeof other, "errno %d", e);
    return other;
}

bool check_errno(const char *name, int expected, int seen) {
    if (expected == seen) {
        check_ok(name);
        return true;
    }
    check_fail(name, "expected %s, seen %s", errno_name(expected), errno_name(seen));
    return false;
}

static const struct { const char *name; size_t size; } DIGESTS[] = {
    {"sha1", 20}, {"sha256", 32}, {"sha384", 48}, {"sha512", 64}, {"sm3", 32},
};

/* Which banks have per-bank files, whether `_staged` files exist (B.1, A.8). */
static int detect(struct ctx *c, bool *staging) {
    DIR *d = opendir(c->dir);
    if (!d) return errno;
    const char *prefix = "binary_runtime_measurements_";
    size_t pl = strlen(prefix);
    struct dirent *de;
    *staging = false;
    c->nbanks = 1; /* banks[0]: sha1, or the legacy files */
    snprintf(c->banks[0].name, sizeof c->banks[0].name, "sha1");
    c->banks[0].digest_size = 20;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 7 && strcmp(de->d_name + l - 7, "_staged") == 0) *staging = true;
        if (strncmp(de->d_name, prefix, pl) != 0 || strstr(de->d_name, "_staged")) continue;
        const char *bank = de->d_name + pl;
        if (strcmp(bank, "sha1") == 0) { c->per_bank = true; continue; }
        size_t size = 0;
        for (size_t i = 0; i < sizeof DIGESTS / sizeof DIGESTS[0]; i++)
            if (strcmp(DIGESTS[i].name, bank) == 0) size = DIGESTS[i].size;
        if (!size) {
            check_skip("files.bank-digest-size", "%s: digest size unknown to this runner (e.g. _tpm_alg_<hex>), its lists are not parsed", de->d_name);
            continue;
        }
        if (c->nbanks == MAX_BANKS) continue;
        snprintf(c->banks[c->nbanks].name, sizeof c->banks[c->nbanks].name, "%s", bank);
        c->banks[c->nbanks++].digest_size = size;
    }
    closedir(d);
    if (!c->per_bank) {
        c->banks[0].name[0] = 0; /* read the legacy names */
        c->nbanks = 1;
    }
    return 0;
}

static bool cmdline_has(const char *word) {
    FILE *f = fopen("/proc/cmdline", "re");
    if (!f) return false;
    char line[4096];
    bool found = false;
    if (fgets(line, sizeof line, f)) {
        for (char *save = NULL, *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
            if (strcmp(t, word) == 0) found = true;
    }
    fclose(f);
    return found;
}

static const char *PROFILE_NAMES[] = {"no-staging", "staging", "staging-flush-htable"};

static void usage(FILE *out) {
    fprintf(out,
            "usage: securityfs-conformance [options] DIR\n"
            "Checks an IMA securityfs directory (/sys/kernel/security/ima or the imafs emulator's mount).\n"
            "  --measure emulator:SOCKET  make new records through the emulator's control socket\n"
            "  --measure file:DIR         make new records by creating and reading files in DIR (a filesystem\n"
            "                             the kernel's IMA policy measures, e.g. ima_policy=tcb, run as root)\n"
            "  --flush-htable / --no-flush-htable   ima_flush_htable on or off (default: from /proc/cmdline)\n"
            "  --expect-profile P         fail unless the detected profile is P (no-staging, staging,\n"
            "                             staging-flush-htable)\n"
            "  --banks LIST               the TPM banks expected to have files besides sha1 (e.g. sha256)\n"
            "  --nobody-uid UID           the non-root uid for the who-may-open checks (default 65534)\n"
            "  --kexec-save FILE          prepare state for a kexec and record it in FILE (instead of the checks)\n"
            "  --kexec-check FILE         after a kexec: check what was carried over against FILE\n"
            "Exit: 0 every check ok or skipped, 1 a check failed, 2 usage, 3 DIR unusable.\n");
}

int main(int argc, char **argv) {
    enum { O_MEASURE = 1, O_FLUSH, O_NO_FLUSH, O_EXPECT, O_BANKS, O_NOBODY, O_KSAVE, O_KCHECK, O_HELP };
    static const struct option lopts[] = {
        {"measure", required_argument, NULL, O_MEASURE}, {"flush-htable", no_argument, NULL, O_FLUSH},
        {"no-flush-htable", no_argument, NULL, O_NO_FLUSH}, {"expect-profile", required_argument, NULL, O_EXPECT},
        {"banks", required_argument, NULL, O_BANKS}, {"nobody-uid", required_argument, NULL, O_NOBODY},
        {"kexec-save", required_argument, NULL, O_KSAVE}, {"kexec-check", required_argument, NULL, O_KCHECK},
        {"help", no_argument, NULL, O_HELP}, {NULL, 0, NULL, 0},
    };
    struct ctx c = {.nobody_uid = 65534};
    int flush = -1;
    const char *expect = NULL, *ksave = NULL, *kcheck = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        switch (o) {
        case O_MEASURE: {
            char err[256];
            c.target = target_open(optarg, err, sizeof err);
            if (!c.target) { fprintf(stderr, "securityfs-conformance: %s\n", err); return 2; }
            break;
        }
        case O_FLUSH: flush = 1; break;
        case O_NO_FLUSH: flush = 0; break;
        case O_EXPECT: expect = optarg; break;
        case O_BANKS: c.expect_banks = optarg; break;
        case O_NOBODY: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0) { fprintf(stderr, "securityfs-conformance: --nobody-uid wants a uid > 0\n"); return 2; }
            c.nobody_uid = (uid_t)v;
            break;
        }
        case O_KSAVE: ksave = optarg; break;
        case O_KCHECK: kcheck = optarg; break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || (ksave && kcheck)) { usage(stderr); return 2; }
    if (expect && strcmp(expect, PROFILE_NAMES[0]) && strcmp(expect, PROFILE_NAMES[1]) && strcmp(expect, PROFILE_NAMES[2])) {
        fprintf(stderr, "securityfs-conformance: --expect-profile wants no-staging, staging or staging-flush-htable\n");
        return 2;
    }
    c.dir = argv[optind];
    struct stat sd;
    if (stat(c.dir, &sd) != 0 || !S_ISDIR(sd.st_mode)) {
        fprintf(stderr, "securityfs-conformance: %s is not a directory\n", c.dir);
        return 3;
    }
    bool staging = false;
    int e = detect(&c, &staging);
    if (e) { fprintf(stderr, "securityfs-conformance: cannot list %s: %s\n", c.dir, strerror(e)); return 3; }
    bool flush_on = flush >= 0 ? flush == 1 : cmdline_has("ima_flush_htable");
    c.profile = !staging ? PROFILE_NO_STAGING : flush_on ? PROFILE_STAGING_FLUSH : PROFILE_STAGING;
    printf("# securityfs-conformance %s: profile %s, %s files (", c.dir, PROFILE_NAMES[c.profile],
           c.per_bank ? "per-bank" : "legacy (no per-bank)");
    for (int i = 0; i < c.nbanks; i++) printf("%s%s", i ? " " : "", c.banks[i].name[0] ? c.banks[i].name : "sha1");
    printf("), new records: %s\n", c.target ? "yes" : "no (--measure not given)");
    if (expect) {
        if (strcmp(expect, PROFILE_NAMES[c.profile]) == 0) check_ok("profile");
        else check_fail("profile", "expected %s, seen %s", expect, PROFILE_NAMES[c.profile]);
    }
    if (ksave) {
        e = kexec_save(&c, ksave);
    } else if (kcheck) {
        e = kexec_check(&c, kcheck);
    } else {
        checks_files(&c);
        checks_lists(&c);
        checks_open(&c);
        if (c.profile == PROFILE_NO_STAGING) checks_no_staging_writes(&c);
        checks_duplicates(&c);
        if (c.profile != PROFILE_NO_STAGING) checks_staging(&c);
    }
    printf("# %s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
