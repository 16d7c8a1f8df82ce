/*
 * preset.c: the preset loader. One table (preset_keys) is the schema: it
 * names every key, its type, bounds and default, and drives loading,
 * validation and the error messages.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "jsonfile.h"
#include "preset.h"

#define PRESET_FILE_CAP (256 * 1024)

enum ktype { K_STR, K_INT, K_NUM, K_BOOL, K_LIST };

typedef struct preset_key {
    const char *group; /* "" for top level, else "video", "audio" */
    const char *key;
    enum ktype type;
    size_t offset, size; /* into cl_preset; size for strings */
    double min, max;     /* bounds for numbers */
    const char *def;     /* default, as JSON text */
    const char *choices; /* for strings: allowed values separated by '|', or NULL */
} preset_key;

#define S(g, k, field, def, ch) \
    { g, k, K_STR, offsetof(cl_preset, field), sizeof(((cl_preset *)0)->field), 0, 0, def, ch }
#define I(g, k, field, lo, hi, def) \
    { g, k, K_INT, offsetof(cl_preset, field), 0, lo, hi, def, NULL }
#define N(g, k, field, lo, hi, def) \
    { g, k, K_NUM, offsetof(cl_preset, field), 0, lo, hi, def, NULL }
#define B(g, k, field, def) \
    { g, k, K_BOOL, offsetof(cl_preset, field), 0, 0, 1, def, NULL }
#define L(g, k, field, max, def) \
    { g, k, K_LIST, offsetof(cl_preset, field), sizeof(((cl_preset *)0)->field[0]), 0, max, def, NULL }

static const preset_key preset_keys[] = {
    S("", "description", description, "\"\"", NULL),
    S("", "container", container, "\"mp4\"", "mp4|webm|hls"),
    B("", "faststart", faststart, "true"),
    L("", "rungs", rungs, CL_PRESET_MAX_RUNGS, "[]"),
    N("", "segment_s", segment_s, 1, 30, "6"),
    S("video", "codec", video.codec, "\"libx264\"", "libx264|libsvtav1"),
    I("video", "max_width", video.max_width, 16, 7680, "1920"),
    I("video", "max_height", video.max_height, 16, 4320, "1080"),
    S("video", "profile", video.profile, "\"high\"", "baseline|main|high"),
    S("video", "level", video.level, "\"4.0\"", "3.0|3.1|3.2|4.0|4.1|4.2|5.0|5.1"),
    S("video", "pix_fmt", video.pix_fmt, "\"yuv420p\"", "yuv420p"),
    I("video", "crf", video.crf, 0, 51, "23"),
    S("video", "preset", video.x264_preset, "\"veryfast\"",
      "ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow"),
    S("video", "tune", video.tune, "\"\"", "|film|animation|grain|stillimage|fastdecode|zerolatency"),
    I("video", "maxrate_kbps", video.maxrate_kbps, 0, 200000, "0"),
    I("video", "bufsize_kbps", video.bufsize_kbps, 0, 400000, "0"),
    N("video", "keyint_s", video.keyint_s, 0.1, 20, "2"),
    S("video", "x264_params", video.x264_params, "\"\"", NULL),
    I("video", "av1_preset", video.av1_preset, 0, 13, "10"),
    S("audio", "codec", audio.codec, "\"aac\"", "aac|libopus"),
    I("audio", "bitrate_kbps", audio.bitrate_kbps, 16, 512, "128"),
    I("audio", "sample_rate", audio.sample_rate, 8000, 96000, "48000"),
    I("audio", "channels", audio.channels, 1, 2, "2"),
    S("audio", "missing", audio.missing, "\"silence\"", "silence|none"),
    B("audio", "loudness", audio.loudness, "true"),
    N("audio", "target_lufs", audio.target_lufs, -40, -5, "-16"),
    N("audio", "true_peak_db", audio.true_peak_db, -9, 0, "-1"),
    I("audio", "fade_ms", audio.fade_ms, 0, 50, "20"),
};
#define NB_KEYS (sizeof(preset_keys) / sizeof(preset_keys[0]))

static json_t *defaults_json(void)
{
    json_t *root = json_object();
    for (size_t i = 0; i < NB_KEYS; i++) {
        const preset_key *k = &preset_keys[i];
        json_t *obj = root;
        if (k->group[0]) {
            obj = json_object_get(root, k->group);
            if (!obj) {
                obj = json_object();
                json_object_set_new(root, k->group, obj);
            }
        }
        json_object_set_new(obj, k->key, json_loads(k->def, JSON_DECODE_ANY, NULL));
    }
    return root;
}

