/*
 * loudness.c: pass 1 of the EBU R128 normalisation: the clip's audio is
 * decoded alone and measured (integrated loudness, loudness range, true
 * peak). Pass 2 is a plain linear gain in the transcoder's audio graph,
 * never a dynamic normaliser.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>

#include "media_internal.h"

typedef struct meter {
    AVFormatContext *in;
    AVCodecContext *dec;
    AVFilterGraph *g;
    AVFilterContext *src, *sink;
    AVFrame *frame, *out;
    AVPacket *pkt;
    int idx;
    double i, lra, peak;
    int blocks;
} meter;

static void read_meta(meter *m, const AVFrame *f)
{
    const AVDictionaryEntry *e;
    if ((e = av_dict_get(f->metadata, "lavfi.r128.I", NULL, 0)))
        m->i = atof(e->value), m->blocks++;
    if ((e = av_dict_get(f->metadata, "lavfi.r128.LRA", NULL, 0)))
        m->lra = atof(e->value);
    if ((e = av_dict_get(f->metadata, "lavfi.r128.true_peak", NULL, 0)) && atof(e->value) > m->peak)
        m->peak = atof(e->value);
}

static int pull(meter *m)
{
    for (;;) {
        int ret = av_buffersink_get_frame(m->sink, m->out);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        read_meta(m, m->out);
        av_frame_unref(m->out);
    }
}

static int open_meter(meter *m, const char *source, int64_t in_us, int64_t out_us)
{
    int ret = avformat_open_input(&m->in, source, NULL, NULL);
    if (ret < 0 || (ret = cl_find_stream_info(m->in)) < 0)
        return ret;
    if ((m->idx = ret = av_find_best_stream(m->in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0)) < 0)
        return ret;
    AVStream *st = m->in->streams[m->idx];
    if ((ret = cl_open_decoder(st, 1, &m->dec)) < 0)
        return ret;
    for (unsigned i = 0; i < m->in->nb_streams; i++)
        if ((int)i != m->idx)
            m->in->streams[i]->discard = AVDISCARD_ALL;
    int64_t start = m->in->start_time != AV_NOPTS_VALUE ? m->in->start_time : 0;
    /* atrim counts in samples; the seek in the stream's time base */
    AVRational samples = { 1, m->dec->sample_rate };
    int64_t a = av_rescale_q(start + in_us, AV_TIME_BASE_Q, samples);
    int64_t seek = av_rescale_q(start + in_us, AV_TIME_BASE_Q, st->time_base);
    char layout[128], args[512], chain[512], end[64] = "";
    if (out_us != INT64_MAX)
        snprintf(end, sizeof(end), ":end_pts=%" PRId64,
                 av_rescale_q(start + out_us, AV_TIME_BASE_Q, samples));
    cl_abuffer_args(m->dec, st->time_base, args, sizeof(args), layout);
    /* measured as it will be heard: the stereo mix the outputs carry */
    snprintf(chain, sizeof(chain),
             "atrim=start_pts=%" PRId64 "%s,aformat=channel_layouts=stereo,ebur128=peak=true:metadata=1",
             a, end);
    if ((ret = cl_build_graph(&m->g, &m->src, &m->sink, "abuffer", args, chain, "abuffersink")) < 0)
        return ret;
    if (in_us > 0)
        avformat_seek_file(m->in, m->idx, INT64_MIN, seek, seek, 0);
    return 0;
}

/* Feeds a frame (NULL: the end); the trim may have ended the graph already. */
static int feed(meter *m, AVFrame *f)
{
    int ret = av_buffersrc_add_frame(m->src, f);
    if (ret == AVERROR_EOF)
        return 0;
    return ret < 0 ? ret : pull(m);
}

static int decode_all(meter *m, volatile sig_atomic_t *stop)
{
    int ret;
    while ((ret = av_read_frame(m->in, m->pkt)) >= 0 || ret == AVERROR(EAGAIN)) {
        if (*stop)
            return CLIPLINE_ERROR_INTERRUPTED;
        if (m->pkt->stream_index == m->idx && avcodec_send_packet(m->dec, m->pkt) >= 0)
            while (avcodec_receive_frame(m->dec, m->frame) >= 0)
                if ((ret = feed(m, m->frame)) < 0)
                    return ret;
        av_packet_unref(m->pkt);
    }
    avcodec_send_packet(m->dec, NULL);
    while (avcodec_receive_frame(m->dec, m->frame) >= 0)
        if ((ret = feed(m, m->frame)) < 0)
            return ret;
    return feed(m, NULL);
}

int cl_media_measure_loudness(clipline_context *c, const char *source, int64_t in_us,
                              int64_t out_us, cl_clip_report *rep)
{
    meter m = { 0 };
    m.frame = av_frame_alloc();
    m.out = av_frame_alloc();
    m.pkt = av_packet_alloc();
    int ret = !m.frame || !m.out || !m.pkt ? AVERROR(ENOMEM) : open_meter(&m, source, in_us, out_us);
    if (ret >= 0)
        ret = decode_all(&m, &c->interrupted);
    if (ret >= 0 && !m.blocks)
        ret = AVERROR_INVALIDDATA; /* shorter than one 400 ms block */
    if (ret >= 0) {
        rep->loudness_in_lufs = m.i;
        rep->lra = m.lra;
        rep->true_peak_in_db = m.peak > 0 ? 20 * log10(m.peak) : -120;
        rep->loudness_measured = 1;
    }
    av_frame_free(&m.frame);
    av_frame_free(&m.out);
    av_packet_free(&m.pkt);
    avfilter_graph_free(&m.g);
    avcodec_free_context(&m.dec);
    avformat_close_input(&m.in);
    return ret;
}
