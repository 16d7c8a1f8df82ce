/*
 * transcode.c: one clip, decoded once, fanned out into its renditions.
 *
 *   demux ─► decode video ─► trim (frame-accurate, on decoded frames)
 *         ─► pre-filter, once: deinterlace, turn upright, constant frame rate
 *              ├─► queue ─► rendition thread: scale ─► x264 ─► MP4 / HLS   (rendition.c)
 *              ├─► queue ─► rendition thread ...
 *              └─► poster candidates                                        (poster.c)
 *   demux ─► decode audio ─► trim, gain (loudness.c), 48 kHz stereo, once
 *              ├─► AAC, once ─► the same packets into the queue of every rendition
 *              └─► Opus, once ─►   that uses that encoder (an encoder per codec and rate)
 *
 * The source is seeked to the keyframe before `in`; frames before `in` are
 * dropped after decoding; the outputs' timestamps start at zero.
 *
 * An intro and an outro (part.c) join the same queues and audio encoders:
 * the intro once the clip's first picture has fixed the renditions' input
 * (the clip's sound waits in its filter graph meanwhile), the outro after
 * the clip's last frame; the clip's pictures and sound move by the intro.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/cpu.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#include "../core/util.h"
#include "media_internal.h"

/* An audio encoder and the samples waiting for a full frame of it. */
typedef struct audio_out {
    char codec[16];
    int bitrate_kbps;
    AVCodecContext *enc;
    AVAudioFifo *fifo; /* in the encoder's sample format */
    int64_t next_pts;  /* of the fifo's first sample, in samples */
} audio_out;
#define MAX_AUDIO_OUTS 4

typedef struct pending_packet {
    int aout;
    AVPacket *pkt;
} pending_packet;

typedef struct transcoder {
    clipline_context *c;
    cl_clip_req *req;
    AVFormatContext *in;
    int vidx, aidx;
    AVCodecContext *vdec, *adec;
    int64_t v_in_pts, v_out_pts; /* in the video stream's time base */
    int64_t v_last_rel;          /* last frame given to the pre-filter, relative to in */
    int64_t a_in_pts, a_out_pts; /* in the audio stream's time base */
    AVRational frame_rate;
    double rotation;             /* clockwise degrees to turn the picture upright */
    int video_done, audio_done;
    /* the pre-filter and what comes out of it */
    AVFilterGraph *pgraph;
    AVFilterContext *psrc, *psink;
    int64_t frames_out;
    /* audio: filtered once, then each distinct encoder once */
    AVFilterGraph *agraph;
    AVFilterContext *asrc, *asink;
    audio_out aout[MAX_AUDIO_OUTS];
    int nb_aout;
    int silent; /* no audio in the source: a silent track is generated */
    int64_t silent_samples;
    int audio_flushed;           /* the encoders have been sent their end */
    pending_packet *pending;     /* audio packets made before the renditions started */
    int nb_pending;
    cl_rendition *r;
    int nb_r, started;
    cl_poster poster;
    int64_t part_frames[2];       /* of the intro, the outro */
    int64_t lead_frames;          /* pictures before the clip's first (the intro's) */
    int64_t v_offset;             /* the clip's pictures move by the intro, in the pre-filter's time base */
    int64_t a_offset;             /* the clip's sound likewise, in samples */
    int hold_audio;               /* the intro is still to come: the clip's sound waits */
    int flush_later;              /* the outro's sound follows the clip's */
    int64_t expected_frames;      /* for progress; 0: unknown */
    int damaged;                  /* packets the decoders refused, frames they concealed */
    double damage_first_s;        /* where the first was, on the recording */
    double t_start, t_progress;   /* wall clock: start, last progress event */
    enum AVColorSpace colorspace; /* of the decoded frames */
    enum AVColorRange color_range;
    cl_picture_props props;       /* what the renditions start from */
    AVFrame *frame, *pframe, *aframe;
    AVPacket *pkt, *apkt;
} transcoder;

static int tc_fail(transcoder *t, int err, int averr, const char *what)
{
    char e[128];
    return cl_fail(t->c, err, "%s: %s: %s", t->req->label, what, cl_averr(averr, e));
}

static void note_fix(transcoder *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_fix(transcoder *t, const char *fmt, ...)
{
    cl_clip_report *rep = &t->req->report;
    if (rep->nb_fixes >= 8)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->fixes[rep->nb_fixes++], sizeof(rep->fixes[0]), fmt, ap);
    va_end(ap);
}

static int open_decoder(transcoder *t, int idx, AVCodecContext **out)
{
    AVStream *st = t->in->streams[idx];
    int ret = cl_open_decoder(st, t->c->s.threads, out);
    if (ret == AVERROR_DECODER_NOT_FOUND)
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: no decoder for %s stream #%d (%s)",
                       t->req->label, av_get_media_type_string(st->codecpar->codec_type), idx,
                       avcodec_get_name(st->codecpar->codec_id));
    return ret < 0 ? tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "cannot open the decoder") : 0;
}

/* The outputs' frame rate: constant, at most 60 fps (web players and level
 * caps), 25 when the source's is unusable. */
static AVRational output_rate(AVRational fr)
{
    if (!fr.num || !fr.den || av_q2d(fr) > 120 || av_q2d(fr) < 1)
        return (AVRational){ 25, 1 };
    return av_q2d(fr) > 60.5 ? (AVRational){ 60, 1 } : fr;
}

double cl_media_output_rate(double source_rate)
{
    return av_q2d(output_rate(av_d2q(source_rate, 1001000)));
}

