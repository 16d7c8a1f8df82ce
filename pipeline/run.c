/*
 * run.c: the job orchestrator, the one module that knows every stage:
 *
 *   job spec ─► per clip: resolve clip points ─► plan outputs (fingerprints,
 *   skip what is up to date) ─► media: decode once, encode renditions ─►
 *   verify ─► storage: publish outputs, then the clip's manifest ─►
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
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "core/util.h"
#include "job/manifest.h"
#include "job/spec.h"
#include "media/media.h"
#include "storage/storage.h"
#include "subs/subs.h"

typedef struct run_state {
    clipline_context *c;
    const clipline_run_options *o;
    cl_job_spec job;
    cl_storage *st;
    json_t *manifest;
    clipline_run_summary sum;
    char versions[512];
} run_state;

/* One planned output of a clip: a rendition (preset) or a subtitle sidecar (sub). */
typedef struct planned {
    const cl_preset *preset;
    const cl_sub_input *sub;
    char rel[1024];
    char fingerprint[65];
    int build, published;
    const char *reason;
    char *staging;
    cl_rendition_req req;
} planned;

typedef struct clip_times {
    int64_t in_us, out_us;
} clip_times;

static void versions_string(run_state *rs)
{
    clipline_versions v;
    clipline_get_versions(&v);
    snprintf(rs->versions, sizeof(rs->versions),
             "clipline %s; libavcodec %s; libavformat %s; libavfilter %s; x264 %s", v.clipline,
             v.libavcodec, v.libavformat, v.libavfilter, v.x264);
}

/* The source recording's identity for fingerprints. */
static void source_identity(const char *path, char *buf, size_t size)
{
    struct stat s;
    if (stat(path, &s) < 0)
        snprintf(buf, size, "missing");
    else
        snprintf(buf, size, "%" PRId64 ":%" PRId64 ".%09ld", (int64_t)s.st_size,
                 (int64_t)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
}

/* The hash of everything that determines an output: its inputs (`what`),
 * the clip points and the versions of the code that produces it. */
static void fingerprint(run_state *rs, json_t *what, const clip_times *t, char out[65])
{
    json_object_set_new(what, "in_us", json_integer(t->in_us));
    json_object_set_new(what, "out_us", json_integer(t->out_us));
    json_object_set_new(what, "versions", json_string(rs->versions));
    char *text = json_dumps(what, JSON_SORT_KEYS | JSON_COMPACT);
    cl_sha256_hex(text ? text : "", text ? strlen(text) : 0, out);
    free(text);
    json_decref(what);
}

static void video_fingerprint(run_state *rs, const cl_interview_spec *iv, const clip_times *t,
                              planned *p)
{
    char src[128];
    source_identity(iv->source, src, sizeof(src));
    char *canon = cl_preset_canonical(p->preset);
    fingerprint(rs, json_pack("{s:s,s:s,s:s}", "kind", "video", "source", src, "preset",
                              canon ? canon : ""), t, p->fingerprint);
    free(canon);
}

static void subs_fingerprint(run_state *rs, const clip_times *t, planned *p)
{
    fingerprint(rs, json_pack("{s:s,s:s,s:s,s:b}", "kind", "subtitles", "language", p->sub->lang,
                              "sha256", p->sub->sha256, "clip_timeline", p->sub->clip_timeline),
                t, p->fingerprint);
}

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
    int64_t len = t->out_us - t->in_us;
    if (len > rs->job.module_length_us && !clip->allow_longer)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "interview \"%s\", clip \"%s\": the clip lasts %s, longer than the "
                       "module length %s (set \"allow_longer\": true on the clip to allow it)",
                       iv->id, clip->name, cl_format_time(len, a),
                       cl_format_time(rs->job.module_length_us, b));
    return 0;
}

/* Is the output already at the destination, built from the same inputs? */
static const char *needs_build(run_state *rs, planned *p)
{
    if (rs->o->force)
        return "forced";
    json_t *old = cl_manifest_output(rs->manifest, p->rel);
    if (!old)
        return "new output";
    const char *fp = json_string_value(json_object_get(old, "fingerprint"));
    if (!fp || strcmp(fp, p->fingerprint))
        return "inputs changed";
    int64_t bytes = -1;
    if (cl_storage_stat(rs->st, p->rel, &bytes) < 0)
        return "missing at destination";
    if (bytes != json_integer_value(json_object_get(old, "bytes")))
        return "size differs from the manifest";
    return NULL;
}

