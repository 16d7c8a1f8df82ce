/* graph.c: filter graph helpers of the media stage. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/mem.h>

#include "media_internal.h"

int cl_build_graph(AVFilterGraph **g, AVFilterContext **src, AVFilterContext **sink,
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
    return ret;
}

void cl_abuffer_args(const AVCodecContext *dec, AVRational tb, char *args, size_t size,
                     char layout[128])
{
    if (dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        snprintf(layout, 128, "%dc", dec->ch_layout.nb_channels);
    else
        av_channel_layout_describe(&dec->ch_layout, layout, 128);
    snprintf(args, size, "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s", tb.num,
             tb.den, dec->sample_rate, av_get_sample_fmt_name(dec->sample_fmt), layout);
}

void cl_fit_size(int w, int h, AVRational sar, int max_w, int max_h, int *ow, int *oh)
{
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    double dw = w * av_q2d(sar), dh = h;
    double f = 1.0;
    if (dw > max_w)
        f = max_w / dw;
    if (dh * f > max_h)
        f = max_h / dh;
    /* nearest even size, but never past the exact scaled size (no upscaling) */
    *ow = 2 * (int)lround(dw * f / 2);
    *oh = 2 * (int)lround(dh * f / 2);
    if (*ow > dw * f + 1e-6)
        *ow -= 2;
    if (*oh > dh * f + 1e-6)
        *oh -= 2;
    if (*ow < 2)
        *ow = 2;
    if (*oh < 2)
        *oh = 2;
}

const char *cl_source_matrix(enum AVColorSpace cs, int height)
{
    switch (cs) {
    case AVCOL_SPC_BT709: return "bt709";
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return "bt601";
    case AVCOL_SPC_FCC: return "fcc";
    case AVCOL_SPC_SMPTE240M: return "smpte240m";
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return "bt2020";
    default: return height >= 720 ? "bt709" : "bt601";
    }
}

int cl_open_decoder(const AVStream *st, int threads, AVCodecContext **out)
{
    *out = NULL;
    const AVCodec *dec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!dec)
        return AVERROR_DECODER_NOT_FOUND;
    AVCodecContext *d = avcodec_alloc_context3(dec);
    if (!d)
        return AVERROR(ENOMEM);
    int ret = avcodec_parameters_to_context(d, st->codecpar);
    if (ret >= 0) {
        d->pkt_timebase = st->time_base;
        d->thread_count = threads > 0 ? threads : 0;
        d->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        d->max_pixels = CL_PICTURE_MAX_PIXELS; /* a larger picture is an error, not an allocation */
        ret = avcodec_open2(d, dec, NULL);
    }
    if (ret < 0)
        avcodec_free_context(&d);
    *out = d;
    return ret;
}

int cl_find_stream_info(AVFormatContext *fmt)
{
    unsigned n = fmt->nb_streams;
    AVDictionary **opts = n ? av_calloc(n, sizeof(*opts)) : NULL;
    if (n && !opts)
        return AVERROR(ENOMEM);
    for (unsigned i = 0; i < n; i++)
        av_dict_set_int(&opts[i], "max_pixels", CL_PICTURE_MAX_PIXELS, 0);
    int ret = avformat_find_stream_info(fmt, opts);
    for (unsigned i = 0; i < n; i++)
        av_dict_free(&opts[i]);
    av_free(opts);
    return ret;
}

int cl_is_still_format(const char *demuxer)
{
    size_t n = strlen(demuxer);
    return !strcmp(demuxer, "image2") || (n > 5 && !strcmp(demuxer + n - 5, "_pipe"));
}
