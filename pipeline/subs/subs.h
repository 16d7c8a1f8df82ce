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
    char encoding[32];   /* as the job says (subtitles.encoding), or "" to detect */
} cl_sub_input;

/* A subtitle file's extension (without the dot): srt, vtt, ass, ssa, any case. */
int cl_subs_extension(const char *ext);

/* A BCP-47 tag as used in drop-folder file names ("fr", "pt-BR", "zh-Hans"). */
int cl_subs_valid_lang(const char *s, size_t len);

/* Lists the subtitle files of `dir` that apply to clip `clip`: for each
 * language, "<clip>.<lang>.<ext>" wins over "<lang>.<ext>". Extensions:
 * srt, vtt, ass, ssa (any case). Sorted by language. A file changed in the
 * last seconds and still changing is left out, with a warning.
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

/* The functions below take the clip as a cl_span: the cues of [in_us,
 * out_us) of the recording (or of the clip, for a clip-timed file) are
 * kept and moved onto the output's timeline, after the intro (lead_us).
 *
 * Writes the WebVTT sidecar of `in` for the clip to
 * `out_path`, and the translator's report to "<in->path>.report.txt".
 * Fails with CLIPLINE_ERROR_SUBTITLE and a detail naming the file. */
int cl_subs_make_sidecar(clipline_context *c, const cl_sub_input *in, const cl_span *span,
                         const char *out_path, cl_sidecar_result *res);

/* For burn-in: the subtitle file on the clip's timeline, after a glyph
 * pre-flight for its language (missing characters fail it, naming them and
 * a font that covers them). *track is freed with clsub_track_free(). */
typedef struct clsub_track clsub_track;
typedef struct cl_burn_source {
    clsub_track *track;   /* the cues on the clip's timeline (always) */
    char *ass;            /* an ASS/SSA file: its UTF-8 text, burned as authored; else NULL */
    size_t ass_len;
    int64_t ass_offset_ms; /* clip time + this = the file's time */
} cl_burn_source;
/* font_dir: the job's pinned font folder, or NULL for the system's fonts. */
int cl_subs_prepare_burn(clipline_context *c, const cl_sub_input *in, const cl_span *span,
                         const char *font_dir, cl_burn_source *src);
void cl_burn_source_free(cl_burn_source *src);

/* For `plan --explain`: the file on the clip's timeline, its counts (in
 * `res`) and the plain text of its first and last cue after the shift
 * (each cut to `size` bytes at a character boundary; "" when none). */
int cl_subs_explain(clipline_context *c, const cl_sub_input *in, const cl_span *span,
                    cl_sidecar_result *res, char *first, char *last, size_t size);

/* For soft tracks (MP4 mov_text, HLS subtitle renditions): the file on the
 * clip's timeline, without the glyph pre-flight (players render it). */
int cl_subs_load(clipline_context *c, const cl_sub_input *in, const cl_span *span, clsub_track **track);

/* An HLS subtitle rendition of a track on the clip's timeline: WebVTT
 * segments seg-NNNNN.vtt of `segment_s` (each with the cues it overlaps and
 * an X-TIMESTAMP-MAP that puts the clip's zero on the media's zero) and the
 * media playlist index.m3u8, in folder `dir`. */
int cl_subs_write_hls(clipline_context *c, const clsub_track *track, const char *dir,
                      int64_t clip_ms, double segment_s);

/* Checks a subtitle file, or every .srt/.vtt/.ass/.ssa of a folder: encoding, cues,
 * problems with line numbers (parser and lint), glyph coverage for the
 * language (from `lang`, or the file name's "<lang>.<ext>"). *out is a JSON
 * report; returns CLIPLINE_ERROR_SUBTITLE when a file has an error. */
#include <jansson.h>
int cl_subs_check(clipline_context *c, const char *path, const char *lang, json_t **out);

#endif
