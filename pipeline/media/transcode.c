/*
 * transcode.c: one clip, decoded once, fanned out into its renditions.
 *
 *   demux ─► decode video ─► trim (frame-accurate, on decoded frames)
 *                                 ├─► graph: scale, square pixels, 4:2:0 ─► x264 ─► mux 1
 *                                 └─► graph: ...                          ─► x264 ─► mux N
 *   demux ─► decode audio ─► graph: atrim, 48 kHz stereo ─► AAC (once) ─► every mux
 *
 * The source is seeked to the keyframe before `in`, decoded, and frames
 * before `in` are dropped; timestamps of the outputs start at zero.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "media.h"

typedef struct rendition {
    cl_rendition_req *req;
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    AVCodecContext *venc;
    AVFormatContext *mux;
    AVStream *vst, *ast;
    int64_t frames;
} rendition;

typedef struct transcoder {
    clipline_context *c;
    cl_clip_req *req;
    AVFormatContext *in;
    int vidx, aidx;
    AVCodecContext *vdec, *adec;
    int64_t v_in_pts, v_out_pts; /* in the video stream's time base */
    int64_t v_last_rel;          /* last frame given to the graphs, relative to in */
    int64_t a_in_pts, a_out_pts; /* in the audio stream's time base */
    AVRational frame_rate;
    int video_done, audio_done;
    AVFilterGraph *agraph;
    AVFilterContext *asrc, *asink;
    AVCodecContext *aenc;
    rendition *r;
    int nb_r;
    AVFrame *frame, *filt;
    AVPacket *pkt, *opkt;
} transcoder;

static int tc_fail(transcoder *t, int err, int averr, const char *what)
{
    char e[128];
    return cl_fail(t->c, err, "%s: %s: %s", t->req->label, what, cl_averr(averr, e));
}

static int open_decoder(transcoder *t, int idx, AVCodecContext **out)
{
    AVStream *st = t->in->streams[idx];
    const AVCodec *dec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!dec)
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: no decoder for %s stream #%d (%s)",
                       t->req->label, av_get_media_type_string(st->codecpar->codec_type), idx,
                       avcodec_get_name(st->codecpar->codec_id));
    AVCodecContext *d = avcodec_alloc_context3(dec);
    if (!d)
        return AVERROR(ENOMEM);
    int ret = avcodec_parameters_to_context(d, st->codecpar);
    if (ret >= 0) {
        d->pkt_timebase = st->time_base;
        d->thread_count = t->c->s.threads > 0 ? t->c->s.threads : 0;
        d->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        ret = avcodec_open2(d, dec, NULL);
    }
    if (ret < 0) {
        avcodec_free_context(&d);
        return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "cannot open the decoder");
    }
    *out = d;
    return 0;
}

