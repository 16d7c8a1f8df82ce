/*
 * probe.c: what a recording is: container, duration and per-stream facts.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#include "media_internal.h"

#define PROBE_MAX_STREAMS 64
#define VFR_PACKETS 300

static const char *field_order_name(enum AVFieldOrder fo)
{
    switch (fo) {
    case AV_FIELD_PROGRESSIVE: return "progressive";
    case AV_FIELD_TT: return "tt";
    case AV_FIELD_BB: return "bb";
    case AV_FIELD_TB: return "tb";
    case AV_FIELD_BT: return "bt";
    default: return "unknown";
    }
}

static void copy_name(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "unknown");
}

static void video_facts(const AVStream *st, clipline_stream_info *s)
{
    const AVCodecParameters *p = st->codecpar;
    s->width = p->width;
    s->height = p->height;
    AVRational sar = st->sample_aspect_ratio.num ? st->sample_aspect_ratio : p->sample_aspect_ratio;
    if (!sar.num || !sar.den)
        sar = (AVRational){ 1, 1 };
    s->sar_num = sar.num;
    s->sar_den = sar.den;
    if (p->width && p->height)
        av_reduce(&s->dar_num, &s->dar_den, (int64_t)p->width * sar.num,
                  (int64_t)p->height * sar.den, 1 << 30);
    const uint8_t *dm = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (dm) {
        double r = av_display_rotation_get((const int32_t *)dm);
        s->rotation = isnan(r) ? 0 : r;
    }
    copy_name(s->field_order, sizeof(s->field_order), field_order_name(p->field_order));
    AVRational fr = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    s->frame_rate = fr.den ? av_q2d(fr) : 0;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(p->format);
    copy_name(s->pix_fmt, sizeof(s->pix_fmt), d ? d->name : NULL);
    s->bit_depth = d ? d->comp[0].depth : 0;
    copy_name(s->color_range, sizeof(s->color_range), av_color_range_name(p->color_range));
    copy_name(s->color_primaries, sizeof(s->color_primaries),
              av_color_primaries_name(p->color_primaries));
    copy_name(s->color_transfer, sizeof(s->color_transfer), av_color_transfer_name(p->color_trc));
    copy_name(s->color_space, sizeof(s->color_space), av_color_space_name(p->color_space));
}

static void audio_facts(const AVStream *st, clipline_stream_info *s)
{
    const AVCodecParameters *p = st->codecpar;
    s->sample_rate = p->sample_rate;
    s->channels = p->ch_layout.nb_channels;
    if (av_channel_layout_describe(&p->ch_layout, s->channel_layout, sizeof(s->channel_layout)) < 0)
        copy_name(s->channel_layout, sizeof(s->channel_layout), NULL);
}

/* Looks at the first packets' timestamps: differing frame durations mean VFR. */
static void detect_vfr(AVFormatContext *fmt, clipline_media_info *info)
{
    int64_t last[PROBE_MAX_STREAMS], delta[PROBE_MAX_STREAMS];
    int count[PROBE_MAX_STREAMS];
    for (int i = 0; i < PROBE_MAX_STREAMS; i++) {
        last[i] = AV_NOPTS_VALUE;
        delta[i] = 0;
        count[i] = 0;
    }
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return;
    /* timestamps of B-frame streams come out of order: sort per stream later
     * would be exact; decode order dts deltas are enough to see VFR */
    for (int n = 0; n < VFR_PACKETS && av_read_frame(fmt, pkt) >= 0; n++) {
        int i = pkt->stream_index;
        if (i < PROBE_MAX_STREAMS && i < info->nb_streams && !strcmp(info->streams[i].type, "video") &&
            pkt->dts != AV_NOPTS_VALUE) {
            if (last[i] != AV_NOPTS_VALUE) {
                int64_t d = pkt->dts - last[i];
                if (count[i] && d != delta[i] && llabs(d - delta[i]) > 1)
                    info->streams[i].variable_frame_rate = 1;
                delta[i] = d;
                count[i]++;
            }
            last[i] = pkt->dts;
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
}

int cl_media_probe(clipline_context *c, const char *path, clipline_media_info **out)
{
    *out = NULL;
    AVFormatContext *fmt = NULL;
    clipline_media_info *info = NULL;
    struct stat stt;
    if (stat(path, &stt) < 0)
        return cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(stt.st_mode))
        return cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: is a folder, not a recording", path);
    if (!S_ISREG(stt.st_mode)) /* a pipe would block, a device never end */
        return cl_fail(c, CLIPLINE_ERROR_INPUT,
                       "%s: not a file (a pipe or a device); recordings are read from files", path);
    if (stt.st_size == 0)
        return cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: the file is empty (0 bytes)", path);
    char why[CL_WHY_MAX];
    cl_ffmpeg_said_clear();
    int ret = avformat_open_input(&fmt, path, NULL, NULL);
    if (ret < 0)
        return cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: not a media file FFmpeg can read (%s)", path,
                       cl_averr_why(ret, why));
    if ((ret = cl_find_stream_info(fmt)) < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: cannot read the streams (%s)", path,
                      cl_averr_why(ret, why));
        goto end;
    }
    if (fmt->nb_streams > PROBE_MAX_STREAMS) {
        ret = cl_fail(c, CLIPLINE_ERROR_LIMIT, "%s: %u streams (the limit is %d)", path,
                      fmt->nb_streams, PROBE_MAX_STREAMS);
        goto end;
    }
    info = calloc(1, sizeof(*info));
    if (!info || !(info->streams = calloc(fmt->nb_streams ? fmt->nb_streams : 1, sizeof(*info->streams)))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    info->path = strdup(path);
    copy_name(info->container, sizeof(info->container), fmt->iformat->name);
    info->duration_s = fmt->duration > 0 ? fmt->duration / (double)AV_TIME_BASE : 0;
    info->start_time_s = fmt->start_time != AV_NOPTS_VALUE ? fmt->start_time / (double)AV_TIME_BASE : 0;
    info->bit_rate = fmt->bit_rate;
    info->size_bytes = stt.st_size;
    info->nb_streams = (int)fmt->nb_streams;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        const AVCodecParameters *p = st->codecpar;
        clipline_stream_info *s = &info->streams[i];
        s->index = (int)i;
        copy_name(s->type, sizeof(s->type), av_get_media_type_string(p->codec_type));
        copy_name(s->codec, sizeof(s->codec), avcodec_get_name(p->codec_id));
        const char *prof = avcodec_profile_name(p->codec_id, p->profile);
        snprintf(s->profile, sizeof(s->profile), "%s", prof ? prof : "");
        s->bit_rate = p->bit_rate;
        s->duration_s = st->duration > 0 ? st->duration * av_q2d(st->time_base) : 0;
        AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
        snprintf(s->language, sizeof(s->language), "%s", lang ? lang->value : "");
        if (p->codec_type == AVMEDIA_TYPE_VIDEO)
            video_facts(st, s);
        else if (p->codec_type == AVMEDIA_TYPE_AUDIO)
            audio_facts(st, s);
    }
    detect_vfr(fmt, info);
    *out = info;
    info = NULL;
    ret = 0;
