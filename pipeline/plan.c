/*
 * plan.c: a clip's outputs, each with a fingerprint (the hash of
 * everything that determines it), and whether it must be built: outputs
 * whose fingerprint matches the destination's manifest and whose file is
 * present with the recorded size are skipped.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "job/manifest.h"
#include "clsub.h"
#include "orch.h"

void plan_versions(run_state *rs)
{
    clipline_versions v;
    clipline_get_versions(&v);
    snprintf(rs->versions, sizeof(rs->versions),
             "clipline %s; libavcodec %s; libavformat %s; libavfilter %s; x264 %s", v.clipline,
             v.libavcodec, v.libavformat, v.libavfilter, v.x264);
}

int plan_encodings(const cl_job_spec *job, const cl_preset **out, int max)
{
    int n = 0;
    for (int i = 0; i < job->nb_presets && n < max; i++)
        if (cl_preset_is_file(&job->presets[i]))
            out[n++] = &job->presets[i];
    for (int i = 0; i < job->nb_ladder_extra && n < max; i++)
        out[n++] = &job->ladder_extra[i];
    return n;
}

/* A value's digest: sha256 of its compact JSON, 16 hex digits. */
static void digest(const json_t *v, char out[17])
{
    char full[65];
    char *text = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    cl_sha256_hex(text ? text : "", text ? strlen(text) : 0, full);
    free(text);
    snprintf(out, 17, "%s", full);
}

/* The inputs behind an output as its manifest entry keeps them, so that a
 * later plan can say what changed: numbers and short strings as they are,
 * the rest as digests, soft subtitle lists per language; the preset's
 * normalized keys once in the manifest's "preset_texts". */
static void keep_preset_text(run_state *rs, const char *digest, json_t *normalized)
{
    json_t *texts = json_object_get(rs->manifest, "preset_texts");
    if (!json_is_object(texts))
        json_object_set_new(rs->manifest, "preset_texts", texts = json_object());
    json_object_set(texts, digest, normalized);
}

static json_t *input_digests(run_state *rs, json_t *what, const cl_preset *preset)
{
    json_t *d = json_object(), *v;
    const char *k;
    char h[17];
    json_object_foreach(what, k, v) {
        if (json_is_object(v) && !strcmp(k, "rungs")) { /* per rung, each preset's keys kept */
            json_t *rungs = json_object(), *text;
            const char *name;
            json_object_foreach(v, name, text) {
                json_t *normalized = json_loads(json_string_value(text), 0, NULL);
                digest(text, h);
                json_object_set_new(rungs, name, json_string(h));
                if (normalized)
                    keep_preset_text(rs, h, normalized);
                json_decref(normalized);
            }
            json_object_set_new(d, k, rungs);
            continue;
        }
        if (json_is_array(v) && !strcmp(k, "soft_subtitles")) {
            json_t *langs = json_object();
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                digest(e, h);
                json_object_set_new(langs, json_string_value(json_object_get(e, "language")), json_string(h));
            }
            json_object_set_new(d, k, langs);
        } else if (json_is_number(v) || json_is_boolean(v) || (json_is_string(v) && strlen(json_string_value(v)) <= 96)) {
            json_object_set(d, k, v);
        } else {
            digest(v, h);
            json_object_set_new(d, k, json_string(h));
            if (!strcmp(k, "preset") && preset)
                keep_preset_text(rs, h, preset->normalized);
        }
    }
    return d;
}

/* Hashes `what` (consumed) with the clip points, the intro and outro (file
 * identity and length) and the code's versions, into p's fingerprint. */
static void fingerprint(run_state *rs, json_t *what, const clip_job *cj, planned *p)
{
    const clip_times *t = &cj->t;
    json_object_set_new(what, "in_us", json_integer(t->in_us));
    json_object_set_new(what, "out_us", json_integer(t->out_us));
    for (int k = 0; k < 2; k++) {
        if (!cj->part[k])
            continue;
        json_object_set_new(what, k ? "outro" : "intro",
                            json_pack("{s:s,s:I}", "identity", cj->part_id[k], "us",
                                      (json_int_t)(k ? t->tail_us : t->lead_us)));
    }
    json_object_set_new(what, "versions", json_string(rs->versions));
    char *text = json_dumps(what, JSON_SORT_KEYS | JSON_COMPACT);
    cl_sha256_hex(text ? text : "", text ? strlen(text) : 0, p->fingerprint);
    free(text);
    json_decref(p->inputs);
    p->inputs = input_digests(rs, what, p->preset);
    json_decref(what);
}

