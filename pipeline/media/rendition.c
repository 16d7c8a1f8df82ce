/*
 * rendition.c: one rung of the ladder on its own thread: the frames the
 * decode thread queued are scaled, encoded with x264 and muxed, with the
 * shared audio packets, into an MP4 file and/or an HLS (fMP4) rendition.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/opt.h>

#include "clsub.h"
#include "media_internal.h"

static int r_fail(cl_rendition *r, int err, int averr, const char *what)
{
    char e[128];
    if (!r->err) {
        r->err = err;
        snprintf(r->detail, sizeof(r->detail), "%s: %s: %s", r->label, what, cl_averr(averr, e));
    }
    return err;
}

static int open_graph(cl_rendition *r)
{
    char args[512], chain[512];
    const cl_picture_props *p = &r->in;
    snprintf(args, sizeof(args),
             "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d:frame_rate=%d/%d",
             p->width, p->height, p->pix_fmt, p->time_base.num, p->time_base.den, p->sar.num,
             p->sar.den, p->frame_rate.num, p->frame_rate.den);
    int w, h;
    cl_fit_size(p->width, p->height, p->sar, r->req->video.max_width, r->req->video.max_height, &w, &h);
    /* BT.709 limited range for every output, converted from what the source
     * is (an untagged HD source is BT.709 already: no conversion) */
    snprintf(chain, sizeof(chain),
             "scale=%d:%d:flags=bicubic:in_color_matrix=%s:out_color_matrix=bt709:in_range=%s:"
             "out_range=tv,setsar=1,format=%s",
             w, h, p->matrix, p->range, r->req->video.pix_fmt);
    int ret = cl_build_graph(&r->graph, &r->src, &r->sink, "buffer", args, chain, "buffersink");
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot set up the scaler");
    r->req->out_width = w;
    r->req->out_height = h;
    return 0;
}

static void libass_log(void *opaque, int level, const char *msg)
{
    const cl_rendition *r = opaque;
    int lvl = level <= CLSUB_LOG_ERROR     ? CLIPLINE_LOG_WARNING
              : level <= CLSUB_LOG_WARNING ? CLIPLINE_LOG_VERBOSE
                                           : CLIPLINE_LOG_DEBUG;
    cl_log_from(r->c, lvl, "libass", msg);
}

/* Burn-in: libass renders at the output size, after the scaler. */
static int open_burn(cl_rendition *r)
{
    clsub_render_settings s;
    clsub_render_default_settings(&s);
    s.width = r->req->out_width;
    s.height = r->req->out_height;
    s.lang = r->req->burn_lang;
    s.log = libass_log;
    s.log_opaque = r;
    s.max_log_level = CLSUB_LOG_INFO;
    int ret = clsub_render_open(&r->burn, r->req->burn, &s);
    if (ret < 0) {
        snprintf(r->detail, sizeof(r->detail), "%s: cannot burn in %s: %s", r->label,
                 r->req->burn_lang, clsub_strerror(ret));
        return r->err = CLIPLINE_ERROR_SUBTITLE;
    }
    return 0;
}

/* Draws the subtitles of the frame's time onto it. */
static int burn(cl_rendition *r, AVFrame *f)
{
    clsub_render_info info;
    int64_t t_ms = av_rescale_q(f->pts, av_buffersink_get_time_base(r->sink), (AVRational){ 1, 1000 });
    if (clsub_render_peek(r->burn, t_ms, &info) < 0 || !info.n_images)
        return 0;
    int ret = av_frame_make_writable(f);
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot burn in subtitles");
    clsub_frame cf = { { f->data[0], f->data[1], f->data[2] },
                       { f->linesize[0], f->linesize[1], f->linesize[2] }, f->width, f->height };
    if (clsub_render_frame(r->burn, t_ms, &cf, NULL) < 0)
        return r_fail(r, CLIPLINE_ERROR_SUBTITLE, AVERROR(EINVAL), "cannot burn in subtitles");
    return 0;
}

