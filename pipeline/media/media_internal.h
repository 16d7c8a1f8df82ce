/*
 * media_internal.h: what the files of the media stage share: the clip's
 * transcoder (transcode.c: input, decode, trim, the pre-filter that makes
 * the picture web-safe, audio), its renditions (rendition.c: scale, encode,
 * mux, one thread each) and the poster (poster.c).
 */
#ifndef CL_MEDIA_INTERNAL_H
#define CL_MEDIA_INTERNAL_H

#include <pthread.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>

#include "fanout.h"
#include "media.h"

/* The largest picture taken from outside (a recording, an intro or outro):
 * a side at most CL_PICTURE_MAX_SIDE, at most CL_PICTURE_MAX_PIXELS in all
 * (8K is 33 megapixels). A header can claim any size; decoding to it would
 * take gigabytes per frame. Checked on the probed streams and again on the
 * first decoded picture (a header may lie about what the stream holds). */
#define CL_PICTURE_MAX_SIDE 16384
#define CL_PICTURE_MAX_PIXELS (8192 * 8192)
/* CLIPLINE_ERROR_LIMIT naming `what` (the file, or the item and the file)
 * when w x h is over the limit; 0 otherwise. */
int cl_check_picture_size(clipline_context *c, const char *what, int w, int h);

/* The picture every rendition starts from (after the pre-filter). */
typedef struct cl_picture_props {
    int width, height, pix_fmt;
    AVRational sar, time_base, frame_rate;
    const char *matrix; /* swscale name of the source's YUV matrix ("bt709", "bt601", ...) */
    const char *range;  /* "tv" or "pc" */
} cl_picture_props;

/* The source's YUV matrix for swscale: its tag, or for untagged video what
 * players assume: BT.709 for HD (720 lines or more), BT.601 below. */
const char *cl_source_matrix(enum AVColorSpace cs, int height);

/* movtext.c: a subtitle track as MP4 timed text (mov_text), times in ms. */
struct clsub_track;
typedef struct cl_movtext_sample {
    int64_t start, end;
    AVPacket *pkt;
} cl_movtext_sample;
typedef struct cl_movtext {
    cl_movtext_sample *s;
    size_t n;
} cl_movtext;
int cl_movtext_extradata(AVCodecParameters *par);
int cl_movtext_build(const struct clsub_track *t, cl_movtext *m);
void cl_movtext_free(cl_movtext *m);
/* The soft tracks of an MP4: a mov_text stream per language, tagged with its
 * ISO 639-2 code and named in its own script (before the header)... */
int cl_movtext_add_streams(AVFormatContext *f, const char *const *langs, int n);
/* ...and every sample of them, streams first.., after the header: the
 * interleaver puts them in place as the picture and sound arrive. */
int cl_movtext_write(AVFormatContext *f, int first, const struct clsub_track *const *tracks, int n);

/* segmenter.c: an HLS rendition (fMP4 segments cut at keyframes, playlist). */
typedef struct cl_segmenter cl_segmenter;
int cl_segmenter_open(cl_segmenter **s, const char *dir, double target_s,
                      const AVCodecContext *venc, const AVCodecContext *aenc);
/* Packets in their encoder's time base; audio is copied and held until its segment. */
int cl_segmenter_write(cl_segmenter *s, const AVPacket *pkt, int video);
int cl_segmenter_finish(cl_segmenter *s); /* last segment, then index.m3u8 */
/* After finish: segments, and the peak and average segment bit rates. */
void cl_segmenter_stats(const cl_segmenter *s, int *segments, int64_t *peak_bps, int64_t *avg_bps);
void cl_segmenter_free(cl_segmenter **s);

typedef struct cl_rendition {
    clipline_context *c;
    const char *label;
    cl_rendition_req *req;
    cl_picture_props in;
    AVCodecContext *aenc_params; /* the shared audio encoder (parameters only), or NULL */
    int aout;                    /* which of the clip's audio encoders */
    int threads;                 /* x264 threads */
    int sliced;                  /* as slice threads (no extra frame buffers) */
    cl_queue queue;
    pthread_t thread;
    int started;
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    AVCodecContext *venc;
    AVFormatContext *file; /* the MP4 or WebM file */
    AVStream *file_v, *file_a;
    cl_segmenter *hls;
    AVFrame *filt;
    AVPacket *pkt;
    struct clsub_renderer *burn; /* libass, at the output size */
    int64_t frames;
    int err;
    char detail[CL_DETAIL_MAX];
} cl_rendition;

/* rendition.c */
int cl_rendition_open(cl_rendition *r);  /* graph, encoder, muxers, headers */
int cl_rendition_start(cl_rendition *r); /* its thread */
int cl_rendition_join(cl_rendition *r);  /* waits; returns its error */
void cl_rendition_close(cl_rendition *r);

/* graph.c: a graph with one buffer(src) and one sink around `chain`. */
int cl_build_graph(AVFilterGraph **g, AVFilterContext **src, AVFilterContext **sink,
                   const char *src_name, const char *src_args, const char *chain,
                   const char *sink_name);
/* abuffer arguments for what a decoder gives, in time base `tb`; the
 * layout's name (e.g. "5.1", "mono", "3c") in `layout`. */
void cl_abuffer_args(const AVCodecContext *dec, AVRational tb, char *args, size_t size,
                     char layout[128]);
/* A decoder for a stream, opened (frame and slice threads; 0: automatic). */
int cl_open_decoder(const AVStream *st, int threads, AVCodecContext **out);
/* avformat_find_stream_info() for a file from outside: its decoders refuse
 * pictures over CL_PICTURE_MAX_PIXELS (as cl_open_decoder's do) instead of
 * allocating them. */
int cl_find_stream_info(AVFormatContext *fmt);
/* A demuxer of single pictures (image2, png_pipe, jpeg_pipe, ...). */
int cl_is_still_format(const char *demuxer);
/* Output size for a picture: display aspect kept, square pixels, never
 * upscaled, even, inside max_w x max_h. */
void cl_fit_size(int w, int h, AVRational sar, int max_w, int max_h, int *ow, int *oh);

/* poster.c: keeps the most representative of a few candidate frames. */
typedef struct cl_poster {
    int64_t expected_frames;
    int64_t next_candidate;
    int candidates_seen;
    double best_score;
    AVFrame *best;
    int64_t best_index;
} cl_poster;
void cl_poster_init(cl_poster *p, int64_t expected_frames);
void cl_poster_offer(cl_poster *p, const AVFrame *f, int64_t index);
int cl_poster_write(clipline_context *c, cl_poster *p, const char *path,
                    const cl_picture_props *in, int max_w, int max_h);
void cl_poster_uninit(cl_poster *p);

/* part.c: an intro or outro fitted to the clip's picture and sound:
 * exactly `frames` pictures (pts: their index; time base 1/frame rate),
 * then exactly as many samples as they last (planar float, pts in samples
 * from 0). Each returns AVERROR_EOF after its last. `what`: "intro", "outro". */
typedef struct cl_part cl_part;
int cl_part_open(clipline_context *c, const char *label, const char *what, const char *path,
                 const cl_picture_props *props, int64_t frames, const cl_audio_target *a,
                 double gain_db, cl_part **out);
int cl_part_video(cl_part *p, AVFrame *f);
int cl_part_audio(cl_part *p, AVFrame *f);
void cl_part_free(cl_part **p);

/* loudness.c: pass 1 of the EBU R128 normalisation. */
int cl_media_measure_loudness(clipline_context *c, const char *source, int64_t in_us,
                              int64_t out_us, cl_clip_report *rep);

#endif