/* The clip on the source's own timelines, and facts about the picture. */
static void clip_points(transcoder *t)
{
    AVStream *vs = t->in->streams[t->vidx];
    t->frame_rate = output_rate(vs->avg_frame_rate.num && vs->avg_frame_rate.den ? vs->avg_frame_rate
                                                                                  : vs->r_frame_rate);
    const uint8_t *dm = av_stream_get_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (dm) {
        double theta = -av_display_rotation_get((const int32_t *)dm);
        theta -= 360 * floor(theta / 360 + 0.9 / 360);
        t->rotation = isnan(theta) ? 0 : theta;
    }
    int64_t start = t->in->start_time != AV_NOPTS_VALUE ? t->in->start_time : 0;
    int64_t in_abs = start + t->req->in_us;
    int64_t out_abs = t->req->out_us == INT64_MAX ? INT64_MAX : start + t->req->out_us;
    t->v_in_pts = av_rescale_q(in_abs, AV_TIME_BASE_Q, vs->time_base);
    t->v_out_pts = out_abs == INT64_MAX ? INT64_MAX : av_rescale_q(out_abs, AV_TIME_BASE_Q, vs->time_base);
    if (t->aidx >= 0) {
        AVStream *as = t->in->streams[t->aidx];
        t->a_in_pts = av_rescale_q(in_abs, AV_TIME_BASE_Q, as->time_base);
        t->a_out_pts = out_abs == INT64_MAX ? INT64_MAX : av_rescale_q(out_abs, AV_TIME_BASE_Q, as->time_base);
    }
}

static int open_input(transcoder *t)
{
    char e[128];
    int ret = avformat_open_input(&t->in, t->req->source, NULL, NULL);
    if (ret < 0)
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: cannot open %s: %s", t->req->label,
                       t->req->source, cl_averr(ret, e));
    if ((ret = cl_find_stream_info(t->in)) < 0)
        return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "cannot read the streams");
    t->vidx = av_find_best_stream(t->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    t->aidx = av_find_best_stream(t->in, AVMEDIA_TYPE_AUDIO, -1, t->vidx, NULL, 0);
    if (t->vidx < 0 || (t->in->streams[t->vidx]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: %s has no video stream", t->req->label,
                       t->req->source);
    if ((ret = open_decoder(t, t->vidx, &t->vdec)) < 0)
        return ret;
    if (t->aidx >= 0 && (ret = open_decoder(t, t->aidx, &t->adec)) < 0)
        return ret;
    for (unsigned i = 0; i < t->in->nb_streams; i++)
        if ((int)i != t->vidx && (int)i != t->aidx)
            t->in->streams[i]->discard = AVDISCARD_ALL;
    clip_points(t);
    if (t->aidx < 0 && !t->req->audio.silence_if_missing)
        t->audio_done = 1;
    if (t->req->in_us > 0) {
        /* to the keyframe at or before `in`; frames before it are dropped later */
        int64_t ts = av_rescale_q(t->v_in_pts, t->in->streams[t->vidx]->time_base, AV_TIME_BASE_Q);
        ret = avformat_seek_file(t->in, -1, INT64_MIN, ts, ts, 0);
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "cannot seek to the clip's in point");
    }
    return 0;
}

/* ---- audio: one graph, one encoder, packets to every rendition ---- */

static int audio_graph(transcoder *t)
{
    const cl_audio_target *a = &t->req->audio;
    char args[512], chain[768], gain[64] = "", end[64] = "";
    const char *layout = a->channels == 1 ? "mono" : "stereo";
    cl_clip_report *rep = &t->req->report;
    if (rep->loudness_measured)
        snprintf(gain, sizeof(gain), "volume=%.2fdB:precision=double,", rep->gain_db);
    if (t->aidx < 0) { /* a silent track as long as the clip */
        t->silent = 1;
        note_fix(t, "no audio in the source: silent track added");
        snprintf(chain, sizeof(chain), "aformat=sample_fmts=fltp");
        snprintf(args, sizeof(args), "r=%d:cl=%s:nb_samples=1024", a->sample_rate, layout);
        return cl_build_graph(&t->agraph, &t->asrc, &t->asink, "anullsrc", args, chain, "abuffersink");
    }
    const AVCodecContext *d = t->adec;
    AVStream *as = t->in->streams[t->aidx];
    char in_layout[128];
    cl_abuffer_args(d, as->time_base, args, sizeof(args), in_layout);
    if (d->ch_layout.nb_channels != a->channels)
        note_fix(t, "audio %s mixed to %s", in_layout, layout);
    /* atrim counts in samples (trim counts in time-base units) */
    AVRational in_rate = { 1, d->sample_rate };
    if (t->a_out_pts != INT64_MAX)
        snprintf(end, sizeof(end), ":end_pts=%" PRId64,
                 av_rescale_q(t->a_out_pts, as->time_base, in_rate));
    /* short fades where the clip cuts the recording, so cuts do not click */
    char fades[160] = "";
    double len_s = (t->req->out_us - t->req->in_us) / 1e6, fade = a->fade_ms / 1000.0;
    int cut_in = t->req->in_us > 0 || t->req->intro.path;
    int cut_out = (t->in->duration > 0 && t->req->out_us < t->in->duration) || t->req->outro.path;
    if (fade > 0 && cut_in)
        snprintf(fades, sizeof(fades), "afade=t=in:d=%.3f,", fade);
    if (fade > 0 && cut_out && t->req->out_us != INT64_MAX && len_s > 2 * fade)
        snprintf(fades + strlen(fades), sizeof(fades) - strlen(fades), "afade=t=out:st=%.6f:d=%.3f,",
                 len_s - fade, fade);
    /* first_pts=0: audio that starts after the video is padded with silence */
    snprintf(chain, sizeof(chain),
             "atrim=start_pts=%" PRId64 "%s,asetpts=PTS-%" PRId64 ",%saresample=%d:first_pts=0,"
             "%saformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=%s",
             av_rescale_q(t->a_in_pts, as->time_base, in_rate), end, t->a_in_pts, gain,
             a->sample_rate, fades, a->sample_rate, layout);
    return cl_build_graph(&t->agraph, &t->asrc, &t->asink, "abuffer", args, chain, "abuffersink");
}

/* The encoder of `codec` at `kbps`: the graph gives planar float, which AAC
 * takes as it is and Opus interleaved. */
