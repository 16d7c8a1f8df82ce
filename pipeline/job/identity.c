/*
 * identity.c: recordings' content hashes, cached across runs (identity.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "../core/util.h"
#include "identity.h"

#define CACHE_FORMAT 1
#define CACHE_CAP (32 * 1024 * 1024)
#define CACHE_KEEP 5000 /* entries kept, the most recently used */

struct cl_identities {
    clipline_context *c;
    char *file;      /* the cache file, or NULL: this run only */
    json_t *entries; /* real path -> { size, mtime_ns, ctime_ns, ino, sha256, used } */
    json_t *pending; /* real paths being hashed by a thread */
    int dirty;
    pthread_mutex_t lock;
    pthread_cond_t hashed;
};

char *cl_cache_dir(const char *dir)
{
    const char *env;
    if (dir && *dir)
        return strdup(dir);
    if ((env = getenv("CLIPLINE_CACHE_DIR")) && *env)
        return strdup(env);
    if ((env = getenv("XDG_CACHE_HOME")) && *env == '/')
        return cl_path_join(env, "clipline");
    if ((env = getenv("HOME")) && *env == '/')
        return cl_path_join(env, ".cache/clipline");
    return NULL;
}

/* The cache file's entries, or an empty object (none yet, unreadable or
 * not ours: it is only a cache, rewritten whole at the end). */
static json_t *read_cache(clipline_context *c, const char *file)
{
    char *text = NULL;
    json_t *root = NULL, *files;
    int ret = cl_read_file(file, CACHE_CAP, &text, NULL);
    if (ret >= 0) {
        root = json_loads(text, 0, NULL);
        if (!root || json_integer_value(json_object_get(root, "clipline_source_cache")) != CACHE_FORMAT)
            cl_log(c, CLIPLINE_LOG_WARNING, "%s: not a source cache of this version; it will be rewritten",
                   file);
    } else if (ret != AVERROR(ENOENT)) {
        char e[128];
        cl_log(c, CLIPLINE_LOG_WARNING, "%s: cannot read the source cache: %s", file, cl_averr(ret, e));
    }
    free(text);
    files = json_object_get(root, "files");
    files = json_is_object(files) ? json_incref(files) : json_object();
    json_decref(root);
    return files;
}

cl_identities *cl_identities_open(clipline_context *c, const char *dir)
{
    cl_identities *ids = calloc(1, sizeof(*ids));
    if (!ids)
        return NULL;
    ids->c = c;
    char *d = cl_cache_dir(dir);
    if (d)
        ids->file = cl_path_join(d, "sources.json");
    free(d);
    ids->entries = ids->file ? read_cache(c, ids->file) : json_object();
    ids->pending = json_object();
    pthread_mutex_init(&ids->lock, NULL);
    pthread_cond_init(&ids->hashed, NULL);
    if (!ids->entries || !ids->pending) {
        cl_identities_close(&ids);
        return NULL;
    }
    return ids;
}