static int open_input(transcoder *t)
{
    char e[128];
    int ret = avformat_open_input(&t->in, t->req->source, NULL, NULL);
    if (ret < 0)
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: cannot open %s: %s", t->req->label,
                       t->req->source, cl_averr(ret, e));
    if ((ret = avformat_find_stream_info(t->in, NULL)) < 0)
        return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "cannot read the streams");
    t->vidx = av_find_best_stream(t->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    t->aidx = av_find_best_stream(t->in, AVMEDIA_TYPE_AUDIO, -1, t->vidx, NULL, 0);
    if (t->vidx < 0)
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: %s has no video stream", t->req->label,
                       t->req->source);
    AVStream *vs = t->in->streams[t->vidx];
    if (vs->disposition & AV_DISPOSITION_ATTACHED_PIC)
        return cl_fail(t->c, CLIPLINE_ERROR_INPUT, "%s: %s holds only a still picture",
                       t->req->label, t->req->source);
    if ((ret = open_decoder(t, t->vidx, &t->vdec)) < 0)
        return ret;
    if (t->aidx >= 0 && (ret = open_decoder(t, t->aidx, &t->adec)) < 0)
        return ret;
    for (unsigned i = 0; i < t->in->nb_streams; i++)
        if ((int)i != t->vidx && (int)i != t->aidx)
            t->in->streams[i]->discard = AVDISCARD_ALL;

    AVRational fr = vs->avg_frame_rate.num && vs->avg_frame_rate.den ? vs->avg_frame_rate
                                                                     : vs->r_frame_rate;
    if (!fr.num || !fr.den || av_q2d(fr) > 120 || av_q2d(fr) < 1)
        fr = (AVRational){ 25, 1 };
    t->frame_rate = fr;

    /* the clip on the source's own timelines */
    int64_t start = t->in->start_time != AV_NOPTS_VALUE ? t->in->start_time : 0;
    int64_t in_abs = start + t->req->in_us;
    int64_t out_abs = t->req->out_us == INT64_MAX ? INT64_MAX : start + t->req->out_us;
    t->v_in_pts = av_rescale_q(in_abs, AV_TIME_BASE_Q, vs->time_base);
    t->v_out_pts = out_abs == INT64_MAX ? INT64_MAX : av_rescale_q(out_abs, AV_TIME_BASE_Q, vs->time_base);
    if (t->aidx >= 0) {
        AVStream *as = t->in->streams[t->aidx];
        t->a_in_pts = av_rescale_q(in_abs, AV_TIME_BASE_Q, as->time_base);
        t->a_out_pts = out_abs == INT64_MAX ? INT64_MAX : av_rescale_q(out_abs, AV_TIME_BASE_Q, as->time_base);
    } else {
        t->audio_done = 1;
    }
    if (t->req->in_us > 0) {
        /* to the keyframe at or before `in`; frames before it are dropped later */
        ret = avformat_seek_file(t->in, -1, INT64_MIN, in_abs, in_abs, 0);
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "cannot seek to the clip's in point");
    }
    return 0;
}

/* Output size: display aspect kept, square pixels, never upscaled, even. */
static void fit_size(const AVCodecContext *d, const cl_video_target *v, int *w, int *h)
{
    AVRational sar = d->sample_aspect_ratio.num > 0 ? d->sample_aspect_ratio : (AVRational){ 1, 1 };
    double dw = d->width * av_q2d(sar), dh = d->height;
    double f = 1.0;
    if (dw > v->max_width)
        f = v->max_width / dw;
    if (dh * f > v->max_height)
        f = v->max_height / dh;
    /* nearest even size, but never past the exact scaled size (no upscaling) */
    *w = 2 * (int)lround(dw * f / 2);
    *h = 2 * (int)lround(dh * f / 2);
    if (*w > dw * f + 1e-6)
        *w -= 2;
    if (*h > dh * f + 1e-6)
        *h -= 2;
    if (*w < 2)
        *w = 2;
    if (*h < 2)
        *h = 2;
}

static int build_graph(transcoder *t, AVFilterGraph **g, AVFilterContext **src, AVFilterContext **sink,
                       const char *src_name, const char *src_args, const char *chain,
                       const char *sink_name)
{
    *g = avfilter_graph_alloc();
    if (!*g)
        return AVERROR(ENOMEM);
    (*g)->nb_threads = 1;
    AVFilterInOut *outs = avfilter_inout_alloc(), *ins = avfilter_inout_alloc();
    int ret = AVERROR(ENOMEM);
    if (!outs || !ins)
        goto end;
    ret = avfilter_graph_create_filter(src, avfilter_get_by_name(src_name), "in", src_args, NULL, *g);
    if (ret < 0)
        goto end;
    ret = avfilter_graph_create_filter(sink, avfilter_get_by_name(sink_name), "out", NULL, NULL, *g);
    if (ret < 0)
        goto end;
    outs->name = av_strdup("in");
    outs->filter_ctx = *src;
    ins->name = av_strdup("out");
    ins->filter_ctx = *sink;
    if ((ret = avfilter_graph_parse_ptr(*g, chain, &ins, &outs, NULL)) < 0)
        goto end;
    ret = avfilter_graph_config(*g, NULL);
end:
    avfilter_inout_free(&ins);
    avfilter_inout_free(&outs);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot set up the filter graph");
    return 0;
}