static int open_encoder(cl_rendition *r)
{
    const cl_video_target *v = &r->req->video;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, AVERROR_ENCODER_NOT_FOUND, "no libx264 encoder");
    AVCodecContext *e = r->venc = avcodec_alloc_context3(codec);
    if (!e)
        return AVERROR(ENOMEM);
    e->width = av_buffersink_get_w(r->sink);
    e->height = av_buffersink_get_h(r->sink);
    e->pix_fmt = av_buffersink_get_format(r->sink);
    e->time_base = av_buffersink_get_time_base(r->sink);
    e->framerate = r->in.frame_rate;
    e->sample_aspect_ratio = (AVRational){ 1, 1 };
    /* fixed GOPs, no scene-cut keyframes: segments of every rung align */
    e->gop_size = (int)lround(v->keyint_s * av_q2d(r->in.frame_rate));
    if (e->gop_size < 1)
        e->gop_size = 1;
    e->keyint_min = e->gop_size;
    e->color_primaries = AVCOL_PRI_BT709;
    e->color_trc = AVCOL_TRC_BT709;
    e->colorspace = AVCOL_SPC_BT709;
    e->color_range = AVCOL_RANGE_MPEG;
    e->rc_max_rate = (int64_t)v->maxrate_kbps * 1000;
    e->rc_buffer_size = v->bufsize_kbps * 1000;
    e->thread_count = r->threads;
    if (r->sliced)
        e->thread_type = FF_THREAD_SLICE;
    e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *o = NULL;
    char crf[16], params[320];
    snprintf(crf, sizeof(crf), "%d", v->crf);
    snprintf(params, sizeof(params), "scenecut=0:open-gop=0%s%s", v->x264_params[0] ? ":" : "",
             v->x264_params);
    av_dict_set(&o, "preset", v->x264_preset, 0);
    av_dict_set(&o, "crf", crf, 0);
    av_dict_set(&o, "profile", v->profile, 0);
    av_dict_set(&o, "level", v->level, 0);
    av_dict_set(&o, "x264-params", params, 0);
    if (v->tune[0])
        av_dict_set(&o, "tune", v->tune, 0);
    int ret = avcodec_open2(e, codec, &o);
    const AVDictionaryEntry *left = av_dict_get(o, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (ret >= 0 && left) {
        snprintf(r->detail, sizeof(r->detail), "%s: x264 did not accept option %s=%s", r->label,
                 left->key, left->value);
        r->err = ret = CLIPLINE_ERROR_CONFIG;
    }
    av_dict_free(&o);
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot open x264");
    /* RFC 6381 codecs string for HLS: avc1.PPCCLL (from the SPS) + AAC-LC */
    const uint8_t *x = e->extradata, *sps = NULL;
    if (e->extradata_size >= 8 && x[0] == 1) /* avcC */
        sps = x + 1;
    for (int i = 0; !sps && i + 6 < e->extradata_size; i++) /* Annex B: 00 00 01 67 */
        if (!x[i] && !x[i + 1] && x[i + 2] == 1 && (x[i + 3] & 0x1f) == 7)
            sps = x + i + 4;
    if (sps)
        snprintf(r->req->codecs, sizeof(r->req->codecs), "avc1.%02x%02x%02x%s", sps[0], sps[1],
                 sps[2], r->aenc_params ? ",mp4a.40.2" : "");
    return 0;
}

static int add_streams(cl_rendition *r, AVFormatContext *f, AVStream **vs, AVStream **as)
{
    *vs = avformat_new_stream(f, NULL);
    if (!*vs || avcodec_parameters_from_context((*vs)->codecpar, r->venc) < 0)
        return AVERROR(ENOMEM);
    (*vs)->time_base = r->venc->time_base;
    (*vs)->sample_aspect_ratio = r->venc->sample_aspect_ratio;
    if (!r->aenc_params)
        return 0;
    *as = avformat_new_stream(f, NULL);
    if (!*as || avcodec_parameters_from_context((*as)->codecpar, r->aenc_params) < 0)
        return AVERROR(ENOMEM);
    (*as)->time_base = r->aenc_params->time_base;
    return 0;
}

