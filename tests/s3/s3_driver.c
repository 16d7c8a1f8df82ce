/*
 * s3_driver.c: runs the s3 storage backend for the end-to-end tests.
 *
 *   s3_driver roundtrip DEST FILE REL   publish a copy of FILE as REL, stat it, read it
 *                                       back and compare, publish it again (must be
 *                                       skipped by the HEAD sha256 check), check that
 *                                       a missing object gives ENOENT to read and stat
 *   s3_driver publish DEST FILE REL     publish a copy of FILE once (with CLIPLINE_CACHE_DIR
 *                                       set, its upload journal is kept there: a publish
 *                                       killed midway is resumed by the next)
 *   s3_driver denied DEST FILE REL      publishing must fail; the error must be clear and
 *                                       carry no secret (AWS_SECRET_ACCESS_KEY's value)
 *
 * Each prints "stats head=N get=N put=N post=N delete=N retries=N skipped=N parts=N kept=N"
 * for the script to check request counts. Exit 0 when every check held.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "core/util.h"
#include "storage/s3_internal.h"
#include "storage/storage.h"

static char logs[1 << 16];
static size_t logs_len;

static void log_cb(void *opaque, int level, const char *origin, const char *msg)
{
    fprintf(stderr, "[%s] %s\n", origin, msg);
    int n = snprintf(logs + logs_len, sizeof(logs) - logs_len, "%s\n", msg);
    if (n > 0 && logs_len + (size_t)n < sizeof(logs))
        logs_len += (size_t)n;
}

#define FAIL(...)                                   \
    do {                                            \
        fprintf(stderr, "s3_driver: FAIL: ");       \
        fprintf(stderr, __VA_ARGS__);               \
        fprintf(stderr, "\n");                      \
        ret = 1;                                    \
        goto end;                                   \
    } while (0)

/* Copies FILE into a new staging path for REL (the pipeline writes there). */
static char *stage(cl_storage *st, const char *file, const char *rel)
{
    char *buf = NULL, *path = cl_storage_staging_path(st, rel);
    size_t len = 0;
    if (!path || cl_read_file(file, (size_t)1 << 30, &buf, &len) < 0 ||
        cl_write_file_atomic(path, buf, len) < 0) {
        free(path);
        path = NULL;
    }
    free(buf);
    return path;
}

static void print_stats(cl_storage *st)
{
    cl_s3_stats s;
    if (cl_s3_get_stats(st, &s) < 0)
        return;
    printf("stats head=%" PRId64 " get=%" PRId64 " put=%" PRId64 " post=%" PRId64
           " delete=%" PRId64 " retries=%" PRId64 " skipped=%" PRId64 " parts=%" PRId64
           " kept=%" PRId64 "\n",
           s.head, s.get, s.put, s.post, s.del, s.retries, s.skipped, s.parts, s.parts_kept);
}

static int publish_copy(clipline_context *c, cl_storage *st, const char *file, const char *rel)
{
    char *staged = stage(st, file, rel);
    if (!staged) {
        fprintf(stderr, "s3_driver: cannot stage %s\n", file);
        return AVERROR(EIO);
    }
    const char *ct = strstr(rel, ".json") ? "application/json" : "video/mp4";
    int ret = cl_storage_publish(st, staged, rel, ct, NULL);
    if (ret < 0) {
        fprintf(stderr, "s3_driver: publish %s: %s\n", rel, clipline_error_detail(c));
        unlink(staged);
    } else if (access(staged, F_OK) == 0) {
        fprintf(stderr, "s3_driver: the staged file %s is still there after publish\n", staged);
        ret = AVERROR(EEXIST);
    }
    free(staged);
    return ret;
}

