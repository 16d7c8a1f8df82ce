/*
 * spec.c: reading the job file into a cl_job_spec.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "../subs/subs.h"
#include "jsonfile.h"
#include "spec.h"

#define JOB_FILE_CAP (4 * 1024 * 1024)
#define JOB_MAX_INTERVIEWS 10000
#define JOB_MAX_CLIPS 1000
#define JOB_MAX_PRESETS 32

static const cl_keyspec job_keys[] = {
    { "destination", CL_JSTRING },
    { "presets", CL_JARRAY },
    { "module_length", CL_JSTRING | CL_JNUMBER },
    { "subtitles", CL_JOBJECT },
    { "intro", CL_JSTRING | CL_JOBJECT },
    { "outro", CL_JSTRING | CL_JOBJECT },
    { "interviews", CL_JARRAY },
    { NULL, 0 },
};
static const cl_keyspec part_keys[] = {
    { "file", CL_JSTRING },
    { "duration", CL_JSTRING | CL_JNUMBER },
    { NULL, 0 },
};
static const cl_keyspec subtitles_keys[] = {
    { "soft", CL_JBOOL },
    { "burn_in", CL_JOBJECT },
    { "encoding", CL_JSTRING | CL_JOBJECT },
    { "font_dir", CL_JSTRING },
    { "style", CL_JOBJECT },
    { NULL, 0 },
};

static const cl_keyspec style_keys[] = {
    { "font_family", CL_JSTRING },
    { "font_scale", CL_JNUMBER },
    { "box", CL_JBOOL },
    { NULL, 0 },
};
static const cl_keyspec burn_keys[] = {
    { "languages", CL_JARRAY },
    { "presets", CL_JARRAY },
    { NULL, 0 },
};
static const cl_keyspec interview_keys[] = {
    { "id", CL_JSTRING },
    { "source", CL_JSTRING },
    { "subtitles", CL_JSTRING },
    { "clips", CL_JARRAY },
    { NULL, 0 },
};
static const cl_keyspec clip_keys[] = {
    { "name", CL_JSTRING },
    { "title", CL_JSTRING },
    { "in", CL_JSTRING | CL_JNUMBER },
    { "out", CL_JSTRING | CL_JNUMBER },
    { "duration", CL_JSTRING | CL_JNUMBER },
    { "allow_longer", CL_JBOOL },
    { "trim_silence", CL_JBOOL | CL_JOBJECT },
    { "trim_black", CL_JBOOL | CL_JOBJECT },
    { "intro", CL_JSTRING | CL_JOBJECT | CL_JBOOL },
    { "outro", CL_JSTRING | CL_JOBJECT | CL_JBOOL },
    { NULL, 0 },
};

static const cl_keyspec trim_silence_keys[] = {
    { "max_s", CL_JNUMBER },
    { "threshold_db", CL_JNUMBER },
    { NULL, 0 },
};

static const cl_keyspec trim_black_keys[] = {
    { "max_s", CL_JNUMBER },
    { "threshold", CL_JINT },
    { NULL, 0 },
};

/* "trim_silence": true | { "max_s": 3, "threshold_db": -45 }; "trim_black"
 * likewise with "threshold" (mean 8-bit luma). */
