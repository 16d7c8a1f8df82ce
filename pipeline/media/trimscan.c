/*
 * trimscan.c: the clip trimming helpers' look at the ends of a clip:
 * leading and trailing silence (trim_silence) and black frames (trim_black),
 * each searched at most `max_us` into the clip from its in and out points.
 *
 * Silence: the sound's level over 10 ms windows (all channels) below
 * `silence_db` dBFS. Black: a picture whose mean luma is at most
 * `black_luma` (8-bit, limited range: black is 16). Only the two ends are
 * decoded (a seek to each), never the whole clip.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixdesc.h>

#include "media_internal.h"

typedef struct end_scan {
    int64_t from, to;        /* the window, in µs of the recording (after its start time) */
    int64_t first_sound;     /* µs: first audible 10 ms window, INT64_MAX: none */
    int64_t last_sound_end;  /* µs: end of the last audible window, INT64_MIN: none */
    int64_t first_picture;   /* µs: first frame that is not black */
    int64_t last_picture_end;
    /* 10 ms windows of sound */
    int64_t win_start;
    double win_sum;
    int win_n, win_len;
} end_scan;

static void sound_window(end_scan *e, const cl_trim_scan *r)
{
    if (!e->win_n)
        return;
    double rms = sqrt(e->win_sum / e->win_n);
    double db = rms > 0 ? 20 * log10(rms) : -200;
    int64_t end = e->win_start + 10000;
    if (db > r->silence_db && e->win_start >= e->from && e->win_start < e->to) {
        if (e->win_start < e->first_sound)
            e->first_sound = e->win_start;
        if (end > e->last_sound_end)
            e->last_sound_end = end > e->to ? e->to : end;
    }
    e->win_start = end;
    e->win_sum = 0;
    e->win_n = 0;
}

static void scan_audio(end_scan *e, const cl_trim_scan *r, const AVFrame *f, int64_t t_us)
{
    int ch = f->ch_layout.nb_channels, rate = f->sample_rate;
    int planar = av_sample_fmt_is_planar(f->format);
    enum AVSampleFormat packed = av_get_packed_sample_fmt(f->format);
    if (e->win_start == INT64_MIN)
        e->win_start = t_us;
    e->win_len = rate / 100;
    for (int i = 0; i < f->nb_samples; i++) {
        double s2 = 0;
        for (int c = 0; c < ch; c++) {
            const uint8_t *p = planar ? f->extended_data[c] : f->extended_data[0];
            int idx = planar ? i : i * ch + c;
            double v = 0;
            switch (packed) {
            case AV_SAMPLE_FMT_FLT: v = ((const float *)p)[idx]; break;
            case AV_SAMPLE_FMT_DBL: v = ((const double *)p)[idx]; break;
            case AV_SAMPLE_FMT_S16: v = ((const int16_t *)p)[idx] / 32768.0; break;
            case AV_SAMPLE_FMT_S32: v = ((const int32_t *)p)[idx] / 2147483648.0; break;
            case AV_SAMPLE_FMT_U8: v = (((const uint8_t *)p)[idx] - 128) / 128.0; break;
            default: break;
            }
            s2 += v * v;
        }
        e->win_sum += s2 / (ch ? ch : 1);
        if (++e->win_n >= e->win_len)
            sound_window(e, r);
    }
}

static double mean_luma(const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!d || (d->flags & AV_PIX_FMT_FLAG_RGB) || d->comp[0].depth < 8)
        return -1;
    int shift = d->comp[0].depth - 8, step = d->comp[0].step;
    double sum = 0;
    int n = 0;
    for (int y = 0; y < f->height; y += 4) { /* every 4th line and column: plenty */
        const uint8_t *row = f->data[d->comp[0].plane] + (size_t)y * f->linesize[d->comp[0].plane];
        for (int x = 0; x < f->width; x += 4, n++)
            sum += d->comp[0].depth > 8 ? (double)(((const uint16_t *)row)[x * step / 2] >> shift)
                                : row[x * step + d->comp[0].offset];
    }
    return n ? sum / n : -1;
}

