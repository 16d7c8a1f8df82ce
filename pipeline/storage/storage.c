/*
 * storage.c: the backend table and what all backends share.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "storage.h"

static const cl_storage_ops *const backends[] = { &cl_storage_file, &cl_storage_null, &cl_storage_s3, NULL };

int cl_storage_open(clipline_context *c, const char *dest, cl_storage **out)
{
    *out = NULL;
    const char *scheme_end = strstr(dest, "://");
    char scheme[16] = "file";
    const char *location = dest;
    if (!strcmp(dest, "null:") || !strncmp(dest, "null://", 7)) {
        snprintf(scheme, sizeof(scheme), "null");
    } else if (scheme_end) {
        size_t l = (size_t)(scheme_end - dest);
        if (l >= sizeof(scheme))
            l = sizeof(scheme) - 1;
        memcpy(scheme, dest, l);
        scheme[l] = '\0';
        location = scheme_end + 3;
    }
    const cl_storage_ops *ops = NULL;
    for (int i = 0; backends[i]; i++)
        if (!strcmp(backends[i]->scheme, scheme))
            ops = backends[i];
    if (!ops)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "destination %s: unknown storage \"%s\" (use a local folder, file://, "
                       "s3://bucket/prefix or null:)",
                       dest, scheme);
    cl_storage *st = calloc(1, sizeof(*st));
    if (!st)
        return AVERROR(ENOMEM);
    st->ops = ops;
    st->c = c;
    pthread_mutex_init(&st->lock, NULL);
    st->location = strdup(location);
    if (ops->priv_size && !(st->priv = calloc(1, ops->priv_size))) {
        cl_storage_close(&st);
        return AVERROR(ENOMEM);
    }
    int ret = ops->open(st, location);
    if (ret < 0) {
        cl_storage_close(&st);
        return ret;
    }
    *out = st;
    return 0;
}

void cl_storage_close(cl_storage **st)
{
    if (!st || !*st)
        return;
    if ((*st)->ops && (*st)->ops->close)
        (*st)->ops->close(*st);
    free((*st)->priv);
    free((*st)->location);
    free((*st)->staging);
    free((*st)->state_dir);
    pthread_mutex_destroy(&(*st)->lock);
    free(*st);
    *st = NULL;
}

/* Items built side by side share the destination: a backend that keeps
 * one connection (s3) is called by one thread at a time. */
static void take_turn(cl_storage *st, int take)
{
    if (!st->ops->thread_safe)
        (take ? pthread_mutex_lock : pthread_mutex_unlock)(&st->lock);
}

int cl_storage_publish(cl_storage *st, const char *local, const char *rel, const char *content_type,
                       const char *sha256)
{
    take_turn(st, 1);
    int ret = st->ops->publish(st, local, rel, content_type, sha256);
    take_turn(st, 0);
    return ret;
}

int cl_storage_read(cl_storage *st, const char *rel, size_t cap, char **buf, size_t *len)
{
    take_turn(st, 1);
    int ret = st->ops->read(st, rel, cap, buf, len);
    take_turn(st, 0);
    return ret;
}

int cl_storage_stat(cl_storage *st, const char *rel, int64_t *bytes)
{
    take_turn(st, 1);
    int ret = st->ops->stat(st, rel, bytes);
    take_turn(st, 0);
    return ret;
}

int cl_storage_remove(cl_storage *st, const char *rel)
{
    take_turn(st, 1);
    int ret = st->ops->remove(st, rel);
    take_turn(st, 0);
    return ret;
}

int cl_storage_can_fetch(const cl_storage *st)
{
    return st->ops->fetch != NULL;
}

char *cl_storage_fetch(cl_storage *st, const char *rel, int *temporary)
{
    *temporary = 0;
    if (!st->ops->fetch) {
        cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "%s: %s cannot give back what it stored", rel, st->ops->name);
        return NULL;
    }
    take_turn(st, 1);
    char *path = st->ops->fetch(st, rel, temporary);
    take_turn(st, 0);
    return path;
}

char *cl_storage_staging_path(cl_storage *st, const char *rel)
{
    static atomic_int counter;
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    size_t l = strlen(st->staging) + strlen(base) + 64;
    char *p = malloc(l);
    if (p)
        snprintf(p, l, "%s/%ld-%d-%s.part", st->staging, (long)getpid(),
                 atomic_fetch_add(&counter, 1), base);
    return p;
}

int cl_storage_private_staging(cl_storage *st, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(tmpl, sizeof(tmpl), "%s/clipline-%s-XXXXXX", tmp, tag);
    if (!mkdtemp(tmpl))
        return cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "cannot create a staging folder in %s: %s",
                       tmp, strerror(errno));
    st->staging = strdup(tmpl);
    return st->staging ? 0 : AVERROR(ENOMEM);
}

void cl_storage_remove_private_staging(cl_storage *st)
{
    if (st->staging)
        cl_remove_tree(st->staging);
}

int cl_storage_set_state_dir(cl_storage *st, const char *dir)
{
    free(st->state_dir);
    st->state_dir = dir && *dir ? strdup(dir) : NULL;
    return !dir || !*dir || st->state_dir ? 0 : AVERROR(ENOMEM);
}

static __thread const char *thread_item;

void cl_storage_set_item(const char *item)
{
    thread_item = item;
}

const char *cl_storage_item(void)
{
    return thread_item;
}
