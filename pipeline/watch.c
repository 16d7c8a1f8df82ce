/*
 * watch.c: the translators' drop folder, watched. The job runs once; then
 * the subtitle folders of its interviews (and the job file) are looked at
 * every half second: names, sizes and modification times. When something
 * changed and has then stayed the same for `settle_ms` (a file still being
 * copied is not taken half-written), the job runs again: the planner builds
 * only what the changed files affect, and each sidecar's report is written
 * beside its file. Until clipline_interrupt() (Ctrl-C, SIGTERM).
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libavutil/error.h>

#include "core/util.h"
#include "job/spec.h"

#define WATCH_MAX_FILES 4096

typedef struct seen_file {
    char *path;
    int64_t size, mtime_ns;
} seen_file;

typedef struct snapshot {
    seen_file *f;
    int n;
} snapshot;

static void snapshot_free(snapshot *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->f[i].path);
    free(s->f);
    memset(s, 0, sizeof(*s));
}

static int add_file(snapshot *s, const char *path)
{
    struct stat st;
    if (s->n >= WATCH_MAX_FILES || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (!(s->n % 64)) {
        seen_file *f = realloc(s->f, (size_t)(s->n + 64) * sizeof(*f));
        if (!f)
            return AVERROR(ENOMEM);
        s->f = f;
    }
    if (!(s->f[s->n].path = strdup(path)))
        return AVERROR(ENOMEM);
    s->f[s->n].size = st.st_size;
    s->f[s->n++].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return 0;
}

static int cmp_seen(const void *a, const void *b)
{
    return strcmp(((const seen_file *)a)->path, ((const seen_file *)b)->path);
}

/* The job file and every file in the interviews' subtitle folders (not the
 * reports clipline writes there). */
static int take_snapshot(clipline_context *c, const char *job_path, snapshot *s)
{
    cl_job_spec job;
    int ret = add_file(s, job_path);
    if (ret < 0 || cl_job_load(c, job_path, &job) < 0)
        return ret; /* a job being edited: only its own change is seen */
    for (int i = 0; ret >= 0 && i < job.nb_interviews; i++) {
        const char *dir = job.interviews[i].subtitles;
        int dup = 0;
        for (int k = 0; dir && k < i; k++)
            dup |= job.interviews[k].subtitles && !strcmp(job.interviews[k].subtitles, dir);
        DIR *d = dir && !dup ? opendir(dir) : NULL;
        struct dirent *e;
        while (d && ret >= 0 && (e = readdir(d))) {
            size_t l = strlen(e->d_name);
            if (e->d_name[0] == '.' || (l > 11 && !strcmp(e->d_name + l - 11, ".report.txt")))
                continue;
            char *p = cl_path_join(dir, e->d_name);
            ret = p ? add_file(s, p) : AVERROR(ENOMEM);
            free(p);
        }
        if (d)
            closedir(d);
    }
    cl_job_free(&job);
    qsort(s->f, (size_t)s->n, sizeof(*s->f), cmp_seen);
    return ret;
}

static int same_snapshot(const snapshot *a, const snapshot *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->f[i].path, b->f[i].path) || a->f[i].size != b->f[i].size ||
            a->f[i].mtime_ns != b->f[i].mtime_ns)
            return 0;
    return 1;
}

/* Logs what is new, changed or gone between two snapshots. */
static void log_changes(clipline_context *c, const snapshot *was, const snapshot *now)
{
    int i = 0, k = 0;
    while (i < was->n || k < now->n) {
        int d = i == was->n ? 1 : k == now->n ? -1 : strcmp(was->f[i].path, now->f[k].path);
        if (d < 0) {
            cl_log(c, CLIPLINE_LOG_INFO, "watch: %s: removed", was->f[i++].path);
        } else if (d > 0) {
            cl_log(c, CLIPLINE_LOG_INFO, "watch: %s: new", now->f[k++].path);
        } else {
            if (was->f[i].size != now->f[k].size || was->f[i].mtime_ns != now->f[k].mtime_ns)
                cl_log(c, CLIPLINE_LOG_INFO, "watch: %s: changed", now->f[k].path);
            i++;
            k++;
        }
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int run_once(clipline_context *c, const char *job_path, const clipline_run_options *o, int *runs)
{
    clipline_run_summary sum;
    int ret = clipline_run(c, job_path, o, &sum);
    (*runs)++;
    if (ret >= 0 || ret == CLIPLINE_ERROR_ITEMS_FAILED)
        cl_log(c, CLIPLINE_LOG_INFO, "watch: run %d: %d item%s, %d failed; %d output%s built, %d up to date", *runs,
               sum.items, sum.items == 1 ? "" : "s", sum.items_failed, sum.outputs_built,
               sum.outputs_built == 1 ? "" : "s", sum.outputs_skipped);
    else if (ret != CLIPLINE_ERROR_INTERRUPTED)
        cl_log(c, CLIPLINE_LOG_ERROR, "watch: run %d: %s", *runs, clipline_error_detail(c));
    return ret;
}

int clipline_watch(clipline_context *c, const char *job_path, const clipline_run_options *o, int settle_ms,
                   int max_runs)
{
    CL_CHECK_ARG(c, job_path && settle_ms >= 0);
    snapshot last = { 0 }, now = { 0 }, pending = { 0 };
    int runs = 0, ret = take_snapshot(c, job_path, &last);
    double changed_at = 0;
    if (ret >= 0)
        ret = run_once(c, job_path, o, &runs);
    if (ret == CLIPLINE_ERROR_CONFIG) /* a job that cannot be used stops the watch from the start */
        goto end;
    cl_log(c, CLIPLINE_LOG_INFO, "watch: waiting for changes to %s and its subtitle folders (Ctrl-C ends)", job_path);
    while (!c->interrupted && (max_runs <= 0 || runs < max_runs)) {
        sleep_ms(250);
        snapshot_free(&now);
        if ((ret = take_snapshot(c, job_path, &now)) < 0)
            break;
        if (same_snapshot(&now, &last)) {
            snapshot_free(&pending);
            continue;
        }
        if (!pending.n || !same_snapshot(&now, &pending)) { /* still changing: wait until it settles */
            snapshot_free(&pending);
            pending = now;
            memset(&now, 0, sizeof(now));
            changed_at = cl_now_s();
            continue;
        }
        if ((cl_now_s() - changed_at) * 1000 < settle_ms)
            continue;
        log_changes(c, &last, &pending);
        snapshot_free(&last);
        last = pending;
        memset(&pending, 0, sizeof(pending));
        ret = run_once(c, job_path, o, &runs);
        if (ret == CLIPLINE_ERROR_INTERRUPTED)
            break;
    }
    if (c->interrupted && ret != CLIPLINE_ERROR_INTERRUPTED)
        ret = 0; /* Ctrl-C while waiting is how a watch ends */
    else if (ret == CLIPLINE_ERROR_ITEMS_FAILED || ret == CLIPLINE_ERROR_CONFIG)
        ret = 0; /* reported; the watch went on */
end:
    snapshot_free(&last);
    snapshot_free(&now);
    snapshot_free(&pending);
    return ret;
}