static int video_graph(transcoder *t, rendition *r)
{
    const AVCodecContext *d = t->vdec;
    AVStream *vs = t->in->streams[t->vidx];
    AVRational sar = d->sample_aspect_ratio.num > 0 ? d->sample_aspect_ratio : (AVRational){ 1, 1 };
    char args[512], chain[512];
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d:frame_rate=%d/%d",
             d->width, d->height, d->pix_fmt, vs->time_base.num, vs->time_base.den, sar.num,
             sar.den, t->frame_rate.num, t->frame_rate.den);
    int w, h;
    fit_size(d, &r->req->video, &w, &h);
    snprintf(chain, sizeof(chain),
             "fps=%d/%d,scale=%d:%d:flags=bicubic,setsar=1,format=%s", t->frame_rate.num,
             t->frame_rate.den, w, h, r->req->video.pix_fmt);
    int ret = build_graph(t, &r->graph, &r->src, &r->sink, "buffer", args, chain, "buffersink");
    r->req->out_width = w;
    r->req->out_height = h;
    return ret;
}

static int audio_graph(transcoder *t, const cl_audio_target *a)
{
    const AVCodecContext *d = t->adec;
    AVStream *as = t->in->streams[t->aidx];
    char layout[128], args[512], chain[512];
    if (d->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        snprintf(layout, sizeof(layout), "%dc", d->ch_layout.nb_channels);
    else
        av_channel_layout_describe(&d->ch_layout, layout, sizeof(layout));
    snprintf(args, sizeof(args), "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
             as->time_base.num, as->time_base.den, d->sample_rate,
             av_get_sample_fmt_name(d->sample_fmt), layout);
    char end[64] = "";
    if (t->a_out_pts != INT64_MAX)
        snprintf(end, sizeof(end), ":end_pts=%" PRId64, t->a_out_pts);
    snprintf(chain, sizeof(chain),
             "atrim=start_pts=%" PRId64 "%s,asetpts=PTS-%" PRId64 ",aresample=%d:first_pts=0,"
             "aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=%s",
             t->a_in_pts, end, t->a_in_pts, a->sample_rate, a->sample_rate,
             a->channels == 1 ? "mono" : "stereo");
    int ret = build_graph(t, &t->agraph, &t->asrc, &t->asink, "abuffer", args, chain, "abuffersink");
    return ret;
}

/* Opens an encoder with options; options left unused are an error. */
static int open_encoder(transcoder *t, AVCodecContext *enc, const AVCodec *codec, AVDictionary **opts)
{
    int ret = avcodec_open2(enc, codec, opts);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot open the encoder");
    const AVDictionaryEntry *e = av_dict_get(*opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (e)
        return cl_fail(t->c, CLIPLINE_ERROR_CONFIG, "%s: encoder %s did not accept option %s=%s",
                       t->req->label, codec->name, e->key, e->value);
    return 0;
}

static int video_encoder(transcoder *t, rendition *r)
{
    const cl_video_target *v = &r->req->video;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return cl_fail(t->c, CLIPLINE_ERROR_ENCODE, "this FFmpeg has no libx264 encoder");
    AVCodecContext *e = r->venc = avcodec_alloc_context3(codec);
    if (!e)
        return AVERROR(ENOMEM);
    e->width = av_buffersink_get_w(r->sink);
    e->height = av_buffersink_get_h(r->sink);
    e->pix_fmt = av_buffersink_get_format(r->sink);
    e->time_base = av_buffersink_get_time_base(r->sink);
    e->framerate = t->frame_rate;
    e->sample_aspect_ratio = (AVRational){ 1, 1 };
    e->gop_size = (int)lround(v->keyint_s * av_q2d(t->frame_rate));
    e->keyint_min = e->gop_size < 25 ? e->gop_size : 25;
    e->color_primaries = AVCOL_PRI_BT709;
    e->color_trc = AVCOL_TRC_BT709;
    e->colorspace = AVCOL_SPC_BT709;
    e->color_range = AVCOL_RANGE_MPEG;
    e->rc_max_rate = (int64_t)v->maxrate_kbps * 1000;
    e->rc_buffer_size = v->bufsize_kbps * 1000;
    e->thread_count = t->c->s.threads > 0 ? t->c->s.threads : 0;
    if (r->mux->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *o = NULL;
    char crf[16];
    snprintf(crf, sizeof(crf), "%d", v->crf);
    av_dict_set(&o, "preset", v->x264_preset, 0);
    av_dict_set(&o, "crf", crf, 0);
    av_dict_set(&o, "profile", v->profile, 0);
    av_dict_set(&o, "level", v->level, 0);
    if (v->tune[0])
        av_dict_set(&o, "tune", v->tune, 0);
    if (v->x264_params[0])
        av_dict_set(&o, "x264-params", v->x264_params, 0);
    int ret = open_encoder(t, e, codec, &o);
    av_dict_free(&o);
    return ret;
}

static int audio_encoder(transcoder *t, const cl_audio_target *a, int global_header)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("aac");
    if (!codec)
        return cl_fail(t->c, CLIPLINE_ERROR_ENCODE, "this FFmpeg has no AAC encoder");
    AVCodecContext *e = t->aenc = avcodec_alloc_context3(codec);
    if (!e)
        return AVERROR(ENOMEM);
    e->sample_rate = a->sample_rate;
    e->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&e->ch_layout, a->channels);
    e->bit_rate = (int64_t)a->bitrate_kbps * 1000;
    e->time_base = (AVRational){ 1, a->sample_rate };
    e->profile = FF_PROFILE_AAC_LOW;
    if (global_header)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *o = NULL;
    int ret = open_encoder(t, e, codec, &o);
    av_dict_free(&o);
    if (ret >= 0)
        av_buffersink_set_frame_size(t->asink, (unsigned)e->frame_size);
    return ret;
}

static int open_output(transcoder *t, rendition *r)
{
    int ret = avformat_alloc_output_context2(&r->mux, NULL, "mp4", r->req->out_path);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot create the MP4 muxer");
    return 0;
}

static int add_stream(transcoder *t, rendition *r, AVCodecContext *enc, AVStream **out)
{
    AVStream *st = avformat_new_stream(r->mux, NULL);
    if (!st)
        return AVERROR(ENOMEM);
    int ret = avcodec_parameters_from_context(st->codecpar, enc);
    if (ret < 0)
        return ret;
    st->time_base = enc->time_base;
    if (enc->codec_type == AVMEDIA_TYPE_VIDEO)
        st->sample_aspect_ratio = enc->sample_aspect_ratio;
    AVDictionaryEntry *lang = t->aidx >= 0 ? av_dict_get(t->in->streams[t->aidx]->metadata, "language", NULL, 0) : NULL;
    if (enc->codec_type == AVMEDIA_TYPE_AUDIO && lang)
        av_dict_set(&st->metadata, "language", lang->value, 0);
    *out = st;
    return 0;
}

static int write_header(transcoder *t, rendition *r)
{
    int ret = avio_open(&r->mux->pb, r->req->out_path, AVIO_FLAG_WRITE);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_STORAGE, ret, "cannot create the output file");
    AVDictionary *o = NULL;
    if (r->req->faststart)
        av_dict_set(&o, "movflags", "+faststart", 0);
    ret = avformat_write_header(r->mux, &o);
    av_dict_free(&o);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot write the MP4 header");
    return 0;
}