end:
    clipline_media_info_free(&info);
    avformat_close_input(&fmt);
    return ret;
}

int cl_check_picture_size(clipline_context *c, const char *what, int w, int h)
{
    if (w <= CL_PICTURE_MAX_SIDE && h <= CL_PICTURE_MAX_SIDE && (int64_t)w * h <= CL_PICTURE_MAX_PIXELS)
        return 0;
    return cl_fail(c, CLIPLINE_ERROR_LIMIT,
                   "%s: the picture is %dx%d (the limit is %d pixels a side, %d megapixels in all)", what, w,
                   h, CL_PICTURE_MAX_SIDE, CL_PICTURE_MAX_PIXELS / 1000000);
}

int cl_media_source_facts(clipline_context *c, const char *path, cl_source_facts *f)
{
    memset(f, 0, sizeof(*f));
    clipline_media_info *info = NULL;
    int ret = cl_media_probe(c, path, &info);
    if (ret < 0)
        return ret;
    f->duration_s = info->duration_s;
    f->still = cl_is_still_format(info->container);
    for (int i = 0; i < info->nb_streams; i++) {
        const clipline_stream_info *s = &info->streams[i];
        if (!strcmp(s->type, "video") && (ret = cl_check_picture_size(c, path, s->width, s->height)) < 0)
            break;
        if (!strcmp(s->type, "video") && !f->has_video) {
            f->has_video = 1;
            f->frame_rate = s->frame_rate;
        } else if (!strcmp(s->type, "audio")) {
            f->has_audio = 1;
        }
    }
    clipline_media_info_free(&info);
    return ret;
}