static int open_audio_out(transcoder *t, audio_out *o)
{
    const cl_audio_target *a = &t->req->audio;
    const AVCodec *codec = avcodec_find_encoder_by_name(o->codec);
    if (!codec)
        return cl_fail(t->c, CLIPLINE_ERROR_ENCODE, "this FFmpeg has no %s encoder", o->codec);
    AVCodecContext *e = o->enc = avcodec_alloc_context3(codec);
    if (!e)
        return AVERROR(ENOMEM);
    e->sample_rate = a->sample_rate;
    e->sample_fmt = AV_SAMPLE_FMT_NONE;
    for (const enum AVSampleFormat *f = codec->sample_fmts; f && *f != AV_SAMPLE_FMT_NONE; f++)
        if ((*f == AV_SAMPLE_FMT_FLTP || *f == AV_SAMPLE_FMT_FLT) && e->sample_fmt == AV_SAMPLE_FMT_NONE)
            e->sample_fmt = *f;
    if (e->sample_fmt == AV_SAMPLE_FMT_NONE)
        return cl_fail(t->c, CLIPLINE_ERROR_ENCODE, "the %s encoder takes no float samples", o->codec);
    av_channel_layout_default(&e->ch_layout, a->channels);
    e->bit_rate = (int64_t)o->bitrate_kbps * 1000;
    e->time_base = (AVRational){ 1, a->sample_rate };
    if (codec->id == AV_CODEC_ID_AAC)
        e->profile = FF_PROFILE_AAC_LOW;
    e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = avcodec_open2(e, codec, NULL);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot open the audio encoder");
    if (e->frame_size <= 0)
        e->frame_size = 1024;
    if (!(o->fifo = av_audio_fifo_alloc(e->sample_fmt, a->channels, 2 * e->frame_size)))
        return AVERROR(ENOMEM);
    return 0;
}

/* One encoder per distinct (codec, bit rate) among the renditions. */
static int audio_encoders(transcoder *t)
{
    for (int i = 0; i < t->nb_r; i++) {
        const cl_rendition_req *q = t->r[i].req;
        int k = 0;
        while (k < t->nb_aout && (strcmp(t->aout[k].codec, q->audio_codec) ||
                                  t->aout[k].bitrate_kbps != q->audio_bitrate_kbps))
            k++;
        if (k == t->nb_aout) {
            if (k == MAX_AUDIO_OUTS)
                return cl_fail(t->c, CLIPLINE_ERROR_CONFIG, "%s: more than %d audio encodings in one clip",
                               t->req->label, MAX_AUDIO_OUTS);
            audio_out *o = &t->aout[t->nb_aout++];
            snprintf(o->codec, sizeof(o->codec), "%s", q->audio_codec[0] ? q->audio_codec : "aac");
            o->bitrate_kbps = q->audio_bitrate_kbps > 0 ? q->audio_bitrate_kbps : 128;
            int ret = open_audio_out(t, o);
            if (ret < 0)
                return ret;
        }
        t->r[i].aout = k;
    }
    return 0;
}

/* An encoded audio packet for the renditions of encoder k (kept aside
 * until they run). */
static int give_audio(transcoder *t, int k, AVPacket *pkt)
{
    if (!t->started) {
        pending_packet *p = realloc(t->pending, (size_t)(t->nb_pending + 1) * sizeof(*p));
        if (!p)
            return AVERROR(ENOMEM);
        t->pending = p;
        if (!(p[t->nb_pending].pkt = av_packet_clone(pkt)))
            return AVERROR(ENOMEM);
        p[t->nb_pending++].aout = k;
        return 0;
    }
    for (int i = 0; i < t->nb_r; i++) {
        if (t->r[i].aout != k)
            continue;
        cl_qitem it = { .kind = CL_Q_AUDIO, .pkt = av_packet_clone(pkt) };
        if (!it.pkt)
            return AVERROR(ENOMEM);
        if (cl_queue_push(&t->r[i].queue, &it) < 0)
            return CLIPLINE_ERROR_ENCODE; /* that rendition stopped; its detail says why */
    }
    return 0;
}

static int send_audio(transcoder *t, int k, AVFrame *f)
{
    audio_out *o = &t->aout[k];
    int ret = avcodec_send_frame(o->enc, f);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "the audio encoder refused a frame");
    while ((ret = avcodec_receive_packet(o->enc, t->apkt)) >= 0) {
        ret = give_audio(t, k, t->apkt);
        av_packet_unref(t->apkt);
        if (ret < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "audio encoding failed");
}

/* Encodes the fifo's whole frames; at the end (`last`) also what is left,
 * padded with silence if the encoder wants whole frames, then flushes. */
static int encode_fifo(transcoder *t, int k, int last)
{
    audio_out *o = &t->aout[k];
    int fs = o->enc->frame_size, ret = 0;
    while (ret >= 0 && (av_audio_fifo_size(o->fifo) >= fs || (last && av_audio_fifo_size(o->fifo) > 0))) {
        int n = FFMIN(fs, av_audio_fifo_size(o->fifo));
        AVFrame *f = av_frame_alloc();
        if (!f)
            return AVERROR(ENOMEM);
        f->format = o->enc->sample_fmt;
        f->sample_rate = o->enc->sample_rate;
        f->nb_samples = (o->enc->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME) ? n : fs;
        if ((ret = av_channel_layout_copy(&f->ch_layout, &o->enc->ch_layout)) >= 0 &&
            (ret = av_frame_get_buffer(f, 0)) >= 0) {
            if (n < f->nb_samples)
                av_samples_set_silence(f->extended_data, n, f->nb_samples - n,
                                       f->ch_layout.nb_channels, f->format);
            if (av_audio_fifo_read(o->fifo, (void **)f->extended_data, n) != n)
                ret = AVERROR(EIO);
            f->pts = o->next_pts;
            o->next_pts += n;
            if (ret >= 0)
                ret = send_audio(t, k, f);
        }
        av_frame_free(&f);
    }
    if (ret >= 0 && last)
        ret = send_audio(t, k, NULL);
    return ret;
}

/* A filtered frame (planar float, pts in `tb`, placed `offset` samples
 * later) into every encoder's fifo; NULL: the end. A gap in the timestamps
 * is filled with silence and an overlap cut off, so nothing drifts. */
