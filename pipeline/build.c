/*
 * build.c: building a clip's planned outputs. One decode of the clip feeds
 * every rendition that must be built (MP4 files and HLS rungs share an
 * encode when they use the same preset) and the poster; each output is
 * verified, then published in an order that never shows a half-built clip:
 * HLS segments before their playlists, playlists before the master, and
 * (in run.c) the clip's manifest after its media.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "core/util.h"
#include "job/manifest.h"
#include "clsub.h"
#include "orch.h"

#define MAX_ENCODINGS 16
#define MAX_SOFT 32 /* soft subtitle languages per clip */

/* A manifest entry. The planned output's own file (not its HLS segments)
 * also keeps the inputs it was built from, for the next plan's reasons. */
static json_t *entry(const char *rel, const char *kind, const char *mime, const char *preset,
                     const char *sha, int64_t bytes, double duration, const planned *p)
{
    json_t *e = json_pack("{s:s,s:s,s:s,s:s?,s:n,s:n,s:I,s:s,s:f,s:s}", "path", rel, "kind", kind, "mime",
                          mime, "preset", preset, "language", "burned_language", "bytes",
                          (json_int_t)bytes, "sha256", sha, "duration_s", duration, "fingerprint", p->fingerprint);
    if (e && p->inputs && !strcmp(rel, p->rel))
        json_object_set(e, "inputs", p->inputs);
    return e;
}

/* Hashes a staged file, publishes it as `rel` and returns its manifest
 * entry (NULL on failure, with the context's detail set). */
static json_t *publish_file(run_state *rs, const char *local, const char *rel, const char *kind,
                            const char *mime, const char *preset, double duration, const planned *pl)
{
    char sha[65];
    int64_t bytes = 0;
    int ret = cl_sha256_file(local, sha, &bytes);
    if (ret < 0) {
        cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "%s: cannot read back: %s", local, clipline_strerror(ret));
        return NULL;
    }
    clipline_progress p = cl_progress_make("progress", pl->item, rel, "publish");
    p.percent = 0;
    p.bytes = bytes;
    cl_progress_ev(rs->c, &p);
    if (cl_storage_publish(rs->st, local, rel, mime, sha) < 0)
        return NULL;
    p.event = "done";
    p.percent = 100;
    p.status = "ok";
    cl_progress_ev(rs->c, &p);
    return entry(rel, kind, mime, preset, sha, bytes, duration, pl);
}

int publish_text(run_state *rs, const char *rel, const char *text, const char *mime)
{
    char *staging = cl_storage_staging_path(rs->st, rel);
    if (!staging)
        return AVERROR(ENOMEM);
    int ret = cl_write_file_atomic(staging, text, strlen(text));
    if (ret < 0)
        ret = cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "cannot write %s: %s", staging,
                      clipline_strerror(ret));
    else
        ret = cl_storage_publish(rs->st, staging, rel, mime, NULL);
    if (ret < 0)
        unlink(staging);
    free(staging);
    return ret;
}

static planned *find_mp4(clip_job *cj, const cl_preset *p)
{
    for (int i = 0; i < cj->n; i++)
        if (cj->pl[i].kind == OUT_MP4 && cj->pl[i].preset == p)
            return &cj->pl[i];
    return NULL;
}

static planned *find_kind(clip_job *cj, out_kind k)
{
    for (int i = 0; i < cj->n; i++)
        if (cj->pl[i].kind == k)
            return &cj->pl[i];
    return NULL;
}

/* A rung a partly kept ladder must encode again. */
static int stale_rung(const planned *hls, const cl_preset *p)
{
    for (int r = 0; r < hls->preset->nb_rungs; r++)
        if (!strcmp(hls->preset->rungs[r], p->name))
            return !!(hls->stale_rungs & (1u << r));
    return 0;
}

static int in_ladder(const cl_preset *hls, const cl_preset *p)
{
    for (int r = 0; hls && r < hls->nb_rungs; r++)
        if (!strcmp(hls->rungs[r], p->name))
            return 1;
    return 0;
}

