/*
 * subs.h: the pipeline's subtitle stage, an adapter over the subtitle
 * library (subtitles/include/clsub.h): finds a clip's subtitle files in the
 * translators' drop folder, and turns one into a WebVTT sidecar on the
 * clip's timeline (read, decode the charset, parse, shift by -in and clip,
 * write), with a plain-words report for the translator.
 */
#ifndef CL_SUBS_H
#define CL_SUBS_H

#include <stdint.h>

#include "../core/internal.h"

/* One subtitle file that applies to a clip. */
typedef struct cl_sub_input {
    char lang[36];       /* BCP-47 tag as in the file name */
    char *path;
    int clip_timeline;   /* 1: "<clip>.<lang>.<ext>" (already timed to the clip) */
    char sha256[65];     /* of the file's bytes */
} cl_sub_input;

/* A BCP-47 tag as used in drop-folder file names ("fr", "pt-BR", "zh-Hans"). */
int cl_subs_valid_lang(const char *s, size_t len);

/* Lists the subtitle files of `dir` that apply to clip `clip`: for each
 * language, "<clip>.<lang>.<ext>" wins over "<lang>.<ext>". Extensions:
 * srt, vtt (ass/ssa are reported as not supported yet). Sorted by language.
 * A missing folder is an error naming it. */
int cl_subs_scan(clipline_context *c, const char *dir, const char *clip, cl_sub_input **list,
                 int *count);
void cl_subs_free(cl_sub_input **list, int count);

typedef struct cl_sidecar_result {
    char encoding[32];
    const char *encoding_how; /* how the encoding was decided, in plain words */
    int cues_read, cues_kept, cues_dropped; /* parse: every cue accounted for */
    int cues_in_clip, cues_clipped, cues_outside; /* after the shift */
    int64_t first_ms, last_ms;              /* first cue start, last cue end in the clip */
} cl_sidecar_result;

/* Writes the WebVTT sidecar of `in` for the clip [in_us, out_us) to
 * `out_path`, and the translator's report to "<in->path>.report.txt".
 * Fails with CLIPLINE_ERROR_SUBTITLE and a detail naming the file. */
int cl_subs_make_sidecar(clipline_context *c, const cl_sub_input *in, int64_t in_us, int64_t out_us,
                         const char *out_path, cl_sidecar_result *res);

/* For burn-in: the subtitle file on the clip's timeline, after a glyph
 * pre-flight for its language (missing characters fail it, naming them and
 * a font that covers them). *track is freed with clsub_track_free(). */
typedef struct clsub_track clsub_track;
int cl_subs_prepare_burn(clipline_context *c, const cl_sub_input *in, int64_t in_us, int64_t out_us,
                         clsub_track **track);

/* Checks a subtitle file, or every .srt/.vtt of a folder: encoding, cues,
 * problems with line numbers (parser and lint), glyph coverage for the
 * language (from `lang`, or the file name's "<lang>.<ext>"). *out is a JSON
 * report; returns CLIPLINE_ERROR_SUBTITLE when a file has an error. */
#include <jansson.h>
int cl_subs_check(clipline_context *c, const char *path, const char *lang, json_t **out);

#endif