static int load_trim(clipline_context *c, const cl_jsondoc *doc, const char *ptr, json_t *o, cl_clip_spec *clip)
{
    char p2[300], where[700];
    json_t *ts = json_object_get(o, "trim_silence"), *tb = json_object_get(o, "trim_black");
    clip->trim_silence = ts && !json_is_false(ts);
    clip->trim_black = tb && !json_is_false(tb);
    clip->silence_max_s = clip->black_max_s = 3;
    clip->silence_db = -45;
    clip->black_luma = 24;
    for (int k = 0; k < 2; k++) {
        json_t *v = k ? tb : ts;
        if (!json_is_object(v))
            continue;
        snprintf(p2, sizeof(p2), "%s/%s", ptr, k ? "trim_black" : "trim_silence");
        int ret = cl_json_check_keys(c, doc, p2, v, k ? trim_black_keys : trim_silence_keys,
                                     k ? "\"trim_black\"" : "\"trim_silence\"");
        if (ret < 0)
            return ret;
        json_t *max = json_object_get(v, "max_s"), *th = json_object_get(v, "threshold_db");
        json_t *luma = json_object_get(v, "threshold");
        if (max && (json_number_value(max) <= 0 || json_number_value(max) > 60)) {
            snprintf(p2 + strlen(p2), sizeof(p2) - strlen(p2), "/max_s");
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: max_s = %g is out of range (0, 60]",
                           cl_json_where(doc, p2, where, sizeof(where)), json_number_value(max));
        }
        if (th && (json_number_value(th) < -90 || json_number_value(th) > -10)) {
            snprintf(p2 + strlen(p2), sizeof(p2) - strlen(p2), "/threshold_db");
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: threshold_db = %g is out of range [-90, -10]",
                           cl_json_where(doc, p2, where, sizeof(where)), json_number_value(th));
        }
        if (luma && (json_integer_value(luma) < 16 || json_integer_value(luma) > 128)) {
            snprintf(p2 + strlen(p2), sizeof(p2) - strlen(p2), "/threshold");
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: threshold = %lld is out of range [16, 128]",
                           cl_json_where(doc, p2, where, sizeof(where)), (long long)json_integer_value(luma));
        }
        if (k == 0) {
            clip->silence_max_s = max ? json_number_value(max) : clip->silence_max_s;
            clip->silence_db = th ? json_number_value(th) : clip->silence_db;
        } else {
            clip->black_max_s = max ? json_number_value(max) : clip->black_max_s;
            clip->black_luma = luma ? (int)json_integer_value(luma) : clip->black_luma;
        }
    }
    return 0;
}

/* "intro": "card.png" | { "file": "card.png", "duration": 4 } | false (a
 * clip: none, whatever the job says). The file is read when a clip uses
 * it: a missing one fails those clips, naming it and this key. */
static int load_part(clipline_context *c, const cl_jsondoc *doc, const char *dir, const char *ptr,
                     json_t *o, const char *key, cl_part_spec *part)
{
    char p2[320], where[700];
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    snprintf(p2, sizeof(p2), "%s/%s", ptr, key);
    cl_json_where(doc, p2, where, sizeof(where));
    if (json_is_false(v)) {
        part->off = 1;
        return 0;
    }
    if (json_is_true(v))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"%s\" is a file name, an object with "
                       "\"file\", or false for none", where, key);
    json_t *file = v, *dur = NULL;
    if (json_is_object(v)) {
        int ret = cl_json_check_keys(c, doc, p2, v, part_keys, key);
        if (ret < 0)
            return ret;
        file = json_object_get(v, "file");
        dur = json_object_get(v, "duration");
        if (!file)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"%s\" needs a \"file\"", where, key);
    }
    if (!json_string_value(file)[0])
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"%s\" names no file", where, key);
    if (dur) {
        char text[64];
        if (json_is_number(dur))
            snprintf(text, sizeof(text), "%.6f", json_number_value(dur));
        else
            snprintf(text, sizeof(text), "%s", json_string_value(dur));
        if (cl_timepoint_parse(text, &part->duration) < 0 || part->duration.is_frames ||
            part->duration.value <= 0 || part->duration.value > CL_PART_MAX_US)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                           "%s: the %s's duration \"%s\" is not a time between 0 and 60 s", where,
                           key, text);
    }
    part->file = cl_path_join(dir, json_string_value(file));
    part->where = strdup(where);
    if (!part->file || !part->where)
        return AVERROR(ENOMEM);
    return 0;
}

const cl_part_spec *cl_clip_part(const cl_job_spec *job, const cl_clip_spec *clip, int outro)
{
    const cl_part_spec *own = outro ? &clip->outro : &clip->intro;
    const cl_part_spec *all = outro ? &job->outro : &job->intro;
    if (own->off)
        return NULL;
    return own->file ? own : all->file ? all : NULL;
}

static void free_part(cl_part_spec *p)
{
    free(p->file);
    free(p->where);
}

