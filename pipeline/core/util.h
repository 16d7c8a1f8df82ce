/* util.h: files, paths and hashing shared by the stages. */
#ifndef CL_UTIL_H
#define CL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Reads a whole file, at most `cap` bytes; NUL-terminates the buffer.
 * Returns 0, AVERROR(errno), or CLIPLINE_ERROR_LIMIT. */
int cl_read_file(const char *path, size_t cap, char **buf, size_t *len);

/* Writes `len` bytes to path atomically: a temporary name beside it, fsync,
 * rename. Creates missing parent folders. */
int cl_write_file_atomic(const char *path, const void *buf, size_t len);

/* mkdir -p. */
int cl_mkdirs(const char *path, int mode);

/* Removes a folder and what is in it (staging folders we made); ignores
 * what does not exist. */
void cl_remove_tree(const char *path);
/* Monotonic clock, in seconds. */
double cl_now_s(void);

/* Joins a and b with one '/', into a malloc'ed string (b absolute: b). */
char *cl_path_join(const char *a, const char *b);
/* Folder part of a path (malloc'ed; "." when there is none). */
char *cl_path_dir(const char *path);

/* Hex SHA-256 of a buffer / of a file's bytes (hex needs 65 bytes). */
void cl_sha256_hex(const void *data, size_t len, char hex[65]);
int cl_sha256_file(const char *path, char hex[65], int64_t *bytes);

/* A name safe to use as one path component: not empty, not "." or "..",
 * no '/', '\\' or control characters. */
int cl_safe_component(const char *name);

#endif