static json_t *output_entry(const planned *p, const char *sha, int64_t bytes)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:n,s:n,s:I,s:s,s:f,s:s,s:i,s:i}", "path", p->rel, "kind",
                     "video", "mime", "video/mp4", "preset", p->preset->name, "language",
                     "burned_language", "bytes", (json_int_t)bytes, "sha256", sha, "duration_s",
                     p->req.out_duration_s, "fingerprint", p->fingerprint, "width",
                     p->req.out_width, "height", p->req.out_height);
}

static json_t *subs_entry(const planned *p, const char *sha, int64_t bytes, const clip_times *t,
                          const cl_sidecar_result *r)
{
    json_t *cues = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "read", r->cues_read, "kept",
                             r->cues_kept, "dropped", r->cues_dropped, "in_clip", r->cues_in_clip,
                             "clipped", r->cues_clipped, "outside_clip", r->cues_outside);
    return json_pack("{s:s,s:s,s:s,s:n,s:s,s:n,s:I,s:s,s:f,s:s,s:s,s:s,s:o}", "path", p->rel,
                     "kind", "subtitles", "mime", "text/vtt", "preset", "language", p->sub->lang,
                     "burned_language", "bytes", (json_int_t)bytes, "sha256", sha, "duration_s",
                     (t->out_us - t->in_us) / 1e6, "fingerprint", p->fingerprint, "source_encoding",
                     r->encoding, "timeline", p->sub->clip_timeline ? "clip" : "recording", "cues",
                     cues);
}

/* Hashes the staged file, publishes it and lists it in `outputs`. */
static int publish_output(run_state *rs, planned *p, const char *mime, json_t *outputs,
                          const clip_times *t, const cl_sidecar_result *sr)
{
    char sha[65];
    int64_t bytes = 0;
    int ret = cl_sha256_file(p->staging, sha, &bytes);
    if (ret < 0)
        return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "%s: cannot read back: %s", p->staging,
                       clipline_strerror(ret));
    if ((ret = cl_storage_publish(rs->st, p->staging, p->rel, mime)) < 0)
        return ret;
    p->published = 1;
    json_array_append_new(outputs, sr ? subs_entry(p, sha, bytes, t, sr) : output_entry(p, sha, bytes));
    rs->sum.outputs_built++;
    return 0;
}

/* Encodes, verifies and publishes the outputs marked for building. */
static int build_outputs(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                         const clip_times *t, planned *pl, int n, int has_audio, json_t *outputs)
{
    clipline_context *c = rs->c;
    char label[512];
    snprintf(label, sizeof(label), "%s/%s", iv->id, clip->name);
    cl_rendition_req *reqs = calloc((size_t)n, sizeof(*reqs));
    int nb = 0, ret = 0;
    if (!reqs)
        return AVERROR(ENOMEM);
    for (int i = 0; i < n; i++)
        nb += pl[i].build && pl[i].preset;
    if (!nb)
        goto end;
    nb = 0;
    for (int i = 0; i < n; i++) {
        if (!pl[i].build || !pl[i].preset)
            continue;
        if (!(pl[i].staging = cl_storage_staging_path(rs->st, pl[i].rel))) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        const cl_preset *p = pl[i].preset;
        cl_rendition_req *r = &reqs[nb++];
        r->out_path = pl[i].staging;
        r->faststart = p->faststart;
        r->video = (cl_video_target){ .max_width = p->video.max_width, .max_height = p->video.max_height,
                                      .crf = p->video.crf, .maxrate_kbps = p->video.maxrate_kbps,
                                      .bufsize_kbps = p->video.bufsize_kbps, .keyint_s = p->video.keyint_s };
        snprintf(r->video.profile, sizeof(r->video.profile), "%s", p->video.profile);
        snprintf(r->video.level, sizeof(r->video.level), "%s", p->video.level);
        snprintf(r->video.pix_fmt, sizeof(r->video.pix_fmt), "%s", p->video.pix_fmt);
        snprintf(r->video.x264_preset, sizeof(r->video.x264_preset), "%s", p->video.x264_preset);
        snprintf(r->video.tune, sizeof(r->video.tune), "%s", p->video.tune);
        snprintf(r->video.x264_params, sizeof(r->video.x264_params), "%s", p->video.x264_params);
    }
    const cl_audio_preset *ap = &rs->job.presets[0].audio;
    cl_clip_req req = { .source = iv->source, .label = label, .in_us = t->in_us,
                        .out_us = t->out_us, .renditions = reqs, .nb_renditions = nb,
                        .audio = { ap->bitrate_kbps, ap->sample_rate, ap->channels, 0, 0, -16, -1 } };
    cl_log(c, CLIPLINE_LOG_INFO, "%s: encoding %d rendition%s from one decode", label, nb,
           nb == 1 ? "" : "s");
    if ((ret = cl_media_transcode(c, &req)) < 0)
        goto end;
    for (int i = 0, k = 0; i < n; i++) {
        if (!pl[i].build || !pl[i].preset)
            continue;
        pl[i].req = reqs[k++];
        cl_verify_req v = { .path = pl[i].staging, .expect_duration_s = (t->out_us - t->in_us) / 1e6,
                            .max_width = pl[i].preset->video.max_width,
                            .max_height = pl[i].preset->video.max_height, .expect_audio = has_audio };
        snprintf(v.level, sizeof(v.level), "%s", pl[i].preset->video.level);
        if ((ret = cl_media_verify(c, &v)) < 0)
            goto end;
    }
    for (int i = 0; i < n; i++) {
        if (!pl[i].build || !pl[i].preset)
            continue;
        if ((ret = publish_output(rs, &pl[i], "video/mp4", outputs, t, NULL)) < 0)
            goto end;
        cl_log(c, CLIPLINE_LOG_INFO, "%s: wrote %s (%dx%d, %.3f s)", label, pl[i].rel,
               pl[i].req.out_width, pl[i].req.out_height, pl[i].req.out_duration_s);
    }
end:
    free(reqs);
    return ret;
}

