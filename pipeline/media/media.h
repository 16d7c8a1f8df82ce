/*
 * media.h: the media stage: probe, the clip transcoder (demux, decode, trim,
 * scale, encode, mux) and the verifier. Knows FFmpeg; knows nothing of job
 * files, storage or manifests: it takes plain requests and writes local files.
 */
#ifndef CL_MEDIA_H
#define CL_MEDIA_H

#include <stdint.h>

#include "../core/internal.h"

/* ---- probe (probe.c) ---- */
int cl_media_probe(clipline_context *c, const char *path, clipline_media_info **info);

/* ---- one clip, several renditions from one decode (transcode.c) ---- */
typedef struct cl_video_target {
    char codec[16];      /* "libx264" or "libsvtav1" */
    int max_width, max_height;
    char profile[16], level[8], pix_fmt[16];
    int crf;
    char x264_preset[16], tune[16];
    int maxrate_kbps, bufsize_kbps;
    double keyint_s;
    char x264_params[256];
    int av1_preset;      /* libsvtav1's speed, 0..13 */
} cl_video_target;

/* The clip's sound, shared by every rendition; each rendition names its
 * encoder (cl_rendition_req), and each distinct encoder runs once. */
typedef struct cl_audio_target {
    int sample_rate, channels;
    int silence_if_missing;     /* no audio in the source: 1 add a silent track, 0 none */
    int loudness;               /* 1: two-pass EBU R128 to target_lufs, true peak <= max_tp */
    double target_lufs, max_true_peak_db;
    int fade_ms;                /* fade in/out where the clip cuts the recording */
} cl_audio_target;

struct clsub_track;

/* One encoded video rung, written to an MP4 or WebM file and/or an HLS
 * rendition, optionally with subtitles burned in. */
typedef struct cl_rendition_req {
    const char *out_path;       /* file to write, or NULL */
    const char *container;      /* its muxer: "mp4" or "webm" */
    const char *hls_dir;        /* folder for index.m3u8, init.mp4, seg-N.m4s, or NULL */
    const char *name;           /* the output as the user knows it, for progress events */
    double hls_segment_s;
    cl_video_target video;
    char audio_codec[16];       /* "aac" or "libopus" */
    int audio_bitrate_kbps;
    int faststart;
    const struct clsub_track *burn; /* on the clip's timeline, or NULL */
    const char *burn_lang;
    /* a hand-authored ASS file is burned as it is (its styles and
     * positions), drawn at clip time + burn_ass_offset_ms */
    const char *burn_ass;
    size_t burn_ass_len;
    int64_t burn_ass_offset_ms;
    const char *burn_font_dir;    /* only these fonts, or NULL */
    const char *burn_font_family; /* NULL or "": the script's default */
    double burn_font_scale;       /* 0: 1.0 */
    int burn_box;
    /* soft subtitle tracks for an MP4 file (mov_text), on the clip's timeline */
    const struct clsub_track *const *soft;
    const char *const *soft_langs;
    int nb_soft;
    /* filled in by the transcoder */
    int out_width, out_height;
    double out_duration_s;
    int hls_segments;
    int64_t hls_bandwidth; /* peak segment bit rate, for the master playlist */
    int64_t hls_avg_bandwidth;
    char codecs[64];       /* RFC 6381, e.g. "avc1.64001f,mp4a.40.2" */
} cl_rendition_req;

/* What the transcoder changed to make the source web-safe, and measured. */
typedef struct cl_clip_report {
    char fixes[8][96];          /* "rotated 90 degrees upright", "deinterlaced (bwdif)", ... */
    int nb_fixes;
    int has_audio;              /* the outputs carry audio */
    double loudness_in_lufs, true_peak_in_db, lra;   /* measured (pass 1) */
    double gain_db;                                   /* applied */
    int loudness_measured;
    double poster_time_s;       /* where the poster frame was taken */
} cl_clip_report;

/* An intro or outro joined to the clip: a still shown for len_us, or the
 * first len_us of a video (its last picture held if it is shorter),
 * fitted into the clip's picture on black; its sound, or silence. */