static int group_spec(const char *group, cl_keyspec *spec, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < NB_KEYS && n + 1 < max; i++) {
        const preset_key *k = &preset_keys[i];
        if (strcmp(k->group, group))
            continue;
        spec[n].key = k->key;
        spec[n].types = k->type == K_STR    ? CL_JSTRING
                        : k->type == K_INT  ? CL_JINT
                        : k->type == K_NUM  ? CL_JNUMBER
                        : k->type == K_LIST ? CL_JARRAY
                                            : CL_JBOOL;
        n++;
    }
    if (!group[0] && n + 3 < max) { /* groups and the informative name key */
        spec[n++] = (cl_keyspec){ "video", CL_JOBJECT };
        spec[n++] = (cl_keyspec){ "audio", CL_JOBJECT };
        spec[n++] = (cl_keyspec){ "name", CL_JSTRING };
    }
    spec[n].key = NULL;
    return 0;
}

/* Checks key names and types of the file layer against the schema. */
static int check_layer(clipline_context *c, const cl_jsondoc *doc)
{
    cl_keyspec spec[64];
    group_spec("", spec, 64);
    int ret = cl_json_check_keys(c, doc, "", doc->root, spec, "the preset");
    static const char *groups[] = { "video", "audio" };
    for (size_t g = 0; ret >= 0 && g < 2; g++) {
        json_t *obj = json_object_get(doc->root, groups[g]);
        if (!obj)
            continue;
        char ptr[32], what[64];
        snprintf(ptr, sizeof(ptr), "/%s", groups[g]);
        snprintf(what, sizeof(what), "the preset's \"%s\" section", groups[g]);
        group_spec(groups[g], spec, 64);
        ret = cl_json_check_keys(c, doc, ptr, obj, spec, what);
    }
    return ret;
}

static int in_choices(const char *v, const char *choices)
{
    size_t lv = strlen(v);
    const char *p = choices;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == lv && !strncmp(p, v, l))
            return 1;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

/* Copies the layered values into the struct, checking bounds and choices. */
static int fill(clipline_context *c, const cl_jsondoc *doc, json_t *merged, cl_preset *p)
{
    for (size_t i = 0; i < NB_KEYS; i++) {
        const preset_key *k = &preset_keys[i];
        json_t *obj = k->group[0] ? json_object_get(merged, k->group) : merged;
        json_t *v = json_object_get(obj, k->key);
        char ptr[96], where[700], full[96];
        snprintf(ptr, sizeof(ptr), "%s%s/%s", k->group[0] ? "/" : "", k->group, k->key);
        snprintf(full, sizeof(full), "%s%s%s", k->group, k->group[0] ? "." : "", k->key);
        cl_json_where(doc, ptr, where, sizeof(where));
        char *field = (char *)p + k->offset;
        if (k->type == K_LIST) {
            size_t n = json_array_size(v);
            if (n > (size_t)k->max)
                return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: %s lists more than %g entries", where,
                               full, k->max);
            for (size_t j = 0; j < n; j++) {
                const char *e = json_string_value(json_array_get(v, j));
                if (!e || strlen(e) >= k->size || !cl_safe_component(e))
                    return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                                   "%s: entry %zu of %s must be a preset name", where, j + 1, full);
                snprintf(field + j * k->size, k->size, "%s", e);
            }
            p->nb_rungs = (int)n;
            continue;
        }
        if (k->type == K_STR) {
            const char *s = json_string_value(v);
            if (k->choices && !in_choices(s, k->choices))
                return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"%s\" is not a valid %s (one of: %s)",
                               where, s, full, k->choices);
            if (strlen(s) >= k->size)
                return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: %s is too long", where, full);
            snprintf(field, k->size, "%s", s);
            continue;
        }
        double d = k->type == K_BOOL ? json_is_true(v) : json_number_value(v);
        if (d < k->min || d > k->max)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: %s = %g is out of range [%g, %g]", where,
                           full, d, k->min, k->max);
        if (k->type == K_NUM)
            *(double *)field = d;
        else
            *(int *)field = (int)d;
    }
    return 0;
}

/* What a container can carry: MP4 (and so HLS rungs) H.264 with AAC, WebM
 * AV1 with Opus. */
static int check_codecs(clipline_context *c, const cl_jsondoc *doc, const cl_preset *p)
{
    static const struct { const char *container, *video, *audio; } pairs[] = {
        { "mp4", "libx264", "aac" },
        { "webm", "libsvtav1", "libopus" },
    };
    if (!strcmp(p->container, "hls"))
        return 0;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        if (strcmp(p->container, pairs[i].container))
            continue;
        int video_ok = !strcmp(p->video.codec, pairs[i].video);
        if (video_ok && !strcmp(p->audio.codec, pairs[i].audio))
            return 0;
        char where[600];
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"container\": \"%s\" carries %s video and %s audio, not %s",
                       cl_json_where(doc, video_ok ? "/audio/codec" : "/video/codec", where, sizeof(where)),
                       p->container, pairs[i].video, pairs[i].audio,
                       video_ok ? p->audio.codec : p->video.codec);
    }
    return 0;
}