/* The leaves where two normalized presets differ: "video.crf 23 -> 24". */
static void preset_diff(const json_t *a, const json_t *b, const char *path, char *buf, size_t size, int *n)
{
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        char sub[160];
        json_object_foreach((json_t *)b, k, v) {
            snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
            preset_diff(json_object_get(a, k), v, sub, buf, size, n);
        }
        json_object_foreach((json_t *)a, k, v) {
            snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
            if (!json_object_get(b, k))
                preset_diff(v, NULL, sub, buf, size, n);
        }
        return;
    }
    if (json_equal((json_t *)a, (json_t *)b) || (*n)++ >= 3)
        return;
    char *x = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *y = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    size_t l = strlen(buf);
    snprintf(buf + l, size - l, "%s%s %s -> %s", *n > 1 ? ", " : "", path, x ? x : "(none)", y ? y : "(none)");
    free(x);
    free(y);
}

/* How a preset changed, as ": video.crf 23 -> 24" from the kept texts of
 * its old and new digests, or " changed" when the old one is not kept. */
static void preset_change(run_state *rs, const json_t *old_digest, const json_t *now, char d[200])
{
    json_t *was = json_object_get(json_object_get(rs->manifest, "preset_texts"), json_string_value(old_digest));
    int n = 0;
    d[0] = '\0';
    if (was && now) {
        snprintf(d, 200, ": ");
        preset_diff(was, now, "", d, 200, &n);
    }
    if (!n)
        snprintf(d, 200, " changed");
}

/* Appends one reason to a list of at most four, "; "-separated. */
static void add_reason(char *buf, size_t size, int *nr, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add_reason(char *buf, size_t size, int *nr, const char *fmt, ...)
{
    if ((*nr)++ >= 4)
        return;
    size_t l = strlen(buf);
    if (l && l < size)
        l += (size_t)snprintf(buf + l, size - l, "; ");
    if (l >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, size - l, fmt, ap);
    va_end(ap);
}

/* What changed between the inputs an output was built from and today's,
 * in words: "source changed", "preset web-480p: video.crf 23 -> 24", "new
 * subtitle fr". */
static void explain_change(run_state *rs, const planned *p, json_t *old, char *buf, size_t size)
{
    static const char *const words[][2] = {
        { "source", "source changed" },
        { "versions", "clipline or its libraries changed" },
        { "style", "libass changed" },
        { "job_style", "subtitle style changed" },
        { "font_dir", "font folder changed" },
        { "encoding", "subtitle encoding changed" },
        { "clip_timeline", "subtitle timing changed" },
    };
    const char *k;
    json_t *v;
    int nr = 0, clip_points = 0;
    buf[0] = '\0';
    json_object_foreach(p->inputs, k, v) {
        json_t *o = json_object_get(old, k);
        if (json_equal(o, v))
            continue;
        size_t w = 0;
        while (w < sizeof(words) / sizeof(words[0]) && strcmp(words[w][0], k))
            w++;
        if (w < sizeof(words) / sizeof(words[0])) {
            add_reason(buf, size, &nr, "%s", words[w][1]);
        } else if (!strcmp(k, "in_us") || !strcmp(k, "out_us")) {
            if (!clip_points++)
                add_reason(buf, size, &nr, "clip points changed");
        } else if (!strcmp(k, "intro") || !strcmp(k, "outro")) {
            add_reason(buf, size, &nr, "%s %s", k, o ? "changed" : "added");
        } else if (!strcmp(k, "preset") && p->preset) {
            char d[200];
            preset_change(rs, o, p->preset->normalized, d);
            add_reason(buf, size, &nr, "preset %s%s", p->preset->name, d);
        } else if (!strcmp(k, "rungs")) {
            json_t *texts = json_object_get(rs->manifest, "preset_texts"), *h;
            const char *name;
            json_object_foreach(v, name, h) {
                json_t *oh = json_object_get(o, name);
                char d[200];
                if (json_equal(oh, h))
                    continue;
                preset_change(rs, oh, json_object_get(texts, json_string_value(h)), d);
                add_reason(buf, size, &nr, oh ? "rung %s%s" : "new rung %s", name, d);
            }
            json_object_foreach(o, name, h)
                if (!json_object_get(v, name))
                    add_reason(buf, size, &nr, "rung %s removed", name);
        } else if (!strcmp(k, "soft_subtitles")) {
            const char *lang;
            json_t *h;
            json_object_foreach(v, lang, h) {
                json_t *oh = json_object_get(o, lang);
                if (!oh || !json_equal(oh, h))
                    add_reason(buf, size, &nr, oh ? "subtitle %s changed" : "new subtitle %s", lang);
            }
            json_object_foreach(o, lang, h)
                if (!json_object_get(v, lang))
                    add_reason(buf, size, &nr, "subtitle %s removed", lang);
        } else if (!strcmp(k, "sha256") && p->sub) {
            add_reason(buf, size, &nr, "subtitle %s changed", p->sub->lang);
        } else {
            add_reason(buf, size, &nr, "%s changed", k);
        }
    }
    json_object_foreach(old, k, v)
        if (!json_object_get(p->inputs, k))
            add_reason(buf, size, &nr, "%s removed", k);
    if (!buf[0])
        snprintf(buf, size, "inputs changed");
}

static json_t *preset_json(const cl_preset *p)
{
    char *canon = cl_preset_canonical(p);
    json_t *j = json_string(canon ? canon : "");
    free(canon);
    return j;
}

/* The languages an output carries as soft tracks (MP4 mov_text, HLS
 * subtitle renditions): the bytes of every sidecar's file. */
static json_t *soft_json(const clip_job *cj)
{
    json_t *a = json_array();
    for (int i = 0; i < cj->n; i++)
        if (cj->pl[i].kind == OUT_SUBS)
            json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:s}", "language", cj->pl[i].sub->lang, "sha256",
                                               cj->pl[i].sub->sha256, "clip_timeline",
                                               cj->pl[i].sub->clip_timeline, "encoding",
                                               cj->pl[i].sub->encoding));
    return a;
}