/* What rendition `r` encodes, from preset `p`. */
static void rendition_target(const cl_preset *p, cl_rendition_req *r)
{
    cl_video_target *v = &r->video;
    r->container = p->container;
    r->faststart = p->faststart;
    snprintf(r->audio_codec, sizeof(r->audio_codec), "%s", p->audio.codec);
    r->audio_bitrate_kbps = p->audio.bitrate_kbps;
    *v = (cl_video_target){ .max_width = p->video.max_width, .max_height = p->video.max_height,
                            .crf = p->video.crf, .maxrate_kbps = p->video.maxrate_kbps,
                            .bufsize_kbps = p->video.bufsize_kbps, .keyint_s = p->video.keyint_s };
    snprintf(v->codec, sizeof(v->codec), "%s", p->video.codec);
    v->av1_preset = p->video.av1_preset;
    snprintf(v->profile, sizeof(v->profile), "%s", p->video.profile);
    snprintf(v->level, sizeof(v->level), "%s", p->video.level);
    snprintf(v->pix_fmt, sizeof(v->pix_fmt), "%s", p->video.pix_fmt);
    snprintf(v->x264_preset, sizeof(v->x264_preset), "%s", p->video.x264_preset);
    snprintf(v->tune, sizeof(v->tune), "%s", p->video.tune);
    snprintf(v->x264_params, sizeof(v->x264_params), "%s", p->video.x264_params);
}

/* The renditions to encode: an MP4 to write, an HLS rung, or both; then a
 * burned variant per (preset, language). owner[i] is the output that
 * rendition i writes as an MP4 (NULL: an HLS rung only). */
static int assemble(run_state *rs, clip_job *cj, const cl_preset **enc, cl_rendition_req *reqs,
                    char hls_dirs[][1100], planned **owner)
{
    const cl_preset *all[MAX_ENCODINGS];
    int n = plan_encodings(&rs->job, all, MAX_ENCODINGS), nb = 0;
    planned *hls = find_kind(cj, OUT_HLS);
    int want_hls = hls && hls->build;
    if (want_hls) {
        if (!(hls->staging = cl_storage_staging_path(rs->st, "hls")) || cl_mkdirs(hls->staging, 0755) < 0)
            return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "cannot create a staging folder for HLS");
    }
    for (int i = 0; i < n; i++) {
        planned *mp4 = find_mp4(cj, all[i]);
        if (mp4 && mp4->remux) /* re-muxed, not encoded (remux_mp4s) */
            mp4 = NULL;
        int rung = want_hls && in_ladder(rs->job.hls, all[i]) && (!hls->remux || stale_rung(hls, all[i]));
        if (!(mp4 && mp4->build) && !rung)
            continue;
        cl_rendition_req *r = &reqs[nb];
        memset(r, 0, sizeof(*r));
        if (mp4 && mp4->build) {
            if (!(mp4->staging = cl_storage_staging_path(rs->st, mp4->rel)))
                return AVERROR(ENOMEM);
            r->out_path = mp4->staging;
        }
        if (rung) {
            snprintf(hls_dirs[nb], 1100, "%s/%s", hls->staging, all[i]->name);
            if (cl_mkdirs(hls_dirs[nb], 0755) < 0)
                return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "cannot create %s", hls_dirs[nb]);
            r->hls_dir = hls_dirs[nb];
            r->hls_segment_s = rs->job.hls->segment_s;
        }
        rendition_target(all[i], r);
        owner[nb] = mp4 && mp4->build ? mp4 : NULL;
        r->name = owner[nb] ? owner[nb]->rel : all[i]->name; /* an HLS rung only: its preset */
        enc[nb++] = all[i];
    }
    return nb;
}

/* Burned variants: each language's track on the clip's timeline, checked
 * for missing glyphs first. A language that fails is left out (its error
 * is returned in *lang_err); the other outputs are still built. */
