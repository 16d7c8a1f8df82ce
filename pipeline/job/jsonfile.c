/*
 * jsonfile.c: JSON documents read from users' files, with line numbers.
 *
 * jansson keeps no positions, so cl_json_line() walks the (already valid)
 * text once more with a small scanner that follows a JSON Pointer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "jsonfile.h"

int cl_jsondoc_load(clipline_context *c, const char *path, size_t cap, cl_jsondoc *doc)
{
    memset(doc, 0, sizeof(*doc));
    int ret = cl_read_file(path, cap, &doc->text, &doc->len);
    if (ret == CLIPLINE_ERROR_LIMIT)
        return cl_fail(c, CLIPLINE_ERROR_LIMIT, "%s: larger than the limit of %zu bytes", path, cap);
    if (ret < 0) {
        char e[128];
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: cannot read: %s", path, cl_averr(ret, e));
    }
    doc->path = strdup(path);
    json_error_t err;
    doc->root = json_loadb(doc->text, doc->len, JSON_REJECT_DUPLICATES, &err);
    if (!doc->root) {
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s:%d:%d: not valid JSON: %s", path, err.line,
                      err.column, err.text);
        cl_jsondoc_free(doc);
        return ret;
    }
    if (!json_is_object(doc->root)) {
        cl_jsondoc_free(doc);
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s:1: the top level must be a JSON object", path);
    }
    return 0;
}

void cl_jsondoc_free(cl_jsondoc *doc)
{
    if (!doc)
        return;
    json_decref(doc->root);
    free(doc->text);
    free(doc->path);
    memset(doc, 0, sizeof(*doc));
}

/* ---- the scanner ---- */
typedef struct scan {
    const char *p;
    int line;
} scan;

static void skip_ws(scan *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r') {
        if (*s->p == '\n')
            s->line++;
        s->p++;
    }
}

/* Reads a string token into out (unescaped as far as pointers need). */
static int scan_string(scan *s, char *out, size_t size)
{
    size_t n = 0;
    if (*s->p != '"')
        return -1;
    s->p++;
    while (*s->p && *s->p != '"') {
        char ch = *s->p++;
        if (ch == '\\' && *s->p) {
            char e = *s->p++;
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            if (e == 'u') { /* keep escapes as they are: keys rarely use them */
                ch = '?';
                for (int i = 0; i < 4 && *s->p; i++)
                    s->p++;
            }
        }
        if (out && n + 1 < size)
            out[n++] = ch;
    }
    if (out)
        out[n] = '\0';
    if (*s->p == '"')
        s->p++;
    return 0;
}

static void skip_value(scan *s)
{
    skip_ws(s);
    if (*s->p == '"') {
        scan_string(s, NULL, 0);
        return;
    }
    if (*s->p == '{' || *s->p == '[') {
        int depth = 0;
        do {
            if (*s->p == '"') {
                scan_string(s, NULL, 0);
                continue;
            }
            if (*s->p == '{' || *s->p == '[')
                depth++;
            else if (*s->p == '}' || *s->p == ']')
                depth--;
            else if (*s->p == '\n')
                s->line++;
            s->p++;
        } while (*s->p && depth > 0);
        return;
    }
    while (*s->p && !strchr(",}] \t\r\n", *s->p))
        s->p++;
}

/* Next pointer component of ptr into comp; returns the rest or NULL at end. */
static const char *next_component(const char *ptr, char *comp, size_t size)
{
    if (!ptr || *ptr != '/')
        return NULL;
    ptr++;
    size_t n = 0;
    while (*ptr && *ptr != '/') {
        char ch = *ptr++;
        if (ch == '~' && (*ptr == '0' || *ptr == '1'))
            ch = *ptr++ == '0' ? '~' : '/';
        if (n + 1 < size)
            comp[n++] = ch;
    }
    comp[n] = '\0';
    return ptr;
}

int cl_json_line(const char *text, const char *pointer)
{
    scan s = { text, 1 };
    char comp[256], key[256];
    const char *rest = pointer;
    int line = 1;
    skip_ws(&s);
    while ((rest = next_component(rest, comp, sizeof(comp)))) {
        skip_ws(&s);
        int found = 0;
        if (*s.p == '{') {
            s.p++;
            for (;;) {
                skip_ws(&s);
                if (*s.p != '"')
                    return 0;
                int kline = s.line;
                scan_string(&s, key, sizeof(key));
                skip_ws(&s);
                if (*s.p == ':')
                    s.p++;
                if (!strcmp(key, comp)) {
                    line = kline;
                    found = 1;
                    break;
                }
                skip_value(&s);
                skip_ws(&s);
                if (*s.p != ',')
                    return 0;
                s.p++;
            }
        } else if (*s.p == '[') {
            s.p++;
            long want = strtol(comp, NULL, 10);
            for (long i = 0;; i++) {
                skip_ws(&s);
                if (i == want) {
                    line = s.line;
                    found = 1;
                    break;
                }
                skip_value(&s);
                skip_ws(&s);
                if (*s.p != ',')
                    return 0;
                s.p++;
            }
        }
        if (!found)
            return 0;
    }
    return line;
}

const char *cl_json_where(const cl_jsondoc *doc, const char *pointer, char *buf, size_t size)
{
    int line = cl_json_line(doc->text, pointer);
    if (line > 0)
        snprintf(buf, size, "%s:%d", doc->path, line);
    else
        snprintf(buf, size, "%s", doc->path);
    return buf;
}

static const char *type_words(int types)
{
    if (types == CL_JSTRING)
        return "a string";
    if (types == CL_JNUMBER || types == CL_JINT)
        return types == CL_JINT ? "an integer" : "a number";
    if (types == CL_JBOOL)
        return "true or false";
    if (types == CL_JOBJECT)
        return "an object";
    if (types == CL_JARRAY)
        return "an array";
    if (types == (CL_JSTRING | CL_JNUMBER))
        return "a string or a number";
    return "of another type";
}

int cl_json_check_keys(clipline_context *c, const cl_jsondoc *doc, const char *pointer,
                       json_t *obj, const cl_keyspec *spec, const char *what)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        const cl_keyspec *k = spec;
        while (k->key && strcmp(k->key, key))
            k++;
        char ptr[512], where[600];
        snprintf(ptr, sizeof(ptr), "%s/%s", pointer, key);
        cl_json_where(doc, ptr, where, sizeof(where));
        if (!k->key) {
            char known[512] = "";
            for (k = spec; k->key; k++) {
                strncat(known, known[0] ? ", " : "", sizeof(known) - strlen(known) - 1);
                strncat(known, k->key, sizeof(known) - strlen(known) - 1);
            }
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: unknown key \"%s\" in %s (known keys: %s)",
                           where, key, what, known);
        }
        if (!(k->types & CL_JT(json_typeof(val))))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"%s\" in %s must be %s", where, key,
                           what, type_words(k->types));
    }
    return 0;
}
