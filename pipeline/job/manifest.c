/*
 * manifest.c: building and merging manifests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#define MANIFEST_FORMAT 1

static void prune_preset_texts(json_t *m);

int cl_manifest_parse(clipline_context *c, const char *text, const char *where, json_t **m)
{
    *m = NULL;
    if (!text || !*text) {
        *m = json_pack("{s:i,s:s,s:[],s:[]}", "format", MANIFEST_FORMAT, "generator", "clipline",
                       "outputs", "items");
        return *m ? 0 : CLIPLINE_ERROR_CONFIG;
    }
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    if (!root)
        return cl_fail(c, CLIPLINE_ERROR_STORAGE,
                       "%s:%d: the existing manifest is not valid JSON (%s); move it away to "
                       "rebuild",
                       where, err.line, err.text);
    if (!json_is_object(root) || !json_is_array(json_object_get(root, "outputs")) ||
        !json_is_array(json_object_get(root, "items"))) {
        json_decref(root);
        return cl_fail(c, CLIPLINE_ERROR_STORAGE,
                       "%s: the existing manifest has no \"outputs\" and \"items\" lists; it is "
                       "not a clipline manifest",
                       where);
    }
    *m = root;
    return 0;
}

json_t *cl_manifest_output(json_t *m, const char *path)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(m, "outputs"), i, o) {
        const char *p = json_string_value(json_object_get(o, "path"));
        if (p && !strcmp(p, path))
            return o;
    }
    return NULL;
}

static int same_item(json_t *o, const char *interview, const char *clip)
{
    const char *iv = json_string_value(json_object_get(o, "interview"));
    const char *cl = json_string_value(json_object_get(o, "clip"));
    return iv && cl && !strcmp(iv, interview) && !strcmp(cl, clip);
}

static int cmp_by(const void *a, const void *b, const char *k1, const char *k2)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *s1 = json_string_value(json_object_get(x, k1));
    const char *s2 = json_string_value(json_object_get(y, k1));
    int r = strcmp(s1 ? s1 : "", s2 ? s2 : "");
    if (r || !k2)
        return r;
    s1 = json_string_value(json_object_get(x, k2));
    s2 = json_string_value(json_object_get(y, k2));
    return strcmp(s1 ? s1 : "", s2 ? s2 : "");
}

static int cmp_path(const void *a, const void *b)
{
    return cmp_by(a, b, "path", NULL);
}

static int cmp_item(const void *a, const void *b)
{
    return cmp_by(a, b, "interview", "clip");
}

static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    if (n < 2)
        return;
    json_t **v = malloc(n * sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof(*v), cmp);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}

void cl_manifest_replace_item(json_t *m, const char *interview, const char *clip, json_t *item,
                              json_t *outputs)
{
    json_t *items = json_object_get(m, "items"), *outs = json_object_get(m, "outputs");
    for (size_t i = json_array_size(items); i-- > 0;)
        if (same_item(json_array_get(items, i), interview, clip))
            json_array_remove(items, i);
    json_array_append(items, item);
    if (!outputs)
        return;
    for (size_t i = json_array_size(outs); i-- > 0;)
        if (same_item(json_array_get(outs, i), interview, clip))
            json_array_remove(outs, i);
    size_t i;
    json_t *o;
    json_array_foreach(outputs, i, o) {
        json_t *copy = json_deep_copy(o);
        json_object_set_new(copy, "interview", json_string(interview));
        json_object_set_new(copy, "clip", json_string(clip));
        json_array_append_new(outs, copy);
    }
}

json_t *cl_manifest_item_part(json_t *m, const char *interview, const char *clip)
{
    json_t *item = NULL, *o;
    size_t i;
    json_array_foreach(json_object_get(m, "items"), i, o)
        if (same_item(o, interview, clip))
            item = o;
    if (!item)
        return NULL;
    json_t *part = json_pack("{s:i,s:s,s:[O],s:[],s:O*}", "format", MANIFEST_FORMAT, "generator", "clipline",
                             "items", item, "outputs", "preset_texts", json_object_get(m, "preset_texts"));
    if (!part)
        return NULL;
    json_t *outs = json_object_get(part, "outputs");
    json_array_foreach(json_object_get(m, "outputs"), i, o)
        if (same_item(o, interview, clip))
            json_array_append(outs, o);
    if (json_object_get(part, "preset_texts")) { /* a copy: pruning it leaves m's alone */
        json_object_set_new(part, "preset_texts", json_deep_copy(json_object_get(part, "preset_texts")));
        prune_preset_texts(part);
    }
    return part;
}

int cl_manifest_merge(clipline_context *c, json_t *m, const json_t *part, const char *where)
{
    json_t *items = json_object_get(part, "items"), *outs = json_object_get(part, "outputs"), *it, *o;
    if (!json_is_array(items) || !json_is_array(outs))
        return cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: not a part of a clipline manifest (no \"items\" and \"outputs\")",
                       where);
    size_t i, k;
    int n = 0;
    json_array_foreach(items, i, it) {
        const char *iv = json_string_value(json_object_get(it, "interview"));
        const char *cl = json_string_value(json_object_get(it, "clip"));
        if (!iv || !cl)
            return cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: item %zu has no interview and clip", where, i + 1);
        json_t *mine = json_array();
        json_array_foreach(outs, k, o)
            if (same_item(o, iv, cl))
                json_array_append(mine, o);
        json_t *copy = json_deep_copy(it);
        cl_manifest_replace_item(m, iv, cl, copy, mine);
        json_decref(copy);
        json_decref(mine);
        n++;
    }
    json_t *texts = json_object_get(part, "preset_texts");
    if (json_is_object(texts)) {
        if (!json_is_object(json_object_get(m, "preset_texts")))
            json_object_set_new(m, "preset_texts", json_object());
        json_object_update(json_object_get(m, "preset_texts"), texts);
    }
    return n;
}

/* Keeps only the preset texts some output's inputs still name. */
static void prune_preset_texts(json_t *m)
{
    json_t *texts = json_object_get(m, "preset_texts"), *o, *v;
    if (!json_is_object(texts))
        return;
    json_t *used = json_object();
    size_t i;
    json_array_foreach(json_object_get(m, "outputs"), i, o) {
        json_t *in = json_object_get(o, "inputs"), *r;
        const char *h = json_string_value(json_object_get(in, "preset")), *name;
        if (h && (v = json_object_get(texts, h)))
            json_object_set(used, h, v);
        json_object_foreach(json_object_get(in, "rungs"), name, r)
            if ((h = json_string_value(r)) && (v = json_object_get(texts, h)))
                json_object_set(used, h, v);
    }
    json_object_set_new(m, "preset_texts", used);
}

char *cl_manifest_dump(json_t *m)
{
    prune_preset_texts(m);
    sort_array(json_object_get(m, "outputs"), cmp_path);
    sort_array(json_object_get(m, "items"), cmp_item);
    json_object_set_new(m, "format", json_integer(MANIFEST_FORMAT));
    json_object_set_new(m, "generator", json_string("clipline"));
    char *s = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!s)
        return NULL;
    size_t l = strlen(s);
    char *r = realloc(s, l + 2);
    if (!r) {
        free(s);
        return NULL;
    }
    r[l] = '\n';
    r[l + 1] = '\0';
    return r;
}
