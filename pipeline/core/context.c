/*
 * context.c: opening and closing a context, logging, and the bridge that
 * carries FFmpeg's av_log messages into the context's callback.
 */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "internal.h"

#ifndef CLIPLINE_PRESET_DIR
#define CLIPLINE_PRESET_DIR "presets"
#endif

/* av_log has one global callback; it forwards to the most recently opened
 * context that is still open. */
static pthread_mutex_t bridge_lock = PTHREAD_MUTEX_INITIALIZER;
static const clipline_context *bridge_ctx;

void clipline_default_settings(clipline_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->log_level = CLIPLINE_LOG_INFO;
}

void cl_vlog(const clipline_context *c, int level, const char *origin, const char *fmt, va_list ap)
{
    if (!c || !c->s.log_cb || level > c->s.log_level)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    if (n)
        c->s.log_cb(c->s.log_opaque, level, origin, msg);
}

void cl_log(const clipline_context *c, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_vlog(c, level, "clipline", fmt, ap);
    va_end(ap);
}

void cl_log_from(const clipline_context *c, int level, const char *origin, const char *msg)
{
    if (c && c->s.log_cb && level <= c->s.log_level && msg && *msg)
        c->s.log_cb(c->s.log_opaque, level, origin, msg);
}

static _Thread_local char tl_detail[CL_DETAIL_MAX];
static _Thread_local int tl_own_detail;

void cl_detail_thread_own(void)
{
    tl_own_detail = 1;
    tl_detail[0] = '\0';
}

char *cl_detail(const clipline_context *c)
{
    return tl_own_detail ? tl_detail : (char *)c->detail;
}

int cl_fail(clipline_context *c, int err, const char *fmt, ...)
{
    if (!c)
        return err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cl_detail(c), CL_DETAIL_MAX, fmt, ap);
    va_end(ap);
    return err;
}

/* FFmpeg's last error in this thread (cl_averr_why). */
static _Thread_local char tl_said[256];

void cl_ffmpeg_said_clear(void)
{
    tl_said[0] = '\0';
}

const char *cl_ffmpeg_said(void)
{
    return tl_said;
}

const char *cl_averr_why(int err, char buf[CL_WHY_MAX])
{
    char e[128];
    snprintf(buf, CL_WHY_MAX, "%s%s%s", cl_averr(err, e), tl_said[0] ? ": " : "", tl_said);
    return buf;
}

static void av_log_bridge(void *avcl, int level, const char *fmt, va_list ap)
{
    /* FFmpeg's own prefix ("[libx264 @ 0x...]") is left out: addresses are
     * noise for users; the item and stage are in our own messages. */
    static __thread char line[2048];
    static __thread size_t used;
    if (level <= AV_LOG_ERROR) { /* kept whatever the log level, for cl_averr_why */
        va_list aq;
        va_copy(aq, ap);
        vsnprintf(tl_said, sizeof(tl_said), fmt, aq);
        va_end(aq);
        char *doc = strstr(tl_said, ", see the documentation"); /* FFmpeg's, not ours */
        if (doc)
            *doc = '\0';
        size_t n = strlen(tl_said);
        while (n && (tl_said[n - 1] == '\n' || tl_said[n - 1] == '\r' || tl_said[n - 1] == '.'))
            tl_said[--n] = '\0';
    }
    pthread_mutex_lock(&bridge_lock);
    const clipline_context *c = bridge_ctx;
    pthread_mutex_unlock(&bridge_lock);
    int wanted = level <= AV_LOG_ERROR ? CLIPLINE_LOG_WARNING
                 : level <= AV_LOG_VERBOSE ? CLIPLINE_LOG_VERBOSE : CLIPLINE_LOG_DEBUG;
    if (!c || !c->s.log_cb || wanted > c->s.log_level)
        return;
    int n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
    if (n < 0)
        return;
    used += (size_t)n;
    if (used >= sizeof(line) - 1)
        used = sizeof(line) - 1;
    if (used && line[used - 1] != '\n' && used < sizeof(line) - 1)
        return; /* wait for the end of the line */
    line[used] = '\0';
    used = 0;
    /* One level down: our own message names the file and what failed, so
     * FFmpeg's errors are background (warnings), its warnings and INFO
     * chatter (encoder statistics) verbose detail. */
    int lvl = level <= AV_LOG_ERROR     ? CLIPLINE_LOG_WARNING
              : level <= AV_LOG_VERBOSE ? CLIPLINE_LOG_VERBOSE
                                        : CLIPLINE_LOG_DEBUG;
    size_t n_out = strlen(line);
    while (n_out && (line[n_out - 1] == '\n' || line[n_out - 1] == '\r'))
        line[--n_out] = '\0';
    if (line[0])
        c->s.log_cb(c->s.log_opaque, lvl, "ffmpeg", line);
}

int clipline_open(clipline_context **ctx, const clipline_settings *s)
{
    if (!ctx)
        return CLIPLINE_ERROR_CONFIG;
    *ctx = NULL;
    clipline_context *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    clipline_default_settings(&c->s);
    if (s)
        c->s = *s;
    const char *dir = c->s.preset_dir;
    if (!dir)
        dir = getenv("CLIPLINE_PRESETS");
    if (!dir)
        dir = CLIPLINE_PRESET_DIR;
    snprintf(c->preset_dir, sizeof(c->preset_dir), "%s", dir);
    c->s.preset_dir = c->preset_dir;

    pthread_mutex_lock(&bridge_lock);
    bridge_ctx = c;
    pthread_mutex_unlock(&bridge_lock);
    av_log_set_callback(av_log_bridge);
    *ctx = c;
    return 0;
}

void clipline_close(clipline_context **ctx)
{
    if (!ctx || !*ctx)
        return;
    pthread_mutex_lock(&bridge_lock);
    if (bridge_ctx == *ctx) {
        bridge_ctx = NULL;
        av_log_set_callback(av_log_default_callback);
    }
    pthread_mutex_unlock(&bridge_lock);
    free(*ctx);
    *ctx = NULL;
}

const char *clipline_error_detail(const clipline_context *ctx)
{
    return ctx ? cl_detail(ctx) : "";
}

void clipline_interrupt(clipline_context *ctx)
{
    if (ctx)
        ctx->interrupted = 1;
}

void cl_progress_ev(const clipline_context *c, const clipline_progress *p)
{
    if (c && c->s.progress_cb)
        c->s.progress_cb(c->s.progress_opaque, p);
}

clipline_progress cl_progress_make(const char *event, const char *item, const char *output, const char *phase)
{
    return (clipline_progress){ .event = event, .item = item, .output = output, .phase = phase, .percent = -1,
                                .out_time_s = -1, .fps = -1, .speed = -1, .eta_s = -1, .bytes = -1,
                                .bytes_done = -1, .bytes_per_s = -1 };
}

void cl_progress(const clipline_context *c, const char *event, const char *item, const char *output,
                 const char *phase, double percent)
{
    if (!c || !c->s.progress_cb)
        return;
    clipline_progress p = cl_progress_make(event, item, output, phase);
    p.percent = percent;
    c->s.progress_cb(c->s.progress_opaque, &p);
}