static int encode_audio(transcoder *t, AVFrame *f, AVRational tb, int64_t offset)
{
    for (int k = 0; k < t->nb_aout; k++) {
        audio_out *o = &t->aout[k];
        int ret, skip = 0;
        if (f) {
            int64_t expected = o->next_pts + av_audio_fifo_size(o->fifo);
            int64_t pts = f->pts == AV_NOPTS_VALUE ? expected : av_rescale_q(f->pts, tb, o->enc->time_base) + offset;
            int64_t gap = pts - expected;
            if (gap < 0)
                skip = (int)FFMIN(-gap, f->nb_samples);
            if (gap > 0 && gap <= 10LL * o->enc->sample_rate) {
                uint8_t **z = NULL;
                if ((ret = av_samples_alloc_array_and_samples(&z, NULL, f->ch_layout.nb_channels, (int)gap,
                                                              o->enc->sample_fmt, 0)) < 0)
                    return ret;
                av_samples_set_silence(z, 0, (int)gap, f->ch_layout.nb_channels, o->enc->sample_fmt);
                ret = av_audio_fifo_write(o->fifo, (void **)z, (int)gap);
                av_freep(&z[0]);
                av_freep(&z);
                if (ret < 0)
                    return ret;
            }
            int n = f->nb_samples - skip, ch = f->ch_layout.nb_channels;
            if (n > 0 && o->enc->sample_fmt == AV_SAMPLE_FMT_FLTP) {
                float *planes[8];
                for (int c = 0; c < ch && c < 8; c++)
                    planes[c] = (float *)f->extended_data[c] + skip;
                ret = av_audio_fifo_write(o->fifo, (void **)planes, n);
            } else if (n > 0) { /* interleave */
                float *buf = av_malloc((size_t)n * ch * sizeof(float));
                if (!buf)
                    return AVERROR(ENOMEM);
                for (int i = 0; i < n; i++)
                    for (int c = 0; c < ch; c++)
                        buf[i * ch + c] = ((const float *)f->extended_data[c])[skip + i];
                ret = av_audio_fifo_write(o->fifo, (void **)&buf, n);
                av_free(buf);
            } else {
                ret = 0;
            }
            if (ret < 0)
                return ret;
        }
        if ((ret = encode_fifo(t, k, !f)) < 0)
            return ret;
    }
    return 0;
}

/* Samples of audio that go with the video pushed so far. */
static int64_t video_samples(const transcoder *t)
{
    return av_rescale(t->frames_out, t->req->audio.sample_rate * (int64_t)t->frame_rate.den,
                      t->frame_rate.num);
}

/* Filters and encodes what the audio graph has. A silent track is pulled
 * only as far as the video has come (`until` set), and ends with it. */
static int drain_audio(transcoder *t, int until_video)
{
    for (;;) {
        int64_t limit = t->silent ? video_samples(t) : INT64_MAX;
        if (t->silent && t->silent_samples >= limit) {
            if (until_video || t->audio_flushed)
                return 0;
            t->audio_flushed = 1;
            return encode_audio(t, NULL, (AVRational){ 1, 1 }, 0);
        }
        int ret = av_buffersink_get_frame(t->asink, t->aframe);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret == AVERROR_EOF) { /* atrim may end the clip a frame before we see `out` */
            t->audio_done = 1;
            if (t->audio_flushed || t->flush_later)
                return 0;
            t->audio_flushed = 1;
            return encode_audio(t, NULL, (AVRational){ 1, 1 }, 0);
        }
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "audio filtering failed");
        if (t->silent) {
            if (t->aframe->nb_samples > limit - t->silent_samples)
                t->aframe->nb_samples = (int)(limit - t->silent_samples);
            t->aframe->pts = t->silent_samples; /* contiguous, also after a cut frame */
            t->silent_samples += t->aframe->nb_samples;
        }
        ret = encode_audio(t, t->aframe, av_buffersink_get_time_base(t->asink), t->silent ? 0 : t->a_offset);
        av_frame_unref(t->aframe);
        if (ret < 0)
            return ret;
    }
}

static int audio_frame(transcoder *t, AVFrame *f)
{
    if (f && f->pts != AV_NOPTS_VALUE && f->pts >= t->a_out_pts) {
        t->audio_done = 1;
        f = NULL;
    }
    if (t->audio_flushed)
        return 0;
    int ret = av_buffersrc_add_frame_flags(t->asrc, f, 0);
    if (ret == AVERROR_EOF)
        return 0; /* the graph already reached the clip's end */
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot filter audio");
    return t->hold_audio ? 0 : drain_audio(t, 0);
}

/* ---- video: the pre-filter, then the fan-out ---- */

/* The rendition with the largest output picture. */
static int largest_rung(const transcoder *t, const cl_picture_props *p)
{
    int best = 0;
    int64_t best_area = -1;
    for (int i = 0; i < t->nb_r; i++) {
        int w, h;
        cl_fit_size(p->width, p->height, p->sar, t->r[i].req->video.max_width,
                    t->r[i].req->video.max_height, &w, &h);
        if ((int64_t)w * h > best_area) {
            best_area = (int64_t)w * h;
            best = i;
        }
    }
    return best;
}