/* Writes the WebVTT sidecars marked for building. */
static int build_sidecars(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                          const clip_times *t, planned *pl, int n, json_t *outputs)
{
    for (int i = 0; i < n; i++) {
        if (!pl[i].build || !pl[i].sub)
            continue;
        cl_sidecar_result r;
        if (!(pl[i].staging = cl_storage_staging_path(rs->st, pl[i].rel)))
            return AVERROR(ENOMEM);
        int ret = cl_subs_make_sidecar(rs->c, pl[i].sub, t->in_us, t->out_us, pl[i].staging, &r);
        if (ret >= 0)
            ret = publish_output(rs, &pl[i], "text/vtt", outputs, t, &r);
        if (ret < 0)
            return ret;
        cl_log(rs->c, CLIPLINE_LOG_INFO,
               "%s/%s: wrote %s (%s, %s; %d cues read, %d kept, %d dropped; %d in the clip, %d cut, "
               "%d outside)",
               iv->id, clip->name, pl[i].rel, r.encoding, r.encoding_how, r.cues_read, r.cues_kept, r.cues_dropped,
               r.cues_in_clip, r.cues_clipped, r.cues_outside);
    }
    return 0;
}

static int publish_json(run_state *rs, const char *rel, const char *text)
{
    char *staging = cl_storage_staging_path(rs->st, rel);
    if (!staging)
        return AVERROR(ENOMEM);
    int ret = cl_write_file_atomic(staging, text, strlen(text));
    if (ret < 0)
        ret = cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "cannot write %s: %s", staging,
                      clipline_strerror(ret));
    else
        ret = cl_storage_publish(rs->st, staging, rel, "application/json");
    if (ret < 0)
        unlink(staging);
    free(staging);
    return ret;
}

static const char *relative_source(const run_state *rs, const char *path)
{
    size_t l = strlen(rs->job.dir);
    if (!strncmp(path, rs->job.dir, l) && path[l] == '/')
        return path + l + 1;
    return path;
}

static int write_clip_manifest(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                               const clip_times *t, json_t *outputs)
{
    char rel[1024];
    snprintf(rel, sizeof(rel), "%s/%s/manifest.json", iv->id, clip->name);
    json_t *m = json_pack("{s:i,s:s,s:s,s:s,s:s*,s:s,s:f,s:f,s:f,s:O}", "format", 1, "generator",
                          "clipline", "interview", iv->id, "clip", clip->name, "title", clip->title,
                          "source", relative_source(rs, iv->source), "in_s", t->in_us / 1e6,
                          "out_s", t->out_us / 1e6, "duration_s", (t->out_us - t->in_us) / 1e6,
                          "outputs", outputs);
    char *text = cl_manifest_dump(m);
    json_decref(m);
    if (!text)
        return AVERROR(ENOMEM);
    int ret = publish_json(rs, rel, text);
    free(text);
    return ret;
}

/* Records the item in the destination's manifest. `outputs` NULL keeps the
 * outputs listed before (a failed item that published nothing new). */
