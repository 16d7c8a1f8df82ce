/*
 * lib_target.h: for targets of libclipline's own parsers: one context for
 * the whole run, and a private folder where an input becomes a file (the
 * job and preset readers take a path, as users give them).
 */
#ifndef CL_FUZZ_LIB_TARGET_H
#define CL_FUZZ_LIB_TARGET_H

#include <unistd.h>

#include <clipline.h>

#include "fuzz.h"

static inline clipline_context *fuzz_context(void)
{
    static clipline_context *c;
    if (!c) {
        clipline_settings s;
        clipline_default_settings(&s);
        s.threads = 1;
        if (clipline_open(&c, &s) < 0)
            abort();
    }
    return c;
}

/* Writes the input to NAME in the private folder; returns its path. */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char dir[64], path[128];
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "%s/clipline-fuzz-XXXXXX", "/tmp");
        if (!mkdtemp(dir))
            abort();
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    return path;
}

/* A failure must come with a sentence saying why. */
static inline void check_failure(int ret)
{
    const char *d = clipline_error_detail(fuzz_context());
    FUZZ_CHECK(ret < 0 && d && d[0]);
}

#endif
