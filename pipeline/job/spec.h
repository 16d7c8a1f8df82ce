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

/* An intro or outro: a still image or a short video joined before or after
 * the clip (for example the toolkit's title card). */
typedef struct cl_part_spec {
    char *file;            /* resolved path; NULL: none */
    cl_timepoint duration; /* a still: how long (default 3 s); a video: cut to this */
    int off;               /* a clip's "intro": false: none, whatever the job says */
    char *where;           /* "FILE:LINE" of the key, for messages */
} cl_part_spec;
#define CL_PART_MAX_US (60 * INT64_C(1000000))

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
    cl_part_spec intro, outro; /* override the job's */
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
    cl_part_spec intro, outro; /* for every clip that does not say otherwise */
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

/* The intro or outro that applies to a clip: its own, else the job's; NULL: none. */
const cl_part_spec *cl_clip_part(const cl_job_spec *job, const cl_clip_spec *clip, int outro);

int cl_job_load(clipline_context *c, const char *path, cl_job_spec *job);
void cl_job_free(cl_job_spec *job);

#endif
