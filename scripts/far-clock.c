/*
 * LD_PRELOAD shim for scripts/far-clock: shifts the wall clock (CLOCK_REALTIME and its variants,
 * gettimeofday, time) of every process it is loaded into by FAR_CLOCK_OFFSET_SECONDS, and leaves
 * every other clock, sleep and timed wait alone.
 *
 * Why not Debian's faketime: libfaketime 0.9.10 also rewrites sleeps and condition-variable waits,
 * and under it a JVM's Thread.sleep(1) takes about 50 ms and Object.wait(1) returns at once, so
 * the suite slows down by a factor of 20-40 and its timeouts misfire. The JVM reads Instant.now()
 * and System.currentTimeMillis() through clock_gettime(CLOCK_REALTIME), and times its waits on
 * CLOCK_MONOTONIC, so moving the wall clock alone is what a far-away date really changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long offset_seconds;
static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_gettimeofday)(struct timeval *, void *);

__attribute__((constructor)) static void far_clock_init(void) {
    const char *s = getenv("FAR_CLOCK_OFFSET_SECONDS");
    offset_seconds = s ? atoll(s) : 0;
    real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    real_gettimeofday = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
}

static int is_wall_clock(clockid_t clock) {
    return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    if (!real_clock_gettime) far_clock_init();
    int rc = real_clock_gettime(clock, ts);
    if (rc == 0 && is_wall_clock(clock)) ts->tv_sec += offset_seconds;
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz) {
    if (!real_gettimeofday) far_clock_init();
    int rc = real_gettimeofday(tv, tz);
    if (rc == 0 && tv) tv->tv_sec += offset_seconds;
    return rc;
}

time_t time(time_t *out) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