static void record_item(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                        int err, json_t *outputs)
{
    json_t *item = json_pack("{s:s,s:s,s:s}", "interview", iv->id, "clip", clip->name, "status",
                             err < 0 ? "failed" : "ok");
    if (err < 0)
        json_object_set_new(item, "error", json_pack("{s:s,s:s}", "class", clipline_error_class(err),
                                                     "message", clipline_error_detail(rs->c)));
    cl_manifest_replace_item(rs->manifest, iv->id, clip->name, item, outputs);
    json_decref(item);
}

static void plan_log(run_state *rs, const planned *p)
{
    if (rs->o->dry_run && !rs->o->explain)
        cl_log(rs->c, CLIPLINE_LOG_INFO, "%s %s", p->build ? "build" : "skip ", p->rel);
    else
        cl_log(rs->c, CLIPLINE_LOG_INFO, "%s %s (%s)", p->build ? "build" : "skip ", p->rel,
               p->build ? p->reason : "up to date");
}

static void explain_clip(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                         const clip_times *t)
{
    char a[32], b[32], l[32], m[32];
    cl_log(rs->c, CLIPLINE_LOG_INFO, "clip %s/%s: %s to %s, %s of a %s module%s", iv->id,
           clip->name, cl_format_time(t->in_us, a), cl_format_time(t->out_us, b),
           cl_format_time(t->out_us - t->in_us, l), cl_format_time(rs->job.module_length_us, m),
           clip->allow_longer ? " (longer allowed)" : "");
}

/* Plans the clip's outputs: one per preset, one sidecar per subtitle
 * language; marks those that need building. */
static int plan_clip(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                     const clip_times *t, const cl_sub_input *subs, int nb_subs, planned *pl,
                     json_t *outputs)
{
    int n = rs->job.nb_presets + nb_subs, nb_build = 0;
    for (int i = 0; i < n; i++) {
        planned *p = &pl[i];
        if (i < rs->job.nb_presets) {
            p->preset = &rs->job.presets[i];
            snprintf(p->rel, sizeof(p->rel), "%s/%s/%s.%s.mp4", iv->id, clip->name, clip->name,
                     p->preset->name);
            video_fingerprint(rs, iv, t, p);
        } else {
            p->sub = &subs[i - rs->job.nb_presets];
            snprintf(p->rel, sizeof(p->rel), "%s/%s/%s.%s.vtt", iv->id, clip->name, clip->name,
                     p->sub->lang);
            subs_fingerprint(rs, t, p);
        }
        p->reason = needs_build(rs, p);
        p->build = p->reason != NULL;
        nb_build += p->build;
        plan_log(rs, p);
        if (!p->build) {
            json_array_append(outputs, cl_manifest_output(rs->manifest, p->rel));
            rs->sum.outputs_skipped++;
        }
    }
    rs->sum.outputs_planned += nb_build;
    return nb_build;
}

/* One item: plan its outputs, build what is needed, publish, record. */
static int run_clip(run_state *rs, const cl_interview_spec *iv, const cl_clip_spec *clip,
                    const cl_source_facts *f, int facts_err)
{
    clipline_context *c = rs->c;
    int n = 0, ret = facts_err, nb_subs = 0, published = 0;
    cl_sub_input *subs = NULL;
    planned *pl = NULL;
    json_t *outputs = json_array();
    clip_times t = { 0, 0 };
    if (ret < 0 || !outputs)
        goto end;
    if (clip->error) {
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "interview \"%s\", clip \"%s\": %s", iv->id,
                      clip->name, clip->error);
        goto end;
    }
    if ((ret = resolve_times(rs, iv, clip, f, &t)) < 0)
        goto end;
    if (iv->subtitles && (ret = cl_subs_scan(c, iv->subtitles, clip->name, &subs, &nb_subs)) < 0)
        goto end;
    n = rs->job.nb_presets + nb_subs;
    if (!(pl = calloc((size_t)n, sizeof(*pl)))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if (rs->o->explain)
        explain_clip(rs, iv, clip, &t);
    if (!plan_clip(rs, iv, clip, &t, subs, nb_subs, pl, outputs) || rs->o->dry_run)
        goto end;
    ret = build_outputs(rs, iv, clip, &t, pl, n, f->has_audio, outputs);
    if (ret != CLIPLINE_ERROR_INTERRUPTED) { /* sidecars even when a rendition failed */
        int sret = build_sidecars(rs, iv, clip, &t, pl, n, outputs);
        if (ret >= 0)
            ret = sret;
    }
end:
    for (int i = 0; pl && i < n; i++) {
        published += pl[i].published;
        if (pl[i].build && !pl[i].published && cl_manifest_output(rs->manifest, pl[i].rel))
            json_array_append(outputs, cl_manifest_output(rs->manifest, pl[i].rel)); /* still there */
        if (pl[i].staging)
            unlink(pl[i].staging); /* leftovers of a failed output */
        free(pl[i].staging);
    }
    if (ret < 0)
        cl_log(c, CLIPLINE_LOG_ERROR, "%s", clipline_error_detail(c));
    if (published) { /* the clip's manifest follows its media */
        char detail[CL_DETAIL_MAX];
        snprintf(detail, sizeof(detail), "%s", clipline_error_detail(c));
        int mret = write_clip_manifest(rs, iv, clip, &t, outputs);
        if (ret >= 0)
            ret = mret;
        else
            cl_fail(c, ret, "%s", detail);
    }
    if (!rs->o->dry_run && ret != CLIPLINE_ERROR_INTERRUPTED)
        record_item(rs, iv, clip, ret, published || ret >= 0 ? outputs : NULL);
    json_decref(outputs);
    cl_subs_free(&subs, nb_subs);
    free(pl);
    return ret;
}

