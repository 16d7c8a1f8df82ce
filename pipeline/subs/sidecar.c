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
#include <sys/stat.h>
#include <time.h>

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

int cl_subs_extension(const char *ext)
{
    return !strcasecmp(ext, "srt") || !strcasecmp(ext, "vtt") || !strcasecmp(ext, "ass") ||
           !strcasecmp(ext, "ssa");
}

/* "<clip>.<lang>.<ext>" or "<lang>.<ext>": fills lang, returns 2, 1, or 0. */
static int match_name(const char *name, const char *clip, char lang[36])
{
    const char *dot = strrchr(name, '.');
    if (!dot || !cl_subs_extension(dot + 1))
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

/* A translator's editor may still be writing a file: one changed in the
 * last SETTLE_S seconds is looked at again after SETTLE_WAIT_MS; if its
 * size or time changed meanwhile it is left for the next run (and said so),
 * never read half-written. Returns the new count. */
#define SETTLE_S 2
#define SETTLE_WAIT_MS 300
static int drop_unsettled(clipline_context *c, cl_sub_input *v, int n)
{
    struct stat st[SUBS_MAX_FILES];
    int recent = 0;
    time_t now = time(NULL);
    for (int i = 0; i < n; i++) {
        if (stat(v[i].path, &st[i]) < 0)
            memset(&st[i], 0, sizeof(st[i]));
        recent |= st[i].st_mtime + SETTLE_S > now;
    }
    if (!recent)
        return n;
    struct timespec ts = { 0, SETTLE_WAIT_MS * 1000000L };
    nanosleep(&ts, NULL);
    int k = 0;
    for (int i = 0; i < n; i++) {
        struct stat again;
        int changed = st[i].st_mtime + SETTLE_S > now &&
                      (stat(v[i].path, &again) < 0 || again.st_size != st[i].st_size ||
                       again.st_mtim.tv_sec != st[i].st_mtim.tv_sec || again.st_mtim.tv_nsec != st[i].st_mtim.tv_nsec);
        if (changed) {
            cl_log(c, CLIPLINE_LOG_WARNING,
                   "%s: still being written (it changed within %d ms); left for the next run", v[i].path,
                   SETTLE_WAIT_MS);
            free(v[i].path);
            continue;
        }
        v[k++] = v[i];
    }
    return k;
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
    n = drop_unsettled(c, v, n);
    for (int i = 0; ret >= 0 && i < n; i++) {
        struct stat st; /* a pipe would block the run, a device never end */
        if (stat(v[i].path, &st) == 0 && !S_ISREG(st.st_mode))
            ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: not a file (a pipe, a device or a folder); "
                          "subtitles are read from files", v[i].path);
        else if (cl_sha256_file(v[i].path, v[i].sha256, NULL) < 0)
            ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: cannot read: %s", v[i].path,
                          strerror(errno));
    }
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
static int load_clipped(const cl_sub_input *in, const cl_span *span, clsub_track **out,
                        cl_sidecar_result *res, char *err, size_t errlen, cl_burn_source *ass)
{
    char *bytes = NULL;
    size_t len = 0;
    clsub_text *text = NULL;
    clsub_track *track = NULL;
    memset(res, 0, sizeof(*res));
    *out = NULL;
    /* the file's time of the clip's first frame; the intro comes before it */
    int64_t in_ms = in->clip_timeline ? 0 : span->in_us / 1000, lead_ms = span->lead_us / 1000;
    int ret = cl_read_file(in->path, CLSUB_MAX_INPUT_BYTES, &bytes, &len);
    if (ret < 0) {
        snprintf(err, errlen, "%s", ret == CLIPLINE_ERROR_LIMIT ? "larger than 16 MiB" : strerror(AVUNERROR(ret)));
        goto end;
    }
    if ((ret = clsub_decode(bytes, len, in->lang, in->encoding[0] ? in->encoding : NULL, &text, err, errlen)) < 0)
        goto end;
    snprintf(res->encoding, sizeof(res->encoding), "%s", text->encoding);
    res->encoding_how = text->path == CLSUB_CHARSET_BOM        ? "from its byte-order mark"
                        : text->path == CLSUB_CHARSET_UTF8     ? "valid UTF-8"
                        : text->path == CLSUB_CHARSET_LANGUAGE ? "not UTF-8: the usual encoding for this language"
                                                               : "as the job says";
    ret = clsub_parse(text->utf8, text->len, CLSUB_FORMAT_UNKNOWN, &track);
    if (ass && track && track->format == CLSUB_FORMAT_ASS && ret >= 0) {
        if (!(ass->ass = malloc(text->len + 1))) {
            ret = AVERROR(ENOMEM);
            snprintf(err, errlen, "out of memory");
            goto end;
        }
        memcpy(ass->ass, text->utf8, text->len);
        ass->ass[text->len] = '\0';
        ass->ass_len = text->len;
        ass->ass_offset_ms = in_ms - lead_ms;
    }
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
    int64_t out_ms = in->clip_timeline ? (span->out_us - span->in_us) / 1000 : span->out_us / 1000;
    if ((ret = clsub_track_clip(track, in_ms, out_ms, &st)) < 0 ||
        (lead_ms && (ret = clsub_track_shift(track, lead_ms)) < 0)) { /* after the intro */
        snprintf(err, errlen, "%s", clsub_strerror(ret));
        goto end;
    }
    if (lead_ms && st.first_ms >= 0) {
        st.first_ms += lead_ms;
        st.last_ms += lead_ms;
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

int cl_subs_make_sidecar(clipline_context *c, const cl_sub_input *in, const cl_span *span,
                         const char *out_path, cl_sidecar_result *res)
{
    char *vtt = NULL, err[512] = "";
    size_t vlen = 0;
    clsub_track *track = NULL;
    int ret = load_clipped(in, span, &track, res, err, sizeof(err), NULL);
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

void cl_burn_source_free(cl_burn_source *src)
{
    clsub_track_free(&src->track);
    free(src->ass);
    memset(src, 0, sizeof(*src));
}

int cl_subs_prepare_burn(clipline_context *c, const cl_sub_input *in, const cl_span *span,
                         const char *font_dir, cl_burn_source *src)
{
    char err[512] = "";
    cl_sidecar_result res;
    clsub_track *track = NULL;
    clsub_glyph_report *g = NULL;
    memset(src, 0, sizeof(*src));
    int ret = load_clipped(in, span, &track, &res, err, sizeof(err), src);
    if (ret < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: %s", in->path, err);
        goto end;
    }
    /* glyph pre-flight: never a burned video with boxes */
    ret = clsub_glyph_check(track, in->lang, font_dir, &g);
    if (ret < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: cannot burn in %s: %s", in->path, in->lang,
                      g ? g->message : clsub_strerror(ret));
        goto end;
    }
    src->track = track;
    track = NULL;
end:
    clsub_glyph_report_free(&g);
    clsub_track_free(&track);
    if (ret < 0)
        cl_burn_source_free(src);
    return ret;
}

int cl_subs_load(clipline_context *c, const cl_sub_input *in, const cl_span *span, clsub_track **out)
{
    char err[512] = "";
    cl_sidecar_result res;
    int ret = load_clipped(in, span, out, &res, err, sizeof(err), NULL);
    if (ret < 0) {
        clsub_track_free(out);
        return cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: %s", in->path, err);
    }
    return 0;
}

/* One WebVTT segment: the cues that overlap [t0, t1), whole. */
static int write_vtt_segment(const clsub_track *t, int64_t t0, int64_t t1, const char *path)
{
    clsub_track view = *t;
    clsub_cue *cues = malloc((t->n_cues ? t->n_cues : 1) * sizeof(*cues));
    char *vtt = NULL;
    size_t len = 0;
    if (!cues)
        return AVERROR(ENOMEM);
    view.n_cues = 0;
    view.cues = cues;
    for (size_t i = 0; i < t->n_cues; i++)
        if (t->cues[i].start_ms < t1 && t->cues[i].end_ms > t0)
            cues[view.n_cues++] = t->cues[i];
    int ret = clsub_write_vtt(&view, &vtt, &len);
    free(cues);
    if (ret < 0)
        return AVERROR(EINVAL);
    /* the timestamp map goes right after the signature line */
    static const char map[] = "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n";
    char *nl = memchr(vtt, '\n', len);
    size_t head = nl ? (size_t)(nl - vtt) + 1 : len;
    char *out = malloc(len + sizeof(map) + 1);
    if (!out) {
        free(vtt);
        return AVERROR(ENOMEM);
    }
    memcpy(out, vtt, head);
    if (!nl)
        out[head++] = '\n';
    memcpy(out + head, map, sizeof(map) - 1);
    memcpy(out + head + sizeof(map) - 1, vtt + (nl ? head : len), len - (nl ? head : len));
    size_t total = len + sizeof(map) - 1 + (nl ? 0 : 1);
    ret = cl_write_file_atomic(path, out, total);
    free(out);
    free(vtt);
    return ret;
}

int cl_subs_write_hls(clipline_context *c, const clsub_track *track, const char *dir,
                      int64_t clip_ms, double segment_s)
{
    int64_t seg_ms = (int64_t)(segment_s * 1000 + 0.5);
    if (seg_ms <= 0 || clip_ms <= 0)
        return AVERROR(EINVAL);
    int n = (int)((clip_ms + seg_ms - 1) / seg_ms);
    size_t cap = 512 + (size_t)n * 64, used = 0;
    char *pl = malloc(cap);
    if (!pl)
        return AVERROR(ENOMEM);
    int64_t longest = clip_ms < seg_ms ? clip_ms : seg_ms;
    used += (size_t)snprintf(pl, cap,
                             "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n"
                             "#EXT-X-PLAYLIST-TYPE:VOD\n",
                             (int)((longest + 999) / 1000));
    int ret = 0;
    for (int i = 0; i < n && ret >= 0; i++) {
        int64_t t0 = i * seg_ms, t1 = t0 + seg_ms < clip_ms ? t0 + seg_ms : clip_ms;
        char name[32], *path;
        snprintf(name, sizeof(name), "seg-%05d.vtt", i);
        if (!(path = cl_path_join(dir, name))) {
            ret = AVERROR(ENOMEM);
            break;
        }
        ret = write_vtt_segment(track, t0, t1, path);
        free(path);
        used += (size_t)snprintf(pl + used, cap - used, "#EXTINF:%.3f,\n%s\n", (t1 - t0) / 1000.0, name);
    }
    used += (size_t)snprintf(pl + used, cap - used, "#EXT-X-ENDLIST\n");
    char *path = ret >= 0 ? cl_path_join(dir, "index.m3u8") : NULL;
    if (ret >= 0)
        ret = path ? cl_write_file_atomic(path, pl, used) : AVERROR(ENOMEM);
    free(path);
    free(pl);
    if (ret < 0)
        return cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: cannot write the subtitle rendition: %s", dir,
                       clipline_strerror(ret));
    return 0;
}

/* Plain text of a cue on one line, cut to size bytes at a UTF-8 boundary. */
static void cue_line(const clsub_cue *cue, char *out, size_t size)
{
    char *plain = NULL;
    out[0] = '\0';
    if (clsub_cue_plain_text(cue, &plain) < 0 || !plain)
        return;
    size_t k = 0;
    for (const char *p = plain; *p && k + 1 < size; p++)
        out[k++] = *p == '\n' ? ' ' : *p;
    if (plain[k] && k > 0) /* cut: back to a character boundary, mark it */
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
    out[k] = '\0';
    if (strlen(plain) >= size && k + 4 < size)
        strcat(out, "...");
    free(plain);
}

int cl_subs_explain(clipline_context *c, const cl_sub_input *in, const cl_span *span,
                    cl_sidecar_result *res, char *first, char *last, size_t size)
{
    char err[512] = "";
    clsub_track *t = NULL;
    first[0] = last[0] = '\0';
    int ret = load_clipped(in, span, &t, res, err, sizeof(err), NULL);
    if (ret < 0) {
        clsub_track_free(&t);
        return cl_fail(c, CLIPLINE_ERROR_SUBTITLE, "%s: %s", in->path, err);
    }
    if (t->n_cues) {
        cue_line(&t->cues[0], first, size);
        cue_line(&t->cues[t->n_cues - 1], last, size);
    }
    clsub_track_free(&t);
    return 0;
}
