/* util.c: files, paths and hashing shared by the stages. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <openssl/evp.h>

#include "util.h"

int cl_read_file(const char *path, size_t cap, char **buf, size_t *len)
{
    *buf = NULL;
    if (len)
        *len = 0;
    int ret = 0;
    char *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return AVERROR(errno);
    struct stat st;
    if (fstat(fileno(f), &st) < 0) {
        ret = AVERROR(errno);
        goto end;
    }
    if (S_ISDIR(st.st_mode)) {
        ret = AVERROR(EISDIR);
        goto end;
    }
    if ((uint64_t)st.st_size > cap) {
        ret = CLIPLINE_ERROR_LIMIT;
        goto end;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    size_t n = fread(data, 1, (size_t)st.st_size + 1, f);
    if (ferror(f)) {
        ret = AVERROR(EIO);
        goto end;
    }
    if (n > (size_t)st.st_size) { /* grew while being read */
        ret = CLIPLINE_ERROR_LIMIT;
        goto end;
    }
    data[n] = '\0';
    *buf = data;
    data = NULL;
    if (len)
        *len = n;
end:
    free(data);
    fclose(f);
    return ret;
}

int cl_mkdirs(const char *path, int mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return AVERROR(ENAMETOOLONG);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
            return AVERROR(errno);
        *p = '/';
    }
    if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
        return AVERROR(errno);
    return 0;
}

char *cl_path_join(const char *a, const char *b)
{
    if (!a || !*a || !strcmp(a, ".") || (b && b[0] == '/'))
        return strdup(b ? b : "");
    size_t la = strlen(a), lb = strlen(b);
    char *r = malloc(la + lb + 2);
    if (!r)
        return NULL;
    memcpy(r, a, la);
    size_t o = la;
    if (la && a[la - 1] != '/')
        r[o++] = '/';
    memcpy(r + o, b, lb + 1);
    return r;
}

char *cl_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int cl_write_file_atomic(const char *path, const void *buf, size_t len)
{
    int ret = 0, fd = -1;
    char *dir = cl_path_dir(path);
    char *tmp = NULL;
    if (!dir)
        return AVERROR(ENOMEM);
    if ((ret = cl_mkdirs(dir, 0755)) < 0)
        goto end;
    size_t tl = strlen(path) + 32;
    tmp = malloc(tl);
    if (!tmp) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    static atomic_uint serial; /* threads of one process never share a temporary name */
    snprintf(tmp, tl, "%s.%ld.%u.tmp", path, (long)getpid(), atomic_fetch_add(&serial, 1));
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        ret = AVERROR(errno);
        goto end;
    }
    const char *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            ret = AVERROR(errno);
            goto end;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        fd = -1;
        ret = AVERROR(errno);
        goto end;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        ret = AVERROR(errno);
        goto end;
    }
end:
    if (fd >= 0)
        close(fd);
    if (ret < 0 && tmp)
        unlink(tmp);
    free(tmp);
    free(dir);
    return ret;
}

static void to_hex(const uint8_t *d, int n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

/* SHA-256 by libcrypto: it uses the CPU's SHA extensions where there are
 * some (several times the speed of a portable implementation, which counts
 * when a camera file of gigabytes is hashed). */
void cl_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_Digest(data, len, d, &dl, EVP_sha256(), NULL) || dl != 32) {
        hex[0] = '\0';
        return;
    }
    to_hex(d, 32, hex);
}

int cl_sha256_file(const char *path, char hex[65], int64_t *bytes)
{
    int ret = 0, fd = -1;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    int64_t total = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const size_t chunk = 1 << 20;
    char *buf = malloc(chunk);
    if (!md || !buf || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        ret = AVERROR(errno);
        goto end;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (;;) {
        ssize_t n = read(fd, buf, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = AVERROR(errno);
            goto end;
        }
        if (n == 0)
            break;
        if (!EVP_DigestUpdate(md, buf, (size_t)n)) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        total += n;
    }
    if (!EVP_DigestFinal_ex(md, d, &dl) || dl != 32) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    to_hex(d, 32, hex);
    if (bytes)
        *bytes = total;
end:
    if (fd >= 0)
        close(fd);
    free(buf);
    EVP_MD_CTX_free(md);
    return ret;
}

int cl_safe_component(const char *name)
{
    if (!name || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
            return 0;
    return strlen(name) <= 200;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void cl_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

double cl_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
