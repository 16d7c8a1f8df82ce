/*
 * run.c: the job orchestrator, the one module that knows every stage:
 *
 *   job spec ─► per clip: resolve clip points ─► plan outputs (plan.c:
 *   fingerprints, skip what is up to date) ─► build (build.c: decode once,
 *   encode every rendition, verify, publish) ─► the clip's manifest ─►
 *   the destination's manifest last.
 *
 * A clip is one item: its failure is recorded and the batch goes on.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libavutil/common.h>
#include <libavutil/cpu.h>
#include <libavutil/error.h>
#include <libavutil/time.h>

#include "core/util.h"
#include "job/manifest.h"
#include "orch.h"

/* Clip points to microseconds on the recording, checked against it. */
static int resolve_times(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                         const cl_source_facts *f, clip_times *t)
{
    clipline_context *c = rs->c;
    char a[32], b[32];
    const cl_timepoint *pts[] = { &clip->in, &clip->out, &clip->duration };
    int64_t us[3] = { 0, 0, 0 };
    for (int i = 0; i < 3; i++) {
        if (!pts[i]->set)
            continue;
        if (pts[i]->is_frames && f->frame_rate <= 0)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                           "interview \"%s\", clip \"%s\": \"%s\" is a frame number but the "
                           "recording's frame rate is not known",
                           iv->id, clip->name, pts[i]->text);
        us[i] = pts[i]->is_frames ? (int64_t)llround(pts[i]->value * 1e6 / f->frame_rate)
                                  : pts[i]->value;
    }
    int64_t src_us = (int64_t)llround(f->duration_s * 1e6);
    t->in_us = us[0];
    t->out_us = clip->out.set ? us[1] : clip->duration.set ? us[0] + us[2] : src_us;
    if (src_us > 0 && t->in_us >= src_us)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "interview \"%s\", clip \"%s\": in point %s is past the end of the "
                       "recording (%s long)",
                       iv->id, clip->name, clip->in.text, cl_format_time(src_us, a));
    if (t->out_us <= t->in_us)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "interview \"%s\", clip \"%s\": the out point (%s) is not after the in "
                       "point (%s)",
                       iv->id, clip->name, cl_format_time(t->out_us, a), cl_format_time(t->in_us, b));
    if (src_us > 0 && t->out_us > src_us) {
        cl_log(c, CLIPLINE_LOG_WARNING,
               "interview \"%s\", clip \"%s\": the out point %s lies past the end of the "
               "recording; the clip ends at %s",
               iv->id, clip->name, cl_format_time(t->out_us, a), cl_format_time(src_us, b));
        t->out_us = src_us;
    }
    return 0;
}

/* The clip's intro and outro: each file probed, its length (a still: its
 * "duration", 3 s by default; a video: its own, or cut to "duration") made
 * a whole number of the clip's frames. Then the whole against the module. */
static int resolve_parts(run_state *rs, clip_job *cj, const cl_source_facts *f)
{
    clipline_context *c = rs->c;
    const cl_clip_spec *clip = cj->clip;
    char a[32], b[32];
    double fps = cl_media_output_rate(f->frame_rate);
    for (int k = 0; k < 2; k++) {
        const char *what = k ? "outro" : "intro";
        const cl_part_spec *ps = cl_clip_part(&rs->job, clip, k);
        cl_source_facts pf;
        cj->part[k] = ps;
        if (!ps)
            continue;
        if (cl_media_source_facts(c, ps->file, &pf) < 0) {
            char why[CL_DETAIL_MAX];
            snprintf(why, sizeof(why), "%s", clipline_error_detail(c));
            return cl_fail(c, CLIPLINE_ERROR_INPUT, "interview \"%s\", clip \"%s\": the %s (%s): %s", cj->iv->id,
                           clip->name, what, ps->where, why);
        }
        if (!pf.has_video)
            return cl_fail(c, CLIPLINE_ERROR_INPUT, "interview \"%s\", clip \"%s\": the %s %s (%s) has no picture",
                           cj->iv->id, clip->name, what, ps->file, ps->where);
        int64_t own = (int64_t)llround(pf.duration_s * 1e6);
        if (!pf.still && own <= 0)
            return cl_fail(c, CLIPLINE_ERROR_INPUT, "interview \"%s\", clip \"%s\": the %s %s (%s): its length "
                           "is not known", cj->iv->id, clip->name, what, ps->file, ps->where);
        int64_t len = pf.still ? (ps->duration.set ? ps->duration.value : 3000000)
                               : ps->duration.set ? FFMIN(ps->duration.value, own) : own;
        if (len > CL_PART_MAX_US)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "interview \"%s\", clip \"%s\": the %s %s (%s) lasts %s; an "
                           "intro or outro lasts at most 60 s (give a \"duration\" to cut it)",
                           cj->iv->id, clip->name, what, ps->file, ps->where, cl_format_time(len, a));
        int64_t frames = FFMAX(1, llround(len / 1e6 * fps));
        *(k ? &cj->t.tail_us : &cj->t.lead_us) = (int64_t)llround(frames * 1e6 / fps);
    }
    int64_t len = cl_span_length(&cj->t);
    if (len > rs->job.module_length_us && !clip->allow_longer)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "interview \"%s\", clip \"%s\": the clip lasts %s%s, longer than the "
                       "module length %s (set \"allow_longer\": true on the clip to allow it)",
                       cj->iv->id, clip->name, cl_format_time(len, a),
                       cj->part[0] || cj->part[1] ? " with its intro and outro" : "",
                       cl_format_time(rs->job.module_length_us, b));
    return 0;
}