static int setup(transcoder *t)
{
    int ret;
    for (int i = 0; i < t->nb_r; i++) {
        rendition *r = &t->r[i];
        if ((ret = open_output(t, r)) < 0 || (ret = video_graph(t, r)) < 0 ||
            (ret = video_encoder(t, r)) < 0 || (ret = add_stream(t, r, r->venc, &r->vst)) < 0)
            return ret;
    }
    if (t->aidx >= 0) {
        /* one audio encoder shared by every output: the presets of one run
         * share their audio settings (checked by the caller) */
        const cl_audio_target *a = &t->req->renditions[0].audio;
        if ((ret = audio_graph(t, a)) < 0 ||
            (ret = audio_encoder(t, a, !!(t->r[0].mux->oformat->flags & AVFMT_GLOBALHEADER))) < 0)
            return ret;
        for (int i = 0; i < t->nb_r; i++)
            if ((ret = add_stream(t, &t->r[i], t->aenc, &t->r[i].ast)) < 0)
                return ret;
    }
    for (int i = 0; i < t->nb_r; i++)
        if ((ret = write_header(t, &t->r[i])) < 0)
            return ret;
    return 0;
}

static int write_packet(transcoder *t, rendition *r, AVPacket *pkt, AVCodecContext *enc, AVStream *st)
{
    av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
    pkt->stream_index = st->index;
    int ret = av_interleaved_write_frame(r->mux, pkt);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_STORAGE, ret, "cannot write to the output");
    return 0;
}