int cl_preset_load_file(clipline_context *c, const char *path, cl_preset *p)
{
    memset(p, 0, sizeof(*p));
    cl_jsondoc doc;
    int ret = cl_jsondoc_load(c, path, PRESET_FILE_CAP, &doc);
    if (ret < 0)
        return ret;
    json_t *merged = NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    if (bl > 5 && !strcmp(base + bl - 5, ".json"))
        bl -= 5;
    snprintf(p->name, sizeof(p->name), "%.*s", (int)bl, base);
    json_t *name = json_object_get(doc.root, "name");
    if ((ret = check_layer(c, &doc)) < 0)
        goto end;
    if (name && strcmp(json_string_value(name), p->name)) {
        char where[600];
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"name\" is \"%s\" but the file is named %s",
                      cl_json_where(&doc, "/name", where, sizeof(where)), json_string_value(name),
                      p->name);
        goto end;
    }
    merged = defaults_json();
    json_object_del(doc.root, "name");
    json_object_update_recursive(merged, doc.root);
    if ((ret = fill(c, &doc, merged, p)) < 0)
        goto end;
    if (!strcmp(p->container, "hls") != (p->nb_rungs > 0)) {
        char where[600];
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: %s",
                      cl_json_where(&doc, p->nb_rungs ? "/rungs" : "/container", where, sizeof(where)),
                      p->nb_rungs ? "\"rungs\" is only for \"container\": \"hls\""
                                  : "an \"hls\" preset needs \"rungs\", the MP4 presets of its ladder");
        goto end;
    }
    if ((ret = check_codecs(c, &doc, p)) < 0)
        goto end;
    json_object_set_new(merged, "name", json_string(p->name));
    p->normalized = merged;
    merged = NULL;
end:
    json_decref(merged);
    cl_jsondoc_free(&doc);
    return ret;
}

int cl_preset_load(clipline_context *c, const char *name, cl_preset *p)
{
    memset(p, 0, sizeof(*p));
    if (!cl_safe_component(name))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "\"%s\" is not a valid preset name", name);
    char path[4352];
    snprintf(path, sizeof(path), "%s/%s.json", c->preset_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "unknown preset \"%s\" (no %s; `clipline presets list` shows the presets)",
                       name, path);
    fclose(f);
    return cl_preset_load_file(c, path, p);
}

void cl_preset_free(cl_preset *p)
{
    if (!p)
        return;
    json_decref(p->normalized);
    p->normalized = NULL;
}

char *cl_preset_canonical(const cl_preset *p)
{
    return json_dumps(p->normalized, JSON_SORT_KEYS | JSON_COMPACT);
}

/* ---- public API ---- */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int clipline_presets_list(clipline_context *c, char ***names)
{
    CL_CHECK_ARG(c, names);
    *names = NULL;
    DIR *d = opendir(c->preset_dir);
    if (!d)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "cannot open the preset folder %s", c->preset_dir);
    size_t n = 0, cap = 16;
    char **v = calloc(cap + 1, sizeof(*v));
    struct dirent *e;
    while (v && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= 5 || strcmp(e->d_name + l - 5, ".json") || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap * 2 + 1) * sizeof(*v));
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        v[n++] = strndup(e->d_name, l - 5);
        v[n] = NULL;
    }
    closedir(d);
    if (!v)
        return AVERROR(ENOMEM);
    qsort(v, n, sizeof(*v), cmp_str);
    *names = v;
    return (int)n;
}

int clipline_preset_show(clipline_context *c, const char *name, char **json)
{
    CL_CHECK_ARG(c, name && json);
    *json = NULL;
    cl_preset p;
    int ret = cl_preset_load(c, name, &p);
    if (ret < 0)
        return ret;
    *json = json_dumps(p.normalized, JSON_SORT_KEYS | JSON_INDENT(2));
    cl_preset_free(&p);
    return *json ? 0 : AVERROR(ENOMEM);
}

int clipline_preset_check(clipline_context *c, const char *path)
{
    CL_CHECK_ARG(c, path);
    cl_preset p;
    int ret = cl_preset_load_file(c, path, &p);
    cl_preset_free(&p);
    return ret;
}

void clipline_strv_free(char ***v)
{
    if (!v || !*v)
        return;
    for (char **p = *v; *p; p++)
        free(*p);
    free(*v);
    *v = NULL;
}