static const char *relative_source(const run_state *rs, const char *path)
{
    size_t l = strlen(rs->job.dir);
    if (!strncmp(path, rs->job.dir, l) && path[l] == '/')
        return path + l + 1;
    return path;
}

/* Records the item in the destination's manifest. `outputs` NULL keeps the
 * outputs listed before (a failed item that published nothing new). */
static void record_item(run_state *rs, const clip_job *cj, int err, json_t *outputs)
{
    json_t *item = json_pack("{s:s,s:s,s:s,s:s*}", "interview", cj->iv->id, "clip", cj->clip->name,
                             "status", err < 0 ? "failed" : "ok", "title", cj->clip->title);
    if (err < 0)
        json_object_set_new(item, "error", json_pack("{s:s,s:s}", "class", clipline_error_class(err),
                                                     "message", clipline_error_detail(rs->c)));
    cl_manifest_replace_item(rs->manifest, cj->iv->id, cj->clip->name, item, outputs);
    json_decref(item);
}

/* What the media stage did to make the source web-safe, and measured. */
static json_t *media_report(const clip_job *cj)
{
    const cl_clip_report *r = &cj->report;
    json_t *fixes = json_array();
    for (int i = 0; i < r->nb_fixes; i++)
        json_array_append_new(fixes, json_string(r->fixes[i]));
    json_t *m = json_pack("{s:o,s:b}", "source_fixes", fixes, "audio", r->has_audio);
    if (r->loudness_measured)
        json_object_set_new(m, "loudness", json_pack("{s:f,s:f,s:f,s:f,s:s}", "measured_lufs",
                                                     r->loudness_in_lufs, "measured_true_peak_db",
                                                     r->true_peak_in_db, "measured_lra", r->lra,
                                                     "gain_db", r->gain_db, "method",
                                                     "EBU R128 two-pass, linear gain"));
    return m;
}

static int write_clip_manifest(run_state *rs, const clip_job *cj, json_t *outputs)
{
    char rel[1024];
    snprintf(rel, sizeof(rel), "%s/%s/manifest.json", cj->iv->id, cj->clip->name);
    /* entries kept from the destination's manifest (outputs up to date) without
     * the interview and clip it adds: the same bytes as when all were built now */
    json_t *outs = json_array(), *o;
    size_t i;
    json_array_foreach(outputs, i, o) {
        json_t *e = json_deep_copy(o);
        json_object_del(e, "interview");
        json_object_del(e, "clip");
        json_array_append_new(outs, e);
    }
    json_t *m = json_pack("{s:i,s:s,s:s,s:s,s:s*,s:s,s:f,s:f,s:f,s:o}", "format", 1, "generator",
                          "clipline", "interview", cj->iv->id, "clip", cj->clip->name, "title",
                          cj->clip->title, "source", relative_source(rs, cj->iv->source), "in_s",
                          cj->t.in_us / 1e6, "out_s", cj->t.out_us / 1e6, "duration_s",
                          cl_span_length(&cj->t) / 1e6, "outputs", outs);
    for (int k = 0; k < 2; k++)
        if (cj->part[k])
            json_object_set_new(m, k ? "outro" : "intro",
                                json_pack("{s:s,s:f}", "file", relative_source(rs, cj->part[k]->file), "duration_s",
                                          (k ? cj->t.tail_us : cj->t.lead_us) / 1e6));
    if (cj->has_report)
        json_object_set_new(m, "media", media_report(cj));
    if (cj->trimmed)
        json_object_set(m, "trimmed", cj->trimmed);
    char *text = cl_manifest_dump(m);
    json_decref(m);
    if (!text)
        return AVERROR(ENOMEM);
    int ret = publish_text(rs, rel, text, "application/json");
    free(text);
    return ret;
}

