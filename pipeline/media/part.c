/*
 * part.c: an intro or outro (a title card: a still image or a short video),
 * decoded and made to look like the clip it is joined to:
 *
 *   demux ─► decode video ─► fit into the clip's picture on black, its pixel
 *            format, matrix and range; the clip's frame rate ─► exactly
 *            `frames` pictures (the last one held if the file is shorter)
 *   demux ─► decode audio ─► the clip's rate and layout, gain, fades at both
 *            ends ─► exactly as many samples as the pictures last (silence
 *            when the file has no sound)
 *
 * The transcoder pulls all the pictures first, then the sound; the sound
 * decoded meanwhile waits in its filter graph (a part lasts at most 60 s).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/pixdesc.h>

#include "media_internal.h"

struct cl_part {
    clipline_context *c;
    const char *label, *what, *path;
    cl_picture_props p;
    int64_t frames, given;         /* pictures to give, given */
    int64_t samples;               /* samples to give */
    const cl_audio_target *a;
    double gain_db;
    AVFormatContext *in;
    int vidx, aidx;
    int64_t v_start, a_start;      /* the file's start, in each stream's time base */
    int64_t v_end;                 /* end of the last picture fed, in its time base */
    AVCodecContext *vdec, *adec;
    AVFilterGraph *vg, *ag;
    AVFilterContext *vsrc, *vsink, *asrc, *asink;
    int demux_eof, video_eof;
    AVFrame *last;                 /* the last picture, held to the end */
    AVFrame *frame;
    AVPacket *pkt;
};

static int part_fail(cl_part *p, int err, int averr, const char *what)
{
    char e[128];
    return cl_fail(p->c, err, "%s: the %s %s: %s%s%s", p->label, p->what, p->path, what,
                   averr ? ": " : "", averr ? cl_averr(averr, e) : "");
}

/* The size the part's picture takes inside the clip's, display aspect kept. */
static void fit_inside(const cl_part *p, const AVFrame *f, AVRational fsar, int *w, int *h)
{
    double clip_sar = av_q2d(p->p.sar) > 0 ? av_q2d(p->p.sar) : 1;
    double a = f->width * (av_q2d(fsar) > 0 ? av_q2d(fsar) : 1) / f->height; /* display aspect */
    double fw = p->p.height * a / clip_sar, fh = p->p.height;
    if (fw > p->p.width) {
        fw = p->p.width;
        fh = p->p.width * clip_sar / a;
    }
    *w = FFMAX(2, FFMIN(p->p.width, 2 * (int)lround(fw / 2)));
    *h = FFMAX(2, FFMIN(p->p.height, 2 * (int)lround(fh / 2)));
}

static int video_graph(cl_part *p, const AVFrame *f)
{
    char what[1200];
    snprintf(what, sizeof(what), "%s: the %s %s", p->label, p->what, p->path);
    int ret = cl_check_picture_size(p->c, what, f->width, f->height);
    if (ret < 0)
        return ret;
    AVStream *st = p->in->streams[p->vidx];
    AVRational sar = f->sample_aspect_ratio.num > 0 ? f->sample_aspect_ratio : st->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    int w, h;
    fit_inside(p, f, sar, &w, &h);
    char args[512], chain[768], fps[64] = "";
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             f->width, f->height, f->format, st->time_base.num, st->time_base.den, sar.num, sar.den);
    if (!cl_is_still_format(p->in->iformat->name)) /* a video: the clip's frame rate */
        snprintf(fps, sizeof(fps), ",fps=%d/%d", p->p.frame_rate.num, p->p.frame_rate.den);
    const char *pix = av_get_pix_fmt_name(p->p.pix_fmt);
    snprintf(chain, sizeof(chain),
             "scale=w=%d:h=%d:flags=bicubic:out_color_matrix=%s:out_range=%s,"
             "pad=w=%d:h=%d:x=(ow-iw)/2:y=(oh-ih)/2:color=black,setsar=%d/%d,format=%s%s",
             w, h, p->p.matrix, p->p.range, p->p.width, p->p.height, p->p.sar.num, p->p.sar.den,
             pix ? pix : "yuv420p", fps);
    ret = cl_build_graph(&p->vg, &p->vsrc, &p->vsink, "buffer", args, chain, "buffersink");
    return ret < 0 ? part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "cannot fit its picture to the clip's") : 0;
}

/* The sound: the clip's format, the part's own gain, fades where it joins
 * the clip, padded or cut to exactly `samples`. No sound: silence. */