static int assemble_burned(run_state *rs, clip_job *cj, const cl_preset **enc,
                           cl_rendition_req *reqs, planned **owner, cl_burn_source *tracks, int nb,
                           int *lang_err, char *lang_detail)
{
    for (int i = 0; i < cj->n && nb < MAX_ENCODINGS; i++) {
        planned *p = &cj->pl[i];
        if (p->kind != OUT_BURN || !p->build)
            continue;
        cl_burn_source src;
        int ret = cl_subs_prepare_burn(rs->c, p->sub, &cj->t, rs->job.font_dir, &src);
        if (ret < 0) {
            cl_log(rs->c, CLIPLINE_LOG_ERROR, "%s", clipline_error_detail(rs->c));
            if (*lang_err >= 0) {
                *lang_err = ret;
                snprintf(lang_detail, CL_DETAIL_MAX, "%s", clipline_error_detail(rs->c));
            }
            continue;
        }
        if (!(p->staging = cl_storage_staging_path(rs->st, p->rel))) {
            cl_burn_source_free(&src);
            return AVERROR(ENOMEM);
        }
        cl_rendition_req *r = &reqs[nb];
        memset(r, 0, sizeof(*r));
        r->out_path = p->staging;
        rendition_target(p->preset, r);
        r->name = p->rel;
        r->burn = src.track;
        r->burn_lang = p->sub->lang;
        r->burn_ass = src.ass;
        r->burn_ass_len = src.ass_len;
        r->burn_ass_offset_ms = src.ass_offset_ms;
        r->burn_font_dir = rs->job.font_dir;
        r->burn_font_family = rs->job.font_family;
        r->burn_font_scale = rs->job.font_scale;
        r->burn_box = rs->job.box;
        tracks[nb] = src;
        owner[nb] = p;
        enc[nb++] = p->preset;
    }
    return nb;
}

static int verify_outputs(run_state *rs, clip_job *cj, const cl_preset **enc, cl_rendition_req *reqs,
                          planned **owner, int nb, int has_audio)
{
    for (int i = 0; i < nb; i++) {
        const char *paths[2] = { reqs[i].out_path, NULL };
        char playlist[1200];
        if (reqs[i].hls_dir) {
            snprintf(playlist, sizeof(playlist), "%s/index.m3u8", reqs[i].hls_dir);
            paths[1] = playlist;
        }
        for (int k = 0; k < 2; k++) {
            if (!paths[k])
                continue;
            cl_verify_req v = { .path = paths[k], .hls = k == 1,
                                .expect_duration_s = cl_span_length(&cj->t) / 1e6,
                                .max_width = enc[i]->video.max_width,
                                .max_height = enc[i]->video.max_height, .expect_audio = has_audio };
            v.webm = !strcmp(enc[i]->container, "webm");
            if (!v.webm)
                snprintf(v.level, sizeof(v.level), "%s", enc[i]->video.level);
            char shown[1200]; /* the output as it will be named at the destination */
            if (k == 0 && owner[i])
                snprintf(shown, sizeof(shown), "%s", owner[i]->rel);
            else
                snprintf(shown, sizeof(shown), "%s/%s/hls/%s/index.m3u8", cj->iv->id, cj->clip->name, enc[i]->name);
            v.name = shown;
            cl_progress(rs->c, "progress", cj->label, shown, "verify", -1);
            int ret = cl_media_verify(rs->c, &v);
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One rung: init and segments first, its playlist last. */
static int publish_rung(run_state *rs, clip_job *cj, const planned *hls, const char *dir,
                        const char *rung, json_t *outputs)
{
    DIR *d = opendir(dir);
    if (!d)
        return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "%s: %s", dir, strerror(errno));
    char *names[4096];
    int n = 0, ret = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "index.m3u8"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof(*names), cmp_names);
    names[n++] = strdup("index.m3u8"); /* last */
    double dur = cl_span_length(&cj->t) / 1e6;
    for (int i = 0; i < n; i++) {
        char local[2300], rel[2300];
        snprintf(local, sizeof(local), "%s/%s", dir, names[i]);
        snprintf(rel, sizeof(rel), "%s/%s/hls/%s/%s", cj->iv->id, cj->clip->name, rung, names[i]);
        int pl = i == n - 1;
        const char *ext = strrchr(names[i], '.');
        const char *mime = pl ? "application/vnd.apple.mpegurl"
                           : ext && !strcmp(ext, ".vtt") ? "text/vtt" : "video/mp4";
        json_t *o = ret < 0 ? NULL
                            : publish_file(rs, local, rel, pl ? "playlist" : "segment", mime, rung,
                                           pl ? dur : 0, hls);
        if (o)
            json_array_append_new(outputs, o);
        else if (ret >= 0)
            ret = CLIPLINE_ERROR_STORAGE;
        free(names[i]);
    }
    rmdir(dir);
    return ret;
}

/* The clip's soft subtitle tracks (every sidecar language), on the clip's
 * timeline: mov_text tracks of the clean MP4s and HLS subtitle renditions. */
typedef struct soft_set {
    clsub_track *track[MAX_SOFT];
    const char *lang[MAX_SOFT];
    int n;
} soft_set;

static void load_soft(run_state *rs, clip_job *cj, soft_set *s)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < cj->n && s->n < MAX_SOFT; i++) {
        planned *p = &cj->pl[i];
        if (p->kind != OUT_SUBS)
            continue;
        if (cl_subs_load(rs->c, p->sub, &cj->t, &s->track[s->n]) < 0) {
            /* its sidecar fails the item with the full story; the media go on without it */
            cl_log(rs->c, CLIPLINE_LOG_WARNING, "%s: no %s soft track: %s", cj->label, p->sub->lang,
                   clipline_error_detail(rs->c));
            continue;
        }
        s->lang[s->n++] = p->sub->lang;
    }
}