static void explain_clip(run_state *rs, const clip_job *cj, const cl_sub_input *subs, int nb_subs)
{
    char a[32], b[32], l[32], m[32], parts[160] = "";
    if (cj->part[0] || cj->part[1])
        snprintf(parts, sizeof(parts), " with %.3f s of intro before and %.3f s of outro after",
                 cj->t.lead_us / 1e6, cj->t.tail_us / 1e6);
    cl_log(rs->c, CLIPLINE_LOG_INFO, "clip %s: %s to %s%s, %s of a %s module%s", cj->label,
           cl_format_time(cj->t.in_us, a), cl_format_time(cj->t.out_us, b), parts,
           cl_format_time(cl_span_length(&cj->t), l), cl_format_time(rs->job.module_length_us, m),
           cj->clip->allow_longer ? " (longer allowed)" : "");
    /* per language, on the clip's timeline: what the shift kept, first and last cue */
    for (int i = 0; i < nb_subs; i++) {
        cl_sidecar_result r;
        char first[64], last[64];
        if (cl_subs_explain(rs->c, &subs[i], &cj->t, &r, first, last, sizeof(first)) < 0) {
            cl_log(rs->c, CLIPLINE_LOG_WARNING, "clip %s, %s: %s", cj->label, subs[i].lang,
                   clipline_error_detail(rs->c));
            continue;
        }
        if (r.cues_in_clip == 0) {
            cl_log(rs->c, CLIPLINE_LOG_INFO, "clip %s, %s: no cue in the clip (%d outside)", cj->label,
                   subs[i].lang, r.cues_outside);
            continue;
        }
        cl_log(rs->c, CLIPLINE_LOG_INFO,
               "clip %s, %s: %d cues in the clip (%d cut at in/out, %d outside); first at %s \"%s\", "
               "last ends at %s \"%s\"",
               cj->label, subs[i].lang, r.cues_in_clip, r.cues_clipped, r.cues_outside,
               cl_format_time(r.first_ms * 1000, a), first, cl_format_time(r.last_ms * 1000, b), last);
    }
}

/* After a build: lists every output (new, skipped, or failed but still
 * published from before), removes staging leftovers, writes the clip's
 * manifest when something new was published, records the item. */
static int finish_clip(run_state *rs, clip_job *cj, int ret, json_t *outputs, double t0)
{
    clipline_context *c = rs->c;
    int published = 0;
    rs_lock(rs);
    for (int i = 0; cj->pl && i < cj->n; i++) {
        planned *p = &cj->pl[i];
        published += p->published;
        if (p->build && !p->published && p->kind == OUT_HLS && cl_manifest_output(rs->manifest, p->rel)) {
            char prefix[1100]; /* the ladder as it was: every file is still there */
            snprintf(prefix, sizeof(prefix), "%s/%s/hls/", cj->iv->id, cj->clip->name);
            plan_keep_outputs(rs, prefix, outputs);
        } else if (p->build && !p->published && cl_manifest_output(rs->manifest, p->rel)) {
            json_array_append(outputs, cl_manifest_output(rs->manifest, p->rel)); /* still there */
        }
        if (p->staging && p->kind == OUT_HLS) {
            cl_remove_tree(p->staging); /* a failed ladder's staging folder */
        } else if (p->staging) {
            unlink(p->staging);
        }
        free(p->staging);
        p->staging = NULL;
        json_decref(p->inputs);
        p->inputs = NULL;
    }
    rs_unlock(rs);
    if (ret < 0)
        cl_log(c, CLIPLINE_LOG_ERROR, "%s", clipline_error_detail(c));
    if (published) { /* the clip's manifest follows its media */
        char detail[CL_DETAIL_MAX];
        snprintf(detail, sizeof(detail), "%s", clipline_error_detail(c));
        int mret = write_clip_manifest(rs, cj, outputs);
        if (ret >= 0)
            ret = mret;
        else
            cl_fail(c, ret, "%s", detail);
    }
    rs_lock(rs);
    if (!rs->o->dry_run && ret != CLIPLINE_ERROR_INTERRUPTED)
        record_item(rs, cj, ret, published || ret >= 0 ? outputs : NULL);
    report_item(rs, cj, ret, cl_now_s() - t0);
    rs_unlock(rs);
    return ret;
}

static int64_t frame_floor(int64_t us, double fps)
{
    return fps > 0 ? (int64_t)llround(floor(us * fps / 1e6 + 1e-6) * 1e6 / fps) : us;
}

static int64_t frame_ceil(int64_t us, double fps)
{
    return fps > 0 ? (int64_t)llround(ceil(us * fps / 1e6 - 1e-6) * 1e6 / fps) : us;
}

/* trim_silence / trim_black: the clip's in and out move past what is silent
 * (black) at its ends, at most max_s each, onto frame boundaries. With both,
 * only what is silent and black goes: nothing audible or visible is cut. */
