/*
 * preset.h: presets as documented layers: built-in defaults, then the
 * preset file (presets/<name>.json), then the job's overrides, then the
 * constraints checked by the schema. Every key is listed in presets/README.md.
 */
#ifndef CL_PRESET_H
#define CL_PRESET_H

#include <string.h>

#include <jansson.h>

#include "../core/internal.h"

typedef struct cl_video_preset {
    char codec[32];
    int max_width, max_height;
    char profile[16];
    char level[8];
    char pix_fmt[16];
    int crf;
    char x264_preset[16];
    char tune[16];
    int maxrate_kbps, bufsize_kbps;
    double keyint_s;
    char x264_params[256];
    int av1_preset; /* libsvtav1: 0 (slowest) .. 13 (fastest) */
} cl_video_preset;

typedef struct cl_audio_preset {
    char codec[32];
    int bitrate_kbps;
    int sample_rate;
    int channels;
    char missing[16];     /* no audio in the source: "silence" or "none" */
    int loudness;         /* EBU R128 two-pass normalisation */
    double target_lufs;
    double true_peak_db;
    int fade_ms;          /* fade at a cut (in after the start, out before the end) */
} cl_audio_preset;

#define CL_PRESET_MAX_RUNGS 8

typedef struct cl_preset {
    char name[64];
    char description[256];
    char container[16]; /* "mp4", "webm", or "hls" for a ladder of MP4 presets */
    int faststart;
    char rungs[CL_PRESET_MAX_RUNGS][64]; /* hls: the MP4 presets of the ladder */
    int nb_rungs;
    double segment_s;                    /* hls: target segment length */
    cl_video_preset video;
    cl_audio_preset audio;
    json_t *normalized; /* every key after layering, for fingerprints and `show` */
} cl_preset;

/* A preset that makes one file (MP4 or WebM), as opposed to an HLS ladder. */
static inline int cl_preset_is_file(const cl_preset *p)
{
    return !strcmp(p->container, "mp4") || !strcmp(p->container, "webm");
}

/* Loads preset `name` from the context's preset folder. */
int cl_preset_load(clipline_context *c, const char *name, cl_preset *p);
/* Loads a preset from a file path (name taken from the file name). */
int cl_preset_load_file(clipline_context *c, const char *path, cl_preset *p);
void cl_preset_free(cl_preset *p);

/* Canonical JSON of the preset (sorted keys, compact); caller frees. */
char *cl_preset_canonical(const cl_preset *p);

#endif