static void free_soft(soft_set *s)
{
    for (int i = 0; i < s->n; i++)
        clsub_track_free(&s->track[i]);
    s->n = 0;
}

/* The ladder's subtitle renditions: hls/subs-<lang>/ beside the rungs. */
static int hls_subtitles(run_state *rs, clip_job *cj, const planned *hls, const soft_set *soft,
                         cl_hls_subtitle *subs, char uris[][64])
{
    int64_t clip_ms = cl_span_length(&cj->t) / 1000;
    for (int i = 0; i < soft->n; i++) {
        char dir[1200];
        snprintf(uris[i], 64, "subs-%s/index.m3u8", soft->lang[i]);
        snprintf(dir, sizeof(dir), "%s/subs-%s", hls->staging, soft->lang[i]);
        if (cl_mkdirs(dir, 0755) < 0)
            return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "cannot create %s", dir);
        int ret = cl_subs_write_hls(rs->c, soft->track[i], dir, clip_ms, rs->job.hls->segment_s);
        if (ret < 0)
            return ret;
        subs[i] = (cl_hls_subtitle){ soft->lang[i], clsub_language_native_name(soft->lang[i]), uris[i] };
    }
    return 0;
}

/* A ladder's subtitle renditions, its rungs (those `fresh`: just encoded;
 * the others stay as published and keep their manifest entries), then its
 * master, last. */