static int start_renditions(transcoder *t)
{
    cl_picture_props p = {
        .width = av_buffersink_get_w(t->psink), .height = av_buffersink_get_h(t->psink),
        .pix_fmt = av_buffersink_get_format(t->psink),
        .sar = av_buffersink_get_sample_aspect_ratio(t->psink),
        .time_base = av_buffersink_get_time_base(t->psink), .frame_rate = t->frame_rate,
    };
    if (p.sar.num <= 0)
        p.sar = (AVRational){ 1, 1 };
    p.matrix = cl_source_matrix(t->colorspace, p.height);
    p.range = t->color_range == AVCOL_RANGE_JPEG ? "pc" : "tv";
    t->props = p;
    if (p.sar.num != p.sar.den)
        note_fix(t, "non-square pixels (%d:%d) made square", p.sar.num, p.sar.den);
    /* x264's own threads per rung: with at least as many rungs as cores the
     * rungs already keep every core busy, and one thread each saves x264's
     * frame-thread buffers (a 3-rung 1080p ladder: 394 instead of 482 MB
     * peak, same CPU time); otherwise the cores are shared between them */
    int cores = t->c->s.threads > 0 ? t->c->s.threads : av_cpu_count();
    int threads = t->nb_r >= cores ? 1 : (cores + t->nb_r - 1) / t->nb_r + 1;
    for (int i = 0; i < t->nb_r; i++) {
        cl_rendition *r = &t->r[i];
        r->c = t->c;
        r->label = t->req->label;
        r->in = p;
        r->aenc_params = t->nb_aout ? t->aout[r->aout].enc : NULL;
        r->threads = threads;
        if (t->nb_r >= cores && i == largest_rung(t, &p)) {
            /* the largest rung sets the pace: sliced threads, which add no
             * frame buffers (3-rung 1080p ladder: 8% faster, same memory) */
            r->threads = cores;
            r->sliced = 1;
        }
        int ret = cl_rendition_open(r);
        if (ret >= 0)
            ret = cl_rendition_start(r);
        if (ret < 0)
            return cl_fail(t->c, r->err ? r->err : ret, "%s", r->detail[0] ? r->detail : "cannot start a rendition");
    }
    t->started = 1;
    for (int i = 0; i < t->nb_pending; i++) {
        int ret = give_audio(t, t->pending[i].aout, t->pending[i].pkt);
        av_packet_free(&t->pending[i].pkt);
        if (ret < 0)
            return ret;
    }
    t->nb_pending = 0;
    return 0;
}

static int join_part(transcoder *t, int which);

static int open_prefilter(transcoder *t, const AVFrame *f)
{
    char what[1200];
    snprintf(what, sizeof(what), "%s: %s", t->req->label, t->req->source);
    int ret = cl_check_picture_size(t->c, what, f->width, f->height);
    if (ret < 0)
        return ret;
    AVStream *vs = t->in->streams[t->vidx];
    AVRational sar = f->sample_aspect_ratio.num > 0 ? f->sample_aspect_ratio : vs->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    char args[512], chain[512] = "";
    snprintf(args, sizeof(args),
             "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d:frame_rate=%d/%d",
             f->width, f->height, f->format, vs->time_base.num, vs->time_base.den, sar.num,
             sar.den, t->frame_rate.num, t->frame_rate.den);
    t->colorspace = f->colorspace;
    t->color_range = f->color_range;
    enum AVFieldOrder fo = t->vdec->field_order;
    if (f->interlaced_frame || fo == AV_FIELD_TT || fo == AV_FIELD_BB || fo == AV_FIELD_TB || fo == AV_FIELD_BT) {
        strcat(chain, "bwdif=mode=send_frame:parity=auto:deint=all,");
        note_fix(t, "interlaced: deinterlaced (bwdif)");
    }
    if (fabs(t->rotation - 90) < 1)
        strcat(chain, "transpose=clock,");
    else if (fabs(t->rotation - 180) < 1)
        strcat(chain, "hflip,vflip,");
    else if (fabs(t->rotation - 270) < 1)
        strcat(chain, "transpose=cclock,");
    if (fabs(t->rotation) >= 1)
        note_fix(t, "rotated %.0f degrees upright", t->rotation);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (d && (d->comp[0].depth > 8 || d->log2_chroma_h == 0 || (d->flags & AV_PIX_FMT_FLAG_RGB)))
        note_fix(t, "%s converted to 8-bit 4:2:0", d->name);
    if (t->vdec->framerate.num == 0 || av_cmp_q(t->frame_rate, vs->r_frame_rate))
        note_fix(t, "frame rate made constant (%.3f fps)", av_q2d(t->frame_rate));
    /* constant frame rate from here on: one tick per frame, from the clip's
     * start (a first picture later than `in`, as when the video starts a
     * little after the sound or `in` falls between two frames, is shown
     * from the start, as sound that starts late is preceded by silence) */
    snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "fps=%d/%d:start_time=0", t->frame_rate.num,
             t->frame_rate.den);
    ret = cl_build_graph(&t->pgraph, &t->psrc, &t->psink, "buffer", args, chain, "buffersink");
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot set up the picture filters");
    if ((ret = start_renditions(t)) < 0 || !t->part_frames[0])
        return ret;
    /* the clip's first picture fixed the renditions' input: the intro goes first */
    if ((ret = join_part(t, 0)) < 0)
        return ret;
    t->lead_frames = t->frames_out;
    t->v_offset = av_rescale_q(t->lead_frames, av_inv_q(t->frame_rate), t->props.time_base);
    t->a_offset = video_samples(t);
    t->hold_audio = 0;
    return t->silent || !t->agraph ? 0 : drain_audio(t, 0); /* the clip's sound that waited */
}

/* An "encode" progress event at most every half second (and at the end). */
static void report_progress(transcoder *t, int last)
{
    double now = cl_now_s();
    if (!last && now - t->t_progress < 0.5)
        return;
    t->t_progress = now;
    double el = now - t->t_start, fps = el > 0 ? t->frames_out / el : 0, rate = av_q2d(t->frame_rate);
    /* each rendition by the frames it has encoded, then the clip by its slowest */
    int64_t slowest = t->frames_out;
    for (int i = 0; i <= t->nb_r; i++) {
        int64_t n = i < t->nb_r ? __atomic_load_n(&t->r[i].frames, __ATOMIC_RELAXED) : slowest;
        if (last)
            n = t->frames_out;
        if (i < t->nb_r && n < slowest)
            slowest = n;
        if (i < t->nb_r && !t->req->renditions[i].name)
            continue;
        double done = rate > 0 ? n / rate : 0, rfps = el > 0 ? n / el : 0;
        clipline_progress p = cl_progress_make("progress", t->req->label,
                                               i < t->nb_r ? t->req->renditions[i].name : NULL, "encode");
        p.out_time_s = done;
        p.fps = i < t->nb_r ? rfps : fps;
        p.speed = el > 0 ? done / el : 0;
        if (t->expected_frames > 0) {
            p.percent = last ? 100 : fmin(99.9, 100.0 * n / t->expected_frames);
            p.eta_s = last ? 0 : rfps > 0 ? fmax(0, (t->expected_frames - n) / rfps) : -1;
        }
        cl_progress_ev(t->c, &p);
    }
}