static int roundtrip(clipline_context *c, cl_storage *st, const char *file, const char *rel)
{
    int ret = 0;
    char *orig = NULL, *back = NULL;
    size_t olen = 0, blen = 0;
    int64_t bytes = -1;
    cl_s3_stats s;
    if (cl_read_file(file, (size_t)1 << 30, &orig, &olen) < 0)
        FAIL("cannot read %s", file);
    if (publish_copy(c, st, file, rel) < 0)
        FAIL("first publish");
    if (cl_storage_stat(st, rel, &bytes) < 0 || bytes != (int64_t)olen)
        FAIL("stat gave %" PRId64 " bytes, want %zu (%s)", bytes, olen, clipline_error_detail(c));
    if (cl_storage_read(st, rel, olen + 1, &back, &blen) < 0)
        FAIL("read back: %s", clipline_error_detail(c));
    if (blen != olen || memcmp(orig, back, olen))
        FAIL("read back %zu bytes that differ from the %zu published", blen, olen);
    free(back);
    back = NULL;
    if (olen > 16 && cl_storage_read(st, rel, 16, &back, &blen) != CLIPLINE_ERROR_LIMIT)
        FAIL("a read above its cap was not refused");
    free(back);
    back = NULL;
    cl_s3_get_stats(st, &s);
    int64_t puts = s.put, posts = s.post;
    if (publish_copy(c, st, file, rel) < 0)
        FAIL("second publish");
    cl_s3_get_stats(st, &s);
    if (s.put != puts || s.post != posts || s.skipped != 1)
        FAIL("the second publish sent the object again (put %" PRId64 " -> %" PRId64 ")", puts,
             s.put);
    if (cl_storage_read(st, "no/such/object.json", 1024, &back, &blen) != AVERROR(ENOENT))
        FAIL("read of a missing object is not ENOENT");
    if (cl_storage_stat(st, "no/such/object.json", &bytes) != AVERROR(ENOENT))
        FAIL("stat of a missing object is not ENOENT");
end:
    free(orig);
    free(back);
    return ret;
}

static int denied(clipline_context *c, cl_storage *st, const char *file, const char *rel)
{
    int ret = 0;
    const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (publish_copy(c, st, file, rel) >= 0)
        FAIL("publishing with a wrong secret succeeded");
    const char *detail = clipline_error_detail(c);
    printf("error: %s\n", detail);
    if (!strstr(detail, "SignatureDoesNotMatch") || !strstr(detail, "secret access key"))
        FAIL("the error does not explain the wrong secret: %s", detail);
    if (secret && strlen(secret) >= 4 && (strstr(detail, secret) || strstr(logs, secret)))
        FAIL("the secret appears in the error or the logs");
end:
    return ret;
}

static clipline_context *interruptible;

static void on_signal(int sig)
{
    (void)sig;
    if (interruptible)
        clipline_interrupt(interruptible); /* as the CLI does on Ctrl-C */
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: s3_driver roundtrip|publish|denied DEST FILE REL\n");
        return 2;
    }
    clipline_settings s;
    clipline_default_settings(&s);
    s.log_level = CLIPLINE_LOG_DEBUG;
    s.log_cb = log_cb;
    clipline_context *c = NULL;
    cl_storage *st = NULL;
    int ret = 0;
    if (clipline_open(&c, &s) < 0)
        return 1;
    interruptible = c;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (cl_storage_open(c, argv[2], &st) < 0)
        FAIL("open %s: %s", argv[2], clipline_error_detail(c));
    /* upload journals (resume) where the CLI keeps them: the cache folder */
    if (getenv("CLIPLINE_CACHE_DIR") && cl_storage_set_state_dir(st, getenv("CLIPLINE_CACHE_DIR")) < 0)
        FAIL("out of memory");
    if (!strcmp(argv[1], "roundtrip"))
        ret = roundtrip(c, st, argv[3], argv[4]);
    else if (!strcmp(argv[1], "publish"))
        ret = publish_copy(c, st, argv[3], argv[4]) < 0;
    else if (!strcmp(argv[1], "denied"))
        ret = denied(c, st, argv[3], argv[4]);
    else
        FAIL("unknown command %s", argv[1]);
    print_stats(st);
end:
    if (st) {
        char *staging = strdup(st->staging ? st->staging : "");
        cl_storage_close(&st);
        struct stat sb;
        if (staging && *staging && stat(staging, &sb) == 0) {
            fprintf(stderr, "s3_driver: FAIL: the staging folder %s is left behind\n", staging);
            ret = 1;
        }
        free(staging);
    }
    clipline_close(&c);
    return ret ? 1 : 0;
}