static int publish_ladder(run_state *rs, clip_job *cj, const cl_rendition_req *rungs, const char *const *names,
                          const int *fresh, int n, const soft_set *soft, json_t *outputs)
{
    planned *hls = find_kind(cj, OUT_HLS);
    char master[1200], uris[MAX_SOFT][64];
    cl_hls_subtitle subs[MAX_SOFT];
    int ret;
    snprintf(master, sizeof(master), "%s/master.m3u8", hls->staging);
    if ((ret = hls_subtitles(rs, cj, hls, soft, subs, uris)) < 0 ||
        (ret = cl_media_hls_master(rs->c, master, rungs, names, n, subs, soft->n)) < 0)
        return ret;
    for (int i = 0; i < soft->n; i++) {
        char dir[1200], rung[64];
        snprintf(rung, sizeof(rung), "subs-%s", soft->lang[i]);
        snprintf(dir, sizeof(dir), "%s/%s", hls->staging, rung);
        if ((ret = publish_rung(rs, cj, hls, dir, rung, outputs)) < 0)
            return ret;
    }
    for (int i = 0; i < n; i++) {
        char dir[1200];
        snprintf(dir, sizeof(dir), "%s/%s", hls->staging, names[i]);
        if (fresh[i]) {
            if ((ret = publish_rung(rs, cj, hls, dir, names[i], outputs)) < 0)
                return ret;
        } else {
            snprintf(dir, sizeof(dir), "%s/%s/hls/%s/", cj->iv->id, cj->clip->name, names[i]);
            plan_keep_outputs(rs, dir, outputs);
        }
    }
    json_t *o = publish_file(rs, master, hls->rel, "playlist", "application/vnd.apple.mpegurl",
                             hls->preset->name, cl_span_length(&cj->t) / 1e6, hls);
    if (!o)
        return CLIPLINE_ERROR_STORAGE;
    json_t *lad = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(lad, json_pack("{s:s,s:i,s:i,s:I,s:I,s:i,s:s}", "preset", names[i], "width",
                                             rungs[i].out_width, "height", rungs[i].out_height,
                                             "bandwidth", (json_int_t)rungs[i].hls_bandwidth, "average_bandwidth",
                                             (json_int_t)rungs[i].hls_avg_bandwidth, "segments",
                                             rungs[i].hls_segments, "codecs", rungs[i].codecs));
    json_object_set_new(o, "renditions", lad);
    json_array_append_new(outputs, o);
    hls->published = 1;
    rmdir(hls->staging);
    RS_COUNT(rs, outputs_built, 1);
    json_t *sl = json_array();
    for (int i = 0; i < soft->n; i++)
        json_array_append_new(sl, json_pack("{s:s,s:s}", "language", soft->lang[i], "playlist", uris[i]));
    json_object_set_new(o, "subtitles", sl);
    int nb_fresh = 0;
    for (int i = 0; i < n; i++)
        nb_fresh += fresh[i];
    cl_log(rs->c, CLIPLINE_LOG_INFO, "%s: wrote %s (%d rungs, %d of them kept as they were; %d subtitle languages)",
           cj->label, hls->rel, n, n - nb_fresh, soft->n);
    return 0;
}

/* The ladder: the rungs just encoded; for a partly kept ladder, in the
 * order it was published, each rung either encoded now or kept as the
 * manifest describes it. */
static int publish_hls(run_state *rs, clip_job *cj, const cl_preset **enc, cl_rendition_req *reqs,
                       int nb, const soft_set *soft, json_t *outputs)
{
    planned *hls = find_kind(cj, OUT_HLS);
    const char *names[MAX_ENCODINGS];
    cl_rendition_req rungs[MAX_ENCODINGS];
    int fresh[MAX_ENCODINGS], n = 0;
    if (!hls->remux) {
        for (int i = 0; i < nb; i++)
            if (reqs[i].hls_dir) {
                names[n] = enc[i]->name;
                fresh[n] = 1;
                rungs[n++] = reqs[i];
            }
        return publish_ladder(rs, cj, rungs, names, fresh, n, soft, outputs);
    }
    rs_lock(rs);
    json_t *lad = json_deep_copy(json_object_get(cl_manifest_output(rs->manifest, hls->rel), "renditions")), *r;
    rs_unlock(rs);
    size_t k;
    json_array_foreach(lad, k, r) {
        const char *name = json_string_value(json_object_get(r, "preset"));
        if (n == MAX_ENCODINGS || !name)
            continue;
        int i = 0;
        while (i < nb && !(reqs[i].hls_dir && !strcmp(enc[i]->name, name)))
            i++;
        names[n] = name;
        fresh[n] = i < nb;
        if (i < nb) {
            rungs[n++] = reqs[i];
            continue;
        }
        memset(&rungs[n], 0, sizeof(rungs[n]));
        rungs[n].out_width = (int)json_integer_value(json_object_get(r, "width"));
        rungs[n].out_height = (int)json_integer_value(json_object_get(r, "height"));
        rungs[n].hls_bandwidth = json_integer_value(json_object_get(r, "bandwidth"));
        rungs[n].hls_avg_bandwidth = json_integer_value(json_object_get(r, "average_bandwidth"));
        rungs[n].hls_segments = (int)json_integer_value(json_object_get(r, "segments"));
        snprintf(rungs[n].codecs, sizeof(rungs[n].codecs), "%s", json_string_value(json_object_get(r, "codecs")));
        n++;
    }
    int ret = publish_ladder(rs, cj, rungs, names, fresh, n, soft, outputs); /* staging: made by assemble() */
    json_decref(lad); /* names[] point into it */
    return ret;
}

