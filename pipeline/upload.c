/*
 * upload.c: clipline upload FOLDER DEST: what a run wrote to a local folder
 * sent to another destination (typically s3://), for offices that encode
 * offline and send when the link allows, and to move a batch between
 * stores.
 *
 * The files go in the publish order of a run, so that a reader never sees
 * a clip before it is whole: media, segments, posters and sidecars first;
 * then media playlists; then master playlists; then each clip's
 * manifest.json; the destination's manifest.json, then index.html. A
 * clip (interview/clip folder) one of whose files failed gets none of its
 * later files, and the destination's manifest is not sent when any file
 * failed. Within a step, `jobs` files are sent at once, each worker with
 * its own connection to the destination (an s3 worker also sends several
 * parts of a large file at once). What is already there with the same
 * sha256 is skipped; an interrupted multipart upload is resumed (journals
 * in the cache folder). A file listed in FOLDER/manifest.json whose bytes
 * no longer match the sha256 recorded there is not sent (an error).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/common.h>
#include <libavutil/error.h>

#include "core/util.h"
#include "job/identity.h"
#include "job/manifest.h"
#include "storage/s3_internal.h"
#include "storage/storage.h"

enum { STEP_MEDIA, STEP_PLAYLIST, STEP_MASTER, STEP_CLIP_MANIFEST, STEP_LAST, STEP_PAGE, NB_STEPS };

typedef struct up_file {
    char *rel;
    char *path;
    int step;
    int64_t bytes;
    const char *mime;
    const char *sha256; /* what FOLDER/manifest.json says, or NULL */
    int status;         /* 0 to do, 1 sent, -1 failed, -2 held back */
} up_file;

typedef struct up_state {
    clipline_context *c;
    const clipline_upload_options *o;
    up_file *files;
    size_t n, cap;
    json_t *manifest; /* FOLDER/manifest.json, or NULL */
    pthread_mutex_t lock;
    size_t next;      /* next file of the current step */
    int step;
    int failed;
    int bad_input; /* a file differs from what its manifest records */
    atomic_int stop;
    clipline_upload_summary sum;
    char first_error[CL_DETAIL_MAX];
} up_state;

static const char *mime_of(const char *rel)
{
    static const struct {
        const char *ext, *mime;
    } types[] = {
        { ".mp4", "video/mp4" },        { ".m4s", "video/iso.segment" },
        { ".m3u8", "application/vnd.apple.mpegurl" },
        { ".vtt", "text/vtt" },         { ".jpg", "image/jpeg" },
        { ".jpeg", "image/jpeg" },      { ".png", "image/png" },
        { ".json", "application/json" }, { ".html", "text/html; charset=utf-8" },
        { ".webm", "video/webm" },      { ".srt", "application/x-subrip" },
    };
    const char *dot = strrchr(rel, '.');
    for (size_t i = 0; dot && i < FF_ARRAY_ELEMS(types); i++)
        if (!strcasecmp(dot, types[i].ext))
            return types[i].mime;
    return "application/octet-stream";
}

static int step_of(const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    size_t l = strlen(base);
    if (base == rel && !strcmp(base, "manifest.json"))
        return STEP_LAST;
    if (base == rel && !strcmp(base, "index.html")) /* as a run writes it: after the manifest */
        return STEP_PAGE;
    if (!strcmp(base, "manifest.json"))
        return STEP_CLIP_MANIFEST;
    if (!strcmp(base, "master.m3u8"))
        return STEP_MASTER;
    if (l > 5 && !strcmp(base + l - 5, ".m3u8"))
        return STEP_PLAYLIST;
    return STEP_MEDIA;
}

/* The interview/clip folder a file belongs to ("" for the top level). */
static size_t clip_prefix(const char *rel)
{
    const char *a = strchr(rel, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    return b ? (size_t)(b - rel) : 0;
}

static int add_file(up_state *u, const char *path, const char *rel, int64_t bytes)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        up_file *nf = realloc(u->files, cap * sizeof(*nf));
        if (!nf)
            return AVERROR(ENOMEM);
        u->files = nf;
        u->cap = cap;
    }
    up_file *f = &u->files[u->n];
    memset(f, 0, sizeof(*f));
    if (!(f->rel = strdup(rel)) || !(f->path = strdup(path))) {
        free(f->rel);
        return AVERROR(ENOMEM);
    }
    f->step = step_of(rel);
    f->bytes = bytes;
    json_t *o = u->manifest ? cl_manifest_output(u->manifest, rel) : NULL;
    f->mime = json_string_value(json_object_get(o, "mime"));
    if (!f->mime)
        f->mime = mime_of(rel);
    f->sha256 = json_string_value(json_object_get(o, "sha256"));
    u->n++;
    return 0;
}

