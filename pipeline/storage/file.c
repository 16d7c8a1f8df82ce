/*
 * file.c: the local folder backend, the embedded default. Outputs are
 * staged in <dest>/.clipline-staging (same file system), fsynced and renamed
 * into place, so nothing half-written ever has a final name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "storage.h"

static int file_open(cl_storage *st, const char *location)
{
    int ret = cl_mkdirs(location, 0755);
    if (ret < 0)
        return cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "destination %s: cannot create the folder: %s",
                       location, strerror(AVUNERROR(ret)));
    st->staging = cl_path_join(location, ".clipline-staging");
    if (!st->staging)
        return AVERROR(ENOMEM);
    if ((ret = cl_mkdirs(st->staging, 0755)) < 0)
        return cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "%s: cannot create: %s", st->staging,
                       strerror(AVUNERROR(ret)));
    return 0;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return AVERROR(errno);
    int ret = fsync(fd) < 0 ? AVERROR(errno) : 0;
    close(fd);
    return ret;
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, ret = 0;
    char *buf = malloc(1 << 20);
    if (in < 0 || !buf || (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        ret = !buf ? AVERROR(ENOMEM) : AVERROR(errno);
    while (ret >= 0) {
        ssize_t n = read(in, buf, 1 << 20), w = 0;
        if (n < 0)
            ret = AVERROR(errno);
        if (n <= 0)
            break;
        while (ret >= 0 && w < n) {
            ssize_t k = write(out, buf + w, (size_t)(n - w));
            if (k < 0)
                ret = AVERROR(errno);
            else
                w += k;
        }
    }
    if (out >= 0 && close(out) < 0 && ret >= 0)
        ret = AVERROR(errno);
    if (in >= 0)
        close(in);
    if (ret < 0 && out >= 0)
        unlink(to);
    free(buf);
    return ret;
}

static int file_publish(cl_storage *st, const char *local, const char *rel, const char *content_type,
                        const char *sha256)
{
    int ret = 0;
    char *copy = NULL;
    char *final = cl_path_join(st->location, rel);
    char *dir = final ? cl_path_dir(final) : NULL;
    if (!final || !dir) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = cl_mkdirs(dir, 0755)) < 0)
        goto fail;
    if (st->keep_local) { /* a copy in staging first, then the same rename */
        if (!(copy = cl_storage_staging_path(st, rel))) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        if ((ret = copy_file(local, copy)) < 0)
            goto fail;
        local = copy;
    }
    if ((ret = fsync_path(local)) < 0)
        goto fail;
    if (rename(local, final) < 0) {
        ret = AVERROR(errno);
        goto fail;
    }
    fsync_path(dir);
    goto end;
fail:
    if (copy)
        unlink(copy);
    ret = cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "%s: cannot publish: %s", final,
                  strerror(AVUNERROR(ret)));
end:
    free(copy);
    free(final);
    free(dir);
    return ret;
}

static int file_read(cl_storage *st, const char *rel, size_t cap, char **buf, size_t *len)
{
    char *path = cl_path_join(st->location, rel);
    if (!path)
        return AVERROR(ENOMEM);
    int ret = cl_read_file(path, cap, buf, len);
    free(path);
    return ret;
}

static int file_stat(cl_storage *st, const char *rel, int64_t *bytes)
{
    char *path = cl_path_join(st->location, rel);
    if (!path)
        return AVERROR(ENOMEM);
    struct stat s;
    int ret = stat(path, &s) < 0 ? AVERROR(errno) : 0;
    if (ret >= 0 && bytes)
        *bytes = s.st_size;
    free(path);
    return ret;
}

static char *file_fetch(cl_storage *st, const char *rel, int *temporary)
{
    *temporary = 0; /* the published file itself, read only */
    char *path = cl_path_join(st->location, rel);
    if (path && access(path, R_OK) < 0) {
        cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "%s: %s", path, strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

static int file_remove(cl_storage *st, const char *rel)
{
    char *path = cl_path_join(st->location, rel);
    if (!path)
        return AVERROR(ENOMEM);
    int ret = unlink(path) < 0 && errno != ENOENT
                  ? cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "%s: cannot remove: %s", path, strerror(errno))
                  : 0;
    /* and the folders it leaves empty, up to the destination */
    size_t root = strlen(st->location);
    for (char *slash; ret >= 0 && (slash = strrchr(path, '/')) && (size_t)(slash - path) > root;) {
        *slash = '\0';
        if (rmdir(path) < 0)
            break;
    }
    free(path);
    return ret;
}

static void file_close(cl_storage *st)
{
    if (st->staging)
        rmdir(st->staging); /* only when empty: leftovers of a crash stay visible */
}

const cl_storage_ops cl_storage_file = {
    .name = "local folder",
    .scheme = "file",
    .thread_safe = 1,
    .open = file_open,
    .publish = file_publish,
    .read = file_read,
    .stat = file_stat,
    .fetch = file_fetch,
    .remove = file_remove,
    .close = file_close,
};
