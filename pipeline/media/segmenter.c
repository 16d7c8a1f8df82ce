/*
 * segmenter.c: one HLS rendition written as CMAF fMP4: init.mp4, segments
 * seg-NNNNN.m4s cut at the video keyframes that reach each multiple of the
 * target duration, and the media playlist index.m3u8.
 *
 * FFmpeg's own HLS muxer is not used: in FFmpeg 5.1 it gives its fMP4
 * sub-muxer no way to avoid the edit list that hides x264's B-frame delay,
 * and players that ignore edit lists (hls.js, so Chromium) then show every
 * frame two frames late. Here the mp4 muxer is driven directly, as the HLS
 * and DASH muxers drive it ("frag_custom": a fragment ends when we say), with
 * negative composition offsets, so the first frame is presented at zero
 * without an edit list.
 *
 * The AAC encoder's first packet (priming, 1024 samples before zero) is
 * likewise hidden by an edit list in an MP4; a segment's decode time cannot
 * be negative, and shifting the audio to make room would put it 21 ms late
 * and past the clip's end, so that packet is left out: the sound from zero on
 * is the same, bar the priming's share of the first 21 ms, which is inside
 * the clip's fade-in where the clip cuts the recording.
 *
 * Audio packets run ahead of the video (the encoder's delay); they are held
 * back and written at each cut, so a segment carries the audio of its own
 * time span. Each segment is built in memory and written under a temporary
 * name, then renamed; the playlist is written last.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/mathematics.h>

#include "../core/util.h"
#include "media_internal.h"

struct cl_segmenter {
    char dir[4096];
    double target_s;
    AVFormatContext *mux;
    AVStream *vs, *as;
    AVRational vtb, atb; /* of the packets we are given */
    AVPacket **held;     /* audio waiting for its segment */
    int nb_held, cap_held;
    int64_t seg_start; /* pts of the segment's first frame, in vtb; AV_NOPTS_VALUE before */
    int64_t end_pts;   /* end of the last video frame seen, in vtb */
    double *durations;
    int nb_segs, cap_segs;
    int last_size;       /* bytes of the buffer taken last */
    int64_t total_bytes; /* of the segments */
    int64_t peak_bps;    /* the highest segment bit rate */
};

static int new_buffer(cl_segmenter *s)
{
    return avio_open_dyn_buf(&s->mux->pb);
}

/* Takes what the muxer wrote since the last call and writes it to `name`. */
static int take_buffer(cl_segmenter *s, const char *name)
{
    uint8_t *data = NULL;
    int size = avio_close_dyn_buf(s->mux->pb, &data);
    s->mux->pb = NULL;
    s->last_size = size;
    int ret = size < 0 ? size : 0;
    if (ret >= 0 && name) {
        char *path = cl_path_join(s->dir, name);
        ret = path ? cl_write_file_atomic(path, data, (size_t)size) : AVERROR(ENOMEM);
        free(path);
    }
    av_free(data);
    return ret;
}

int cl_segmenter_open(cl_segmenter **out, const char *dir, double target_s,
                      const AVCodecContext *venc, const AVCodecContext *aenc)
{
    cl_segmenter *s = calloc(1, sizeof(*s));
    if (!s)
        return AVERROR(ENOMEM);
    *out = s;
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    s->target_s = target_s > 0 ? target_s : 6;
    s->seg_start = AV_NOPTS_VALUE;
    s->vtb = venc->time_base;
    int ret = avformat_alloc_output_context2(&s->mux, NULL, "mp4", NULL);
    if (ret < 0)
        return ret;
    if (!(s->vs = avformat_new_stream(s->mux, NULL)) ||
        (ret = avcodec_parameters_from_context(s->vs->codecpar, venc)) < 0)
        return ret < 0 ? ret : AVERROR(ENOMEM);
    s->vs->time_base = venc->time_base;
    s->vs->sample_aspect_ratio = venc->sample_aspect_ratio;
    if (aenc) {
        s->atb = aenc->time_base;
        if (!(s->as = avformat_new_stream(s->mux, NULL)) ||
            (ret = avcodec_parameters_from_context(s->as->codecpar, aenc)) < 0)
            return ret < 0 ? ret : AVERROR(ENOMEM);
        s->as->time_base = aenc->time_base;
    }
    if ((ret = new_buffer(s)) < 0)
        return ret;
    AVDictionary *o = NULL;
    av_dict_set(&o, "movflags", "+frag_custom+empty_moov+default_base_moof+negative_cts_offsets", 0);
    ret = avformat_write_header(s->mux, &o);
    av_dict_free(&o);
    if (ret < 0)
        return ret;
    /* the header is the init segment: ftyp and an empty moov */
    if ((ret = av_write_frame(s->mux, NULL)) < 0 || (ret = take_buffer(s, "init.mp4")) < 0)
        return ret;
    return new_buffer(s);
}

/* Writes the held audio that starts before `limit` (video time base);
 * INT64_MAX: all of it. */
static int release_audio(cl_segmenter *s, int64_t limit)
{
    int n = 0, ret = 0;
    while (n < s->nb_held && ret >= 0) {
        AVPacket *p = s->held[n];
        if (limit != INT64_MAX && av_compare_ts(p->pts, s->atb, limit, s->vtb) >= 0)
            break;
        av_packet_rescale_ts(p, s->atb, s->as->time_base);
        p->stream_index = s->as->index;
        ret = av_write_frame(s->mux, p);
        av_packet_free(&s->held[n++]);
    }
    if (n > 0) {
        memmove(s->held, s->held + n, (size_t)(s->nb_held - n) * sizeof(*s->held));
        s->nb_held -= n;
    }
    return ret;
}