int cl_timepoint_parse(const char *s, cl_timepoint *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->text, sizeof(t->text), "%s", s);
    while (*s == ' ')
        s++;
    size_t len = strlen(s);
    while (len && s[len - 1] == ' ')
        len--;
    if (!len || len > 40)
        return -1;
    char buf[48];
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (buf[len - 1] == 'f') { /* frame number */
        char *end;
        buf[len - 1] = '\0';
        long long f = strtoll(buf, &end, 10);
        if (end == buf || *end || f < 0)
            return -1;
        t->set = t->is_frames = 1;
        t->value = f;
        return 0;
    }
    /* up to three ':'-separated fields, the last one may have a fraction */
    double fields[3];
    int nf = 0;
    char *p = buf;
    for (;;) {
        char *end;
        if (nf == 3 || !(*p >= '0' && *p <= '9'))
            return -1;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        fields[nf++] = v;
        if (*end == ':') {
            if (strchr(p, '.') && strchr(p, '.') < end)
                return -1; /* fraction only in the last field */
            p = end + 1;
            continue;
        }
        if (*end)
            return -1;
        break;
    }
    double secs = 0;
    for (int i = 0; i < nf; i++) {
        if (i > 0 && fields[i] >= 60)
            return -1;
        secs = secs * 60 + fields[i];
    }
    if (secs > 1e7)
        return -1;
    t->set = 1;
    t->value = (int64_t)(secs * 1e6 + 0.5);
    return 0;
}

const char *cl_format_time(int64_t us, char buf[32])
{
    const char *sign = us < 0 ? "-" : "";
    if (us < 0)
        us = -us;
    int64_t ms = (us + 500) / 1000;
    snprintf(buf, 32, "%s%d:%02d:%02d.%03d", sign, (int)(ms / 3600000), (int)(ms / 60000 % 60),
             (int)(ms / 1000 % 60), (int)(ms % 1000));
    return buf;
}

/* Reads a time field of a clip; a bad value is recorded on the clip. */
static void clip_time(cl_clip_spec *clip, json_t *v, const char *key, cl_timepoint *t,
                      const char *where)
{
    if (!v)
        return;
    char text[64];
    if (json_is_number(v))
        snprintf(text, sizeof(text), "%.6f", json_number_value(v));
    else
        snprintf(text, sizeof(text), "%s", json_string_value(v));
    if (cl_timepoint_parse(text, t) < 0 && !clip->error) {
        char msg[512];
        snprintf(msg, sizeof(msg),
                 "%s: \"%s\" is not a time (use HH:MM:SS.mmm, seconds, or a frame number like 123f)",
                 where, json_is_string(v) ? json_string_value(v) : text);
        clip->error = strdup(msg);
        (void)key;
    }
}

/* A name for a folder or file of the destination: one safe path component,
 * not hidden (the destination's own .clipline-staging and .clipline-parts
 * start with a dot) and, at its top (`top`), not one of its own files. */
static int destination_name(const char *name, int top)
{
    return cl_safe_component(name) && name[0] != '.' &&
           !(top && (!strcasecmp(name, "manifest.json") || !strcasecmp(name, "index.html")));
}

static int load_clip(clipline_context *c, const cl_jsondoc *doc, const char *dir, const char *ptr,
                     json_t *o, cl_clip_spec *clip, int index)
{
    char where[700], p2[300];
    int ret = cl_json_check_keys(c, doc, ptr, o, clip_keys, "a clip");
    if (ret < 0)
        return ret;
    json_t *name = json_object_get(o, "name");
    cl_json_where(doc, ptr, where, sizeof(where));
    if (!name)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: clip %d has no \"name\"", where, index + 1);
    if (!destination_name(json_string_value(name), 0))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "%s: clip name \"%s\" cannot be used as a file name (no '/', '..', leading '.' "
                       "or control characters)",
                       where, json_string_value(name));
    clip->name = strdup(json_string_value(name));
    json_t *title = json_object_get(o, "title");
    clip->title = title ? strdup(json_string_value(title)) : NULL;
    clip->allow_longer = json_is_true(json_object_get(o, "allow_longer"));
    if ((ret = load_trim(c, doc, ptr, o, clip)) < 0 ||
        (ret = load_part(c, doc, dir, ptr, o, "intro", &clip->intro)) < 0 ||
        (ret = load_part(c, doc, dir, ptr, o, "outro", &clip->outro)) < 0)
        return ret;
    static const char *keys[] = { "in", "out", "duration" };
    cl_timepoint *tps[] = { &clip->in, &clip->out, &clip->duration };
    for (int i = 0; i < 3; i++) {
        snprintf(p2, sizeof(p2), "%s/%s", ptr, keys[i]);
        cl_json_where(doc, p2, where, sizeof(where));
        clip_time(clip, json_object_get(o, keys[i]), keys[i], tps[i], where);
    }
    if (clip->out.set && clip->duration.set && !clip->error) {
        cl_json_where(doc, ptr, where, sizeof(where));
        snprintf(p2, sizeof(p2), "%s: give \"out\" or \"duration\", not both", where);
        clip->error = strdup(p2);
    }
    return 0;
}