static void plan_fingerprint(run_state *rs, const clip_job *cj, planned *p)
{
    json_t *w = json_pack("{s:s}", "source", cj->source_id);
    switch (p->kind) {
    case OUT_MP4:
        json_object_set_new(w, "kind", json_string("video"));
        json_object_set_new(w, "preset", preset_json(p->preset));
        if (!strcmp(p->preset->container, "mp4"))
            json_object_set_new(w, "soft_subtitles", soft_json(cj));
        break;
    case OUT_HLS: {
        json_t *rungs = json_object();
        const cl_preset *enc[32];
        int n = plan_encodings(&rs->job, enc, 32);
        for (int i = 0; i < n; i++)
            for (int r = 0; r < p->preset->nb_rungs; r++)
                if (!strcmp(enc[i]->name, p->preset->rungs[r]))
                    json_object_set_new(rungs, enc[i]->name, preset_json(enc[i]));
        json_object_set_new(w, "kind", json_string("hls"));
        json_object_set_new(w, "preset", preset_json(p->preset));
        json_object_set_new(w, "rungs", rungs);
        json_object_set_new(w, "soft_subtitles", soft_json(cj));
        break;
    }
    case OUT_POSTER:
        json_object_set_new(w, "kind", json_string("image"));
        json_object_set_new(w, "poster", json_string("jpeg 1280x720 q3 best-of-9"));
        break;
    case OUT_BURN:
        json_object_set_new(w, "kind", json_string("burned"));
        json_object_set_new(w, "preset", preset_json(p->preset));
        json_object_set_new(w, "language", json_string(p->sub->lang));
        json_object_set_new(w, "sha256", json_string(p->sub->sha256));
        json_object_set_new(w, "clip_timeline", json_boolean(p->sub->clip_timeline));
        json_object_set_new(w, "style", json_string(clsub_libass_version()));
        json_object_set_new(w, "encoding", json_string(p->sub->encoding));
        json_object_set_new(w, "font_dir", json_string(rs->job.font_dir ? rs->job.font_dir : ""));
        json_object_set_new(w, "job_style", json_pack("{s:s,s:f,s:b}", "font_family", rs->job.font_family,
                                                      "font_scale", rs->job.font_scale, "box", rs->job.box));
        break;
    case OUT_SUBS:
        json_object_del(w, "source"); /* the recording does not change a sidecar */
        json_object_set_new(w, "kind", json_string("subtitles"));
        json_object_set_new(w, "encoding", json_string(p->sub->encoding));
        json_object_set_new(w, "language", json_string(p->sub->lang));
        json_object_set_new(w, "sha256", json_string(p->sub->sha256));
        json_object_set_new(w, "clip_timeline", json_boolean(p->sub->clip_timeline));
        break;
    }
    fingerprint(rs, w, cj, p);
}

