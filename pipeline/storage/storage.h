/*
 * storage.h: where outputs are published. Variants are small vtables chosen
 * by the destination URL (DESIGN.md habit 10): "file" (a local folder, the
 * default, when the destination has no scheme) and "null" (discards; for
 * dry runs and tests). Outputs are first written to a local staging folder
 * and then published one by one; the clip's manifest is published last.
 */
#ifndef CL_STORAGE_H
#define CL_STORAGE_H

#include <pthread.h>
#include <stdint.h>

#include "../core/internal.h"

typedef struct cl_storage cl_storage;

typedef struct cl_storage_ops {
    const char *name;
    const char *scheme; /* "file", "null", ... */
    int thread_safe;    /* its calls may run at once from several threads; else storage.c takes turns */
    size_t priv_size;
    int (*open)(cl_storage *st, const char *location);
    /* moves the finished local file to `rel` (relative path), or copies it
     * when keep_local is set; sha256 is the file's hex SHA-256 when the
     * caller already knows it (NULL: the backend hashes it if it needs to) */
    int (*publish)(cl_storage *st, const char *local, const char *rel, const char *content_type,
                   const char *sha256);
    /* reads a small object (manifests); AVERROR(ENOENT) when absent */
    int (*read)(cl_storage *st, const char *rel, size_t cap, char **buf, size_t *len);
    /* size of an object; AVERROR(ENOENT) when absent */
    int (*stat)(cl_storage *st, const char *rel, int64_t *bytes);
    /* a local file with a published object's bytes: the object itself for
     * a local folder (*temporary 0), else a copy downloaded into staging that
     * the caller removes (*temporary 1); NULL with the detail set on failure.
     * Optional: without it, published files cannot be reused. */
    char *(*fetch)(cl_storage *st, const char *rel, int *temporary);
    /* removes an object (a shard's manifest part once merged); absent is fine */
    int (*remove)(cl_storage *st, const char *rel);
    void (*close)(cl_storage *st);
} cl_storage_ops;

struct cl_storage {
    const cl_storage_ops *ops;
    clipline_context *c;
    char *location;    /* folder, or URL */
    char *staging;     /* local folder for files being written */
    char *state_dir;   /* where a backend keeps what must outlive a run (upload
                          journals); NULL: nothing is kept */
    int keep_local;    /* publish leaves the local file where it is (clipline
                          upload sends a folder it must not empty) */
    void *priv;
    pthread_mutex_t lock; /* one call at a time, for a backend that is not thread_safe */
};

/* Chooses the backend from the destination: "null:", "file:///x", or a path. */
int cl_storage_open(clipline_context *c, const char *dest, cl_storage **st);
void cl_storage_close(cl_storage **st);

int cl_storage_publish(cl_storage *st, const char *local, const char *rel, const char *content_type,
                       const char *sha256);
int cl_storage_read(cl_storage *st, const char *rel, size_t cap, char **buf, size_t *len);
int cl_storage_stat(cl_storage *st, const char *rel, int64_t *bytes);
int cl_storage_remove(cl_storage *st, const char *rel);
/* Whether the backend can give back what it published (cl_storage_fetch). */
int cl_storage_can_fetch(const cl_storage *st);
/* A local file with a published object's bytes (caller frees the path, and
 * removes the file when *temporary), or NULL. */
char *cl_storage_fetch(cl_storage *st, const char *rel, int *temporary);

/* For backends whose destination is not a local folder: a private staging
 * folder under $TMPDIR (or /tmp), and its removal with whatever a failed
 * output left in it. */
int cl_storage_private_staging(cl_storage *st, const char *tag);
void cl_storage_remove_private_staging(cl_storage *st);

/* The folder where the backend may keep state across runs (the cache folder). */
int cl_storage_set_state_dir(cl_storage *st, const char *dir);

/* The item ("interview/clip") this thread publishes for, named in the
 * backends' upload progress events; NULL: none. */
void cl_storage_set_item(const char *item);
const char *cl_storage_item(void);

/* A new unique staging path for an output that will be published as `rel`. */
char *cl_storage_staging_path(cl_storage *st, const char *rel);

/* The libcurl the s3 backend runs with, e.g. "7.88.1". */
const char *cl_storage_s3_curl_version(void);

extern const cl_storage_ops cl_storage_file;
extern const cl_storage_ops cl_storage_null;
extern const cl_storage_ops cl_storage_s3;

#endif