static int apply_trims(run_state *rs, clip_job *cj, const cl_source_facts *f)
{
    const cl_clip_spec *clip = cj->clip;
    double max_s = fmax(clip->trim_silence ? clip->silence_max_s : 0, clip->trim_black ? clip->black_max_s : 0);
    cl_trim_scan sc = { .source = cj->iv->source, .in_us = cj->t.in_us, .out_us = cj->t.out_us,
                        .max_us = (int64_t)(max_s * 1e6), .silence = clip->trim_silence && f->has_audio,
                        .silence_db = clip->silence_db, .black = clip->trim_black, .black_luma = clip->black_luma };
    int ret = cl_media_trim_scan(rs->c, &sc);
    if (ret < 0)
        return ret;
    int64_t smax = (int64_t)(clip->silence_max_s * 1e6), bmax = (int64_t)(clip->black_max_s * 1e6);
    int64_t s_lead = FFMIN(sc.silence_lead_us, smax), s_trail = FFMIN(sc.silence_trail_us, smax);
    int64_t b_lead = FFMIN(sc.black_lead_us, bmax), b_trail = FFMIN(sc.black_trail_us, bmax);
    int64_t lead = sc.silence && sc.black ? FFMIN(s_lead, b_lead) : sc.silence ? s_lead : sc.black ? b_lead : 0;
    int64_t trail = sc.silence && sc.black ? FFMIN(s_trail, b_trail) : sc.silence ? s_trail : sc.black ? b_trail : 0;
    clip_times t = { frame_floor(cj->t.in_us + lead, f->frame_rate), frame_ceil(cj->t.out_us - trail, f->frame_rate) };
    if (t.in_us < cj->t.in_us)
        t.in_us = cj->t.in_us;
    if (t.out_us > cj->t.out_us)
        t.out_us = cj->t.out_us;
    if (t.out_us - t.in_us < 1000000 / (f->frame_rate > 0 ? f->frame_rate : 25)) { /* all of it: keep the clip */
        cl_log(rs->c, CLIPLINE_LOG_WARNING, "%s: the whole clip looks %s; not trimmed", cj->label,
               sc.silence && !sc.black ? "silent" : sc.black && !sc.silence ? "black" : "silent and black");
        return 0;
    }
    json_t *tr = json_pack("{s:f,s:f,s:f,s:f}", "asked_in_s", cj->t.in_us / 1e6, "asked_out_s", cj->t.out_us / 1e6,
                           "in_moved_s", (t.in_us - cj->t.in_us) / 1e6, "out_moved_s", (t.out_us - cj->t.out_us) / 1e6);
    if (tr && sc.silence)
        json_object_set_new(tr, "silence", json_pack("{s:f,s:f,s:f}", "leading_s", s_lead / 1e6, "trailing_s",
                                                      s_trail / 1e6, "threshold_db", clip->silence_db));
    if (tr && sc.black)
        json_object_set_new(tr, "black", json_pack("{s:f,s:f,s:i}", "leading_s", b_lead / 1e6, "trailing_s",
                                                    b_trail / 1e6, "threshold", clip->black_luma));
    char a[32], b[32], x[32], y[32];
    cl_log(rs->c, CLIPLINE_LOG_INFO, "%s: trimmed %s to %s (in +%.3f s, out -%.3f s; asked %s to %s)", cj->label,
           cl_format_time(t.in_us, a), cl_format_time(t.out_us, b), (t.in_us - cj->t.in_us) / 1e6,
           (cj->t.out_us - t.out_us) / 1e6, cl_format_time(cj->t.in_us, x), cl_format_time(cj->t.out_us, y));
    cj->trimmed = tr;
    cj->t = t;
    return 0;
}

/* The encoding the job gives for a language, or "". */
static const char *job_encoding(const cl_job_spec *job, const char *lang)
{
    for (int i = 0; i < job->nb_enc; i++)
        if (!strcasecmp(job->enc_lang[i], lang))
            return job->enc_name[i];
    return job->enc_all;
}