static int open_mp4(cl_rendition *r)
{
    int ret = avformat_alloc_output_context2(&r->mp4, NULL, "mp4", r->req->out_path);
    if (ret < 0 || (ret = add_streams(r, r->mp4, &r->mp4_v, &r->mp4_a)) < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot create the MP4 muxer");
    if ((ret = avio_open(&r->mp4->pb, r->req->out_path, AVIO_FLAG_WRITE)) < 0)
        return r_fail(r, CLIPLINE_ERROR_STORAGE, ret, "cannot create the MP4 file");
    AVDictionary *o = NULL;
    if (r->req->faststart)
        av_dict_set(&o, "movflags", "+faststart", 0);
    ret = avformat_write_header(r->mp4, &o);
    av_dict_free(&o);
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot write the MP4 header");
    return 0;
}

static int open_hls(cl_rendition *r)
{
    char playlist[4200], segs[4200], hls_time[32];
    snprintf(playlist, sizeof(playlist), "%s/index.m3u8", r->req->hls_dir);
    snprintf(segs, sizeof(segs), "%s/seg-%%05d.m4s", r->req->hls_dir);
    snprintf(hls_time, sizeof(hls_time), "%g", r->req->hls_segment_s);
    int ret = avformat_alloc_output_context2(&r->hls, NULL, "hls", playlist);
    if (ret < 0 || (ret = add_streams(r, r->hls, &r->hls_v, &r->hls_a)) < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot create the HLS muxer");
    AVDictionary *o = NULL;
    av_dict_set(&o, "hls_time", hls_time, 0);
    av_dict_set(&o, "hls_playlist_type", "vod", 0);
    av_dict_set(&o, "hls_segment_type", "fmp4", 0);
    av_dict_set(&o, "hls_fmp4_init_filename", "init.mp4", 0);
    av_dict_set(&o, "hls_segment_filename", segs, 0);
    av_dict_set(&o, "hls_flags", "independent_segments", 0);
    ret = avformat_write_header(r->hls, &o);
    const AVDictionaryEntry *left = av_dict_get(o, "", NULL, AV_DICT_IGNORE_SUFFIX);
    av_dict_free(&o);
    if (ret >= 0 && left)
        ret = AVERROR_OPTION_NOT_FOUND;
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot start the HLS rendition");
    return 0;
}

int cl_rendition_open(cl_rendition *r)
{
    int ret;
    r->filt = av_frame_alloc();
    r->pkt = av_packet_alloc();
    if (!r->filt || !r->pkt)
        return AVERROR(ENOMEM);
    if ((ret = cl_queue_init(&r->queue, 4)) < 0 || (ret = open_graph(r)) < 0 ||
        (ret = open_encoder(r)) < 0)
        return ret;
    if (r->req->burn && (ret = open_burn(r)) < 0)
        return ret;
    if (r->req->out_path && (ret = open_mp4(r)) < 0)
        return ret;
    if (r->req->hls_dir && (ret = open_hls(r)) < 0)
        return ret;
    return 0;
}

/* Writes a packet to the MP4 and the HLS muxers (whichever exist). */
static int write_both(cl_rendition *r, AVPacket *pkt, AVRational tb, int video)
{
    AVFormatContext *fs[2] = { r->mp4, r->hls };
    AVStream *ss[2] = { video ? r->mp4_v : r->mp4_a, video ? r->hls_v : r->hls_a };
    for (int i = 0; i < 2; i++) {
        if (!fs[i])
            continue;
        AVPacket *p = (i == 0 && r->hls) ? av_packet_clone(pkt) : pkt;
        if (!p)
            return AVERROR(ENOMEM);
        av_packet_rescale_ts(p, tb, ss[i]->time_base);
        p->stream_index = ss[i]->index;
        int ret = av_interleaved_write_frame(fs[i], p);
        if (p != pkt)
            av_packet_free(&p);
        if (ret < 0)
            return r_fail(r, CLIPLINE_ERROR_STORAGE, ret, "cannot write the output");
    }
    av_packet_unref(pkt);
    return 0;
}

static int encode(cl_rendition *r, AVFrame *f)
{
    int ret = avcodec_send_frame(r->venc, f);
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "x264 refused a frame");
    for (;;) {
        ret = avcodec_receive_packet(r->venc, r->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "encoding failed");
        if (!r->pkt->duration) /* constant frame rate: one frame */
            r->pkt->duration = av_rescale_q(1, av_inv_q(r->in.frame_rate), r->venc->time_base);
        if ((ret = write_both(r, r->pkt, r->venc->time_base, 1)) < 0)
            return ret;
    }
}

static int drain(cl_rendition *r)
{
    for (;;) {
        int ret = av_buffersink_get_frame(r->sink, r->filt);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret == AVERROR_EOF)
            return encode(r, NULL);
        if (ret < 0)
            return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "scaling failed");
        r->filt->pict_type = AV_PICTURE_TYPE_NONE;
        r->frames++;
        ret = r->burn ? burn(r, r->filt) : 0;
        if (ret >= 0)
            ret = encode(r, r->filt);
        av_frame_unref(r->filt);
        if (ret < 0)
            return ret;
    }
}

