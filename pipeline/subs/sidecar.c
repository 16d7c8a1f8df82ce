/*
 * sidecar.c: the drop folder and WebVTT sidecars.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "clsub.h"
#include "subs.h"

#define SUBS_MAX_FILES 256

/* BCP-47 as used in file names: a 2-3 letter language, then subtags of
 * 2-8 letters or digits ("fr", "pt-BR", "zh-Hans", "sr-Latn-RS"). */
int cl_subs_valid_lang(const char *s, size_t len)
{
    size_t i = 0, part = 0;
    int first = 1;
    if (len == 0 || len >= 36)
        return 0;
    for (; i <= len; i++) {
        if (i == len || s[i] == '-') {
            if (first ? (part < 2 || part > 3) : (part < 2 || part > 8))
                return 0;
            first = 0;
            part = 0;
            continue;
        }
        if (first ? !isalpha((unsigned char)s[i]) : !isalnum((unsigned char)s[i]))
            return 0;
        part++;
    }
    return 1;
}

static int sub_ext(const char *ext)
{
    return !strcasecmp(ext, "srt") || !strcasecmp(ext, "vtt");
}

/* "<clip>.<lang>.<ext>" or "<lang>.<ext>": fills lang, returns 2, 1, or 0. */
static int match_name(const char *name, const char *clip, char lang[36])
{
    const char *dot = strrchr(name, '.');
    if (!dot || !sub_ext(dot + 1))
        return 0;
    size_t cl = strlen(clip);
    const char *l = name;
    int kind = 1;
    if (!strncmp(name, clip, cl) && name[cl] == '.' && name + cl < dot) {
        l = name + cl + 1;
        kind = 2;
    }
    size_t ll = (size_t)(dot - l);
    if (!cl_subs_valid_lang(l, ll))
        return 0;
    memcpy(lang, l, ll);
    lang[ll] = '\0';
    return kind;
}

static int cmp_lang(const void *a, const void *b)
{
    return strcmp(((const cl_sub_input *)a)->lang, ((const cl_sub_input *)b)->lang);
}

int cl_subs_scan(clipline_context *c, const char *dir, const char *clip, cl_sub_input **list,
                 int *count)
{
    *list = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "subtitle folder %s: %s", dir, strerror(errno));
    cl_sub_input *v = calloc(SUBS_MAX_FILES, sizeof(*v));
    int n = 0, ret = 0;
    struct dirent *e;
    while (v && (e = readdir(d))) {
        char lang[36];
        int kind = match_name(e->d_name, clip, lang);
        if (!kind)
            continue;
        int k = 0;
        while (k < n && strcmp(v[k].lang, lang))
            k++;
        if (k < n && v[k].clip_timeline >= kind - 1)
            continue; /* the clip's own file wins; first of equals stays */
        if (k == n && n == SUBS_MAX_FILES) {
            ret = cl_fail(c, CLIPLINE_ERROR_LIMIT, "subtitle folder %s: more than %d languages",
                          dir, SUBS_MAX_FILES);
            break;
        }
        free(v[k].path);
        v[k].path = cl_path_join(dir, e->d_name);
        snprintf(v[k].lang, sizeof(v[k].lang), "%s", lang);
        v[k].clip_timeline = kind == 2;
        if (k == n)
            n++;
    }
    closedir(d);
    if (!v)
        return AVERROR(ENOMEM);
    for (int i = 0; ret >= 0 && i < n; i++)
        if (cl_sha256_file(v[i].path, v[i].sha256, NULL) < 0)
            ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: cannot read: %s", v[i].path,
                          strerror(errno));
    if (ret < 0) {
        cl_subs_free(&v, n);
        return ret;
    }
    qsort(v, (size_t)n, sizeof(*v), cmp_lang);
    *list = v;
    *count = n;
    return 0;
}

void cl_subs_free(cl_sub_input **list, int count)
{
    if (!list || !*list)
        return;
    for (int i = 0; i < count; i++)
        free((*list)[i].path);
    free(*list);
    *list = NULL;
}

/* The translator's report, in plain words, beside their file. */
static void write_report(const cl_sub_input *in, const clsub_track *t, const cl_sidecar_result *r,
                         const char *failure)
{
    size_t cap = 4096 + (t ? t->n_diags * 256 : 0), used = 0;
    char *buf = malloc(cap);
    if (!buf)
        return;
#define OUT(...) used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, __VA_ARGS__)
    const char *base = strrchr(in->path, '/');
    OUT("Report for %s (language %s)\n\n", base ? base + 1 : in->path, in->lang);
    if (failure) {
        OUT("This file could not be used: %s\n", failure);
    } else {
        OUT("Encoding: %s (%s)\n", r->encoding, r->encoding_how);
        OUT("Timed against: %s\n", in->clip_timeline ? "the clip" : "the whole recording");
        OUT("%d cues read, %d kept, %d dropped.\n", r->cues_read, r->cues_kept, r->cues_dropped);
        OUT("In this clip: %d cues (%d cut at the clip's start or end), %d outside the clip.\n",
            r->cues_in_clip, r->cues_clipped, r->cues_outside);
    }
    if (t && t->n_diags) {
        OUT("\nProblems found:\n");
        for (size_t i = 0; i < t->n_diags && used < cap; i++)
            OUT("- line %d: %s: %s\n", t->diags[i].line, clsub_severity_name(t->diags[i].severity),
                t->diags[i].message);
    } else if (!failure) {
        OUT("\nNo problems found.\n");
    }
#undef OUT
    char *path = malloc(strlen(in->path) + 16);
    if (path) {
        sprintf(path, "%s.report.txt", in->path);
        cl_write_file_atomic(path, buf, used < cap ? used : cap - 1);
    }
    free(path);
    free(buf);
}