/* One item: plan its outputs, build what is needed, publish, record. */
static int run_clip(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                    const cl_source_facts *f, int facts_err)
{
    clipline_context *c = rs->c;
    double t0 = cl_now_s();
    clip_job cj = { .iv = iv, .clip = clip };
    snprintf(cj.label, sizeof(cj.label), "%s/%s", iv->id, clip->name);
    int ret = facts_err, nb_subs = 0;
    cl_sub_input *subs = NULL;
    json_t *outputs = json_array();
    if (ret < 0 || !outputs)
        goto end;
    if (clip->error) {
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "interview \"%s\", clip \"%s\": %s", iv->id,
                      clip->name, clip->error);
        goto end;
    }
    if ((ret = resolve_times(rs, iv, clip, f, &cj.t)) < 0 ||
        ((clip->trim_silence || clip->trim_black) && (ret = apply_trims(rs, &cj, f)) < 0) ||
        (ret = resolve_parts(rs, &cj, f)) < 0)
        goto end;
    if (iv->subtitles && (ret = cl_subs_scan(c, iv->subtitles, clip->name, &subs, &nb_subs)) < 0)
        goto end;
    for (int i = 0; i < nb_subs; i++) /* the job's subtitles.encoding */
        snprintf(subs[i].encoding, sizeof(subs[i].encoding), "%s", job_encoding(&rs->job, subs[i].lang));
    if (!(cj.pl = calloc((size_t)plan_capacity(&rs->job, nb_subs), sizeof(*cj.pl)))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if (rs->o->explain)
        explain_clip(rs, &cj, subs, nb_subs);
    /* what the recording and the cards are (hashed outside the lock: the
     * first time, a camera file takes seconds) */
    cj.source_seen = stat(iv->source, &cj.source_stat) == 0; /* to see it change while it is read */
    cl_identity_of(rs->ids, iv->source, cj.source_id, sizeof(cj.source_id));
    for (int k = 0; k < 2; k++)
        if (cj.part[k])
            cl_identity_of(rs->ids, cj.part[k]->file, cj.part_id[k], sizeof(cj.part_id[k]));
    rs_lock(rs); /* the plan reads and notes in the destination's manifest */
    ret = plan_clip(rs, &cj, subs, nb_subs, outputs);
    rs_unlock(rs);
    if (ret <= 0 || rs->o->dry_run)
        goto end;
    ret = build_media(rs, &cj, f->has_audio, outputs);
    /* sidecars even when a rendition failed; not when the recording itself
     * could not be used (cut short, changed while read, over a limit): the
     * clip will not exist until it is replaced */
    if (ret != CLIPLINE_ERROR_INTERRUPTED && ret != CLIPLINE_ERROR_INPUT && ret != CLIPLINE_ERROR_LIMIT) {
        char detail[CL_DETAIL_MAX];
        snprintf(detail, sizeof(detail), "%s", clipline_error_detail(c));
        int sret = build_sidecars(rs, &cj, outputs);
        if (ret >= 0) {
            ret = sret;
        } else if (sret < 0) { /* both failed (a full disk): the media's error stays the item's */
            cl_log(c, CLIPLINE_LOG_ERROR, "%s", clipline_error_detail(c));
            cl_fail(c, ret, "%s", detail);
        }
    }
end:
    ret = finish_clip(rs, &cj, ret, outputs, t0);
    json_decref(outputs);
    json_decref(cj.trimmed);
    cl_subs_free(&subs, nb_subs);
    free(cj.pl);
    return ret;
}

static int check_job(run_state *rs)
{
    const cl_preset *enc[32];
    int n = plan_encodings(&rs->job, enc, 32);
    for (int i = 1; i < n; i++) {
        const cl_audio_preset *a = &enc[0]->audio, *b = &enc[i]->audio;
        if (a->sample_rate != b->sample_rate ||
            a->channels != b->channels || a->loudness != b->loudness ||
            a->target_lufs != b->target_lufs || a->true_peak_db != b->true_peak_db ||
            a->fade_ms != b->fade_ms ||
            strcmp(a->missing, b->missing))
            return cl_fail(rs->c, CLIPLINE_ERROR_CONFIG,
                           "%s: presets \"%s\" and \"%s\" differ in their audio settings; the "
                           "sound of a clip is prepared once for all its renditions (only the "
                           "audio codec and bit rate may differ)",
                           rs->job.path, enc[0]->name, enc[i]->name);
    }
    return 0;
}

static int open_destination(run_state *rs)
{
    char *fallback = NULL;
    const char *dest = rs->o->dest ? rs->o->dest : rs->job.destination;
    if (!dest)
        dest = fallback = cl_path_join(rs->job.dir, "out");
    int ret = cl_storage_open(rs->c, dest, &rs->st);
    free(fallback);
    if (ret < 0)
        return ret;
    char *cache = cl_cache_dir(rs->o->cache_dir); /* upload journals, for resuming */
    ret = cl_storage_set_state_dir(rs->st, cache);
    free(cache);
    if (ret < 0)
        return ret;
    char *text = NULL;
    cl_detail(rs->c)[0] = '\0'; /* what the backend says, if it does (s3: the status and a hint) */
    ret = cl_storage_read(rs->st, "manifest.json", CL_MANIFEST_CAP, &text, NULL);
    if (ret < 0 && ret != AVERROR(ENOENT)) {
        char why[CL_DETAIL_MAX];
        snprintf(why, sizeof(why), "%s", *clipline_error_detail(rs->c) ? clipline_error_detail(rs->c)
                                                                        : clipline_strerror(ret));
        free(text);
        return cl_fail(rs->c, ret == CLIPLINE_ERROR_CONFIG ? ret : CLIPLINE_ERROR_STORAGE,
                       "%s: cannot read manifest.json: %s", rs->st->location, why);
    }
    ret = cl_manifest_parse(rs->c, text, "manifest.json at the destination", &rs->manifest);
    free(text);
    return ret;
}

