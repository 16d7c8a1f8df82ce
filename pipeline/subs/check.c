/*
 * check.c: `clipline subs check`: what a translator's file holds, in plain
 * words: its encoding and how it was decided, the cues read, kept and
 * dropped, every problem with its line (parser and lint), and whether the
 * fonts for its language draw every character.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "../core/util.h"
#include "clsub.h"
#include "subs.h"

#define CHECK_MAX_FILES 512

static json_t *diag_json(const clsub_track *t)
{
    json_t *a = json_array();
    for (size_t i = 0; t && i < t->n_diags; i++)
        json_array_append_new(a, json_pack("{s:i,s:s,s:s,s:s}", "line", t->diags[i].line, "severity",
                                           clsub_severity_name(t->diags[i].severity), "code",
                                           t->diags[i].code, "message", t->diags[i].message));
    return a;
}

static json_t *glyph_json(const clsub_glyph_report *g)
{
    json_t *missing = json_array();
    for (size_t i = 0; i < g->n_missing; i++) {
        char cp[16];
        snprintf(cp, sizeof(cp), "U+%04X", (unsigned)g->missing[i].cp);
        json_array_append_new(missing, json_pack("{s:s,s:s,s:i,s:I,s:s?}", "code_point", cp, "char",
                                                 g->missing[i].utf8, "line", g->missing[i].line,
                                                 "count", (json_int_t)g->missing[i].count,
                                                 "suggested_font", g->missing[i].suggestion));
    }
    return json_pack("{s:s,s:s,s:I,s:I,s:o,s:s}", "font", g->family, "resolved_font", g->resolved,
                     "characters_checked", (json_int_t)g->checked, "missing_total",
                     (json_int_t)g->missing_total, "missing", missing, "message", g->message);
}

/* The language tag of a drop-folder name: the part before the extension. */
static int lang_of(const char *path, char lang[36])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot)
        return 0;
    const char *start = dot;
    while (start > base && start[-1] != '.')
        start--;
    size_t n = (size_t)(dot - start);
    if (!cl_subs_valid_lang(start, n))
        return 0;
    memcpy(lang, start, n);
    lang[n] = '\0';
    return 1;
}

/* One file: a JSON object, "ok" false when it cannot be used as it is. */
static json_t *check_file(const char *path, const char *lang_opt)
{
    char lang[36] = "", err[512] = "";
    char *bytes = NULL;
    size_t len = 0;
    clsub_text *text = NULL;
    clsub_track *track = NULL;
    clsub_glyph_report *glyphs = NULL;
    if (lang_opt)
        snprintf(lang, sizeof(lang), "%s", lang_opt);
    else
        lang_of(path, lang);
    json_t *r = json_pack("{s:s,s:s?}", "file", path, "language", lang[0] ? lang : NULL);
    struct stat st;
    int ok = 1, ret = 0;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* a pipe would block, a device never end */
        snprintf(err, sizeof(err), "not a file (a pipe, a device or a folder)");
        goto end;
    }
    ret = cl_read_file(path, CLSUB_MAX_INPUT_BYTES, &bytes, &len);
    if (ret < 0) {
        snprintf(err, sizeof(err), "%s", ret == CLIPLINE_ERROR_LIMIT ? "larger than 16 MiB" : strerror(AVUNERROR(ret)));
        goto end;
    }
    if (clsub_decode(bytes, len, lang[0] ? lang : NULL, NULL, &text, err, sizeof(err)) < 0)
        goto end;
    json_object_set_new(r, "encoding", json_string(text->encoding));
    json_object_set_new(r, "encoding_decided_by", json_string(clsub_charset_path_name(text->path)));
    ret = clsub_parse(text->utf8, text->len, CLSUB_FORMAT_UNKNOWN, &track);
    if (track) {
        json_object_set_new(r, "format", json_string(clsub_format_name(track->format)));
        json_object_set_new(r, "cues", json_pack("{s:I,s:I,s:I}", "read", (json_int_t)track->cues_read,
                                                 "kept", (json_int_t)track->cues_kept, "dropped",
                                                 (json_int_t)track->cues_dropped));
    }
    if (ret < 0) {
        snprintf(err, sizeof(err), "%s", clsub_strerror(ret));
        goto end;
    }
    clsub_lint_settings ls;
    clsub_lint_default_settings(&ls);
    ls.lang = lang[0] ? lang : NULL;
    clsub_lint(track, &ls);
    for (size_t i = 0; i < track->n_diags; i++)
        ok &= track->diags[i].severity != CLSUB_SEV_ERROR;
    ret = clsub_glyph_check(track, lang[0] ? lang : NULL, NULL, &glyphs);
    if (glyphs)
        json_object_set_new(r, "glyphs", glyph_json(glyphs));
    ok &= ret >= 0;
end:
    if (err[0]) {
        json_object_set_new(r, "error", json_string(err));
        ok = 0;
    }
    json_object_set_new(r, "problems", diag_json(track));
    json_object_set_new(r, "ok", json_boolean(ok));
    clsub_glyph_report_free(&glyphs);
    clsub_track_free(&track);
    clsub_text_free(&text);
    free(bytes);
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_sub(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && cl_subs_extension(dot + 1);
}

int cl_subs_check(clipline_context *c, const char *path, const char *lang, json_t **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) < 0)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: %s", path, strerror(errno));
    json_t *files = json_array();
    if (!S_ISDIR(st.st_mode)) {
        json_array_append_new(files, check_file(path, lang));
    } else {
        DIR *d = opendir(path);
        char *names[CHECK_MAX_FILES];
        int n = 0;
        struct dirent *e;
        while (d && (e = readdir(d)) && n < CHECK_MAX_FILES)
            if (e->d_name[0] != '.' && is_sub(e->d_name))
                names[n++] = cl_path_join(path, e->d_name);
        if (d)
            closedir(d);
        qsort(names, (size_t)n, sizeof(*names), cmp_str);
        for (int i = 0; i < n; i++) {
            json_array_append_new(files, check_file(names[i], lang));
            free(names[i]);
        }
    }
    int bad = 0;
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
        bad += !json_is_true(json_object_get(f, "ok"));
    *out = json_pack("{s:o,s:I,s:i}", "files", files, "checked", (json_int_t)json_array_size(files),
                     "with_problems", bad);
    return bad ? CLIPLINE_ERROR_SUBTITLE : 0;
}

int clipline_subs_check(clipline_context *c, const char *path, const char *lang, char **json)
{
    CL_CHECK_ARG(c, path && json);
    *json = NULL;
    json_t *r = NULL;
    int ret = cl_subs_check(c, path, lang, &r);
    if (r) {
        *json = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(r);
    }
    return ret;
}