/* Decodes the part of the recording that covers [e->from, e->to). */
static int scan_end(clipline_context *c, const cl_trim_scan *r, end_scan *e)
{
    AVFormatContext *in = NULL;
    AVCodecContext *dec[2] = { NULL, NULL };
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int ret = pkt && f ? avformat_open_input(&in, r->source, NULL, NULL) : AVERROR(ENOMEM);
    if (ret >= 0)
        ret = cl_find_stream_info(in);
    int idx[2] = { -1, -1 };
    if (ret >= 0) {
        idx[0] = r->black ? av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0) : -1;
        idx[1] = r->silence ? av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0) : -1;
    }
    for (int k = 0; ret >= 0 && k < 2; k++) {
        if (idx[k] < 0)
            continue;
        ret = cl_open_decoder(in->streams[idx[k]], 0, &dec[k]);
    }
    int64_t start = ret >= 0 && in->start_time != AV_NOPTS_VALUE ? in->start_time : 0;
    if (ret >= 0 && e->from > 0)
        ret = avformat_seek_file(in, -1, INT64_MIN, start + e->from, start + e->from, 0);
    int done[2] = { idx[0] < 0, idx[1] < 0 };
    while (ret >= 0 && !(done[0] && done[1])) {
        int rr = av_read_frame(in, pkt);
        int k = rr < 0 ? -1 : pkt->stream_index == idx[0] ? 0 : pkt->stream_index == idx[1] ? 1 : -1;
        if (rr >= 0 && k < 0) {
            av_packet_unref(pkt);
            continue;
        }
        for (int j = 0; j < 2; j++) {
            if (done[j] || (rr >= 0 && j != k))
                continue;
            avcodec_send_packet(dec[j], rr < 0 ? NULL : pkt);
            while (avcodec_receive_frame(dec[j], f) >= 0) {
                AVRational tb = in->streams[idx[j]]->time_base;
                int64_t t = f->best_effort_timestamp == AV_NOPTS_VALUE
                                ? 0
                                : av_rescale_q(f->best_effort_timestamp, tb, AV_TIME_BASE_Q) - start;
                if (t >= e->to) {
                    done[j] = 1;
                } else if (j == 1) {
                    scan_audio(e, r, f, t);
                } else {
                    int64_t dur = f->pkt_duration > 0 ? av_rescale_q(f->pkt_duration, tb, AV_TIME_BASE_Q) : 0;
                    double l = t + dur > e->from ? mean_luma(f) : -1;
                    if (l > r->black_luma) {
                        if (t < e->first_picture)
                            e->first_picture = t < e->from ? e->from : t;
                        int64_t end = t + (dur ? dur : 1);
                        if (end > e->last_picture_end)
                            e->last_picture_end = end > e->to ? e->to : end;
                    }
                }
                av_frame_unref(f);
            }
            if (rr < 0)
                done[j] = 1;
        }
        av_packet_unref(pkt);
    }
    sound_window(e, r);
    if (ret < 0)
        ret = cl_fail(c, CLIPLINE_ERROR_INPUT, "%s: cannot look for silence or black frames: %s",
                      r->source, clipline_strerror(ret));
    for (int k = 0; k < 2; k++)
        avcodec_free_context(&dec[k]);
    avformat_close_input(&in);
    av_frame_free(&f);
    av_packet_free(&pkt);
    return ret < 0 ? ret : 0;
}

int cl_media_trim_scan(clipline_context *c, cl_trim_scan *r)
{
    int64_t len = r->out_us - r->in_us, max = r->max_us < len / 2 ? r->max_us : len / 2;
    end_scan head = { r->in_us, r->in_us + max, INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN, INT64_MIN, 0, 0, 0 };
    end_scan tail = { r->out_us - max, r->out_us, INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN, INT64_MIN, 0, 0, 0 };
    int ret = scan_end(c, r, &head);
    if (ret >= 0)
        ret = scan_end(c, r, &tail);
    if (ret < 0)
        return ret;
    /* nothing audible (visible) in the whole window: trim it all, up to the bound */
    r->silence_lead_us = head.first_sound == INT64_MAX ? max : head.first_sound - head.from;
    r->silence_trail_us = tail.last_sound_end == INT64_MIN ? max : tail.to - tail.last_sound_end;
    r->black_lead_us = head.first_picture == INT64_MAX ? max : head.first_picture - head.from;
    r->black_trail_us = tail.last_picture_end == INT64_MIN ? max : tail.to - tail.last_picture_end;
    return 0;
}