/* The destination's manifest.json, as rs->manifest says now. */
static int write_manifest(run_state *rs)
{
    rs_lock(rs);
    char *text = cl_manifest_dump(rs->manifest);
    int ret = text ? publish_text(rs, "manifest.json", text, "application/json") : AVERROR(ENOMEM);
    rs_unlock(rs);
    free(text);
    return ret;
}

/* What shards published and no publish has merged yet: a shard takes its
 * own items' parts (what an earlier attempt of it built); a whole run, or
 * publish, takes them all into manifest.json and removes them. */
static int take_parts(run_state *rs, int publish)
{
    int sharded = rs->o->shard_count > 0 && !publish;
    int n = shard_merge_parts(rs, !sharded);
    if (n <= 0 || sharded || (rs->o->dry_run && !publish))
        return n;
    int ret = write_manifest(rs);
    if (ret >= 0)
        ret = shard_remove_parts(rs);
    if (ret >= 0)
        cl_log(rs->c, CLIPLINE_LOG_INFO, "%d items that shards built merged into manifest.json", n);
    return ret < 0 ? ret : n;
}

#define ITEM_ATTEMPTS 3 /* an item that failed on the destination: tried again twice */

/* The batch's items in job order, each with its recording's facts (probed
 * once per interview, before any item runs). */
typedef struct item_ref {
    const cl_interview_spec *iv;
    const cl_clip_spec *clip;
    const cl_source_facts *f;
    int ferr;
    const char *ferr_msg;
} item_ref;

typedef struct batch {
    run_state *rs;
    item_ref *items;
    int n;
    cl_source_facts *facts;
    char (*ferr_msg)[CL_DETAIL_MAX];
} batch;

/* One item, start to finish; then the destination's manifest. Returns the
 * item's result, or a storage error that stops the batch. */
static int run_item(batch *b, const item_ref *it)
{
    run_state *rs = b->rs;
    char item[600];
    snprintf(item, sizeof(item), "%s/%s", it->iv->id, it->clip->name);
    if (it->ferr < 0) /* every clip of an unreadable recording fails alike */
        cl_fail(rs->c, it->ferr, "%s", it->ferr_msg);
    RS_COUNT(rs, items, 1);
    cl_progress(rs->c, "item", item, NULL, NULL, -1);
    cl_storage_set_item(item); /* upload progress names it */
    int ret = run_clip(rs, it->iv, it->clip, it->f, it->ferr);
    /* a storage failure may pass (the s3 backend has already retried each
     * request): the item is tried again, after a pause; what it published
     * before is up to date by then and not sent again */
    for (int attempt = 2; attempt <= ITEM_ATTEMPTS && ret == CLIPLINE_ERROR_STORAGE && !rs->c->interrupted; attempt++) {
        int pause = 2 << (attempt - 2);
        cl_log(rs->c, CLIPLINE_LOG_WARNING, "%s: the destination failed; trying the item again in %d s (attempt %d of %d)",
               item, pause, attempt, ITEM_ATTEMPTS);
        for (int t = 0; t < pause * 10 && !rs->c->interrupted; t++)
            av_usleep(100000);
        ret = run_clip(rs, it->iv, it->clip, it->f, it->ferr);
    }
    cl_storage_set_item(NULL);
    clipline_progress done = cl_progress_make("done", item, NULL, NULL);
    done.percent = 100;
    done.eta_s = 0;
    done.status = ret >= 0 ? "ok" : "failed";
    if (ret == CLIPLINE_ERROR_INTERRUPTED)
        return ret;
    cl_progress_ev(rs->c, &done);
    RS_COUNT(rs, items_failed, ret < 0);
    RS_COUNT(rs, items_failed_transient, ret == CLIPLINE_ERROR_STORAGE);
    RS_COUNT(rs, items_ok, ret >= 0);
    if (!rs->o->dry_run && rs->o->shard_count > 0) { /* a shard: the item's part of the manifest */
        int wret = shard_write_part(rs, it->iv->id, it->clip->name);
        if (wret < 0)
            return wret;
    } else if (!rs->o->dry_run) { /* a consistent manifest after every item */
        int wret = write_manifest(rs);
        if (wret < 0)
            return wret;
    }
    return ret < 0 ? CLIPLINE_ERROR_ITEMS_FAILED : 0;
}

