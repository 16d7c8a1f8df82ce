/*
 * remux.c: a built MP4 with new soft subtitle tracks, its picture and sound
 * copied packet for packet (never decoded): what a new or changed subtitle
 * language costs a clean MP4.
 *
 *   demux the MP4 ─► video and audio packets as they are ─┐
 *   the clip's subtitle tracks ─► mov_text samples ───────┴─► mux (MP4, moov first)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "media_internal.h"

int cl_media_remux(clipline_context *c, cl_remux_req *q)
{
    char e[128];
    AVFormatContext *in = NULL, *out = NULL;
    AVPacket *pkt = av_packet_alloc();
    int map[64], nb_av = 0, ret;
    if (!pkt)
        return AVERROR(ENOMEM);
    if ((ret = avformat_open_input(&in, q->in_path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(in, NULL)) < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: cannot read the built %s: %s", q->label, q->in_path, cl_averr(ret, e));
        goto end;
    }
    if ((ret = avformat_alloc_output_context2(&out, NULL, "mp4", q->out_path)) < 0)
        goto fail;
    for (unsigned i = 0; i < in->nb_streams && i < 64; i++) {
        AVStream *is = in->streams[i];
        enum AVMediaType type = is->codecpar->codec_type;
        map[i] = -1;
        if (type != AVMEDIA_TYPE_VIDEO && type != AVMEDIA_TYPE_AUDIO)
            continue; /* the old subtitle tracks */
        AVStream *os = avformat_new_stream(out, NULL);
        if (!os || (ret = avcodec_parameters_copy(os->codecpar, is->codecpar)) < 0) {
            ret = ret < 0 ? ret : AVERROR(ENOMEM);
            goto fail;
        }
        os->codecpar->codec_tag = 0;
        os->time_base = is->time_base;
        os->disposition = is->disposition;
        av_dict_copy(&os->metadata, is->metadata, 0);
        map[i] = os->index;
        nb_av++;
        q->has_audio |= type == AVMEDIA_TYPE_AUDIO;
        if (type == AVMEDIA_TYPE_VIDEO) {
            q->width = is->codecpar->width;
            q->height = is->codecpar->height;
        }
    }
    if (!nb_av) {
        ret = cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: %s has no picture or sound to copy", q->label, q->in_path);
        goto end;
    }
    if ((ret = cl_movtext_add_streams(out, q->soft_langs, q->nb_soft)) < 0)
        goto fail;
    if ((ret = avio_open(&out->pb, q->out_path, AVIO_FLAG_WRITE)) < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: cannot create %s: %s", q->label, q->out_path, cl_averr(ret, e));
        goto end;
    }
    AVDictionary *o = NULL;
    av_dict_set(&o, "movflags", "+faststart", 0);
    ret = avformat_write_header(out, &o);
    av_dict_free(&o);
    if (ret < 0 || (ret = cl_movtext_write(out, nb_av, q->soft, q->nb_soft)) < 0)
        goto fail;
    while ((ret = av_read_frame(in, pkt)) >= 0) {
        int k = pkt->stream_index < 64 ? map[pkt->stream_index] : -1;
        if (k >= 0) {
            av_packet_rescale_ts(pkt, in->streams[pkt->stream_index]->time_base, out->streams[k]->time_base);
            pkt->stream_index = k;
            pkt->pos = -1;
            ret = av_interleaved_write_frame(out, pkt);
        }
        av_packet_unref(pkt);
        if (ret < 0)
            goto fail;
    }
    if (ret != AVERROR_EOF)
        goto fail;
    if ((ret = av_write_trailer(out)) < 0 || (ret = avio_closep(&out->pb)) < 0)
        goto fail;
    q->duration_s = in->duration > 0 ? in->duration / (double)AV_TIME_BASE : 0;
    ret = 0;
    goto end;
fail:
    ret = cl_fail(c, CLIPLINE_ERROR_ENCODE, "%s: cannot re-mux %s: %s", q->label, q->in_path, cl_averr(ret, e));
end:
    if (out && out->pb)
        avio_closep(&out->pb);
    avformat_free_context(out);
    avformat_close_input(&in);
    av_packet_free(&pkt);
    return ret;
}