/* Whether an output can be brought up to date from what was published:
 * - a clean MP4 whose inputs differ only in its soft subtitle tracks, still
 *   at the destination as the manifest says and readable there: its new
 *   tracks are muxed beside its old packets;
 * - an HLS ladder whose inputs differ only in its soft subtitles and some
 *   rungs' presets: those rungs are encoded (p->stale_rungs), the others kept,
 *   the subtitle renditions and the master rewritten from the manifest. */
static int can_reuse(run_state *rs, planned *p, json_t *old)
{
    json_t *was = json_object_get(old, "inputs"), *v, *r;
    const char *k;
    int64_t bytes = -1;
    size_t i;
    if (!json_is_object(was) || (p->kind != OUT_HLS && (p->kind != OUT_MP4 || strcmp(p->preset->container, "mp4"))))
        return 0;
    json_object_foreach(p->inputs, k, v)
        if (strcmp(k, "soft_subtitles") && (p->kind != OUT_HLS || strcmp(k, "rungs")) &&
            !json_equal(v, json_object_get(was, k)))
            return 0;
    json_object_foreach(was, k, v)
        if (!json_object_get(p->inputs, k))
            return 0;
    if (cl_storage_stat(rs->st, p->rel, &bytes) < 0 || bytes != json_integer_value(json_object_get(old, "bytes")))
        return 0;
    if (p->kind == OUT_HLS) {
        json_t *now = json_object_get(p->inputs, "rungs"), *then = json_object_get(was, "rungs");
        p->stale_rungs = 0;
        for (int n = 0; n < p->preset->nb_rungs; n++) {
            const char *name = p->preset->rungs[n];
            json_t *h = json_object_get(now, name);
            if (h && !json_equal(h, json_object_get(then, name))) {
                p->stale_rungs |= 1u << n;
                continue;
            }
            int kept = 0; /* a kept rung: what the master needs of it is in the manifest */
            json_array_foreach(json_object_get(old, "renditions"), i, r) {
                const char *rp = json_string_value(json_object_get(r, "preset"));
                kept |= rp && !strcmp(rp, name) && json_object_get(r, "average_bandwidth");
            }
            if (h && !kept)
                return 0;
        }
        return 1;
    }
    return cl_storage_can_fetch(rs->st);
}

/* Why the output must be built, or NULL when it is up to date. */
static const char *needs_build(run_state *rs, planned *p)
{
    if (rs->o->force)
        return "forced";
    json_t *old = cl_manifest_output(rs->manifest, p->rel);
    if (!old)
        return "new output";
    const char *fp = json_string_value(json_object_get(old, "fingerprint"));
    if (!fp || strcmp(fp, p->fingerprint)) {
        json_t *was = json_object_get(old, "inputs");
        if (!json_is_object(was))
            return "inputs changed"; /* built by a clipline that did not keep them */
        explain_change(rs, p, was, p->why, sizeof(p->why));
        if (can_reuse(rs, p, old)) {
            p->remux = 1;
            size_t l = strlen(p->why);
            if (p->kind == OUT_MP4) {
                snprintf(p->why + l, sizeof(p->why) - l, "; re-muxed, picture and sound copied");
            } else {
                l += (size_t)snprintf(p->why + l, sizeof(p->why) - l, "; %s", p->stale_rungs ? "only" : "subtitle renditions and master only");
                for (int n = 0; n < p->preset->nb_rungs && l < sizeof(p->why); n++)
                    if (p->stale_rungs & (1u << n))
                        l += (size_t)snprintf(p->why + l, sizeof(p->why) - l, " %s", p->preset->rungs[n]);
                if (p->stale_rungs && l < sizeof(p->why))
                    snprintf(p->why + l, sizeof(p->why) - l, " re-encoded");
            }
        }
        return p->why;
    }
    int64_t bytes = -1;
    if (cl_storage_stat(rs->st, p->rel, &bytes) < 0)
        return "missing at destination";
    if (bytes != json_integer_value(json_object_get(old, "bytes")))
        return "size differs from the manifest";
    return NULL;
}