static int publish_mp4s(run_state *rs, clip_job *cj, const cl_preset **enc, cl_rendition_req *reqs,
                        planned **owner, int nb, json_t *outputs)
{
    for (int i = 0; i < nb; i++) {
        planned *p = owner[i];
        if (!p)
            continue;
        json_t *o = publish_file(rs, p->staging, p->rel, "video",
                                 !strcmp(enc[i]->container, "webm") ? "video/webm" : "video/mp4", enc[i]->name,
                                 reqs[i].out_duration_s, p);
        if (!o)
            return CLIPLINE_ERROR_STORAGE;
        json_object_set_new(o, "width", json_integer(reqs[i].out_width));
        json_object_set_new(o, "height", json_integer(reqs[i].out_height));
        if (p->kind == OUT_BURN) {
            json_object_set_new(o, "language", json_string(p->sub->lang));
            json_object_set_new(o, "burned_language", json_string(p->sub->lang));
        }
        json_array_append_new(outputs, o);
        p->published = 1;
        RS_COUNT(rs, outputs_built, 1);
        cl_log(rs->c, CLIPLINE_LOG_INFO, "%s: wrote %s (%dx%d, %.3f s)", cj->label, p->rel,
               reqs[i].out_width, reqs[i].out_height, reqs[i].out_duration_s);
    }
    return 0;
}

/* Clean MP4s whose soft subtitles alone changed: the new tracks muxed beside
 * the published file's packets, checked like any output, published. */
static int remux_mp4s(run_state *rs, clip_job *cj, const soft_set *soft, json_t *outputs)
{
    for (int i = 0; i < cj->n; i++) {
        planned *p = &cj->pl[i];
        if (p->kind != OUT_MP4 || !p->build || !p->remux)
            continue;
        rs_lock(rs); /* the entry as published, while other items may change the manifest */
        json_t *old = json_deep_copy(cl_manifest_output(rs->manifest, p->rel));
        rs_unlock(rs);
        int temporary = 0;
        char *src = old ? cl_storage_fetch(rs->st, p->rel, &temporary) : NULL;
        if (!(p->staging = cl_storage_staging_path(rs->st, p->rel)) || !src || !old) {
            int ret = !old ? cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "%s: not in the manifest", p->rel)
                      : src ? AVERROR(ENOMEM) : CLIPLINE_ERROR_STORAGE;
            if (src && temporary)
                unlink(src);
            free(src);
            json_decref(old);
            return ret;
        }
        cl_remux_req q = { .label = cj->label, .in_path = src, .out_path = p->staging,
                           .soft = (const clsub_track *const *)soft->track, .soft_langs = soft->lang,
                           .nb_soft = soft->n };
        cl_progress(rs->c, "progress", cj->label, p->rel, "remux", -1);
        int ret = cl_media_remux(rs->c, &q);
        if (temporary)
            unlink(src);
        free(src);
        double dur = json_number_value(json_object_get(old, "duration_s"));
        json_decref(old);
        cl_verify_req v = { .path = p->staging, .name = p->rel,
                            .expect_duration_s = cl_span_length(&cj->t) / 1e6,
                            .max_width = p->preset->video.max_width, .max_height = p->preset->video.max_height,
                            .expect_audio = q.has_audio };
        snprintf(v.level, sizeof(v.level), "%s", p->preset->video.level);
        if (ret < 0 || (ret = cl_media_verify(rs->c, &v)) < 0)
            return ret;
        json_t *o = publish_file(rs, p->staging, p->rel, "video", "video/mp4", p->preset->name, dur, p);
        if (!o)
            return CLIPLINE_ERROR_STORAGE;
        json_object_set_new(o, "width", json_integer(q.width));
        json_object_set_new(o, "height", json_integer(q.height));
        json_array_append_new(outputs, o);
        p->published = 1;
        RS_COUNT(rs, outputs_built, 1);
        cl_log(rs->c, CLIPLINE_LOG_INFO, "%s: wrote %s (%d soft subtitle track%s; picture and sound copied)",
               cj->label, p->rel, soft->n, soft->n == 1 ? "" : "s");
    }
    return 0;
}