static int64_t ns(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Whether a cached entry still describes the file as stat sees it. */
static int entry_matches(const json_t *e, const struct stat *st)
{
    const char *sha = json_string_value(json_object_get(e, "sha256"));
    return sha && strlen(sha) == 64 &&
           json_integer_value(json_object_get(e, "size")) == (json_int_t)st->st_size &&
           json_integer_value(json_object_get(e, "mtime_ns")) == ns(st->st_mtim) &&
           json_integer_value(json_object_get(e, "ctime_ns")) == ns(st->st_ctim) &&
           json_integer_value(json_object_get(e, "ino")) == (json_int_t)st->st_ino;
}

static void format_identity(const char *sha, int64_t size, char *buf, size_t n)
{
    snprintf(buf, n, "sha256:%s:%" PRId64, sha, size);
}

void cl_identity_of(cl_identities *ids, const char *path, char *buf, size_t size)
{
    char real[PATH_MAX], sha[65];
    struct stat st, after;
    snprintf(buf, size, "missing");
    if (!realpath(path, real) || stat(real, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    pthread_mutex_lock(&ids->lock);
    while (json_object_get(ids->pending, real)) /* another thread hashes it */
        pthread_cond_wait(&ids->hashed, &ids->lock);
    json_t *e = json_object_get(ids->entries, real);
    if (e && entry_matches(e, &st)) {
        format_identity(json_string_value(json_object_get(e, "sha256")), st.st_size, buf, size);
        json_int_t now = (json_int_t)time(NULL);
        if (json_integer_value(json_object_get(e, "used")) < now - 3600) { /* not rewritten every run */
            json_object_set_new(e, "used", json_integer(now));
            ids->dirty = 1;
        }
        pthread_mutex_unlock(&ids->lock);
        return;
    }
    json_object_set_new(ids->pending, real, json_true());
    pthread_mutex_unlock(&ids->lock);

    double t0 = cl_now_s();
    int64_t bytes = 0;
    int ret = cl_sha256_file(real, sha, &bytes);
    int settled = ret >= 0 && stat(real, &after) == 0 && after.st_size == st.st_size &&
                  ns(after.st_mtim) == ns(st.st_mtim) && bytes == st.st_size;
    if (ret >= 0)
        cl_log(ids->c, CLIPLINE_LOG_VERBOSE, "%s: content hashed (%.1f MiB in %.2f s)%s", path,
               (double)bytes / (1 << 20), cl_now_s() - t0,
               settled ? "" : "; it changed while being read, so the hash is not kept");

    pthread_mutex_lock(&ids->lock);
    if (ret >= 0)
        format_identity(sha, bytes, buf, size);
    if (settled) {
        json_object_set_new(ids->entries, real,
                            json_pack("{s:I,s:I,s:I,s:I,s:s,s:I}", "size", (json_int_t)st.st_size,
                                      "mtime_ns", (json_int_t)ns(st.st_mtim), "ctime_ns",
                                      (json_int_t)ns(st.st_ctim), "ino", (json_int_t)st.st_ino,
                                      "sha256", sha, "used", (json_int_t)time(NULL)));
        ids->dirty = 1;
    }
    json_object_del(ids->pending, real);
    pthread_cond_broadcast(&ids->hashed);
    pthread_mutex_unlock(&ids->lock);
}

static int by_use(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "used"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "used"));
    return (x < y) - (x > y); /* most recent first */
}

/* Our entries over what is in the file now (another run may have added
 * some since we read it), the most recently used CACHE_KEEP kept. */
static void write_cache(cl_identities *ids)
{
    json_t *files = read_cache(ids->c, ids->file), *v;
    const char *k;
    json_object_update(files, ids->entries);
    size_t n = json_object_size(files);
    if (n > CACHE_KEEP) {
        json_t **all = malloc(n * sizeof(*all));
        size_t i = 0;
        if (all) {
            json_object_foreach(files, k, v) {
                json_object_set_new(v, "path", json_string(k));
                all[i++] = v;
            }
            qsort(all, n, sizeof(*all), by_use);
            json_t *kept = json_object();
            for (i = 0; i < CACHE_KEEP && kept; i++) {
                json_t *e = json_deep_copy(all[i]);
                json_object_del(e, "path");
                json_object_set_new(kept, json_string_value(json_object_get(all[i], "path")), e);
            }
            free(all);
            if (kept) {
                json_decref(files);
                files = kept;
            }
        }
    }
    json_t *root = json_pack("{s:i,s:o}", "clipline_source_cache", CACHE_FORMAT, "files", files);
    char *text = root ? json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
    int ret = text ? cl_write_file_atomic(ids->file, text, strlen(text)) : AVERROR(ENOMEM);
    if (ret < 0) {
        char e[128];
        cl_log(ids->c, CLIPLINE_LOG_WARNING,
               "%s: cannot write the source cache (%s); recordings will be hashed again next time",
               ids->file, cl_averr(ret, e));
    }
    free(text);
    json_decref(root);
}

void cl_identities_close(cl_identities **pids)
{
    cl_identities *ids = *pids;
    if (!ids)
        return;
    if (ids->file && ids->dirty && ids->entries)
        write_cache(ids);
    json_decref(ids->entries);
    json_decref(ids->pending);
    pthread_mutex_destroy(&ids->lock);
    pthread_cond_destroy(&ids->hashed);
    free(ids->file);
    free(ids);
    *pids = NULL;
}