static void plan_log(run_state *rs, const planned *p)
{
    cl_log(rs->c, CLIPLINE_LOG_INFO, "%s %s (%s)", p->build ? "build" : "skip ", p->rel,
           p->build ? p->reason : "up to date");
}

void plan_keep_outputs(run_state *rs, const char *prefix, json_t *outputs)
{
    rs_lock(rs);
    size_t i, l = strlen(prefix);
    json_t *o;
    json_array_foreach(json_object_get(rs->manifest, "outputs"), i, o) {
        const char *path = json_string_value(json_object_get(o, "path"));
        if (path && !strncmp(path, prefix, l))
            json_array_append(outputs, o);
    }
    rs_unlock(rs);
}

int plan_capacity(const cl_job_spec *job, int nb_subs)
{
    return job->nb_presets + 1 + nb_subs + job->nb_burn_langs * job->nb_burn_presets;
}

int plan_clip(run_state *rs, clip_job *cj, const cl_sub_input *subs, int nb_subs, json_t *outputs)
{
    const char *iv = cj->iv->id, *clip = cj->clip->name;
    int n = 0, nb_build = 0;
    for (int i = 0; i < rs->job.nb_presets; i++) {
        planned *p = &cj->pl[n++];
        p->preset = &rs->job.presets[i];
        p->kind = rs->job.hls == p->preset ? OUT_HLS : OUT_MP4;
        if (p->kind == OUT_HLS)
            snprintf(p->rel, sizeof(p->rel), "%s/%s/hls/master.m3u8", iv, clip);
        else
            snprintf(p->rel, sizeof(p->rel), "%s/%s/%s.%s.%s", iv, clip, clip, p->preset->name,
                     p->preset->container);
    }
    planned *poster = &cj->pl[n++];
    poster->kind = OUT_POSTER;
    snprintf(poster->rel, sizeof(poster->rel), "%s/%s/%s.poster.jpg", iv, clip, clip);
    for (int i = 0; i < nb_subs && !rs->job.no_soft; i++) {
        planned *p = &cj->pl[n++];
        p->kind = OUT_SUBS;
        p->sub = &subs[i];
        snprintf(p->rel, sizeof(p->rel), "%s/%s/%s.%s.vtt", iv, clip, clip, subs[i].lang);
    }
    for (int l = 0; l < rs->job.nb_burn_langs; l++) {
        const cl_sub_input *sub = NULL;
        for (int i = 0; i < nb_subs; i++)
            if (!strcasecmp(subs[i].lang, rs->job.burn_langs[l]))
                sub = &subs[i];
        if (!sub)
            return cl_fail(rs->c, CLIPLINE_ERROR_SUBTITLE,
                           "interview \"%s\", clip \"%s\": burn-in asks for \"%s\", but the "
                           "subtitle folder has no %s file for this clip",
                           iv, clip, rs->job.burn_langs[l], rs->job.burn_langs[l]);
        for (int k = 0; k < rs->job.nb_burn_presets; k++) {
            planned *p = &cj->pl[n++];
            p->kind = OUT_BURN;
            p->sub = sub;
            p->preset = rs->job.burn_presets[k];
            snprintf(p->rel, sizeof(p->rel), "%s/%s/%s.%s.burned-%s.%s", iv, clip, clip,
                     p->preset->name, sub->lang, p->preset->container);
        }
    }
    cj->n = n;
    for (int i = 0; i < n; i++) {
        planned *p = &cj->pl[i];
        p->item = cj->label;
        plan_fingerprint(rs, cj, p);
        p->reason = needs_build(rs, p);
        p->build = p->reason != NULL;
        nb_build += p->build;
        plan_log(rs, p);
        if (p->build)
            continue;
        RS_COUNT(rs, outputs_skipped, 1);
        if (p->kind == OUT_HLS) {
            char prefix[1100];
            snprintf(prefix, sizeof(prefix), "%s/%s/hls/", iv, clip);
            plan_keep_outputs(rs, prefix, outputs);
        } else {
            json_array_append(outputs, cl_manifest_output(rs->manifest, p->rel));
        }
    }
    RS_COUNT(rs, outputs_planned, nb_build);
    return nb_build;
}