/* ---- public API ---- */
int clipline_probe(clipline_context *c, const char *path, clipline_media_info **info)
{
    CL_CHECK_ARG(c, path && info);
    return cl_media_probe(c, path, info);
}

void clipline_media_info_free(clipline_media_info **info)
{
    if (!info || !*info)
        return;
    free((*info)->streams);
    free((*info)->path);
    free(*info);
    *info = NULL;
}

static json_t *stream_json(const clipline_stream_info *s)
{
    json_t *o = json_pack("{s:i,s:s,s:s}", "index", s->index, "type", s->type, "codec", s->codec);
    if (s->profile[0])
        json_object_set_new(o, "profile", json_string(s->profile));
    if (s->bit_rate > 0)
        json_object_set_new(o, "bit_rate", json_integer(s->bit_rate));
    if (s->duration_s > 0)
        json_object_set_new(o, "duration_s", json_real(s->duration_s));
    if (s->language[0])
        json_object_set_new(o, "language", json_string(s->language));
    if (!strcmp(s->type, "video")) {
        char sar[32], dar[32];
        snprintf(sar, sizeof(sar), "%d:%d", s->sar_num, s->sar_den);
        snprintf(dar, sizeof(dar), "%d:%d", s->dar_num, s->dar_den);
        json_t *v = json_pack("{s:i,s:i,s:s,s:s,s:f,s:s,s:f,s:b,s:s,s:i,s:s,s:s,s:s,s:s}", "width",
                              s->width, "height", s->height, "sar", sar, "dar", dar, "rotation",
                              s->rotation, "field_order", s->field_order, "frame_rate", s->frame_rate,
                              "variable_frame_rate", s->variable_frame_rate, "pix_fmt", s->pix_fmt,
                              "bit_depth", s->bit_depth, "color_range", s->color_range,
                              "color_primaries", s->color_primaries, "color_transfer",
                              s->color_transfer, "color_space", s->color_space);
        json_object_update(o, v);
        json_decref(v);
    } else if (!strcmp(s->type, "audio")) {
        json_t *a = json_pack("{s:i,s:i,s:s}", "sample_rate", s->sample_rate, "channels",
                              s->channels, "channel_layout", s->channel_layout);
        json_object_update(o, a);
        json_decref(a);
    }
    return o;
}

char *clipline_media_info_json(const clipline_media_info *info)
{
    if (!info)
        return NULL;
    json_t *streams = json_array();
    for (int i = 0; i < info->nb_streams; i++)
        json_array_append_new(streams, stream_json(&info->streams[i]));
    json_t *o = json_pack("{s:s,s:s,s:f,s:f,s:I,s:I,s:o}", "path", info->path, "container",
                          info->container, "duration_s", info->duration_s, "start_time_s",
                          info->start_time_s, "bit_rate", (json_int_t)info->bit_rate, "size_bytes",
                          (json_int_t)info->size_bytes, "streams", streams);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