static int load_interview(clipline_context *c, const cl_jsondoc *doc, const char *dir, int index,
                          json_t *o, cl_interview_spec *iv)
{
    char ptr[128], where[700];
    snprintf(ptr, sizeof(ptr), "/interviews/%d", index);
    cl_json_where(doc, ptr, where, sizeof(where));
    if (!json_is_object(o))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: each interview must be an object", where);
    int ret = cl_json_check_keys(c, doc, ptr, o, interview_keys, "an interview");
    if (ret < 0)
        return ret;
    json_t *id = json_object_get(o, "id"), *src = json_object_get(o, "source");
    if (!id || !src)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: interview %d needs \"id\" and \"source\"",
                       where, index + 1);
    if (!destination_name(json_string_value(id), 1))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "%s: interview id \"%s\" cannot be used as a folder name (no '/', '..', leading "
                       "'.', control characters, manifest.json or index.html: the destination's own)",
                       where, json_string_value(id));
    iv->id = strdup(json_string_value(id));
    iv->source = cl_path_join(dir, json_string_value(src));
    json_t *subs = json_object_get(o, "subtitles");
    iv->subtitles = subs ? cl_path_join(dir, json_string_value(subs)) : NULL;
    json_t *clips = json_object_get(o, "clips");
    size_t n = clips ? json_array_size(clips) : 0;
    if (n > JOB_MAX_CLIPS)
        return cl_fail(c, CLIPLINE_ERROR_LIMIT, "%s: more than %d clips", where, JOB_MAX_CLIPS);
    if (n == 0) { /* the whole recording as one clip named after the interview */
        iv->clips = calloc(1, sizeof(*iv->clips));
        if (!iv->clips)
            return AVERROR(ENOMEM);
        iv->nb_clips = 1;
        iv->clips[0].name = strdup(iv->id);
        return 0;
    }
    iv->clips = calloc(n, sizeof(*iv->clips));
    if (!iv->clips)
        return AVERROR(ENOMEM);
    for (size_t i = 0; i < n; i++) {
        char cptr[160];
        snprintf(cptr, sizeof(cptr), "%s/clips/%zu", ptr, i);
        json_t *co = json_array_get(clips, i);
        if (!json_is_object(co))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: each clip must be an object",
                           cl_json_where(doc, cptr, where, sizeof(where)));
        iv->nb_clips++;
        if ((ret = load_clip(c, doc, dir, cptr, co, &iv->clips[i], (int)i)) < 0)
            return ret;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(iv->clips[j].name, iv->clips[i].name))
                return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: clip name \"%s\" is used twice",
                               cl_json_where(doc, cptr, where, sizeof(where)), iv->clips[i].name);
    }
    return 0;
}

static int load_presets(clipline_context *c, const cl_jsondoc *doc, cl_job_spec *job)
{
    json_t *arr = json_object_get(doc->root, "presets");
    char where[700], ptr[64];
    size_t n = arr ? json_array_size(arr) : 0;
    if (n > JOB_MAX_PRESETS)
        return cl_fail(c, CLIPLINE_ERROR_LIMIT, "%s: more than %d presets",
                       cl_json_where(doc, "/presets", where, sizeof(where)), JOB_MAX_PRESETS);
    if (!arr) { /* the default ladder of this version */
        job->presets = calloc(1, sizeof(*job->presets));
        if (!job->presets)
            return AVERROR(ENOMEM);
        job->nb_presets = 1;
        return cl_preset_load(c, "web-720p", &job->presets[0]);
    }
    if (!n)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"presets\" is empty",
                       cl_json_where(doc, "/presets", where, sizeof(where)));
    job->presets = calloc(n, sizeof(*job->presets));
    if (!job->presets)
        return AVERROR(ENOMEM);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        snprintf(ptr, sizeof(ptr), "/presets/%zu", i);
        cl_json_where(doc, ptr, where, sizeof(where));
        if (!json_is_string(v))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: preset names must be strings", where);
        job->nb_presets++;
        int ret = cl_preset_load(c, json_string_value(v), &job->presets[i]);
        if (ret < 0) {
            char inner[CL_DETAIL_MAX];
            snprintf(inner, sizeof(inner), "%s", cl_detail(c));
            return cl_fail(c, ret, "%s: %s", where, inner);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(job->presets[j].name, job->presets[i].name))
                return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: preset \"%s\" is listed twice", where,
                               job->presets[i].name);
    }
    return 0;
}