/* Takes the batch's next item until none is left or the batch stops (at
 * the first failed item with --fail-fast, when interrupted, or when the
 * manifest could not be written). */
static void take_items(batch *b)
{
    run_state *rs = b->rs;
    for (;;) {
        rs_lock(rs);
        int k = rs->stop ? b->n : rs->next_item++;
        rs_unlock(rs);
        if (k >= b->n)
            break;
        int ret = run_item(b, &b->items[k]);
        rs_lock(rs);
        if (ret == CLIPLINE_ERROR_ITEMS_FAILED) {
            rs->failed = 1;
            rs->stop |= rs->o->fail_fast;
        } else if (ret < 0) {
            rs->stop = 1;
            if (!rs->stop_err) {
                rs->stop_err = ret;
                if (clipline_error_detail(rs->c) != rs->c->detail) /* an item thread's: the run's now */
                    snprintf(rs->c->detail, sizeof(rs->c->detail), "%s", clipline_error_detail(rs->c));
            }
        }
        rs_unlock(rs);
    }
}

static void *item_thread(void *arg)
{
    cl_detail_thread_own(); /* this thread's errors are its items' own */
    take_items(arg);
    return NULL;
}

/* Every item of the job: one after the other, or `jobs` at a time, each
 * in its own thread (the encoders' threads shared out between them). */
static int run_items(run_state *rs)
{
    batch b = { .rs = rs };
    int ret = 0;
    size_t nb = 0, niv = rs->job.nb_interviews > 0 ? (size_t)rs->job.nb_interviews : 1;
    for (int i = 0; i < rs->job.nb_interviews; i++)
        nb += (size_t)rs->job.interviews[i].nb_clips;
    b.items = calloc(nb ? nb : 1, sizeof(*b.items));
    b.facts = calloc(niv, sizeof(*b.facts));
    b.ferr_msg = calloc(niv, sizeof(*b.ferr_msg));
    if (!b.items || !b.facts || !b.ferr_msg) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    for (int i = 0, k0 = 0; i < rs->job.nb_interviews; k0 += rs->job.interviews[i++].nb_clips) {
        const cl_interview_spec *iv = &rs->job.interviews[i];
        int mine = 0;
        for (int k = 0; k < iv->nb_clips; k++)
            mine += shard_has(rs, k0 + k);
        if (!mine) /* another shard's interview: not even probed */
            continue;
        cl_progress(rs->c, "progress", iv->id, iv->source, "probe", -1);
        int ferr = cl_media_source_facts(rs->c, iv->source, &b.facts[i]);
        snprintf(b.ferr_msg[i], CL_DETAIL_MAX, "interview \"%s\": %s", iv->id, clipline_error_detail(rs->c));
        for (int k = 0; k < iv->nb_clips; k++)
            if (shard_has(rs, k0 + k))
                b.items[b.n++] = (item_ref){ iv, &iv->clips[k], &b.facts[i], ferr, b.ferr_msg[i] };
    }
    if (rs->o->shard_count > 0)
        cl_log(rs->c, CLIPLINE_LOG_INFO, "shard %d of %d: %d of the job's %zu items", rs->o->shard_index,
               rs->o->shard_count, b.n, nb);
    int jobs = FFMIN(FFMIN(rs->o->jobs, b.n), 64), started = 0;
    pthread_t th[64];
    if (jobs > 1) {
        cl_log(rs->c, CLIPLINE_LOG_INFO, "%d items, %d at a time", b.n, jobs);
        while (started < jobs && pthread_create(&th[started], NULL, item_thread, &b) == 0)
            started++;
    }
    if (!started) /* one at a time (or no thread could be started): this thread */
        take_items(&b);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    ret = rs->stop_err;
    if (ret >= 0 && rs->failed)
        ret = CLIPLINE_ERROR_ITEMS_FAILED;
end:
    free(b.items);
    free(b.facts);
    free(b.ferr_msg);
    return ret;
}

/* index.html, after manifest.json; left alone when it would not change. */
static int write_review_page(run_state *rs)
{
    char *page = review_page(rs->manifest), *old = NULL;
    if (!page)
        return AVERROR(ENOMEM);
    int ret = 0;
    if (cl_storage_read(rs->st, "index.html", 16 * 1024 * 1024, &old, NULL) < 0 || strcmp(old, page))
        ret = publish_text(rs, "index.html", page, "text/html; charset=utf-8");
    free(old);
    free(page);
    return ret;
}