/* t->pframe (consumed) to every rendition's queue. */
static int fan_out(transcoder *t)
{
    int ret;
    t->frames_out++;
    report_progress(t, 0);
    for (int i = 0; i < t->nb_r; i++) {
        cl_qitem it = { .kind = CL_Q_VIDEO };
        it.frame = i + 1 < t->nb_r ? av_frame_clone(t->pframe) : av_frame_alloc();
        if (!it.frame)
            return AVERROR(ENOMEM);
        if (i + 1 == t->nb_r)
            av_frame_move_ref(it.frame, t->pframe);
        if (cl_queue_push(&t->r[i].queue, &it) < 0)
            return CLIPLINE_ERROR_ENCODE;
    }
    av_frame_unref(t->pframe);
    if (t->silent && (ret = drain_audio(t, 1)) < 0)
        return ret;
    return 0;
}

static int push_frames(transcoder *t)
{
    for (;;) {
        int ret = av_buffersink_get_frame(t->psink, t->pframe);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "picture filtering failed");
        if (t->req->poster_path) /* from the clip, never the intro or outro */
            cl_poster_offer(&t->poster, t->pframe, t->frames_out - t->lead_frames);
        if (t->pframe->pts != AV_NOPTS_VALUE)
            t->pframe->pts += t->v_offset;
        if ((ret = fan_out(t)) < 0)
            return ret;
    }
}

/* An intro (0) or outro (1): its pictures after those given so far, its
 * sound at the same place (a silent clip stays silent throughout). */
static int join_part(transcoder *t, int which)
{
    const cl_part_req *pr = which ? &t->req->outro : &t->req->intro;
    const char *what = which ? "outro" : "intro";
    cl_audio_target *a = &t->req->audio;
    double gain = 0;
    if (a->loudness && t->nb_aout && !t->silent) { /* the part at the clip's loudness, too */
        cl_clip_report m = { 0 };
        if (cl_media_measure_loudness(t->c, pr->path, 0, pr->len_us, &m) >= 0 && m.loudness_in_lufs > -60)
            gain = fmin(a->target_lufs - m.loudness_in_lufs, a->max_true_peak_db - m.true_peak_in_db);
    }
    cl_part *p = NULL;
    int64_t start = t->frames_out, start_samples = video_samples(t);
    int ret = cl_part_open(t->c, t->req->label, what, pr->path, &t->props, t->part_frames[which], a, gain, &p);
    AVRational fr_tb = av_inv_q(t->frame_rate);
    while (ret >= 0 && (ret = cl_part_video(p, t->pframe)) >= 0) {
        t->pframe->pts = av_rescale_q(start + t->pframe->pts, fr_tb, t->props.time_base);
        ret = fan_out(t);
    }
    if (ret == AVERROR_EOF)
        ret = 0;
    AVRational sr_tb = { 1, a->sample_rate };
    while (ret >= 0 && t->nb_aout && !t->silent && (ret = cl_part_audio(p, t->aframe)) >= 0) {
        ret = encode_audio(t, t->aframe, sr_tb, start_samples);
        av_frame_unref(t->aframe);
    }
    if (ret == AVERROR_EOF)
        ret = 0;
    cl_part_free(&p);
    if (ret >= 0)
        note_fix(t, "%s joined: %s (%.3f s)", what, pr->path, pr->len_us / 1e6);
    return ret;
}

/* One decoded frame: trimmed here. NULL (or a frame at or past `out`) ends
 * the clip: the pre-filter is closed at the clip's end time, so the
 * frame-rate filter keeps the last frame. */
static int video_frame(transcoder *t, AVFrame *f)
{
    int64_t pts = f ? f->best_effort_timestamp : 0, end = 0;
    AVStream *vs = t->in->streams[t->vidx];
    if (f) {
        if (pts == AV_NOPTS_VALUE || pts < t->v_in_pts)
            return 0;
        if (pts >= t->v_out_pts) {
            f = NULL;
            end = t->v_out_pts - t->v_in_pts;
        } else {
            f->pts = t->v_last_rel = pts - t->v_in_pts;
        }
    } else {
        end = t->v_last_rel + av_rescale_q(1, av_inv_q(t->frame_rate), vs->time_base);
    }
    int ret;
    if (f && !t->pgraph && (ret = open_prefilter(t, f)) < 0)
        return ret;
    if (!t->pgraph) { /* the clip ended before its first frame */
        t->video_done = 1;
        return 0;
    }
    if (!f)
        t->video_done = 1;
    ret = f ? av_buffersrc_add_frame_flags(t->psrc, f, 0) : av_buffersrc_close(t->psrc, end, AV_BUFFERSRC_FLAG_PUSH);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot filter a frame");
    return push_frames(t);
}

/* Damage in the recording: a packet the decoder refused (the picture
 * before it is held, the sound has a gap filled with silence) or a frame
 * it could only conceal. The clip goes on; the first few are logged with
 * where they are, and cl_media_transcode() says how much there was. */
#define DAMAGE_LOGGED 3
static void note_damage(transcoder *t, int is_video, int64_t ts, int err)
{
    AVStream *st = t->in->streams[is_video ? t->vidx : t->aidx];
    int64_t start = t->in->start_time != AV_NOPTS_VALUE ? t->in->start_time : 0;
    double at = ts != AV_NOPTS_VALUE ? fmax(0, ts * av_q2d(st->time_base) - start / (double)AV_TIME_BASE) : -1;
    char where[48] = " at the end"; /* the decoders' last frames */
    if (at >= 0)
        snprintf(where, sizeof(where), " near %.3f s", at);
    if (!t->damaged++ || (t->damage_first_s < 0 && at >= 0))
        t->damage_first_s = at;
    if (t->damaged <= DAMAGE_LOGGED)
        cl_log(t->c, CLIPLINE_LOG_WARNING, "%s: %s: damaged %s data%s, concealed (%s)%s", t->req->label,
               t->req->source, is_video ? "video" : "audio", where,
               err ? clipline_strerror(err) : "decoded with errors",
               t->damaged == DAMAGE_LOGGED ? "; more damage is counted, not shown" : "");
}