/* Every regular file under dir, but for hidden names (.clipline-staging,
 * .clipline-parts, editors' files) and what symbolic links point to. */
static int walk(up_state *u, const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    if (!d)
        return cl_fail(u->c, CLIPLINE_ERROR_CONFIG, "%s: cannot read the folder: %s", dir, strerror(errno));
    struct dirent *e;
    int ret = 0;
    while (ret >= 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = cl_path_join(dir, e->d_name);
        char *r = *rel ? cl_path_join(rel, e->d_name) : strdup(e->d_name);
        struct stat st;
        if (!path || !r)
            ret = AVERROR(ENOMEM);
        else if (lstat(path, &st) < 0)
            ret = cl_fail(u->c, CLIPLINE_ERROR_CONFIG, "%s: %s", path, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            ret = walk(u, path, r);
        else if (S_ISREG(st.st_mode))
            ret = add_file(u, path, r, st.st_size);
        else
            cl_log(u->c, CLIPLINE_LOG_WARNING, "%s: not a regular file; not sent", path);
        free(path);
        free(r);
    }
    closedir(d);
    return ret;
}

static int by_step_then_name(const void *a, const void *b)
{
    const up_file *x = a, *y = b;
    return x->step != y->step ? x->step - y->step : strcmp(x->rel, y->rel);
}

/* Whether an earlier file of f's clip (or, for the last step, any file) failed. */
static int held_back(const up_state *u, const up_file *f)
{
    if (f->step >= STEP_LAST)
        return u->failed;
    size_t pl = clip_prefix(f->rel);
    for (size_t i = 0; pl && i < u->n && u->files[i].step < f->step; i++)
        if (u->files[i].status < 0 && clip_prefix(u->files[i].rel) == pl &&
            !strncmp(u->files[i].rel, f->rel, pl))
            return 1;
    return 0;
}

static int send_one(up_state *u, cl_storage *st, up_file *f)
{
    char sha[65];
    int64_t bytes = 0;
    int ret;
    if (f->sha256) {
        if ((ret = cl_sha256_file(f->path, sha, &bytes)) < 0)
            return cl_fail(u->c, CLIPLINE_ERROR_STORAGE, "%s: cannot read: %s", f->path, clipline_strerror(ret));
        if (strcmp(sha, f->sha256))
            return cl_fail(u->c, CLIPLINE_ERROR_ITEMS_FAILED,
                           "%s: its bytes no longer match the sha256 manifest.json records (%.12s..., "
                           "now %.12s...); not sent: build it again", f->path, f->sha256, sha);
    }
    return cl_storage_publish(st, f->path, f->rel, f->mime, f->sha256 ? sha : NULL); /* hashed once */
}

static void *worker(void *arg)
{
    up_state *u = ((void **)arg)[0];
    cl_storage *st = ((void **)arg)[1];
    cl_detail_thread_own();
    for (;;) {
        pthread_mutex_lock(&u->lock);
        up_file *f = NULL;
        while (u->next < u->n && u->files[u->next].step == u->step && !f) {
            up_file *c = &u->files[u->next++];
            if (held_back(u, c)) {
                c->status = -2;
                u->sum.held++;
            } else {
                f = c;
            }
        }
        pthread_mutex_unlock(&u->lock);
        if (!f || atomic_load(&u->stop) || u->c->interrupted)
            break;
        char item[CL_DETAIL_MAX]; /* its interview/clip, as a run names it */
        size_t pl = clip_prefix(f->rel);
        snprintf(item, sizeof(item), "%.*s", (int)(pl ? pl : strlen(f->rel)), f->rel);
        cl_storage_set_item(item);
        clipline_progress p = cl_progress_make("progress", item, f->rel, "publish");
        p.bytes = f->bytes;
        cl_progress_ev(u->c, &p);
        int ret = send_one(u, st, f);
        cl_storage_set_item(NULL);
        pthread_mutex_lock(&u->lock);
        if (ret < 0) {
            f->status = -1;
            u->failed = 1;
            u->bad_input |= ret == CLIPLINE_ERROR_ITEMS_FAILED;
            u->sum.failed++;
            cl_log(u->c, CLIPLINE_LOG_ERROR, "%s", clipline_error_detail(u->c));
            if (!u->first_error[0])
                snprintf(u->first_error, sizeof(u->first_error), "%s", clipline_error_detail(u->c));
            if (ret == CLIPLINE_ERROR_INTERRUPTED || ret == AVERROR(ENOMEM))
                atomic_store(&u->stop, 1);
        } else {
            f->status = 1;
            u->sum.sent++;
            u->sum.bytes += f->bytes;
        }
        pthread_mutex_unlock(&u->lock);
        p = cl_progress_make("done", item, f->rel, "publish");
        p.bytes = f->bytes;
        p.status = ret < 0 ? "failed" : "ok";
        cl_progress_ev(u->c, &p);
    }
    return NULL;
}

void clipline_default_upload_options(clipline_upload_options *o)
{
    memset(o, 0, sizeof(*o));
    o->jobs = 4;
}

int clipline_upload(clipline_context *c, const char *folder, const clipline_upload_options *o,
                    clipline_upload_summary *summary)
{
    up_state u = { .c = c, .o = o };
    cl_storage *st[16] = { 0 };
    int jobs = FFMAX(1, FFMIN(o->jobs, 16)), ret;
    struct stat sb;
    char *text = NULL;
    if (summary)
        memset(summary, 0, sizeof(*summary));
    if (!o->dest || !*o->dest)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "upload: no destination given");
    if (stat(folder, &sb) < 0 || !S_ISDIR(sb.st_mode))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: not a folder (upload sends a folder a run wrote)", folder);
    pthread_mutex_init(&u.lock, NULL);
    char *mpath = cl_path_join(folder, "manifest.json");
    if (mpath && cl_read_file(mpath, CL_MANIFEST_CAP, &text, NULL) >= 0 &&
        (ret = cl_manifest_parse(c, text, mpath, &u.manifest)) < 0)
        goto end;
    if (!mpath) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = walk(&u, folder, "")) < 0)
        goto end;
    qsort(u.files, u.n, sizeof(*u.files), by_step_then_name);
    char *cache = cl_cache_dir(o->cache_dir);
    for (int i = 0; i < jobs && ret >= 0; i++) {
        if ((ret = cl_storage_open(c, o->dest, &st[i])) >= 0)
            ret = cl_storage_set_state_dir(st[i], cache);
        if (ret >= 0)
            st[i]->keep_local = 1;
    }
    free(cache);
    if (ret < 0)
        goto end;
    cl_log(c, CLIPLINE_LOG_INFO, "upload: %zu files from %s to %s, %d at a time", u.n, folder, o->dest, jobs);
    ret = 0;
    double t0 = cl_now_s();
    for (u.step = 0; u.step < NB_STEPS && !atomic_load(&u.stop) && !c->interrupted; u.step++) {
        pthread_t th[16];
        void *args[16][2];
        int started = 0;
        for (int i = 0; i < jobs; i++) {
            args[i][0] = &u;
            args[i][1] = st[i];
            if (pthread_create(&th[started], NULL, worker, args[i]) == 0)
                started++;
        }
        if (!started)
            worker(args[0]);
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
    }
    u.sum.files = (int)u.n;
    for (int i = 0; i < jobs; i++) {
        cl_s3_stats ss;
        if (cl_s3_get_stats(st[i], &ss) >= 0)
            u.sum.skipped += (int)ss.skipped;
    }
    double dt = cl_now_s() - t0;
    cl_log(c, CLIPLINE_LOG_INFO, "upload: %d of %zu files at the destination (%d already there), %.1f MiB "
           "in %.1f s (%.1f MiB/s); %d failed, %d held back", u.sum.sent, u.n, u.sum.skipped,
           u.sum.bytes / 1048576.0, dt, dt > 0 ? u.sum.bytes / 1048576.0 / dt : 0.0, u.sum.failed, u.sum.held);
    if (c->interrupted)
        ret = cl_fail(c, CLIPLINE_ERROR_INTERRUPTED, "upload interrupted: %d of %zu files sent; run it "
                      "again to send the rest", u.sum.sent, u.n);
    else if (u.failed)
        ret = cl_fail(c, u.bad_input ? CLIPLINE_ERROR_ITEMS_FAILED : CLIPLINE_ERROR_STORAGE, "upload: %d of %zu files failed (%d held back so that no "
                      "clip is seen incomplete); first: %s", u.sum.failed, u.n, u.sum.held, u.first_error);
end:
    if (summary)
        *summary = u.sum;
    for (int i = 0; i < jobs; i++)
        cl_storage_close(&st[i]);
    for (size_t i = 0; i < u.n; i++) {
        free(u.files[i].rel);
        free(u.files[i].path);
    }
    free(u.files);
    json_decref(u.manifest);
    free(text);
    free(mpath);
    pthread_mutex_destroy(&u.lock);
    return ret;
}