/* Ends the current segment at `end` (video time base). */
static int cut(cl_segmenter *s, int64_t end)
{
    char name[32];
    int ret;
    if (s->nb_segs == s->cap_segs) {
        int cap = s->cap_segs ? 2 * s->cap_segs : 64;
        double *d = realloc(s->durations, (size_t)cap * sizeof(*d));
        if (!d)
            return AVERROR(ENOMEM);
        s->durations = d;
        s->cap_segs = cap;
    }
    snprintf(name, sizeof(name), "seg-%05d.m4s", s->nb_segs);
    if ((ret = release_audio(s, end)) < 0 || (ret = av_write_frame(s->mux, NULL)) < 0 ||
        (ret = take_buffer(s, name)) < 0)
        return ret;
    double dur = (end - s->seg_start) * av_q2d(s->vtb);
    s->durations[s->nb_segs++] = dur;
    s->total_bytes += s->last_size;
    if (dur > 0 && (int64_t)ceil(s->last_size * 8.0 / dur) > s->peak_bps)
        s->peak_bps = (int64_t)ceil(s->last_size * 8.0 / dur);
    s->seg_start = end;
    return new_buffer(s);
}

int cl_segmenter_write(cl_segmenter *s, const AVPacket *pkt, int video)
{
    if (!video) {
        if (!s->as)
            return 0;
        if (pkt->pts + pkt->duration <= 0)
            return 0; /* the encoder's priming, wholly before zero (see above) */
        if (s->nb_held == s->cap_held) {
            int cap = s->cap_held ? 2 * s->cap_held : 256;
            AVPacket **h = realloc(s->held, (size_t)cap * sizeof(*h));
            if (!h)
                return AVERROR(ENOMEM);
            s->held = h;
            s->cap_held = cap;
        }
        return (s->held[s->nb_held] = av_packet_clone(pkt)) ? (s->nb_held++, 0) : AVERROR(ENOMEM);
    }
    int ret;
    if (s->seg_start == AV_NOPTS_VALUE)
        s->seg_start = pkt->pts;
    else if ((pkt->flags & AV_PKT_FLAG_KEY) &&
             (pkt->pts - s->seg_start) * av_q2d(s->vtb) >= s->target_s - 1e-3 &&
             (ret = cut(s, pkt->pts)) < 0)
        return ret;
    if (pkt->pts + pkt->duration > s->end_pts)
        s->end_pts = pkt->pts + pkt->duration;
    AVPacket *p = av_packet_clone(pkt);
    if (!p)
        return AVERROR(ENOMEM);
    av_packet_rescale_ts(p, s->vtb, s->vs->time_base);
    p->stream_index = s->vs->index;
    ret = av_write_frame(s->mux, p);
    av_packet_free(&p);
    return ret;
}

static int write_playlist(cl_segmenter *s)
{
    double longest = 0;
    for (int i = 0; i < s->nb_segs; i++)
        longest = s->durations[i] > longest ? s->durations[i] : longest;
    size_t cap = 512 + (size_t)s->nb_segs * 64, used = 0;
    char *buf = malloc(cap);
    if (!buf)
        return AVERROR(ENOMEM);
    used += (size_t)snprintf(buf, cap,
                             "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n"
                             "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                             "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init.mp4\"\n",
                             (int)ceil(longest - 1e-3));
    for (int i = 0; i < s->nb_segs; i++)
        used += (size_t)snprintf(buf + used, cap - used, "#EXTINF:%.6f,\nseg-%05d.m4s\n",
                                 s->durations[i], i);
    used += (size_t)snprintf(buf + used, cap - used, "#EXT-X-ENDLIST\n");
    char *path = cl_path_join(s->dir, "index.m3u8");
    int ret = path ? cl_write_file_atomic(path, buf, used) : AVERROR(ENOMEM);
    free(path);
    free(buf);
    return ret;
}

int cl_segmenter_finish(cl_segmenter *s)
{
    int ret;
    if (s->seg_start == AV_NOPTS_VALUE)
        return AVERROR(EINVAL); /* no video at all: the verifier says more */
    if ((ret = release_audio(s, INT64_MAX)) < 0 || (ret = cut(s, s->end_pts)) < 0)
        return ret;
    /* what the trailer adds (an mfra index) has no place in a segment */
    if ((ret = av_write_trailer(s->mux)) < 0 || (ret = take_buffer(s, NULL)) < 0)
        return ret;
    return write_playlist(s);
}

void cl_segmenter_stats(const cl_segmenter *s, int *segments, int64_t *peak_bps, int64_t *avg_bps)
{
    double total = 0;
    for (int i = 0; i < s->nb_segs; i++)
        total += s->durations[i];
    *segments = s->nb_segs;
    *peak_bps = s->peak_bps;
    *avg_bps = total > 0 ? (int64_t)ceil(s->total_bytes * 8.0 / total) : 0;
}

void cl_segmenter_free(cl_segmenter **sp)
{
    cl_segmenter *s = *sp;
    if (!s)
        return;
    if (s->mux) {
        if (s->mux->pb)
            take_buffer(s, NULL);
        avformat_free_context(s->mux);
    }
    for (int i = 0; i < s->nb_held; i++)
        av_packet_free(&s->held[i]);
    free(s->held);
    free(s->durations);
    free(s);
    *sp = NULL;
}