static int64_t packet_time(const AVPacket *pkt)
{
    return !pkt ? AV_NOPTS_VALUE : pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
}

/* Sends a packet (NULL: flush) to a decoder and passes its frames on. A
 * decoding error is damage (note_damage); with frame threads it comes with
 * a later packet, hence the packet's time is "near". */
static int decode(transcoder *t, AVCodecContext *dec, AVPacket *pkt, int is_video)
{
    int ret = avcodec_send_packet(dec, pkt), errors = 0;
    if (ret == AVERROR(ENOMEM))
        return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "decoding failed");
    if (ret < 0 && ret != AVERROR_EOF) {
        note_damage(t, is_video, packet_time(pkt), ret);
        return 0;
    }
    for (;;) {
        ret = avcodec_receive_frame(dec, t->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0 && ret != AVERROR(ENOMEM) && errors++ < 64) {
            note_damage(t, is_video, packet_time(pkt), ret);
            continue;
        }
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "decoding failed");
        if (t->frame->decode_error_flags || (t->frame->flags & AV_FRAME_FLAG_CORRUPT))
            note_damage(t, is_video, t->frame->best_effort_timestamp, 0);
        if (is_video && !t->video_done)
            ret = video_frame(t, t->frame);
        else if (!is_video && !t->audio_done)
            ret = audio_frame(t, t->frame);
        av_frame_unref(t->frame);
        if (ret < 0)
            return ret;
    }
}

/* Seconds of the clip the video has reached. */
static double video_reached_s(const transcoder *t)
{
    AVStream *vs = t->in->streams[t->vidx];
    return t->pgraph ? t->v_last_rel * av_q2d(vs->time_base) + av_q2d(av_inv_q(t->frame_rate)) : 0;
}

/* The source ended before the clip did: a file cut short (copied
 * incompletely, still being written, its index claiming more than it
 * holds). Tolerated up to two frames, a rounding of the container's length. */
static int check_ended_early(transcoder *t)
{
    if (t->req->out_us == INT64_MAX || !t->pgraph)
        return 0;
    double reached = video_reached_s(t), want = (t->req->out_us - t->req->in_us) / 1e6;
    if (want - reached <= 2 * av_q2d(av_inv_q(t->frame_rate)) + 1e-3)
        return 0;
    return cl_fail(t->c, CLIPLINE_ERROR_INPUT,
                   "%s: %s ends at %.3f s, before the clip's end at %.3f s: the file is cut short%s "
                   "(copied incompletely, or still being written?)",
                   t->req->label, t->req->source, (t->req->in_us / 1e6) + reached, t->req->out_us / 1e6,
                   t->damaged ? " or damaged from there on" : "");
}

static int run_loop(transcoder *t)
{
    int ret = 0;
    while (!t->video_done || (!t->audio_done && !t->silent)) {
        if (t->c->interrupted)
            return cl_fail(t->c, CLIPLINE_ERROR_INTERRUPTED, "%s: interrupted", t->req->label);
        cl_ffmpeg_said_clear(); /* what the demuxer says of this read */
        ret = av_read_frame(t->in, t->pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            char why[CL_WHY_MAX];
            return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: cannot read %s after %.3f s: %s", t->req->label,
                           t->req->source, (t->req->in_us / 1e6) + video_reached_s(t), cl_averr_why(ret, why));
        }
        if (t->pkt->stream_index == t->vidx && !t->video_done)
            ret = decode(t, t->vdec, t->pkt, 1);
        else if (t->pkt->stream_index == t->aidx && !t->audio_done)
            ret = decode(t, t->adec, t->pkt, 0);
        av_packet_unref(t->pkt);
        if (ret < 0)
            return ret;
    }
    /* end of the source or of the clip: flush decoders and filters */
    if (!t->video_done && ((ret = decode(t, t->vdec, NULL, 1)) < 0 || (ret = check_ended_early(t)) < 0 ||
                           (ret = video_frame(t, NULL)) < 0))
        return ret;
    if (!t->started) {
        char why[300] = "";
        if (t->damaged && *cl_ffmpeg_said())
            snprintf(why, sizeof(why), "; its pictures could not be decoded: %s", cl_ffmpeg_said());
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT,
                       "%s: no video frame lies inside the clip (in %.3f s, source %s)%s",
                       t->req->label, t->req->in_us / 1e6, t->req->source, why);
    }
    if (t->aidx >= 0 && !t->audio_done &&
        ((ret = decode(t, t->adec, NULL, 0)) < 0 || (ret = audio_frame(t, NULL)) < 0))
        return ret;
    if (t->part_frames[1] && (ret = join_part(t, 1)) < 0)
        return ret;
    if (t->flush_later && !t->audio_flushed) {
        t->audio_flushed = 1;
        if ((ret = encode_audio(t, NULL, (AVRational){ 1, 1 }, 0)) < 0)
            return ret;
    }
    if (t->silent && (ret = drain_audio(t, 0)) < 0)
        return ret;
    for (int i = 0; i < t->nb_r; i++) {
        cl_qitem it = { .kind = CL_Q_END, .end_pts = t->frames_out };
        if (cl_queue_push(&t->r[i].queue, &it) < 0)
            return CLIPLINE_ERROR_ENCODE;
    }
    return 0;
}

/* Waits for every rendition; the first failure is the clip's. */
static int join_renditions(transcoder *t, int ret)
{
    if (ret < 0)
        for (int i = 0; i < t->nb_r; i++)
            cl_queue_abort(&t->r[i].queue);
    for (int i = 0; i < t->nb_r; i++) {
        int rret = cl_rendition_join(&t->r[i]);
        if (rret < 0 && (ret >= 0 || ret == CLIPLINE_ERROR_ENCODE) && t->r[i].detail[0]) {
            cl_fail(t->c, rret, "%s", t->r[i].detail);
            ret = rret;
        } else if (rret < 0 && ret >= 0) {
            ret = rret;
        }
    }
    return ret;
}

