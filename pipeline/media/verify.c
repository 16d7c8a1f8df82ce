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

/* ---- fMP4 timing, read from the boxes ----
 * FFmpeg 5.1's mov demuxer moves pictures with negative composition offsets
 * later by the largest offset (its "dts_shift"), so through it an fMP4
 * rendition that starts at 0 seems to start 2 frames late. What players use
 * is in the boxes: a track's first sample is presented at the fragment's
 * decode time (tfdt) plus the sample's composition offset (trun). */
typedef struct fmp4_track {
    uint32_t id, timescale;
    char handler[5];
    int has_start;
    double start;
} fmp4_track;

static int read_whole(const char *path, uint8_t **buf, size_t *len)
{
    char *b = NULL;
    int ret = cl_read_file(path, 64 << 20, &b, len);
    *buf = (uint8_t *)b;
    return ret;
}

/* Walks the boxes of [p, end): containers are entered, leaves handled. */
static void fmp4_walk(const uint8_t *p, const uint8_t *end, fmp4_track *t, int *nt, uint32_t *cur_id,
                      uint64_t *tfdt)
{
    while (end - p >= 8) {
        uint64_t size = AV_RB32(p);
        const uint8_t *body = p + 8;
        if (size == 1 && end - p >= 16) {
            size = AV_RB64(p + 8);
            body = p + 16;
        }
        if (size < 8 || size > (uint64_t)(end - p))
            return;
        const uint8_t *bend = p + size;
        uint32_t type = AV_RB32(p + 4);
        int ver = bend - body >= 4 ? body[0] : -1;
        uint32_t flags = bend - body >= 4 ? AV_RB24(body + 1) : 0;
        if (type == MKBETAG('m', 'o', 'o', 'v') || type == MKBETAG('t', 'r', 'a', 'k') ||
            type == MKBETAG('m', 'd', 'i', 'a') || type == MKBETAG('m', 'o', 'o', 'f') ||
            type == MKBETAG('t', 'r', 'a', 'f')) {
            if (type == MKBETAG('t', 'r', 'a', 'k') && *nt < 8)
                memset(&t[(*nt)++], 0, sizeof(*t));
            fmp4_walk(body, bend, t, nt, cur_id, tfdt);
        } else if (type == MKBETAG('t', 'k', 'h', 'd') && *nt && bend - body >= (ver == 1 ? 24 : 16)) {
            t[*nt - 1].id = AV_RB32(body + (ver == 1 ? 20 : 12));
        } else if (type == MKBETAG('m', 'd', 'h', 'd') && *nt && bend - body >= (ver == 1 ? 24 : 16)) {
            t[*nt - 1].timescale = AV_RB32(body + (ver == 1 ? 20 : 12));
        } else if (type == MKBETAG('h', 'd', 'l', 'r') && *nt && bend - body >= 12) {
            memcpy(t[*nt - 1].handler, body + 8, 4);
        } else if (type == MKBETAG('t', 'f', 'h', 'd') && bend - body >= 8) {
            *cur_id = AV_RB32(body + 4);
        } else if (type == MKBETAG('t', 'f', 'd', 't') && bend - body >= (ver == 1 ? 12 : 8)) {
            *tfdt = ver == 1 ? AV_RB64(body + 4) : AV_RB32(body + 4);
        } else if (type == MKBETAG('t', 'r', 'u', 'n') && bend - body >= 8) {
            const uint8_t *q = body + 8;
            q += (flags & 0x1) ? 4 : 0;
            q += (flags & 0x4) ? 4 : 0;
            q += (flags & 0x100) ? 4 : 0;
            q += (flags & 0x200) ? 4 : 0;
            q += (flags & 0x400) ? 4 : 0;
            int64_t cts = 0;
            if ((flags & 0x800) && bend - q >= 4)
                cts = ver == 1 ? (int32_t)AV_RB32(q) : (int64_t)AV_RB32(q);
            for (int i = 0; i < *nt; i++)
                if (t[i].id == *cur_id && t[i].timescale && !t[i].has_start) {
                    t[i].start = ((double)*tfdt + (double)cts) / t[i].timescale;
                    t[i].has_start = 1;
                }
        }
        p = bend;
    }
}