/* Sends a frame (NULL: flush) to an encoder and writes what comes out to
 * `r`, or to every rendition for the shared audio encoder (r == NULL). */
static int encode(transcoder *t, AVCodecContext *enc, AVFrame *f, rendition *r)
{
    int ret = avcodec_send_frame(enc, f);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "the encoder refused a frame");
    for (;;) {
        ret = avcodec_receive_packet(enc, t->opkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "encoding failed");
        if (r) {
            if (!t->opkt->duration) /* constant frame rate: one frame */
                t->opkt->duration = av_rescale_q(1, av_inv_q(t->frame_rate), enc->time_base);
            ret = write_packet(t, r, t->opkt, enc, r->vst);
        } else {
            for (int i = 0; ret >= 0 && i < t->nb_r; i++) {
                AVPacket *copy = av_packet_clone(t->opkt);
                if (!copy)
                    return AVERROR(ENOMEM);
                ret = write_packet(t, &t->r[i], copy, enc, t->r[i].ast);
                av_packet_free(&copy);
            }
        }
        av_packet_unref(t->opkt);
        if (ret < 0)
            return ret;
    }
}

static int drain_sink(transcoder *t, AVFilterContext *sink, AVCodecContext *enc, rendition *r)
{
    for (;;) {
        int ret = av_buffersink_get_frame(sink, t->filt);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret == AVERROR_EOF)
            return encode(t, enc, NULL, r);
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "filtering failed");
        t->filt->pict_type = AV_PICTURE_TYPE_NONE;
        if (r)
            r->frames++;
        ret = encode(t, enc, t->filt, r);
        av_frame_unref(t->filt);
        if (ret < 0)
            return ret;
    }
}

/* One decoded video frame: trimmed here, then given to every rendition.
 * NULL (or a frame at or past `out`) ends the clip: the graphs are closed
 * at the clip's end time so the frame-rate filter keeps the last frame. */
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
    if (!f)
        t->video_done = 1;
    for (int i = 0; i < t->nb_r; i++) {
        rendition *r = &t->r[i];
        int ret = f ? av_buffersrc_add_frame_flags(r->src, f, AV_BUFFERSRC_FLAG_KEEP_REF)
                    : av_buffersrc_close(r->src, end, AV_BUFFERSRC_FLAG_PUSH);
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot filter a frame");
        if ((ret = drain_sink(t, r->sink, r->venc, r)) < 0)
            return ret;
    }
    return 0;
}

static int audio_frame(transcoder *t, AVFrame *f)
{
    if (f && f->pts != AV_NOPTS_VALUE && f->pts >= t->a_out_pts) {
        t->audio_done = 1;
        f = NULL;
    }
    int ret = av_buffersrc_add_frame_flags(t->asrc, f, 0);
    if (ret < 0)
        return tc_fail(t, CLIPLINE_ERROR_ENCODE, ret, "cannot filter audio");
    return drain_sink(t, t->asink, t->aenc, NULL);
}

/* Sends a packet (NULL: flush) to a decoder and passes its frames on. */
static int decode(transcoder *t, AVCodecContext *dec, AVPacket *pkt, int is_video)
{
    int ret = avcodec_send_packet(dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF) {
        cl_log(t->c, CLIPLINE_LOG_WARNING, "%s: a damaged packet was skipped (%s)", t->req->label,
               clipline_strerror(ret));
        return 0;
    }
    for (;;) {
        ret = avcodec_receive_frame(dec, t->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "decoding failed");
        if (is_video && !t->video_done)
            ret = video_frame(t, t->frame);
        else if (!is_video && !t->audio_done)
            ret = audio_frame(t, t->frame);
        av_frame_unref(t->frame);
        if (ret < 0)
            return ret;
    }
}

