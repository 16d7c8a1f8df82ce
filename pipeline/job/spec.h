/*
 * spec.h: the job file as an immutable request (DESIGN.md §1). Paths are
 * resolved against the job file's folder. Problems that make the whole job
 * unusable (not JSON, unknown keys, wrong types, unknown presets) are
 * configuration errors; problems of one clip (bad clip points) are kept on
 * the clip and fail only that item when it runs.
 */
#ifndef CL_SPEC_H
#define CL_SPEC_H

#include <stdint.h>

#include "../core/internal.h"
#include "preset.h"

/* A point on a timeline as the user wrote it. */
typedef struct cl_timepoint {
    int set;
    int is_frames;   /* "123f" */
    int64_t value;   /* microseconds, or a frame number when is_frames */
    char text[64];   /* as written, for messages */
} cl_timepoint;

/* Parses "HH:MM:SS.mmm", "MM:SS.mmm", "SS.mmm", "123f"; 0 or -1. */
int cl_timepoint_parse(const char *s, cl_timepoint *t);
/* Formats microseconds as H:MM:SS.mmm. */
const char *cl_format_time(int64_t us, char buf[32]);

typedef struct cl_clip_spec {
    char *name;
    char *title;
    cl_timepoint in, out, duration;
    int allow_longer;
    /* trimming helpers: tighten in/out past silence, black frames */
    int trim_silence, trim_black;
    double silence_max_s, silence_db;
    double black_max_s;
    int black_luma;
    char *error; /* a problem found while reading the job; fails this clip */
} cl_clip_spec;

typedef struct cl_interview_spec {
    char *id;
    char *source;    /* resolved path */
    char *subtitles; /* resolved folder or NULL */
    cl_clip_spec *clips;
    int nb_clips;
} cl_interview_spec;

typedef struct cl_job_spec {
    char *path;
    char *dir;
    char *destination; /* as written (URL or resolved folder) */
    cl_preset *presets;   /* as listed in the job */
    int nb_presets;
    /* what is encoded per clip: every MP4 preset of the job, and the rungs
     * of the job's HLS preset (if any) that the job does not list itself */
    const cl_preset *hls;                 /* the job's HLS preset, or NULL */
    cl_preset ladder_extra[CL_PRESET_MAX_RUNGS];
    int nb_ladder_extra;
    int64_t module_length_us;
    /* subtitles.burn_in: these languages burned into these MP4 presets */
    char burn_langs[16][36];
    int nb_burn_langs;
    const cl_preset *burn_presets[16];
    int nb_burn_presets;
    int no_soft; /* subtitles.soft false: no WebVTT sidecars */
    /* subtitles.encoding: the text encoding of the translators' files, for
     * every language ("*") or per language; empty: detected */
    char enc_all[32];
    char enc_lang[32][36];
    char enc_name[32][32];
    int nb_enc;
    char *font_dir; /* subtitles.font_dir: only these fonts (resolved), or NULL */
    /* subtitles.style: overrides of the default burn-in style */
    char font_family[128];
    double font_scale; /* 0: default */
    int box;           /* 1: text on a box instead of an outline */
    json_t *subs_json; /* the "subtitles" object, for fingerprints */
    cl_interview_spec *interviews;
    int nb_interviews;
    char *text; /* the file's bytes, for fingerprints */
} cl_job_spec;

int cl_job_load(clipline_context *c, const char *path, cl_job_spec *job);
void cl_job_free(cl_job_spec *job);

#endif