static void rs_init(run_state *rs, clipline_context *c, const clipline_run_options *o)
{
    memset(rs, 0, sizeof(*rs));
    rs->c = c;
    rs->o = o;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rs->lock, &ma);
    pthread_mutexattr_destroy(&ma);
}

static void rs_free(run_state *rs)
{
    cl_identities_close(&rs->ids);
    json_decref(rs->manifest);
    cl_storage_close(&rs->st);
    cl_job_free(&rs->job);
    pthread_mutex_destroy(&rs->lock);
}

void clipline_default_run_options(clipline_run_options *o)
{
    memset(o, 0, sizeof(*o));
}

int clipline_run(clipline_context *c, const char *job_path, const clipline_run_options *o,
                 clipline_run_summary *summary)
{
    CL_CHECK_ARG(c, job_path);
    clipline_run_options defaults;
    if (!o) {
        clipline_default_run_options(&defaults);
        o = &defaults;
    }
    run_state rs;
    rs_init(&rs, c, o);
    int saved_threads = c->s.threads;
    if (o->jobs > 1 && c->s.threads <= 0) /* the cores shared out between the items */
        c->s.threads = FFMAX(1, av_cpu_count() / o->jobs);
    double t0 = cl_now_s();
    plan_versions(&rs);
    c->detail[0] = '\0';
    int ret = cl_job_load(c, job_path, &rs.job);
    if (ret < 0)
        goto end;
    if (o->shard_count > 0 && (o->shard_index < 0 || o->shard_index >= o->shard_count)) {
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "shard %d of %d: the index must be 0 to %d", o->shard_index,
                      o->shard_count, o->shard_count - 1);
        goto end;
    }
    if ((ret = check_job(&rs)) < 0 || (ret = open_destination(&rs)) < 0 || (ret = take_parts(&rs, 0)) < 0)
        goto end;
    if (!(rs.ids = cl_identities_open(c, o->cache_dir))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    ret = run_items(&rs);
    if (!o->dry_run && o->shard_count <= 0 && ret != CLIPLINE_ERROR_INTERRUPTED &&
        (ret >= 0 || ret == CLIPLINE_ERROR_ITEMS_FAILED)) {
        int rret = write_review_page(&rs);
        if (rret < 0)
            ret = rret;
    }
    if (ret == CLIPLINE_ERROR_ITEMS_FAILED)
        cl_fail(c, ret, "%d of %d items failed", rs.sum.items_failed, rs.sum.items);
end:
    if (summary)
        *summary = rs.sum;
    clipline_progress sp = cl_progress_make("summary", NULL, NULL, NULL);
    sp.percent = 100;
    sp.status = ret >= 0 ? "ok" : "failed";
    sp.items = rs.sum.items;
    sp.items_ok = rs.sum.items_ok;
    sp.items_failed = rs.sum.items_failed;
    sp.outputs_built = rs.sum.outputs_built;
    sp.outputs_up_to_date = rs.sum.outputs_skipped;
    cl_progress_ev(c, &sp);
    if (o->report_path || o->junit_path) {
        char detail[CL_DETAIL_MAX];
        snprintf(detail, sizeof(detail), "%s", clipline_error_detail(c));
        report_write(&rs, ret, cl_now_s() - t0);
        snprintf(c->detail, sizeof(c->detail), "%s", detail); /* the run's error stays the detail */
    }
    json_decref(rs.report);
    c->s.threads = saved_threads;
    rs_free(&rs);
    return ret;
}

int clipline_publish(clipline_context *c, const char *job_path, const clipline_run_options *o, int *merged)
{
    CL_CHECK_ARG(c, job_path);
    clipline_run_options opts;
    clipline_default_run_options(&opts);
    if (o) {
        opts.dest = o->dest;
        opts.cache_dir = o->cache_dir;
    }
    run_state rs;
    rs_init(&rs, c, &opts);
    c->detail[0] = '\0';
    int ret = cl_job_load(c, job_path, &rs.job), n = 0;
    if (ret >= 0 && (ret = open_destination(&rs)) >= 0 && (ret = n = take_parts(&rs, 1)) >= 0) {
        if (n == 0) { /* nothing new; manifest.json as it is, written if it was not yet */
            int64_t bytes;
            if (cl_storage_stat(rs.st, "manifest.json", &bytes) == AVERROR(ENOENT))
                ret = write_manifest(&rs);
        }
        if (ret >= 0)
            ret = write_review_page(&rs);
        if (ret >= 0)
            cl_log(c, CLIPLINE_LOG_INFO, "%s: %d item%s merged into manifest.json; index.html up to date",
                   rs.st->location, n, n == 1 ? "" : "s");
    }
    if (merged)
        *merged = n > 0 ? n : 0;
    rs_free(&rs);
    return ret < 0 ? ret : 0;
}