/* The HLS preset's rungs: MP4 presets, loaded unless the job lists them. */
static int load_ladder(clipline_context *c, const cl_jsondoc *doc, cl_job_spec *job)
{
    char where[700];
    for (int i = 0; i < job->nb_presets; i++) {
        if (strcmp(job->presets[i].container, "hls"))
            continue;
        if (job->hls)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: a job can have one HLS preset (\"%s\" and \"%s\")",
                           cl_json_where(doc, "/presets", where, sizeof(where)), job->hls->name,
                           job->presets[i].name);
        job->hls = &job->presets[i];
    }
    for (int r = 0; job->hls && r < job->hls->nb_rungs; r++) {
        const char *name = job->hls->rungs[r];
        const cl_preset *rung = NULL;
        for (int i = 0; i < job->nb_presets; i++)
            if (!strcmp(job->presets[i].name, name))
                rung = &job->presets[i];
        if (!rung) {
            int ret = cl_preset_load(c, name, &job->ladder_extra[job->nb_ladder_extra]);
            if (ret < 0)
                return ret;
            rung = &job->ladder_extra[job->nb_ladder_extra++];
        }
        if (strcmp(rung->container, "mp4"))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "preset \"%s\": rung \"%s\" is not an MP4 preset (HLS carries H.264 and AAC)",
                           job->hls->name, name);
    }
    return 0;
}

/* An iconv encoding name as a translator would write it ("CP1256",
 * "windows-1251", "UTF-16"): checked with iconv itself. */
static int valid_encoding(const char *e)
{
    if (!e || !*e || strlen(e) >= 32)
        return 0;
    iconv_t cd = iconv_open("UTF-8", e);
    if (cd == (iconv_t)-1)
        return 0;
    iconv_close(cd);
    return 1;
}

/* subtitles.encoding, .font_dir and .style */
static int load_subtitle_text_options(clipline_context *c, const cl_jsondoc *doc, cl_job_spec *job,
                                      json_t *subs)
{
    char where[700], ptr[96];
    json_t *enc = json_object_get(subs, "encoding");
    if (json_is_string(enc)) {
        if (!valid_encoding(json_string_value(enc)))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"%s\" is not a text encoding iconv knows (e.g. \"CP1256\", \"UTF-16\")",
                           cl_json_where(doc, "/subtitles/encoding", where, sizeof(where)), json_string_value(enc));
        snprintf(job->enc_all, sizeof(job->enc_all), "%s", json_string_value(enc));
    } else if (enc) {
        const char *lang;
        json_t *v;
        json_object_foreach(enc, lang, v) {
            snprintf(ptr, sizeof(ptr), "/subtitles/encoding/%s", lang);
            if (!json_is_string(v) || !valid_encoding(json_string_value(v)))
                return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: the encoding for \"%s\" must be a text encoding iconv knows (e.g. \"CP1256\")",
                               cl_json_where(doc, ptr, where, sizeof(where)), lang);
            if (!strcmp(lang, "*")) {
                snprintf(job->enc_all, sizeof(job->enc_all), "%s", json_string_value(v));
                continue;
            }
            if (!cl_subs_valid_lang(lang, strlen(lang)) || strlen(lang) >= sizeof(job->enc_lang[0]) || job->nb_enc == 32)
                return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: \"%s\" is not a language tag like \"ar\" (or \"*\" for all; at most 32)",
                               cl_json_where(doc, ptr, where, sizeof(where)), lang);
            snprintf(job->enc_lang[job->nb_enc], sizeof(job->enc_lang[0]), "%s", lang);
            snprintf(job->enc_name[job->nb_enc++], sizeof(job->enc_name[0]), "%s", json_string_value(v));
        }
    }
    json_t *fd = json_object_get(subs, "font_dir");
    if (fd) {
        job->font_dir = cl_path_join(job->dir, json_string_value(fd));
        struct stat st;
        if (!job->font_dir || stat(job->font_dir, &st) < 0 || !S_ISDIR(st.st_mode))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: font folder %s does not exist",
                           cl_json_where(doc, "/subtitles/font_dir", where, sizeof(where)),
                           job->font_dir ? job->font_dir : json_string_value(fd));
    }
    json_t *style = json_object_get(subs, "style");
    if (style) {
        int ret = cl_json_check_keys(c, doc, "/subtitles/style", style, style_keys, "\"style\"");
        if (ret < 0)
            return ret;
        json_t *ff = json_object_get(style, "font_family"), *fs = json_object_get(style, "font_scale");
        if (ff && (strlen(json_string_value(ff)) >= sizeof(job->font_family) || strpbrk(json_string_value(ff), ",\r\n")))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: a font family name, without commas",
                           cl_json_where(doc, "/subtitles/style/font_family", where, sizeof(where)));
        if (ff)
            snprintf(job->font_family, sizeof(job->font_family), "%s", json_string_value(ff));
        if (fs && (json_number_value(fs) < 0.5 || json_number_value(fs) > 3))
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: font_scale = %g is out of range [0.5, 3]",
                           cl_json_where(doc, "/subtitles/style/font_scale", where, sizeof(where)),
                           json_number_value(fs));
        job->font_scale = fs ? json_number_value(fs) : 0;
        job->box = json_is_true(json_object_get(style, "box"));
    }
    job->subs_json = json_deep_copy(subs);
    return 0;
}