/* When the first video and audio samples of an fMP4 rendition are shown. */
static int fmp4_starts(const char *init, const char *segment, double *vstart, double *astart)
{
    uint8_t *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    fmp4_track t[8];
    int nt = 0, ret = -1;
    uint32_t cur = 0;
    uint64_t tfdt = 0;
    if (read_whole(init, &a, &la) >= 0 && read_whole(segment, &b, &lb) >= 0) {
        fmp4_walk(a, a + la, t, &nt, &cur, &tfdt);
        fmp4_walk(b, b + lb, t, &nt, &cur, &tfdt);
        int have_v = 0;
        *astart = 0;
        for (int i = 0; i < nt; i++) {
            if (!t[i].has_start)
                continue;
            if (!strcmp(t[i].handler, "vide") && !have_v++)
                *vstart = t[i].start;
            else if (!strcmp(t[i].handler, "soun"))
                *astart = t[i].start;
        }
        ret = have_v ? 0 : -1;
    }
    free(a);
    free(b);
    return ret;
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

/* The output as messages name it. */
static const char *shown(const cl_verify_req *v)
{
    return v->name ? v->name : v->path;
}

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            char why_[512];                                                                \
            snprintf(why_, sizeof(why_), __VA_ARGS__);                                     \
            ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: %s", shown(v), \
                          why_);                                                           \
            goto end;                                                                      \
        }                                                                                  \
    } while (0)

/* A media playlist: ends, names an init segment, every file exists, and
 * its segments add up to the clip. */
typedef struct playlist_facts {
    double total;        /* sum of EXTINF */
    char init[1024];     /* EXT-X-MAP URI */
    char first[1024];    /* first segment */
} playlist_facts;

static int verify_playlist(clipline_context *c, const cl_verify_req *v, playlist_facts *pf)
{
    double *total = &pf->total;
    char *text = NULL, *dir = cl_path_dir(v->path);
    int ret = cl_read_file(v->path, 4 << 20, &text, NULL), segs = 0, ended = 0, map = 0;
    *total = 0;
    if (ret < 0 || !dir) {
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: unreadable playlist", shown(v));
        goto end;
    }
    if (strncmp(text, "#EXTM3U", 7)) {
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: not an M3U8 playlist", shown(v));
        goto end;
    }
    for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
        char name[1024] = "";
        if (!strncmp(l, "#EXTINF:", 8))
            *total += atof(l + 8);
        else if (!strcmp(l, "#EXT-X-ENDLIST"))
            ended = 1;
        else if (!strncmp(l, "#EXT-X-MAP:URI=\"", 16) && strchr(l + 16, '"'))
            snprintf(name, sizeof(name), "%.*s", (int)(strchr(l + 16, '"') - (l + 16)), l + 16), map = 1,
                snprintf(pf->init, sizeof(pf->init), "%s", name);
        else if (l[0] != '#' && !segs++)
            snprintf(name, sizeof(name), "%s", l), snprintf(pf->first, sizeof(pf->first), "%s", l);
        else if (l[0] != '#')
            snprintf(name, sizeof(name), "%s", l);
        if (!name[0])
            continue;
        char *f = cl_path_join(dir, name);
        int missing = !f || access(f, R_OK) != 0;
        free(f);
        if (missing) {
            ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: %s is missing", shown(v), name);
            goto end;
        }
    }
    if (!ended || !map || !segs)
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: %s", shown(v),
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
                       shown(v), cl_averr(ret, e));
    if ((ret = avformat_find_stream_info(fmt, NULL)) < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: verification failed: unreadable streams (%s)",
                      shown(v), cl_averr(ret, e));
        goto end;
    }
    playlist_facts pf = { 0 };
    double hls_total = 0, hls_vstart = 0, hls_astart = 0;
    if (v->hls && (ret = verify_playlist(c, v, &pf)) < 0)
        goto end; /* again, for the total; cheap */
    hls_total = pf.total;
    if (v->hls) {
        char *dir = cl_path_dir(v->path);
        char *init = dir ? cl_path_join(dir, pf.init) : NULL, *first = dir ? cl_path_join(dir, pf.first) : NULL;
        int ok = init && first && fmp4_starts(init, first, &hls_vstart, &hls_astart) >= 0;
        free(dir);
        free(init);
        free(first);
        CHECK(ok, "cannot read the first segment's timing (%s)", pf.first);
        CHECK(fabs(hls_vstart) < 1e-6, "the first frame is presented at %.3f s, not 0", hls_vstart);
    }
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
        if (v->hls) { /* from the segment's own boxes (see fmp4_starts) */
            vstart = hls_vstart;
            astart = hls_astart;
        }
        CHECK(fabs(vstart - astart) < frame, "audio and video start %.3f s apart",
              fabs(vstart - astart));
    }
    ret = 0;
end:
    avformat_close_input(&fmt);
    return ret;
}