/* Reads, decodes, parses and moves a subtitle file onto the clip's
 * timeline. On failure `err` says why (for the translator's report). */
static int load_clipped(const cl_sub_input *in, int64_t in_us, int64_t out_us, clsub_track **out,
                        cl_sidecar_result *res, char *err, size_t errlen)
{
    char *bytes = NULL;
    size_t len = 0;
    clsub_text *text = NULL;
    clsub_track *track = NULL;
    memset(res, 0, sizeof(*res));
    *out = NULL;
    int ret = cl_read_file(in->path, CLSUB_MAX_INPUT_BYTES, &bytes, &len);
    if (ret < 0) {
        snprintf(err, errlen, "%s", ret == CLIPLINE_ERROR_LIMIT ? "larger than 16 MiB" : strerror(AVUNERROR(ret)));
        goto end;
    }
    if ((ret = clsub_decode(bytes, len, in->lang, NULL, &text, err, errlen)) < 0)
        goto end;
    snprintf(res->encoding, sizeof(res->encoding), "%s", text->encoding);
    res->encoding_how = text->path == CLSUB_CHARSET_BOM        ? "from its byte-order mark"
                        : text->path == CLSUB_CHARSET_UTF8     ? "valid UTF-8"
                        : text->path == CLSUB_CHARSET_LANGUAGE ? "not UTF-8: the usual encoding for this language"
                                                               : "as the job says";
    ret = clsub_parse(text->utf8, text->len, CLSUB_FORMAT_UNKNOWN, &track);
    if (track) {
        res->cues_read = (int)track->cues_read;
        res->cues_kept = (int)track->cues_kept;
        res->cues_dropped = (int)track->cues_dropped;
    }
    if (ret < 0) {
        snprintf(err, errlen, "%s", clsub_strerror(ret));
        goto end;
    }
    clsub_clip_stats st;
    int64_t in_ms = in->clip_timeline ? 0 : in_us / 1000;
    int64_t out_ms = in->clip_timeline ? (out_us - in_us) / 1000 : out_us / 1000;
    if ((ret = clsub_track_clip(track, in_ms, out_ms, &st)) < 0) {
        snprintf(err, errlen, "%s", clsub_strerror(ret));
        goto end;
    }
    res->cues_in_clip = (int)st.kept;
    res->cues_clipped = (int)st.clipped;
    res->cues_outside = (int)(st.dropped_before + st.dropped_after);
    res->first_ms = st.first_ms;
    res->last_ms = st.last_ms;
end:
    *out = track; /* also on failure: its diagnostics explain it */
    clsub_text_free(&text);
    free(bytes);
    return err[0] ? CLIPLINE_ERROR_SUBTITLE : ret;
}

int cl_subs_make_sidecar(clipline_context *c, const cl_sub_input *in, int64_t in_us, int64_t out_us,
                         const char *out_path, cl_sidecar_result *res)
{
    char *vtt = NULL, err[512] = "";
    size_t vlen = 0;
    clsub_track *track = NULL;
    int ret = load_clipped(in, in_us, out_us, &track, res, err, sizeof(err));
    if (ret >= 0 && (ret = clsub_write_vtt(track, &vtt, &vlen)) < 0)
        snprintf(err, sizeof(err), "%s", clsub_strerror(ret));
    if (ret >= 0 && (ret = cl_write_file_atomic(out_path, vtt, vlen)) < 0)
        ret = cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: cannot write: %s", out_path,
                      strerror(AVUNERROR(ret)));
    if (err[0])
        ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: %s", in->path, err);
    write_report(in, track, res, err[0] ? err : NULL);
    clsub_track_free(&track);
    free(vtt);
    return ret;
}

int cl_subs_prepare_burn(clipline_context *c, const cl_sub_input *in, int64_t in_us, int64_t out_us,
                         clsub_track **out)
{
    char err[512] = "";
    cl_sidecar_result res;
    clsub_track *track = NULL;
    clsub_glyph_report *g = NULL;
    *out = NULL;
    int ret = load_clipped(in, in_us, out_us, &track, &res, err, sizeof(err));
    if (ret < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: %s", in->path, err);
        goto end;
    }
    /* glyph pre-flight: never a burned video with boxes */
    ret = clsub_glyph_check(track, in->lang, NULL, &g);
    if (ret < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: cannot burn in %s: %s", in->path, in->lang,
                      g ? g->message : clsub_strerror(ret));
        goto end;
    }
    *out = track;
    track = NULL;
end:
    clsub_glyph_report_free(&g);
    clsub_track_free(&track);
    return ret;
}