static int load_subtitles(clipline_context *c, const cl_jsondoc *doc, cl_job_spec *job)
{
    json_t *subs = json_object_get(doc->root, "subtitles");
    char where[700], ptr[64];
    if (!subs)
        return 0;
    int ret = cl_json_check_keys(c, doc, "/subtitles", subs, subtitles_keys, "\"subtitles\"");
    job->no_soft = json_is_false(json_object_get(subs, "soft"));
    if (ret >= 0)
        ret = load_subtitle_text_options(c, doc, job, subs);
    if (ret < 0)
        return ret;
    json_t *burn = json_object_get(subs, "burn_in");
    if (ret < 0 || !burn)
        return ret;
    if ((ret = cl_json_check_keys(c, doc, "/subtitles/burn_in", burn, burn_keys, "\"burn_in\"")) < 0)
        return ret;
    json_t *langs = json_object_get(burn, "languages"), *presets = json_object_get(burn, "presets");
    size_t i;
    json_t *v;
    json_array_foreach(langs, i, v) {
        snprintf(ptr, sizeof(ptr), "/subtitles/burn_in/languages/%zu", i);
        const char *l = json_string_value(v);
        if (!l || strlen(l) >= sizeof(job->burn_langs[0]) || !cl_safe_component(l) || job->nb_burn_langs == 16)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: burn_in languages must be language tags like \"fr\" (at most 16)",
                           cl_json_where(doc, ptr, where, sizeof(where)));
        snprintf(job->burn_langs[job->nb_burn_langs++], sizeof(job->burn_langs[0]), "%s", l);
    }
    for (int p = 0; !presets && p < job->nb_presets && job->nb_burn_presets < 16; p++)
        if (cl_preset_is_file(&job->presets[p])) /* default: every MP4 or WebM preset */
            job->burn_presets[job->nb_burn_presets++] = &job->presets[p];
    json_array_foreach(presets, i, v) {
        snprintf(ptr, sizeof(ptr), "/subtitles/burn_in/presets/%zu", i);
        const cl_preset *found = NULL;
        for (int p = 0; p < job->nb_presets; p++)
            if (json_is_string(v) && !strcmp(job->presets[p].name, json_string_value(v)) &&
                cl_preset_is_file(&job->presets[p]))
                found = &job->presets[p];
        if (!found || job->nb_burn_presets == 16)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                           "%s: burn_in presets must be MP4 or WebM presets the job lists in \"presets\"",
                           cl_json_where(doc, ptr, where, sizeof(where)));
        job->burn_presets[job->nb_burn_presets++] = found;
    }
    return 0;
}

