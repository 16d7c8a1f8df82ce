/*
 * internal.h: what every stage of libclipline shares: the context, logging,
 * error details and small helpers. Stages include this and their own header,
 * never each other's; only the job orchestrator (job/run.c) knows all stages.
 */
#ifndef CL_INTERNAL_H
#define CL_INTERNAL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "clipline.h"

#define CL_DETAIL_MAX 1024

struct clipline_context {
    clipline_settings s;
    char preset_dir[4096];
    char detail[CL_DETAIL_MAX];
    volatile sig_atomic_t interrupted;
};

/* Logging through the context's callback. */
void cl_log(const clipline_context *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_vlog(const clipline_context *c, int level, const char *origin, const char *fmt, va_list ap);
/* A message from a library ("ffmpeg", "libass"), already formatted. */
void cl_log_from(const clipline_context *c, int level, const char *origin, const char *msg);
/* A progress event with every number unknown (-1) and no status. */
clipline_progress cl_progress_make(const char *event, const char *item, const char *output, const char *phase);
/* A progress event to the context's callback, if any (unset numbers: -1). */
void cl_progress(const clipline_context *c, const char *event, const char *item, const char *output,
                 const char *phase, double percent);
void cl_progress_ev(const clipline_context *c, const clipline_progress *p);

/* Records the sentence explaining a failure and returns `err`, so that a
 * function can `return cl_fail(c, CLIPLINE_ERROR_CONFIG, "...")`. */
/* Where the calling thread's failure sentence is kept: the context's, or,
 * in a thread that runs items of a batch (cl_detail_thread_own()), its own,
 * so that items built side by side keep their own errors. */
char *cl_detail(const clipline_context *c);
void cl_detail_thread_own(void);
int cl_fail(clipline_context *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Validation at the API edge (habit 6): names the failed check. */
#define CL_CHECK_ARG(c, cond)                                                                  \
    do {                                                                                       \
        if (!(cond))                                                                           \
            return cl_fail((c), CLIPLINE_ERROR_CONFIG, "invalid argument: %s (%s)", #cond, \
                           __func__);                                                          \
    } while (0)

/* A clip on its recording and on its output: [in_us, out_us) of the
 * recording, shown after lead_us of intro and followed by tail_us of
 * outro. Subtitles timed against the recording move by lead_us - in_us. */
typedef struct cl_span {
    int64_t in_us, out_us;
    int64_t lead_us, tail_us;
} cl_span;

/* How long the output lasts: intro, the recording's part, outro. */
static inline int64_t cl_span_length(const cl_span *s)
{
    return s->lead_us + (s->out_us - s->in_us) + s->tail_us;
}

/* Errors of FFmpeg as text. */
const char *cl_averr(int err, char buf[128]);
/* The same, followed by FFmpeg's own words for it when it logged an error
 * in the calling thread since cl_ffmpeg_said_clear() ("Invalid data found
 * when processing input: moov atom not found"). */
#define CL_WHY_MAX 400
void cl_ffmpeg_said_clear(void);
const char *cl_averr_why(int err, char buf[CL_WHY_MAX]);
/* FFmpeg's last error in the calling thread since cl_ffmpeg_said_clear(), or "". */
const char *cl_ffmpeg_said(void);

#endif
