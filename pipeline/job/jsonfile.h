/*
 * jsonfile.h: JSON documents read from users' files (job, presets, manifest),
 * with the line numbers that error messages need.
 */
#ifndef CL_JSONFILE_H
#define CL_JSONFILE_H

#include <jansson.h>

#include "../core/internal.h"

typedef struct cl_jsondoc {
    char *path; /* as given */
    char *text; /* the file's bytes, NUL-terminated */
    size_t len;
    json_t *root;
} cl_jsondoc;

/* Reads and parses a JSON file of at most `cap` bytes whose root must be an
 * object. On failure returns CLIPLINE_ERROR_CONFIG (or _LIMIT) with a detail
 * naming the file, line and column. */
int cl_jsondoc_load(clipline_context *c, const char *path, size_t cap, cl_jsondoc *doc);
void cl_jsondoc_free(cl_jsondoc *doc);

/* Line (1-based) where the value at a JSON Pointer ("/interviews/0/clips")
 * or its key starts; 0 when not found. */
int cl_json_line(const char *text, const char *pointer);

/* One allowed key of an object: its name and the JSON types it may have. */
typedef struct cl_keyspec {
    const char *key;
    int types; /* bit mask of 1 << json_type */
} cl_keyspec;

#define CL_JT(t) (1 << (t))
#define CL_JSTRING CL_JT(JSON_STRING)
#define CL_JNUMBER (CL_JT(JSON_INTEGER) | CL_JT(JSON_REAL))
#define CL_JINT CL_JT(JSON_INTEGER)
#define CL_JBOOL (CL_JT(JSON_TRUE) | CL_JT(JSON_FALSE))
#define CL_JOBJECT CL_JT(JSON_OBJECT)
#define CL_JARRAY CL_JT(JSON_ARRAY)
#define CL_JNULL CL_JT(JSON_NULL)

/* Checks that every key of `obj` (found at `pointer` in doc) is in `spec`
 * (terminated by a NULL key) with an allowed type. Fails with a detail
 * "FILE:LINE: unknown key "x" in ..." or "... must be a string". */
int cl_json_check_keys(clipline_context *c, const cl_jsondoc *doc, const char *pointer,
                       json_t *obj, const cl_keyspec *spec, const char *what);

/* Formats "FILE:LINE" for the value at pointer into buf. */
const char *cl_json_where(const cl_jsondoc *doc, const char *pointer, char *buf, size_t size);

#endif