static int publish_poster(run_state *rs, clip_job *cj, json_t *outputs)
{
    planned *p = find_kind(cj, OUT_POSTER);
    if (!p || !p->build)
        return 0;
    json_t *o = publish_file(rs, p->staging, p->rel, "image", "image/jpeg", NULL, 0, p);
    if (!o)
        return CLIPLINE_ERROR_STORAGE;
    json_object_set_new(o, "time_s", json_real(cj->report.poster_time_s));
    json_array_append_new(outputs, o);
    p->published = 1;
    RS_COUNT(rs, outputs_built, 1);
    return 0;
}

/* The recording is what it was when the clip was planned: the same stat
 * or, when that changed (touched, copied back), the same bytes. One
 * overwritten, cut or added to while it was read gives a clip of neither
 * version: it is not published. */
static int source_unchanged(run_state *rs, clip_job *cj)
{
    const struct stat *was = &cj->source_stat;
    struct stat now;
    char id[sizeof(cj->source_id)];
    if (!cj->source_seen ||
        (stat(cj->iv->source, &now) == 0 && now.st_size == was->st_size && now.st_ino == was->st_ino &&
         now.st_mtim.tv_sec == was->st_mtim.tv_sec && now.st_mtim.tv_nsec == was->st_mtim.tv_nsec &&
         now.st_ctim.tv_sec == was->st_ctim.tv_sec && now.st_ctim.tv_nsec == was->st_ctim.tv_nsec))
        return 0;
    cl_identity_of(rs->ids, cj->iv->source, id, sizeof(id));
    if (!strcmp(id, cj->source_id))
        return 0;
    return cl_fail(rs->c, CLIPLINE_ERROR_INPUT,
                   "%s: %s changed (or was removed) while it was being read; nothing of the clip was "
                   "published: run again once the file is complete", cj->label, cj->iv->source);
}

