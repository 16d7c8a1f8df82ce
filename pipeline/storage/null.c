/*
 * null.c: a backend that discards what it is given (dry runs, tests,
 * benchmarks of the media path alone). Staging happens in a private
 * temporary folder that is removed again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "storage.h"

static int null_open(cl_storage *st, const char *location)
{
    return cl_storage_private_staging(st, "null");
}

static int null_publish(cl_storage *st, const char *local, const char *rel, const char *content_type,
                        const char *sha256)
{
    return !st->keep_local && unlink(local) < 0 ? AVERROR(errno) : 0;
}

static int null_read(cl_storage *st, const char *rel, size_t cap, char **buf, size_t *len)
{
    *buf = NULL;
    return AVERROR(ENOENT);
}

static int null_stat(cl_storage *st, const char *rel, int64_t *bytes)
{
    return AVERROR(ENOENT);
}

static int null_remove(cl_storage *st, const char *rel)
{
    return 0;
}

static void null_close(cl_storage *st)
{
    cl_storage_remove_private_staging(st);
}

const cl_storage_ops cl_storage_null = {
    .name = "null",
    .scheme = "null",
    .thread_safe = 1,
    .open = null_open,
    .publish = null_publish,
    .read = null_read,
    .stat = null_stat,
    .remove = null_remove,
    .close = null_close,
};