static int audio_graph(cl_part *p)
{
    const cl_audio_target *a = p->a;
    const char *layout = a->channels == 1 ? "mono" : "stereo";
    char args[512], chain[768], gain[64] = "", fades[160] = "";
    double len_s = (double)p->samples / a->sample_rate, fade = a->fade_ms / 1000.0;
    if (p->gain_db != 0)
        snprintf(gain, sizeof(gain), "volume=%.2fdB:precision=double,", p->gain_db);
    if (fade > 0 && len_s > 2 * fade)
        snprintf(fades, sizeof(fades), ",afade=t=in:d=%.3f,afade=t=out:st=%.6f:d=%.3f", fade, len_s - fade, fade);
    if (!p->adec) {
        snprintf(args, sizeof(args), "r=%d:cl=%s:nb_samples=1024", a->sample_rate, layout);
        snprintf(chain, sizeof(chain), "aformat=sample_fmts=fltp,atrim=end_sample=%" PRId64, p->samples);
        return cl_build_graph(&p->ag, &p->asrc, &p->asink, "anullsrc", args, chain, "abuffersink");
    }
    char in_layout[128];
    AVStream *st = p->in->streams[p->aidx];
    cl_abuffer_args(p->adec, st->time_base, args, sizeof(args), in_layout);
    /* first_pts=0: sound that starts after the picture is preceded by silence */
    snprintf(chain, sizeof(chain),
             "aresample=%d:first_pts=0,%saformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=%s,"
             "apad,atrim=end_sample=%" PRId64 "%s",
             a->sample_rate, gain, a->sample_rate, layout, p->samples, fades);
    return cl_build_graph(&p->ag, &p->asrc, &p->asink, "abuffer", args, chain, "abuffersink");
}

/* Decoded frames into their graphs, timed from the file's start. */
static int feed(cl_part *p, AVCodecContext *dec, AVPacket *pkt)
{
    int is_video = dec == p->vdec, ret = avcodec_send_packet(dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF)
        return 0; /* a damaged packet: the picture is held, the sound padded */
    for (;;) {
        ret = avcodec_receive_frame(dec, p->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return part_fail(p, CLIPLINE_ERROR_INPUT, ret, "cannot be decoded");
        int64_t ts = p->frame->best_effort_timestamp;
        p->frame->pts = ts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : ts - (is_video ? p->v_start : p->a_start);
        if (is_video && !p->vg && (ret = video_graph(p, p->frame)) < 0)
            return ret;
        if (is_video && p->frame->pts != AV_NOPTS_VALUE) {
            AVStream *st = p->in->streams[p->vidx];
            int64_t dur = p->frame->pkt_duration > 0 ? p->frame->pkt_duration
                          : st->avg_frame_rate.num ? av_rescale_q(1, av_inv_q(st->avg_frame_rate), st->time_base) : 1;
            p->v_end = FFMAX(p->v_end, p->frame->pts + dur);
        }
        if (is_video && p->video_eof) {
            ret = 0;
        } else {
            ret = av_buffersrc_add_frame_flags(is_video ? p->vsrc : p->asrc, p->frame, 0);
            if (ret == AVERROR_EOF)
                ret = 0;
        }
        av_frame_unref(p->frame);
        if (ret < 0)
            return part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "cannot be filtered");
    }
}

/* One more packet of the file; at its end, the decoders' last frames and
 * the end of both graphs' input. */
static int read_more(cl_part *p)
{
    int ret = av_read_frame(p->in, p->pkt);
    if (ret == AVERROR_EOF) {
        p->demux_eof = 1;
        if ((ret = feed(p, p->vdec, NULL)) < 0 || (p->adec && (ret = feed(p, p->adec, NULL)) < 0))
            return ret;
        /* closed at the last picture's end, so the frame-rate filter keeps it */
        if (p->vg && (ret = av_buffersrc_close(p->vsrc, p->v_end, 0)) < 0 && ret != AVERROR_EOF)
            return part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "cannot be filtered");
        if (p->adec && (ret = av_buffersrc_add_frame_flags(p->asrc, NULL, 0)) < 0 && ret != AVERROR_EOF)
            return part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "cannot be filtered");
        return 0;
    }
    if (ret < 0)
        return part_fail(p, CLIPLINE_ERROR_INPUT, ret, "cannot be read");
    if (p->pkt->stream_index == p->vidx)
        ret = feed(p, p->vdec, p->pkt);
    else if (p->pkt->stream_index == p->aidx)
        ret = feed(p, p->adec, p->pkt);
    av_packet_unref(p->pkt);
    return ret;
}

int cl_part_video(cl_part *p, AVFrame *f)
{
    while (p->given < p->frames) {
        int ret = p->vg ? av_buffersink_get_frame(p->vsink, f) : AVERROR(EAGAIN);
        if (ret == AVERROR_EOF || (ret == AVERROR(EAGAIN) && p->demux_eof)) {
            p->video_eof = 1;
            if (!p->last->buf[0]) { /* nothing decoded, nothing to hold */
                char why[300] = "";
                if (*cl_ffmpeg_said())
                    snprintf(why, sizeof(why), " (%s)", cl_ffmpeg_said());
                return cl_fail(p->c, CLIPLINE_ERROR_INPUT,
                               "%s: the %s %s: has no picture that can be decoded%s", p->label, p->what,
                               p->path, why);
            }
            if ((ret = av_frame_ref(f, p->last)) < 0)
                return ret;
        } else if (ret == AVERROR(EAGAIN)) {
            if ((ret = read_more(p)) < 0)
                return ret;
            continue;
        } else if (ret < 0) {
            return part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "cannot be filtered");
        } else {
            av_frame_unref(p->last);
            if ((ret = av_frame_ref(p->last, f)) < 0)
                return ret;
        }
        f->pts = p->given++;
        return 0;
    }
    /* the pictures are all given: read on only for the sound */
    p->video_eof = 1;
    p->in->streams[p->vidx]->discard = AVDISCARD_ALL;
    av_frame_unref(p->last);
    return AVERROR_EOF;
}