int build_media(run_state *rs, clip_job *cj, int has_audio, json_t *outputs)
{
    const cl_preset *enc[MAX_ENCODINGS];
    cl_rendition_req reqs[MAX_ENCODINGS];
    char hls_dirs[MAX_ENCODINGS][1100];
    planned *owner[MAX_ENCODINGS] = { 0 };
    cl_burn_source tracks[MAX_ENCODINGS] = { 0 };
    char lang_detail[CL_DETAIL_MAX] = "";
    int lang_err = 0;
    planned *poster = find_kind(cj, OUT_POSTER);
    soft_set soft = { 0 };
    int ret, nb = assemble(rs, cj, enc, reqs, hls_dirs, owner);
    if (nb >= 0)
        nb = assemble_burned(rs, cj, enc, reqs, owner, tracks, nb, &lang_err, lang_detail);
    if (nb < 0)
        return nb;
    ret = 0;
    int nb_remux = 0;
    for (int i = 0; i < cj->n; i++)
        nb_remux += cj->pl[i].build && cj->pl[i].remux;
    if (!nb && !(poster && poster->build) && !nb_remux)
        goto end;
    if (poster && poster->build && !(poster->staging = cl_storage_staging_path(rs->st, poster->rel))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    load_soft(rs, cj, &soft);
    planned *hls = find_kind(cj, OUT_HLS);
    if (!nb && !(poster && poster->build)) { /* nothing to encode */
        if ((ret = remux_mp4s(rs, cj, &soft, outputs)) >= 0 && hls && hls->build)
            ret = publish_hls(rs, cj, enc, reqs, 0, &soft, outputs);
        goto end;
    }
    for (int i = 0; i < nb; i++)
        if (owner[i] && owner[i]->kind == OUT_MP4 && !strcmp(enc[i]->container, "mp4")) {
            reqs[i].soft = (const clsub_track *const *)soft.track;
            reqs[i].soft_langs = soft.lang;
            reqs[i].nb_soft = soft.n;
        }
    const cl_audio_preset *ap = nb ? &enc[0]->audio : &rs->job.presets[0].audio;
    cl_clip_req req = {
        .source = cj->iv->source, .label = cj->label, .in_us = cj->t.in_us, .out_us = cj->t.out_us,
        .intro = { cj->part[0] ? cj->part[0]->file : NULL, cj->t.lead_us },
        .outro = { cj->part[1] ? cj->part[1]->file : NULL, cj->t.tail_us },
        .renditions = reqs, .nb_renditions = nb,
        .audio = { ap->sample_rate, ap->channels, !strcmp(ap->missing, "silence"),
                   ap->loudness, ap->target_lufs, ap->true_peak_db, ap->fade_ms },
        .poster_path = poster && poster->build ? poster->staging : NULL,
        .poster_max_width = 1280, .poster_max_height = 720,
    };
    cl_log(rs->c, CLIPLINE_LOG_INFO, "%s: encoding %d rendition%s from one decode", cj->label, nb,
           nb == 1 ? "" : "s");
    ret = cl_media_transcode(rs->c, &req);
    cj->report = req.report;
    cj->has_report = ret >= 0;
    if (ret >= 0)
        ret = verify_outputs(rs, cj, enc, reqs, owner, nb, req.report.has_audio);
    if (ret != CLIPLINE_ERROR_INTERRUPTED) { /* a change explains any failure, too */
        int sret = source_unchanged(rs, cj);
        if (sret < 0)
            ret = sret;
    }
    if (ret < 0)
        goto end;
    if (hls && hls->build && (ret = publish_hls(rs, cj, enc, reqs, nb, &soft, outputs)) < 0)
        goto end;
    if ((ret = publish_mp4s(rs, cj, enc, reqs, owner, nb, outputs)) < 0 ||
        (ret = publish_poster(rs, cj, outputs)) < 0)
        goto end;
    ret = remux_mp4s(rs, cj, &soft, outputs);
end:
    for (int i = 0; i < MAX_ENCODINGS; i++)
        cl_burn_source_free(&tracks[i]);
    free_soft(&soft);
    if (ret >= 0 && lang_err < 0) /* the language that could not be burned fails the item */
        ret = cl_fail(rs->c, lang_err, "%s", lang_detail);
    return ret;
}

int build_sidecars(run_state *rs, clip_job *cj, json_t *outputs)
{
    for (int i = 0; i < cj->n; i++) {
        planned *p = &cj->pl[i];
        if (p->kind != OUT_SUBS || !p->build)
            continue;
        cl_sidecar_result r;
        if (!(p->staging = cl_storage_staging_path(rs->st, p->rel)))
            return AVERROR(ENOMEM);
        int ret = cl_subs_make_sidecar(rs->c, p->sub, &cj->t, p->staging, &r);
        if (ret < 0)
            return ret;
        json_t *o = publish_file(rs, p->staging, p->rel, "subtitles", "text/vtt", NULL,
                                 cl_span_length(&cj->t) / 1e6, p);
        if (!o)
            return CLIPLINE_ERROR_STORAGE;
        json_object_set_new(o, "language", json_string(p->sub->lang));
        json_object_set_new(o, "source_encoding", json_string(r.encoding));
        json_object_set_new(o, "timeline", json_string(p->sub->clip_timeline ? "clip" : "recording"));
        json_object_set_new(o, "cues", json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "read", r.cues_read,
                                                 "kept", r.cues_kept, "dropped", r.cues_dropped,
                                                 "in_clip", r.cues_in_clip, "clipped", r.cues_clipped,
                                                 "outside_clip", r.cues_outside));
        json_array_append_new(outputs, o);
        p->published = 1;
        RS_COUNT(rs, outputs_built, 1);
        cl_log(rs->c, CLIPLINE_LOG_INFO,
               "%s: wrote %s (%s, %s; %d cues read, %d kept, %d dropped; %d in the clip, %d cut, "
               "%d outside)",
               cj->label, p->rel, r.encoding, r.encoding_how, r.cues_read, r.cues_kept,
               r.cues_dropped, r.cues_in_clip, r.cues_clipped, r.cues_outside);
    }
    return 0;
}