static int run_loop(transcoder *t)
{
    int ret = 0;
    while (!t->video_done || !t->audio_done) {
        if (t->c->interrupted)
            return cl_fail(t->c, CLIPLINE_ERROR_INTERRUPTED, "%s: interrupted", t->req->label);
        ret = av_read_frame(t->in, t->pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_INPUT, ret, "cannot read the source");
        if (t->pkt->stream_index == t->vidx && !t->video_done)
            ret = decode(t, t->vdec, t->pkt, 1);
        else if (t->pkt->stream_index == t->aidx && !t->audio_done)
            ret = decode(t, t->adec, t->pkt, 0);
        av_packet_unref(t->pkt);
        if (ret < 0)
            return ret;
    }
    /* end of the source or of the clip: flush decoders, graphs, encoders */
    if (!t->video_done && (ret = decode(t, t->vdec, NULL, 1)) < 0)
        return ret;
    if (!t->video_done && (ret = video_frame(t, NULL)) < 0)
        return ret;
    if (t->aidx >= 0) {
        if (!t->audio_done && (ret = decode(t, t->adec, NULL, 0)) < 0)
            return ret;
        if (!t->audio_done && (ret = audio_frame(t, NULL)) < 0)
            return ret;
    }
    return 0;
}

static int finish(transcoder *t)
{
    for (int i = 0; i < t->nb_r; i++) {
        rendition *r = &t->r[i];
        if (r->frames == 0)
            return cl_fail(t->c, CLIPLINE_ERROR_INPUT,
                           "%s: no video frame lies inside the clip (in %.3f s, source %s)",
                           t->req->label, t->req->in_us / 1e6, t->req->source);
        int ret = av_write_trailer(r->mux);
        if (ret < 0)
            return tc_fail(t, CLIPLINE_ERROR_STORAGE, ret, "cannot finish the MP4");
        r->req->out_duration_s = r->frames / av_q2d(t->frame_rate);
        cl_log(t->c, CLIPLINE_LOG_VERBOSE, "%s: %" PRId64 " frames encoded into %s", t->req->label,
               r->frames, r->req->out_path);
        if ((ret = avio_closep(&r->mux->pb)) < 0)
            return tc_fail(t, CLIPLINE_ERROR_STORAGE, ret, "cannot close the output");
    }
    return 0;
}

static void cleanup(transcoder *t)
{
    for (int i = 0; t->r && i < t->nb_r; i++) {
        rendition *r = &t->r[i];
        avfilter_graph_free(&r->graph);
        avcodec_free_context(&r->venc);
        if (r->mux) {
            avio_closep(&r->mux->pb);
            avformat_free_context(r->mux);
        }
    }
    free(t->r);
    avfilter_graph_free(&t->agraph);
    avcodec_free_context(&t->aenc);
    avcodec_free_context(&t->vdec);
    avcodec_free_context(&t->adec);
    avformat_close_input(&t->in);
    av_frame_free(&t->frame);
    av_frame_free(&t->filt);
    av_packet_free(&t->pkt);
    av_packet_free(&t->opkt);
}

int cl_media_transcode(clipline_context *c, cl_clip_req *req)
{
    transcoder t = { .c = c, .req = req, .vidx = -1, .aidx = -1 };
    int ret = AVERROR(ENOMEM);
    t.nb_r = req->nb_renditions;
    t.r = calloc((size_t)t.nb_r, sizeof(*t.r));
    t.frame = av_frame_alloc();
    t.filt = av_frame_alloc();
    t.pkt = av_packet_alloc();
    t.opkt = av_packet_alloc();
    if (!t.r || !t.frame || !t.filt || !t.pkt || !t.opkt)
        goto end;
    for (int i = 0; i < t.nb_r; i++)
        t.r[i].req = &req->renditions[i];
    if ((ret = open_input(&t)) < 0 || (ret = setup(&t)) < 0 || (ret = run_loop(&t)) < 0)
        goto end;
    ret = finish(&t);
end:
    cleanup(&t);
    return ret;
}