static int load_module_length(clipline_context *c, const cl_jsondoc *doc, cl_job_spec *job)
{
    json_t *ml = json_object_get(doc->root, "module_length");
    job->module_length_us = 15 * 60 * INT64_C(1000000);
    if (!ml)
        return 0;
    char text[64], where[700];
    if (json_is_number(ml))
        snprintf(text, sizeof(text), "%.6f", json_number_value(ml));
    else
        snprintf(text, sizeof(text), "%s", json_string_value(ml));
    cl_timepoint t;
    if (cl_timepoint_parse(text, &t) < 0 || t.is_frames || t.value <= 0)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "%s: module_length \"%s\" is not a positive time (e.g. \"15:00\")",
                       cl_json_where(doc, "/module_length", where, sizeof(where)), text);
    job->module_length_us = t.value;
    return 0;
}

int cl_job_load(clipline_context *c, const char *path, cl_job_spec *job)
{
    memset(job, 0, sizeof(*job));
    cl_jsondoc doc;
    char where[700];
    int ret = cl_jsondoc_load(c, path, JOB_FILE_CAP, &doc);
    if (ret < 0)
        return ret;
    job->path = strdup(path);
    job->dir = cl_path_dir(path);
    if ((ret = cl_json_check_keys(c, &doc, "", doc.root, job_keys, "the job")) < 0 ||
        (ret = load_module_length(c, &doc, job)) < 0 || (ret = load_presets(c, &doc, job)) < 0 ||
        (ret = load_ladder(c, &doc, job)) < 0 || (ret = load_subtitles(c, &doc, job)) < 0 ||
        (ret = load_part(c, &doc, job->dir, "", doc.root, "intro", &job->intro)) < 0 ||
        (ret = load_part(c, &doc, job->dir, "", doc.root, "outro", &job->outro)) < 0)
        goto end;
    json_t *dest = json_object_get(doc.root, "destination");
    if (dest) {
        const char *d = json_string_value(dest);
        job->destination = strstr(d, "://") ? strdup(d) : cl_path_join(job->dir, d);
    }
    json_t *ivs = json_object_get(doc.root, "interviews");
    size_t n = ivs ? json_array_size(ivs) : 0;
    if (!n) {
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: the job lists no \"interviews\"",
                      cl_json_where(&doc, ivs ? "/interviews" : "", where, sizeof(where)));
        goto end;
    }
    if (n > JOB_MAX_INTERVIEWS) {
        ret = cl_fail(c, CLIPLINE_ERROR_LIMIT, "%s: more than %d interviews", path,
                      JOB_MAX_INTERVIEWS);
        goto end;
    }
    job->interviews = calloc(n, sizeof(*job->interviews));
    if (!job->interviews) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    for (size_t i = 0; i < n; i++) {
        job->nb_interviews++;
        ret = load_interview(c, &doc, job->dir, (int)i, json_array_get(ivs, i), &job->interviews[i]);
        if (ret < 0)
            goto end;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(job->interviews[j].id, job->interviews[i].id)) {
                char ptr[64];
                snprintf(ptr, sizeof(ptr), "/interviews/%zu/id", i);
                ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: interview id \"%s\" is used twice",
                              cl_json_where(&doc, ptr, where, sizeof(where)),
                              job->interviews[i].id);
                goto end;
            }
    }
    job->text = doc.text;
    doc.text = NULL;
end:
    cl_jsondoc_free(&doc);
    if (ret < 0)
        cl_job_free(job);
    return ret;
}

void cl_job_free(cl_job_spec *job)
{
    if (!job)
        return;
    for (int i = 0; i < job->nb_presets; i++)
        cl_preset_free(&job->presets[i]);
    free(job->presets);
    for (int i = 0; i < job->nb_ladder_extra; i++)
        cl_preset_free(&job->ladder_extra[i]);
    for (int i = 0; i < job->nb_interviews; i++) {
        cl_interview_spec *iv = &job->interviews[i];
        for (int k = 0; k < iv->nb_clips; k++) {
            free(iv->clips[k].name);
            free(iv->clips[k].title);
            free(iv->clips[k].error);
            free_part(&iv->clips[k].intro);
            free_part(&iv->clips[k].outro);
        }
        free(iv->clips);
        free(iv->id);
        free(iv->source);
        free(iv->subtitles);
    }
    free(job->interviews);
    free(job->path);
    free(job->dir);
    free(job->font_dir);
    free_part(&job->intro);
    free_part(&job->outro);
    json_decref(job->subs_json);
    free(job->destination);
    free(job->text);
    memset(job, 0, sizeof(*job));
}