static int finish(cl_rendition *r)
{
    int ret;
    if (r->mp4) {
        if ((ret = av_write_trailer(r->mp4)) < 0 || (ret = avio_closep(&r->mp4->pb)) < 0)
            return r_fail(r, CLIPLINE_ERROR_STORAGE, ret, "cannot finish the MP4");
    }
    if (r->hls && (ret = av_write_trailer(r->hls)) < 0)
        return r_fail(r, CLIPLINE_ERROR_STORAGE, ret, "cannot finish the HLS rendition");
    r->req->out_duration_s = r->frames / av_q2d(r->in.frame_rate);
    return 0;
}

/* The rendition's thread: everything the decode thread queued, in order. */
static void *rendition_main(void *arg)
{
    cl_rendition *r = arg;
    int ret = 0;
    while (ret >= 0) {
        cl_qitem it = { 0 };
        if ((ret = cl_queue_pop(&r->queue, &it)) < 0)
            break;
        if (it.kind == CL_Q_VIDEO) {
            ret = av_buffersrc_add_frame_flags(r->src, it.frame, 0);
            if (ret < 0)
                r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot scale a frame");
            else
                ret = drain(r);
        } else if (it.kind == CL_Q_AUDIO) {
            ret = write_both(r, it.pkt, r->aenc_params->time_base, 0);
        } else {
            ret = av_buffersrc_close(r->src, it.end_pts, AV_BUFFERSRC_FLAG_PUSH);
            if (ret >= 0 && (ret = drain(r)) >= 0)
                ret = finish(r);
            cl_qitem_clear(&it);
            break;
        }
        cl_qitem_clear(&it);
    }
    if (ret < 0 && !r->err)
        r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "stopped");
    if (ret < 0)
        cl_queue_abort(&r->queue); /* the producer sees it at its next push */
    return NULL;
}

int cl_rendition_start(cl_rendition *r)
{
    if (pthread_create(&r->thread, NULL, rendition_main, r) != 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, AVERROR(EAGAIN), "cannot start a thread");
    r->started = 1;
    return 0;
}

int cl_rendition_join(cl_rendition *r)
{
    if (r->started) {
        pthread_join(r->thread, NULL);
        r->started = 0;
    }
    return r->err;
}

void cl_rendition_close(cl_rendition *r)
{
    if (r->started) {
        cl_queue_abort(&r->queue);
        cl_rendition_join(r);
    }
    cl_queue_uninit(&r->queue);
    avfilter_graph_free(&r->graph);
    avcodec_free_context(&r->venc);
    if (r->mp4) {
        avio_closep(&r->mp4->pb);
        avformat_free_context(r->mp4);
        r->mp4 = NULL;
    }
    if (r->hls) {
        avformat_free_context(r->hls);
        r->hls = NULL;
    }
    av_frame_free(&r->filt);
    av_packet_free(&r->pkt);
    clsub_render_close(&r->burn);
}
