/*
 * rendition.c: one rung of the ladder on its own thread: the frames the
 * decode thread queued are scaled, encoded (x264, or SVT-AV1) and muxed, with
 * the shared audio packets, into an MP4 (or WebM) file and/or an HLS (fMP4) rendition
 * (segmenter.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/cpu.h>
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

/* A file that could not be written: the output as the user knows it and the
 * path being written (in staging), e.g. on a full disk. */
static int r_fail_file(cl_rendition *r, int averr, const char *what, const char *path)
{
    char e[128];
    if (!r->err) {
        r->err = CLIPLINE_ERROR_STORAGE;
        snprintf(r->detail, sizeof(r->detail), "%s: %s: %s %s: %s", r->label, r->req->name, what, path,
                 cl_averr(averr, e));
    }
    return CLIPLINE_ERROR_STORAGE;
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
    s.font_dir = r->req->burn_font_dir;
    s.font_family = r->req->burn_font_family && *r->req->burn_font_family ? r->req->burn_font_family : NULL;
    if (r->req->burn_font_scale > 0)
        s.font_scale = r->req->burn_font_scale;
    s.box = r->req->burn_box;
    s.log = libass_log;
    s.log_opaque = r;
    s.max_log_level = CLSUB_LOG_INFO;
    int ret = r->req->burn_ass ? clsub_render_open_ass(&r->burn, r->req->burn_ass, r->req->burn_ass_len, &s)
                               : clsub_render_open(&r->burn, r->req->burn, &s);
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
    int64_t t_ms = av_rescale_q(f->pts, av_buffersink_get_time_base(r->sink), (AVRational){ 1, 1000 }) +
                   (r->req->burn_ass ? r->req->burn_ass_offset_ms : 0);
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

/* x264's options: CRF under a VBV cap, fixed GOPs without scene cuts.
 * On a CPU with AVX-512, when a picture's width in macroblocks is not a
 * multiple of 8 (852x480: 54), x264 0.164's output depends on what the heap
 * held before: its AVX-512 mbtree_propagate_list steps 8 macroblocks at a
 * time and does not mask the row's end, adding what lies past the row. So
 * for such widths its instruction sets stop at AVX2 (what its own detection
 * gives there, less AVX-512); other widths keep AVX-512, about 5% less CPU
 * at 1280x720. A preset's own asm= (in x264_params, after ours) still wins.
 * This makes a one-thread encoder repeatable to the byte; x264 with several
 * threads (frame or sliced) under VBV is not, whatever the instruction set,
 * since it plans a frame's bits from what the other threads have done so
 * far (measured with the ffmpeg CLI too). */
static void x264_options(const cl_video_target *v, int width, AVDictionary **o)
{
    char crf[16], params[320];
    int ragged = ((width + 15) / 16) % 8 != 0;
    const char *cpu = ragged && (av_get_cpu_flags() & AV_CPU_FLAG_AVX512) ? "asm=AVX2,SSE2Fast:" : "";
    snprintf(crf, sizeof(crf), "%d", v->crf);
    snprintf(params, sizeof(params), "%sscenecut=0:open-gop=0%s%s", cpu, v->x264_params[0] ? ":" : "",
             v->x264_params);
    av_dict_set(o, "preset", v->x264_preset, 0);
    av_dict_set(o, "crf", crf, 0);
    av_dict_set(o, "profile", v->profile, 0);
    av_dict_set(o, "level", v->level, 0);
    av_dict_set(o, "x264-params", params, 0);
    if (v->tune[0])
        av_dict_set(o, "tune", v->tune, 0);
}

/* SVT-AV1's options: CRF at a speed preset; its keyframes come from the
 * GOP size alone (scene detection is off by default). */
static void svtav1_options(const cl_video_target *v, AVDictionary **o)
{
    char crf[16], preset[16];
    snprintf(crf, sizeof(crf), "%d", v->crf);
    snprintf(preset, sizeof(preset), "%d", v->av1_preset);
    av_dict_set(o, "crf", crf, 0);
    av_dict_set(o, "preset", preset, 0);
}

/* RFC 6381 codecs string for HLS: avc1.PPCCLL (from the SPS) + AAC-LC */
static void codecs_string(cl_rendition *r)
{
    const AVCodecContext *e = r->venc;
    const uint8_t *x = e->extradata, *sps = NULL;
    if (e->codec_id != AV_CODEC_ID_H264)
        return;
    if (e->extradata_size >= 8 && x[0] == 1) /* avcC */
        sps = x + 1;
    for (int i = 0; !sps && i + 6 < e->extradata_size; i++) /* Annex B: 00 00 01 67 */
        if (!x[i] && !x[i + 1] && x[i + 2] == 1 && (x[i + 3] & 0x1f) == 7)
            sps = x + i + 4;
    if (sps)
        snprintf(r->req->codecs, sizeof(r->req->codecs), "avc1.%02x%02x%02x%s", sps[0], sps[1],
                 sps[2], r->aenc_params ? ",mp4a.40.2" : "");
}

static int open_encoder(cl_rendition *r)
{
    const cl_video_target *v = &r->req->video;
    const char *name = v->codec[0] ? v->codec : "libx264";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    char what[64];
    if (!codec) {
        snprintf(what, sizeof(what), "no %s encoder in this FFmpeg", name);
        return r_fail(r, CLIPLINE_ERROR_ENCODE, AVERROR_ENCODER_NOT_FOUND, what);
    }
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
    if (codec->id == AV_CODEC_ID_AV1)
        svtav1_options(v, &o);
    else
        x264_options(v, e->width, &o);
    int ret = avcodec_open2(e, codec, &o);
    const AVDictionaryEntry *left = av_dict_get(o, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (ret >= 0 && left) {
        snprintf(r->detail, sizeof(r->detail), "%s: %s did not accept option %s=%s", r->label, name,
                 left->key, left->value);
        r->err = ret = CLIPLINE_ERROR_CONFIG;
    }
    av_dict_free(&o);
    if (ret < 0) {
        snprintf(what, sizeof(what), "cannot open %s", name);
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, what);
    }
    codecs_string(r);
    return 0;
}

static int add_streams(cl_rendition *r, AVFormatContext *f)
{
    r->file_v = avformat_new_stream(f, NULL);
    if (!r->file_v || avcodec_parameters_from_context(r->file_v->codecpar, r->venc) < 0)
        return AVERROR(ENOMEM);
    r->file_v->time_base = r->venc->time_base;
    r->file_v->sample_aspect_ratio = r->venc->sample_aspect_ratio;
    if (!r->aenc_params)
        return 0;
    r->file_a = avformat_new_stream(f, NULL);
    if (!r->file_a || avcodec_parameters_from_context(r->file_a->codecpar, r->aenc_params) < 0)
        return AVERROR(ENOMEM);
    r->file_a->time_base = r->aenc_params->time_base;
    return 0;
}

static int open_file(cl_rendition *r)
{
    const char *container = r->req->container ? r->req->container : "mp4";
    int soft = r->req->nb_soft && !strcmp(container, "mp4");
    int ret = avformat_alloc_output_context2(&r->file, NULL, container, r->req->out_path);
    if (ret >= 0)
        ret = add_streams(r, r->file);
    if (ret >= 0 && soft)
        ret = cl_movtext_add_streams(r->file, r->req->soft_langs, r->req->nb_soft);
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot create the muxer");
    if ((ret = avio_open(&r->file->pb, r->req->out_path, AVIO_FLAG_WRITE)) < 0)
        return r_fail_file(r, ret, "cannot create", r->req->out_path);
    AVDictionary *o = NULL;
    if (r->req->faststart && !strcmp(container, "mp4"))
        av_dict_set(&o, "movflags", "+faststart", 0);
    ret = avformat_write_header(r->file, &o);
    av_dict_free(&o);
    if (ret < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot write the file header");
    if (soft && (ret = cl_movtext_write(r->file, r->file->nb_streams - r->req->nb_soft, r->req->soft,
                                        r->req->nb_soft)) < 0)
        return r_fail(r, CLIPLINE_ERROR_ENCODE, ret, "cannot write the subtitle tracks");
    return 0;
}

static int open_hls(cl_rendition *r)
{
    int ret = cl_segmenter_open(&r->hls, r->req->hls_dir, r->req->hls_segment_s, r->venc, r->aenc_params);
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
    if (r->req->out_path && (ret = open_file(r)) < 0)
        return ret;
    if (r->req->hls_dir && (ret = open_hls(r)) < 0)
        return ret;
    return 0;
}

/* Writes a packet to the file and the HLS rendition (whichever exist). */
static int write_both(cl_rendition *r, AVPacket *pkt, AVRational tb, int video)
{
    int ret = 0;
    if (r->hls && (ret = cl_segmenter_write(r->hls, pkt, video)) < 0)
        return r_fail_file(r, ret, "cannot write the HLS rendition in", r->req->hls_dir);
    if (r->file) {
        AVStream *st = video ? r->file_v : r->file_a;
        av_packet_rescale_ts(pkt, tb, st->time_base);
        pkt->stream_index = st->index;
        if ((ret = av_interleaved_write_frame(r->file, pkt)) < 0)
            return r_fail_file(r, ret, "cannot write", r->req->out_path);
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
        __atomic_fetch_add(&r->frames, 1, __ATOMIC_RELAXED); /* read by the progress events */
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
    if (r->file) {
        if ((ret = av_write_trailer(r->file)) < 0 || (ret = avio_closep(&r->file->pb)) < 0)
            return r_fail_file(r, ret, "cannot finish", r->req->out_path);
    }
    if (r->hls) {
        if ((ret = cl_segmenter_finish(r->hls)) < 0)
            return r_fail_file(r, ret, "cannot finish the HLS rendition in", r->req->hls_dir);
        cl_segmenter_stats(r->hls, &r->req->hls_segments, &r->req->hls_bandwidth,
                           &r->req->hls_avg_bandwidth);
    }
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
    if (r->file) {
        avio_closep(&r->file->pb);
        avformat_free_context(r->file);
        r->file = NULL;
    }
    cl_segmenter_free(&r->hls);
    av_frame_free(&r->filt);
    av_packet_free(&r->pkt);
    clsub_render_close(&r->burn);
}