static void cleanup(transcoder *t)
{
    for (int i = 0; t->r && i < t->nb_r; i++)
        cl_rendition_close(&t->r[i]);
    free(t->r);
    for (int i = 0; i < t->nb_pending; i++)
        av_packet_free(&t->pending[i].pkt);
    free(t->pending);
    cl_poster_uninit(&t->poster);
    avfilter_graph_free(&t->pgraph);
    avfilter_graph_free(&t->agraph);
    for (int k = 0; k < t->nb_aout; k++) {
        avcodec_free_context(&t->aout[k].enc);
        av_audio_fifo_free(t->aout[k].fifo);
    }
    avcodec_free_context(&t->vdec);
    avcodec_free_context(&t->adec);
    avformat_close_input(&t->in);
    av_frame_free(&t->frame);
    av_frame_free(&t->pframe);
    av_frame_free(&t->aframe);
    av_packet_free(&t->pkt);
    av_packet_free(&t->apkt);
}

/* Pass 1 of the loudness normalisation: the gain for pass 2. */
static void plan_loudness(transcoder *t)
{
    cl_audio_target *a = &t->req->audio;
    cl_clip_report *rep = &t->req->report;
    if (!a->loudness || t->aidx < 0)
        return;
    int ret = cl_media_measure_loudness(t->c, t->req->source, t->req->in_us, t->req->out_us, rep);
    if (ret < 0 || rep->loudness_in_lufs < -60) {
        rep->loudness_measured = 0;
        cl_log(t->c, CLIPLINE_LOG_WARNING, "%s: loudness not normalised: %s%s", t->req->label,
               ret < 0 ? "the audio could not be measured: " : "the audio is nearly silent",
               ret < 0 ? clipline_strerror(ret) : "");
        return;
    }
    double gain = a->target_lufs - rep->loudness_in_lufs;
    if (rep->true_peak_in_db + gain > a->max_true_peak_db)
        gain = a->max_true_peak_db - rep->true_peak_in_db; /* linear: the peak limit wins */
    rep->gain_db = gain;
}

int cl_media_transcode(clipline_context *c, cl_clip_req *req)
{
    transcoder t = { .c = c, .req = req, .vidx = -1, .aidx = -1 };
    int ret = AVERROR(ENOMEM);
    memset(&req->report, 0, sizeof(req->report));
    t.nb_r = req->nb_renditions;
    t.r = calloc((size_t)(t.nb_r ? t.nb_r : 1), sizeof(*t.r));
    t.frame = av_frame_alloc();
    t.pframe = av_frame_alloc();
    t.aframe = av_frame_alloc();
    t.pkt = av_packet_alloc();
    t.apkt = av_packet_alloc();
    if (!t.r || !t.frame || !t.pframe || !t.aframe || !t.pkt || !t.apkt)
        goto end;
    for (int i = 0; i < t.nb_r; i++)
        t.r[i].req = &req->renditions[i];
    if ((ret = open_input(&t)) < 0)
        goto end;
    int64_t len_us = req->out_us == INT64_MAX ? (t.in->duration > 0 ? t.in->duration - req->in_us : 0)
                                              : req->out_us - req->in_us;
    cl_poster_init(&t.poster, (int64_t)(len_us / 1e6 * av_q2d(t.frame_rate)));
    t.expected_frames = (int64_t)llround(len_us / 1e6 * av_q2d(t.frame_rate));
    const cl_part_req *parts[2] = { &req->intro, &req->outro };
    for (int k = 0; k < 2; k++)
        if (parts[k]->path) {
            t.part_frames[k] = FFMAX(1, llround(parts[k]->len_us / 1e6 * av_q2d(t.frame_rate)));
            t.expected_frames += t.part_frames[k];
        }
    t.t_start = t.t_progress = cl_now_s();
    plan_loudness(&t);
    if (!t.audio_done && (ret = audio_graph(&t)) < 0) {
        ret = tc_fail(&t, CLIPLINE_ERROR_ENCODE, ret, "cannot set up the audio filters");
        goto end;
    }
    if (!t.audio_done && (ret = audio_encoders(&t)) < 0)
        goto end;
    req->report.has_audio = !t.audio_done || t.silent;
    t.hold_audio = t.part_frames[0] > 0;
    t.flush_later = t.part_frames[1] > 0 && t.nb_aout && !t.silent;
    ret = run_loop(&t);
    ret = join_renditions(&t, ret);
    if (ret >= 0)
        report_progress(&t, 1);
    if (ret >= 0 && t.damaged) { /* published, and said so */
        char first[48] = "";
        if (t.damage_first_s >= 0)
            snprintf(first, sizeof(first), " (the first near %.3f s)", t.damage_first_s);
        const char *what = t.damaged == 1 ? "packet or frame" : "packets or frames";
        note_fix(&t, "damaged recording: %d %s could not be decoded%s; concealed", t.damaged, what, first);
        cl_log(c, CLIPLINE_LOG_WARNING, "%s: %s is damaged: %d %s could not be decoded%s; the clip conceals the "
               "damage (check it there) and its manifest says so", req->label, req->source, t.damaged, what,
               first);
    }
    if (ret >= 0 && req->poster_path) {
        req->report.poster_time_s = (t.poster.best_index + t.lead_frames) / av_q2d(t.frame_rate);
        ret = cl_poster_write(c, &t.poster, req->poster_path, &t.props, req->poster_max_width,
                              req->poster_max_height);
        if (ret < 0) { /* the clip's name before the poster's error */
            char detail[CL_DETAIL_MAX];
            snprintf(detail, sizeof(detail), "%s", clipline_error_detail(c));
            ret = cl_fail(c, ret, "%s: %s", req->label, detail);
        }
    }
    for (int i = 0; ret >= 0 && i < t.nb_r; i++)
        cl_log(c, CLIPLINE_LOG_VERBOSE, "%s: %" PRId64 " frames encoded at %dx%d", req->label,
               t.r[i].frames, req->renditions[i].out_width, req->renditions[i].out_height);
end:
    cleanup(&t);
    return ret;
}
