/*
 * error.c: one error space shared with FFmpeg's AVERROR.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

#include "internal.h"

static const struct {
    int code;
    const char *cls;
    const char *text;
} cl_errors[] = {
    { CLIPLINE_ERROR_CONFIG, "config", "configuration error" },
    { CLIPLINE_ERROR_INPUT, "input", "unusable input" },
    { CLIPLINE_ERROR_SUBTITLE, "subtitle", "unusable subtitle file" },
    { CLIPLINE_ERROR_ENCODE, "encode", "encoding failed" },
    { CLIPLINE_ERROR_VERIFY, "verify", "output failed verification" },
    { CLIPLINE_ERROR_STORAGE, "storage", "storage error" },
    { CLIPLINE_ERROR_ITEMS_FAILED, "items", "some items failed" },
    { CLIPLINE_ERROR_INTERRUPTED, "interrupted", "interrupted" },
    { CLIPLINE_ERROR_LIMIT, "input", "input exceeds a limit" },
};

const char *clipline_strerror(int err)
{
    for (size_t i = 0; i < sizeof(cl_errors) / sizeof(cl_errors[0]); i++)
        if (cl_errors[i].code == err)
            return cl_errors[i].text;
    static __thread char buf[128];
    if (av_strerror(err, buf, sizeof(buf)) < 0)
        snprintf(buf, sizeof(buf), "error %d", err);
    return buf;
}

const char *clipline_error_class(int err)
{
    for (size_t i = 0; i < sizeof(cl_errors) / sizeof(cl_errors[0]); i++)
        if (cl_errors[i].code == err)
            return cl_errors[i].cls;
    if (err == AVERROR(ENOSPC) || err == AVERROR(EIO) || err == AVERROR(EACCES))
        return "storage";
    if (err == AVERROR_INVALIDDATA || err == AVERROR(ENOENT))
        return "input";
    return "internal";
}

const char *cl_averr(int err, char buf[128])
{
    if (av_strerror(err, buf, 128) < 0)
        snprintf(buf, 128, "error %d", err);
    return buf;
}
