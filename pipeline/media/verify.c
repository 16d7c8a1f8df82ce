/*
 * verify.c: every output is reopened and checked against the web contract
 * before it counts as done.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/pixdesc.h>

#include "../core/util.h"
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

/* The profile, from the codec's configuration record when the demuxer
 * leaves it unknown (fMP4 segments read through the HLS demuxer): avcC
 * byte 1 is H.264's profile_idc, AAC's AudioSpecificConfig starts with the
 * audio object type (2: LC). */
static int stream_profile(const AVCodecParameters *p)
{
    if (p->profile != FF_PROFILE_UNKNOWN)
        return p->profile;
    if (p->codec_id == AV_CODEC_ID_H264 && p->extradata_size >= 4 && p->extradata[0] == 1)
        return p->extradata[1];
    if (p->codec_id == AV_CODEC_ID_AAC && p->extradata_size >= 1)
        return (p->extradata[0] >> 3) - 1; /* object type 2 is FF_PROFILE_AAC_LOW (1) */
    return FF_PROFILE_UNKNOWN;
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

/* A media playlist: ends, names an init segment, every file exists, and
 * its segments add up to the clip. */
static int verify_playlist(clipline_context *c, const cl_verify_req *v, double *total)
{
    char *text = NULL, *dir = cl_path_dir(v->path);
    int ret = cl_read_file(v->path, 4 << 20, &text, NULL), segs = 0, ended = 0, map = 0;
    *total = 0;
    if (ret < 0 || !dir) {
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: unreadable playlist", v->path);
        goto end;
    }
    if (strncmp(text, "#EXTM3U", 7)) {
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: not an M3U8 playlist", v->path);
        goto end;
    }
    for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
        char name[1024] = "";
        if (!strncmp(l, "#EXTINF:", 8))
            *total += atof(l + 8);
        else if (!strcmp(l, "#EXT-X-ENDLIST"))
            ended = 1;
        else if (!strncmp(l, "#EXT-X-MAP:URI=\"", 16) && strchr(l + 16, '"'))
            snprintf(name, sizeof(name), "%.*s", (int)(strchr(l + 16, '"') - (l + 16)), l + 16), map = 1;
        else if (l[0] != '#')
            snprintf(name, sizeof(name), "%s", l), segs++;
        if (!name[0])
            continue;
        char *f = cl_path_join(dir, name);
        int missing = !f || access(f, R_OK) != 0;
        free(f);
        if (missing) {
            ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: %s is missing", v->path, name);
            goto end;
        }
    }
    if (!ended || !map || !segs)
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: %s", v->path,
                      !ended ? "the playlist does not end (no #EXT-X-ENDLIST)"
                      : !map ? "no init segment (#EXT-X-MAP)" : "no segments");
end:
    free(text);
    free(dir);
    return ret;
}

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
    double hls_total = 0;
    if (v->hls && (ret = verify_playlist(c, v, &hls_total)) < 0)
        goto end; /* again, for the total; cheap */
    int moov_ok = 0;
    if (!v->hls && !v->webm)
        CHECK(moov_first(v->path, &moov_ok) >= 0 && moov_ok, "the moov atom is not before mdat");
    int vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    int ai = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    CHECK(vi >= 0, "no video stream");
    const AVStream *vs = fmt->streams[vi];
    const AVCodecParameters *p = vs->codecpar;
    if (v->webm) {
        CHECK(!strcmp(fmt->iformat->name, "matroska,webm"), "not a WebM file (%s)", fmt->iformat->name);
        CHECK(p->codec_id == AV_CODEC_ID_AV1, "video is %s, not av1", avcodec_get_name(p->codec_id));
    } else {
        CHECK(p->codec_id == AV_CODEC_ID_H264, "video is %s, not h264", avcodec_get_name(p->codec_id));
        CHECK(stream_profile(p) == FF_PROFILE_H264_HIGH, "H.264 profile is %d, not High", stream_profile(p));
    }
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
    double vdur = v->hls ? hls_total
                  : vs->duration > 0 ? vs->duration * av_q2d(vs->time_base) : fmt->duration / 1e6;
    if (v->expect_duration_s > 0)
        CHECK(fabs(vdur - v->expect_duration_s) <= frame + 1e-3,
              "video lasts %.3f s, the clip %.3f s (more than one frame apart)", vdur,
              v->expect_duration_s);
    if (v->expect_audio) {
        CHECK(ai >= 0, "no audio stream");
        const AVStream *as = fmt->streams[ai];
        const AVCodecParameters *a = as->codecpar;
        if (v->webm)
            CHECK(a->codec_id == AV_CODEC_ID_OPUS, "audio is %s, not Opus", avcodec_get_name(a->codec_id));
        else
            CHECK(a->codec_id == AV_CODEC_ID_AAC && stream_profile(a) == FF_PROFILE_AAC_LOW,
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
