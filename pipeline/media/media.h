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
    int max_width, max_height;
    char profile[16], level[8], pix_fmt[16];
    int crf;
    char x264_preset[16], tune[16];
    int maxrate_kbps, bufsize_kbps;
    double keyint_s;
    char x264_params[256];
} cl_video_target;

typedef struct cl_audio_target {
    int bitrate_kbps, sample_rate, channels;
} cl_audio_target;

typedef struct cl_rendition_req {
    const char *out_path; /* local file to write (the caller renames it when done) */
    cl_video_target video;
    cl_audio_target audio;
    int faststart;
    /* filled in by the transcoder */
    int out_width, out_height;
    double out_duration_s;
} cl_rendition_req;

typedef struct cl_clip_req {
    const char *source;
    const char *label;   /* "interview/clip", for messages */
    int64_t in_us;       /* from the start of the recording */
    int64_t out_us;      /* INT64_MAX: to the end */
    cl_rendition_req *renditions;
    int nb_renditions;
} cl_clip_req;

/* Resolves clip points of a source: frames to time, the recording's
 * duration and frame rate (for "123f" and for checks). */
typedef struct cl_source_facts {
    double duration_s;
    double frame_rate;
    int has_video, has_audio;
} cl_source_facts;
int cl_media_source_facts(clipline_context *c, const char *path, cl_source_facts *f);

int cl_media_transcode(clipline_context *c, cl_clip_req *req);

/* ---- verify (verify.c) ---- */
typedef struct cl_verify_req {
    const char *path;
    double expect_duration_s; /* <= 0: not checked */
    int max_width, max_height;
    int expect_audio;
    char level[8];
} cl_verify_req;

/* Reopens a finished MP4 and checks the web contract; fails with
 * CLIPLINE_ERROR_VERIFY and a detail naming the failed check. */
int cl_media_verify(clipline_context *c, const cl_verify_req *v);

#endif