int cl_part_audio(cl_part *p, AVFrame *f)
{
    for (;;) {
        int ret = p->ag ? av_buffersink_get_frame(p->asink, f) : AVERROR(EAGAIN);
        if (ret >= 0 || ret == AVERROR_EOF)
            return ret;
        if (ret != AVERROR(EAGAIN))
            return part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "cannot be filtered");
        if (p->demux_eof)
            return part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "its sound ended early");
        if ((ret = read_more(p)) < 0)
            return ret;
    }
}

int cl_part_open(clipline_context *c, const char *label, const char *what, const char *path,
                 const cl_picture_props *props, int64_t frames, const cl_audio_target *a,
                 double gain_db, cl_part **out)
{
    cl_part *p = calloc(1, sizeof(*p));
    if (!p)
        return AVERROR(ENOMEM);
    *out = p;
    *p = (cl_part){ .c = c, .label = label, .what = what, .path = path, .p = *props, .frames = frames,
                    .a = a, .gain_db = gain_db, .vidx = -1, .aidx = -1 };
    p->samples = av_rescale(frames, (int64_t)a->sample_rate * props->frame_rate.den, props->frame_rate.num);
    p->last = av_frame_alloc();
    p->frame = av_frame_alloc();
    p->pkt = av_packet_alloc();
    if (!p->last || !p->frame || !p->pkt)
        return AVERROR(ENOMEM);
    cl_ffmpeg_said_clear();
    int ret = avformat_open_input(&p->in, path, NULL, NULL);
    if (ret < 0)
        return part_fail(p, CLIPLINE_ERROR_INPUT, ret, "cannot be opened");
    if ((ret = cl_find_stream_info(p->in)) < 0)
        return part_fail(p, CLIPLINE_ERROR_INPUT, ret, "cannot be read");
    p->vidx = av_find_best_stream(p->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (p->vidx < 0)
        return part_fail(p, CLIPLINE_ERROR_INPUT, 0, "has no picture");
    p->aidx = av_find_best_stream(p->in, AVMEDIA_TYPE_AUDIO, -1, p->vidx, NULL, 0);
    if ((ret = cl_open_decoder(p->in->streams[p->vidx], c->s.threads, &p->vdec)) < 0)
        return part_fail(p, CLIPLINE_ERROR_INPUT, ret, "cannot decode its picture");
    if (p->aidx >= 0 && (ret = cl_open_decoder(p->in->streams[p->aidx], c->s.threads, &p->adec)) < 0)
        return part_fail(p, CLIPLINE_ERROR_INPUT, ret, "cannot decode its sound");
    for (unsigned i = 0; i < p->in->nb_streams; i++)
        if ((int)i != p->vidx && (int)i != p->aidx)
            p->in->streams[i]->discard = AVDISCARD_ALL;
    int64_t start = p->in->start_time != AV_NOPTS_VALUE ? p->in->start_time : 0;
    p->v_start = av_rescale_q(start, AV_TIME_BASE_Q, p->in->streams[p->vidx]->time_base);
    if (p->aidx >= 0)
        p->a_start = av_rescale_q(start, AV_TIME_BASE_Q, p->in->streams[p->aidx]->time_base);
    AVCodecContext *d = p->adec;
    if (d && (d->sample_rate <= 0 || d->ch_layout.nb_channels <= 0 || d->sample_fmt == AV_SAMPLE_FMT_NONE)) {
        cl_log(c, CLIPLINE_LOG_WARNING, "%s: the %s %s: its sound's format is not known; silence instead",
               label, what, path);
        avcodec_free_context(&p->adec);
        p->in->streams[p->aidx]->discard = AVDISCARD_ALL;
        p->aidx = -1;
    }
    if ((ret = audio_graph(p)) < 0)
        return part_fail(p, CLIPLINE_ERROR_ENCODE, ret, "cannot set up its sound");
    return 0;
}

void cl_part_free(cl_part **pp)
{
    cl_part *p = *pp;
    if (!p)
        return;
    avfilter_graph_free(&p->vg);
    avfilter_graph_free(&p->ag);
    avcodec_free_context(&p->vdec);
    avcodec_free_context(&p->adec);
    avformat_close_input(&p->in);
    av_frame_free(&p->last);
    av_frame_free(&p->frame);
    av_packet_free(&p->pkt);
    free(p);
    *pp = NULL;
}
