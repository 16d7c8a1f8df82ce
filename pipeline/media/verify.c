/*
 * verify.c: every output is reopened and checked against the web contract
 * before it counts as done.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/pixdesc.h>

#include "media.h"

/* Order of the top-level MP4 boxes: moov must come before mdat so a
 * browser can start playing before the whole file has arrived. */
static int moov_first(const char *path, int *ok)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return AVERROR(errno);
    *ok = 0;
    uint8_t h[16];
    int64_t pos = 0;
    for (int i = 0; i < 64; i++) {
        if (fseeko(f, pos, SEEK_SET) < 0 || fread(h, 1, 8, f) != 8)
            break;
        uint64_t size = AV_RB32(h);
        if (size == 1) {
            if (fread(h + 8, 1, 8, f) != 8)
                break;
            size = AV_RB64(h + 8);
        }
        if (!memcmp(h + 4, "moov", 4)) {
            *ok = 1;
            break;
        }
        if (!memcmp(h + 4, "mdat", 4) || size < 8)
            break;
        pos += (int64_t)size;
    }
    fclose(f);
    return 0;
}

static int level_number(const char *level)
{
    double l = atof(level);
    return (int)lround(l * 10);
}

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            char why_[512];                                                                \
            snprintf(why_, sizeof(why_), __VA_ARGS__);                                     \
            ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: %s", v->path, \
                          why_);                                                           \
            goto end;                                                                      \
        }                                                                                  \
    } while (0)

int cl_media_verify(clipline_context *c, const cl_verify_req *v)
{
    AVFormatContext *fmt = NULL;
    char e[128];
    int ret = avformat_open_input(&fmt, v->path, NULL, NULL);
    if (ret < 0)
        return cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: cannot reopen (%s)",
                       v->path, cl_averr(ret, e));
    if ((ret = avformat_find_stream_info(fmt, NULL)) < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: unreadable streams (%s)",
                      v->path, cl_averr(ret, e));
        goto end;
    }
    int moov_ok = 0;
    CHECK(moov_first(v->path, &moov_ok) >= 0 && moov_ok, "the moov atom is not before mdat");
    int vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    int ai = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    CHECK(vi >= 0, "no video stream");
    const AVStream *vs = fmt->streams[vi];
    const AVCodecParameters *p = vs->codecpar;
    CHECK(p->codec_id == AV_CODEC_ID_H264, "video is %s, not h264", avcodec_get_name(p->codec_id));
    CHECK(p->profile == FF_PROFILE_H264_HIGH, "H.264 profile is %d, not High", p->profile);
    CHECK(p->format == AV_PIX_FMT_YUV420P, "pixel format is %s, not yuv420p",
          av_get_pix_fmt_name(p->format) ? av_get_pix_fmt_name(p->format) : "unknown");
    CHECK(p->width % 2 == 0 && p->height % 2 == 0, "odd dimensions %dx%d", p->width, p->height);
    CHECK(p->width <= v->max_width && p->height <= v->max_height, "%dx%d exceeds %dx%d", p->width,
          p->height, v->max_width, v->max_height);
    if (v->level[0])
        CHECK(p->level > 0 && p->level <= level_number(v->level), "H.264 level %.1f exceeds %s",
              p->level / 10.0, v->level);
    AVRational fr = vs->avg_frame_rate.num ? vs->avg_frame_rate : vs->r_frame_rate;
    double frame = fr.num ? 1.0 / av_q2d(fr) : 0.04;
    double vdur = vs->duration > 0 ? vs->duration * av_q2d(vs->time_base) : fmt->duration / 1e6;
    if (v->expect_duration_s > 0)
        CHECK(fabs(vdur - v->expect_duration_s) <= frame + 1e-3,
              "video lasts %.3f s, the clip %.3f s (more than one frame apart)", vdur,
              v->expect_duration_s);
    if (v->expect_audio) {
        CHECK(ai >= 0, "no audio stream");
        const AVStream *as = fmt->streams[ai];
        const AVCodecParameters *a = as->codecpar;
        CHECK(a->codec_id == AV_CODEC_ID_AAC && a->profile == FF_PROFILE_AAC_LOW,
              "audio is %s, not AAC-LC", avcodec_get_name(a->codec_id));
        CHECK(a->sample_rate == 48000, "audio rate %d Hz, not 48000", a->sample_rate);
        CHECK(a->ch_layout.nb_channels == 2, "%d audio channels, not 2", a->ch_layout.nb_channels);
        double vstart = vs->start_time != AV_NOPTS_VALUE ? vs->start_time * av_q2d(vs->time_base) : 0;
        double astart = as->start_time != AV_NOPTS_VALUE ? as->start_time * av_q2d(as->time_base) : 0;
        CHECK(fabs(vstart - astart) < frame, "audio and video start %.3f s apart",
              fabs(vstart - astart));
    }
    ret = 0;
end:
    avformat_close_input(&fmt);
    return ret;
}