static int check_job(run_state *rs)
{
    const cl_job_spec *j = &rs->job;
    for (int i = 1; i < j->nb_presets; i++) {
        const cl_audio_preset *a = &j->presets[0].audio, *b = &j->presets[i].audio;
        if (a->bitrate_kbps != b->bitrate_kbps || a->sample_rate != b->sample_rate ||
            a->channels != b->channels)
            return cl_fail(rs->c, CLIPLINE_ERROR_CONFIG,
                           "%s: presets \"%s\" and \"%s\" differ in their audio settings; the "
                           "audio of a clip is encoded once for all its renditions",
                           j->path, j->presets[0].name, j->presets[i].name);
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
    char *text = NULL;
    ret = cl_storage_read(rs->st, "manifest.json", CL_MANIFEST_CAP, &text, NULL);
    if (ret < 0 && ret != AVERROR(ENOENT)) {
        free(text);
        return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "%s: cannot read manifest.json: %s",
                       rs->st->location, clipline_strerror(ret));
    }
    ret = cl_manifest_parse(rs->c, text, "manifest.json at the destination", &rs->manifest);
    free(text);
    return ret;
}

static int run_items(run_state *rs)
{
    int failed = 0;
    for (int i = 0; i < rs->job.nb_interviews; i++) {
        const cl_interview_spec *iv = &rs->job.interviews[i];
        cl_source_facts f;
        char ferr_msg[CL_DETAIL_MAX];
        int ferr = cl_media_source_facts(rs->c, iv->source, &f);
        snprintf(ferr_msg, sizeof(ferr_msg), "interview \"%s\": %s", iv->id,
                 clipline_error_detail(rs->c));
        for (int k = 0; k < iv->nb_clips; k++) {
            if (ferr < 0) /* every clip of an unreadable recording fails alike */
                cl_fail(rs->c, ferr, "%s", ferr_msg);
            rs->sum.items++;
            int ret = run_clip(rs, iv, &iv->clips[k], &f, ferr);
            if (ret == CLIPLINE_ERROR_INTERRUPTED)
                return ret;
            if (ret < 0) {
                rs->sum.items_failed++;
                failed = 1;
            } else {
                rs->sum.items_ok++;
            }
            if (!rs->o->dry_run) {
                char *text = cl_manifest_dump(rs->manifest);
                int wret = text ? publish_json(rs, "manifest.json", text) : AVERROR(ENOMEM);
                free(text);
                if (wret < 0)
                    return wret;
            }
            if (ret < 0 && rs->o->fail_fast)
                return CLIPLINE_ERROR_ITEMS_FAILED;
        }
    }
    return failed ? CLIPLINE_ERROR_ITEMS_FAILED : 0;
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
    run_state rs = { .c = c, .o = o };
    versions_string(&rs);
    c->detail[0] = '\0';
    int ret = cl_job_load(c, job_path, &rs.job);
    if (ret < 0)
        goto end;
    if ((ret = check_job(&rs)) < 0 || (ret = open_destination(&rs)) < 0)
        goto end;
    ret = run_items(&rs);
    if (ret == CLIPLINE_ERROR_ITEMS_FAILED)
        cl_fail(c, ret, "%d of %d items failed", rs.sum.items_failed, rs.sum.items);
end:
    if (summary)
        *summary = rs.sum;
    json_decref(rs.manifest);
    cl_storage_close(&rs.st);
    cl_job_free(&rs.job);
    return ret;
}
