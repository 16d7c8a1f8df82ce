/*
 * poster.c: a representative frame of the clip as a JPEG. Nine candidates
 * spread over the clip (10% ... 90%) are scored by the spread of their luma
 * (a black or flat frame scores zero); the best one is scaled and encoded.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/pixdesc.h>

#include "../core/util.h"
#include "media_internal.h"

#define POSTER_CANDIDATES 9

void cl_poster_init(cl_poster *p, int64_t expected_frames)
{
    memset(p, 0, sizeof(*p));
    p->expected_frames = expected_frames > 0 ? expected_frames : 1;
    p->next_candidate = p->expected_frames / (POSTER_CANDIDATES + 1);
    p->best_score = -1;
}

/* Standard deviation of the luma on a sparse grid, 0 for near-black. */
static double score(const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!d || (d->flags & AV_PIX_FMT_FLAG_RGB) || d->comp[0].depth > 8)
        return 0; /* the pre-filter gives 8-bit YUV; anything else is not scored */
    double sum = 0, sq = 0;
    int n = 0;
    for (int y = f->height / 16; y < f->height; y += f->height / 8 + 1)
        for (int x = f->width / 16; x < f->width; x += f->width / 16 + 1) {
            double v = f->data[0][(size_t)y * (size_t)f->linesize[0] + (size_t)x];
            sum += v;
            sq += v * v;
            n++;
        }
    if (!n)
        return 0;
    double mean = sum / n, var = sq / n - mean * mean;
    if (mean < 24) /* black, or nearly */
        return 0;
    return sqrt(var > 0 ? var : 0);
}

void cl_poster_offer(cl_poster *p, const AVFrame *f, int64_t index)
{
    if (index < p->next_candidate && p->best)
        return;
    int first = !p->best; /* the very first frame is a fallback for short clips */
    if (!first || index >= p->next_candidate) {
        p->candidates_seen++;
        p->next_candidate = p->expected_frames * (p->candidates_seen + 1) / (POSTER_CANDIDATES + 1);
    }
    double s = score(f);
    if (s <= p->best_score)
        return;
    AVFrame *copy = av_frame_clone(f);
    if (!copy)
        return;
    av_frame_free(&p->best);
    p->best = copy;
    p->best_score = s;
    p->best_index = index;
}

static int encode_jpeg(clipline_context *c, AVFrame *f, const char *path)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *e = codec ? avcodec_alloc_context3(codec) : NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret = AVERROR(ENOMEM);
    if (!e || !pkt)
        goto end;
    e->width = f->width;
    e->height = f->height;
    e->pix_fmt = f->format;
    e->time_base = (AVRational){ 1, 25 };
    e->color_range = AVCOL_RANGE_JPEG;
    e->flags |= AV_CODEC_FLAG_QSCALE;
    e->global_quality = FF_QP2LAMBDA * 3;
    if ((ret = avcodec_open2(e, codec, NULL)) < 0)
        goto end;
    f->quality = e->global_quality;
    f->pict_type = AV_PICTURE_TYPE_I;
    if ((ret = avcodec_send_frame(e, f)) < 0 || (ret = avcodec_send_frame(e, NULL)) < 0 ||
        (ret = avcodec_receive_packet(e, pkt)) < 0)
        goto end;
    if ((ret = cl_write_file_atomic(path, pkt->data, (size_t)pkt->size)) < 0) /* a full disk: the destination's */
        ret = cl_fail(c, CLIPLINE_ERROR_STORAGE, "poster %s: cannot write: %s", path, clipline_strerror(ret));
end:
    if (ret < 0 && ret != CLIPLINE_ERROR_STORAGE)
        cl_log(c, CLIPLINE_LOG_WARNING, "poster %s: %s", path, clipline_strerror(ret));
    av_packet_free(&pkt);
    avcodec_free_context(&e);
    return ret;
}

int cl_poster_write(clipline_context *c, cl_poster *p, const char *path,
                    const cl_picture_props *in, int max_w, int max_h)
{
    AVRational sar = in->sar;
    if (!p->best)
        return cl_fail(c, CLIPLINE_ERROR_ENCODE, "poster %s: no frame to take it from", path);
    AVFilterGraph *g = NULL;
    AVFilterContext *src = NULL, *sink = NULL;
    AVFrame *out = av_frame_alloc();
    char args[256], chain[256];
    int w, h, ret;
    if (!out)
        return AVERROR(ENOMEM);
    cl_fit_size(p->best->width, p->best->height, sar, max_w, max_h, &w, &h);
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=1/25:pixel_aspect=%d/%d",
             p->best->width, p->best->height, p->best->format, sar.num > 0 ? sar.num : 1,
             sar.den > 0 ? sar.den : 1);
    /* JPEG (JFIF): BT.601 full range */
    snprintf(chain, sizeof(chain),
             "scale=%d:%d:flags=bicubic:in_color_matrix=%s:in_range=%s:out_color_matrix=bt601:"
             "out_range=pc,format=yuvj420p",
             w, h, in->matrix, in->range);
    ret = cl_build_graph(&g, &src, &sink, "buffer", args, chain, "buffersink");
    if (ret >= 0 && (ret = av_buffersrc_add_frame_flags(src, p->best, AV_BUFFERSRC_FLAG_KEEP_REF)) >= 0 &&
        (ret = av_buffersrc_add_frame(src, NULL)) >= 0 && (ret = av_buffersink_get_frame(sink, out)) >= 0)
        ret = encode_jpeg(c, out, path);
    if (ret < 0 && ret != CLIPLINE_ERROR_STORAGE)
        ret = cl_fail(c, CLIPLINE_ERROR_ENCODE, "poster %s: %s", path, clipline_strerror(ret));
    av_frame_free(&out);
    avfilter_graph_free(&g);
    return ret;
}

void cl_poster_uninit(cl_poster *p)
{
    av_frame_free(&p->best);
}