typedef struct cl_part_req {
    const char *path; /* NULL: none */
    int64_t len_us;   /* a whole number of the clip's frames */
} cl_part_req;

typedef struct cl_clip_req {
    const char *source;
    const char *label;   /* "interview/clip", for messages */
    int64_t in_us;       /* from the start of the recording */
    int64_t out_us;      /* INT64_MAX: to the end */
    cl_part_req intro, outro;
    cl_rendition_req *renditions;
    int nb_renditions;
    cl_audio_target audio;
    const char *poster_path;   /* JPEG to write, or NULL */
    int poster_max_width, poster_max_height;
    cl_clip_report report;     /* filled in */
} cl_clip_req;

/* Resolves clip points of a source: frames to time, the recording's
 * duration and frame rate (for "123f" and for checks). */
typedef struct cl_source_facts {
    double duration_s;
    double frame_rate;
    int has_video, has_audio;
    int still;           /* a single picture (PNG, JPEG, ...) */
} cl_source_facts;
int cl_media_source_facts(clipline_context *c, const char *path, cl_source_facts *f);

/* The frame rate of a clip's outputs for a source's rate: constant, at
 * most 60 (web players, level caps), 25 when the source's is unusable. */
double cl_media_output_rate(double source_rate);

int cl_media_transcode(clipline_context *c, cl_clip_req *req);

/* ---- a built MP4 with new soft subtitle tracks, packets copied (remux.c) ---- */
typedef struct cl_remux_req {
    const char *label;
    const char *in_path, *out_path;
    const struct clsub_track *const *soft; /* on the clip's timeline */
    const char *const *soft_langs;
    int nb_soft;
    int width, height, has_audio; /* filled in */
    double duration_s;
} cl_remux_req;
int cl_media_remux(clipline_context *c, cl_remux_req *q);

/* ---- the trimming helpers' look at a clip's ends (trimscan.c) ---- */
typedef struct cl_trim_scan {
    const char *source;
    int64_t in_us, out_us; /* the clip as asked */
    int64_t max_us;        /* how far into the clip to look from each end */
    int silence;           /* look for silence: below silence_db dBFS over 10 ms */
    double silence_db;
    int black;             /* look for black: mean 8-bit luma at most black_luma */
    int black_luma;
    /* filled in: how much of each end is silent / black (at most max_us) */
    int64_t silence_lead_us, silence_trail_us, black_lead_us, black_trail_us;
} cl_trim_scan;
int cl_media_trim_scan(clipline_context *c, cl_trim_scan *r);

/* A subtitle rendition of the ladder (EXT-X-MEDIA TYPE=SUBTITLES). */
typedef struct cl_hls_subtitle {
    const char *lang;  /* BCP-47 */
    const char *name;  /* in the language's own script */
    const char *uri;   /* its media playlist, relative to the master */
} cl_hls_subtitle;

/* Writes hls/master.m3u8 for the HLS renditions of a finished clip
 * (each rendition's hls_dir relative name is `names[i]`), with its subtitle
 * renditions, if any, as one group every variant refers to. */
int cl_media_hls_master(clipline_context *c, const char *path, const cl_rendition_req *r,
                        const char *const *names, int n, const cl_hls_subtitle *subs, int nb_subs);

/* ---- verify (verify.c) ---- */
typedef struct cl_verify_req {
    const char *path;     /* an MP4, or an HLS media playlist (index.m3u8) */
    const char *name;     /* how messages name it (the item and the output), or NULL: path */
    int hls;
    double expect_duration_s; /* <= 0: not checked */
    int max_width, max_height;
    int expect_audio;
    int webm;             /* AV1 and Opus in WebM, else H.264 and AAC in MP4 */
    char level[8];        /* H.264 level cap */
} cl_verify_req;

/* Reopens a finished MP4 and checks the web contract; fails with
 * CLIPLINE_ERROR_VERIFY and a detail naming the failed check. */
int cl_media_verify(clipline_context *c, const cl_verify_req *v);

#endif
