/* A tiny test harness: CHECK() records a failure with file:line and goes on;
 * the program's exit status is non-zero when anything failed. */
#ifndef CLSUB_TEST_HARNESS_H
#define CLSUB_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_failures;
static int th_checks;

#define CHECK(cond)                                                              \
    do {                                                                         \
        th_checks++;                                                             \
        if (!(cond)) {                                                           \
            th_failures++;                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_STR(a, b)                                                          \
    do {                                                                         \
        const char *th_a = (a), *th_b = (b);                                     \
        th_checks++;                                                             \
        if (!th_a || !th_b || strcmp(th_a, th_b) != 0) {                         \
            th_failures++;                                                       \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", \
                    __FILE__, __LINE__, #a, th_a ? th_a : "(null)", th_b ? th_b : "(null)"); \
        }                                                                        \
    } while (0)

#define CHECK_INT(a, b)                                                          \
    do {                                                                         \
        long long th_a = (long long)(a), th_b = (long long)(b);                  \
        th_checks++;                                                             \
        if (th_a != th_b) {                                                      \
            th_failures++;                                                       \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %lld, expected %lld\n", \
                    __FILE__, __LINE__, #a, th_a, th_b);                         \
        }                                                                        \
    } while (0)

static inline int th_finish(const char *name)
{
    fprintf(stderr, "%s: %d checks, %d failed\n", name, th_checks, th_failures);
    if (th_checks == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    return th_failures ? 1 : 0;
}

/* Read a whole file; returns malloc'd bytes (NUL-terminated) or NULL. */
static inline char *th_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

#endif
