/*
 * avsync: reads back the time codes of a file made from the timecoded test
 * source (tests/cli/test-timeline.sh) and prints what it finds, as JSON.
 *
 *   avsync FILE
 *
 * The source carries its frame number as a 16-bit barcode in the top
 * quarter of every picture (16 blocks across, least significant bit on the
 * left, white for 1 on grey) and a tone whose frequency says which second of
 * the recording it is: 400 + 100 * (second mod 8) Hz, changing exactly on
 * each second, so on the first frame of that second.
 *
 * Video: every frame's number and presentation time. Audio (first channel):
 * zero crossings, interpolated between samples; each half period gives a
 * frequency, classified to the nearest step; where the class changes (and
 * stays) is a second boundary of the recording. Its time against the time of
 * the frame that starts the same second is the A/V offset there.
 *
 * Output: frames, first, last (frame numbers), skipped (numbers missing or
 * out of order between consecutive frames), runs (the frame numbers as
 * runs, space-separated: "A-B" counts up from A to B, "A*K" is A held for K
 * frames, as a still intro is), video_s (last frame's end),
 * audio_s (decoded audio length), boundaries (second boundaries found),
 * offsets_ms (first, last, worst), and exit 0; exit 1 when the file cannot
 * be read, 2 on usage errors. Uses FFmpeg's libraries, never the program.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#define BITS 16
#define RATE 48000

typedef struct frame_mark {
    double t;
    long n;
} frame_mark;

typedef struct state {
    frame_mark *f;
    size_t nf, capf;
    /* audio */
    SwrContext *swr;
    double prev_sample;
    int64_t samples;
    double last_cross; /* time of the last zero crossing, < 0 before the first */
    int cls, run_cls, run_len;
    double run_start; /* time of the crossing where the current run of run_cls began */
    double *bt;       /* boundary times */
    int *bc;          /* the class after each boundary */
    size_t nb, capb;
} state;

static long read_barcode(const AVFrame *fr)
{
    long n = 0;
    int y = fr->height / 8;
    for (int k = 0; k < BITS; k++) {
        int x = (int)((k + 0.5) * fr->width / BITS);
        if (fr->data[0][(size_t)y * fr->linesize[0] + x] > 180)
            n |= 1L << k;
    }
    return n;
}

static int push_frame(state *s, double t, long n)
{
    if (s->nf == s->capf) {
        size_t cap = s->capf ? 2 * s->capf : 4096;
        frame_mark *f = realloc(s->f, cap * sizeof(*f));
        if (!f)
            return -1;
        s->f = f;
        s->capf = cap;
    }
    s->f[s->nf++] = (frame_mark){ t, n };
    return 0;
}

static int push_boundary(state *s, double t, int cls)
{
    if (s->nb == s->capb) {
        size_t cap = s->capb ? 2 * s->capb : 1024;
        double *bt = realloc(s->bt, cap * sizeof(*bt));
        int *bc = bt ? realloc(s->bc, cap * sizeof(*bc)) : NULL;
        if (bt)
            s->bt = bt;
        if (!bt || !bc)
            return -1;
        s->bc = bc;
        s->capb = cap;
    }
    s->bt[s->nb] = t;
    s->bc[s->nb++] = cls;
    return 0;
}

/* One audio sample (mono, at RATE) into the crossing detector. */
static int audio_sample(state *s, double x, double t0)
{
    int ret = 0;
    double prev = s->prev_sample;
    s->prev_sample = x;
    int64_t i = s->samples++;
    if (i == 0 || !((prev < 0 && x >= 0) || (prev >= 0 && x < 0)))
        return 0;
    double t = t0 + ((double)(i - 1) + prev / (prev - x)) / RATE;
    if (s->last_cross >= 0) {
        double f = 1.0 / (2.0 * (t - s->last_cross));
        int cls = (int)lround((f - 400) / 100);
        if (cls >= 0 && cls < 8 && fabs(f - (400 + 100 * cls)) < 35) {
            if (cls == s->run_cls) {
                /* a class that holds for 4 half periods is the tone */
                if (++s->run_len == 4 && cls != s->cls) {
                    if (s->cls >= 0)
                        ret = push_boundary(s, s->run_start, cls);
                    s->cls = cls;
                }
            } else {
                s->run_cls = cls;
                s->run_len = 1;
                s->run_start = s->last_cross; /* the new frequency's first half period began here */
            }
        } else {
            s->run_cls = -1;
            s->run_len = 0;
        }
    }
    s->last_cross = t;
    return ret;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: avsync FILE\n");
        return 2;
    }
    state s = { .last_cross = -1, .cls = -1, .run_cls = -1 };
    AVFormatContext *in = NULL;
    AVCodecContext *dec[2] = { NULL, NULL };
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    int ret = avformat_open_input(&in, argv[1], NULL, NULL);
    if (ret < 0 || (ret = avformat_find_stream_info(in, NULL)) < 0) {
        fprintf(stderr, "avsync: cannot read %s\n", argv[1]);
        return 1;
    }
    int idx[2] = { av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0),
                   av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0) };
    double a_t0 = 0;
    for (int k = 0; k < 2; k++) {
        if (idx[k] < 0)
            continue;
        AVStream *st = in->streams[idx[k]];
        const AVCodec *c = avcodec_find_decoder(st->codecpar->codec_id);
        dec[k] = c ? avcodec_alloc_context3(c) : NULL;
        if (!dec[k] || avcodec_parameters_to_context(dec[k], st->codecpar) < 0 ||
            (dec[k]->pkt_timebase = st->time_base, avcodec_open2(dec[k], c, NULL)) < 0) {
            fprintf(stderr, "avsync: cannot decode stream %d\n", idx[k]);
            return 1;
        }
    }
    if (idx[1] >= 0) {
        AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
        if (swr_alloc_set_opts2(&s.swr, &mono, AV_SAMPLE_FMT_DBL, RATE, &dec[1]->ch_layout,
                                dec[1]->sample_fmt, dec[1]->sample_rate, 0, NULL) < 0 ||
            swr_init(s.swr) < 0) {
            fprintf(stderr, "avsync: cannot resample the audio\n");
            return 1;
        }
    }
    int a_started = 0;
    double *buf = NULL;
    int buf_cap = 0;
    for (int flushing = 0; flushing < 2;) {
        int k;
        if (!flushing) {
            if (av_read_frame(in, pkt) < 0) {
                flushing = 1;
                continue;
            }
            k = pkt->stream_index == idx[0] ? 0 : pkt->stream_index == idx[1] ? 1 : -1;
            if (k < 0) {
                av_packet_unref(pkt);
                continue;
            }
            avcodec_send_packet(dec[k], pkt);
            av_packet_unref(pkt);
        } else {
            for (k = 0; k < 2; k++)
                if (dec[k])
                    avcodec_send_packet(dec[k], NULL);
            flushing = 2;
        }
        for (int j = 0; j < 2; j++) {
            while (dec[j] && avcodec_receive_frame(dec[j], fr) >= 0) {
                AVRational tb = in->streams[idx[j]]->time_base;
                int64_t pts = fr->best_effort_timestamp;
                double t = pts == AV_NOPTS_VALUE ? 0 : pts * av_q2d(tb);
                if (j == 0) {
                    if (push_frame(&s, t, read_barcode(fr)) < 0)
                        return 1;
                } else {
                    if (!a_started++)
                        a_t0 = t;
                    int n = swr_get_out_samples(s.swr, fr->nb_samples);
                    if (n > buf_cap) {
                        buf_cap = n;
                        buf = realloc(buf, (size_t)n * sizeof(*buf));
                        if (!buf)
                            return 1;
                    }
                    uint8_t *out[1] = { (uint8_t *)buf };
                    int got = swr_convert(s.swr, out, n, (const uint8_t **)fr->extended_data, fr->nb_samples);
                    for (int i = 0; i < got; i++)
                        if (audio_sample(&s, buf[i], a_t0) < 0)
                            return 1;
                }
                av_frame_unref(fr);
            }
        }
    }
    /* results */
    long skipped = 0;
    for (size_t i = 1; i < s.nf; i++)
        skipped += s.f[i].n != s.f[i - 1].n + 1;
    AVRational fr_rate = idx[0] >= 0 ? in->streams[idx[0]]->avg_frame_rate : (AVRational){ 30, 1 };
    double frame_s = fr_rate.num ? av_q2d(av_inv_q(fr_rate)) : 1 / 30.0;
    double video_s = s.nf ? s.f[s.nf - 1].t + frame_s : 0;
    double first_off = NAN, last_off = NAN, worst = 0;
    size_t matched = 0;
    for (size_t b = 0; b < s.nb; b++) {
        /* the frame that starts a second whose number mod 8 is the class, nearest in time */
        double best = INFINITY;
        for (size_t i = 0; i < s.nf; i++) {
            long n = s.f[i].n;
            if (n % 30 || (n / 30) % 8 != s.bc[b])
                continue;
            double d = s.bt[b] - s.f[i].t;
            if (fabs(d) < fabs(best))
                best = d;
        }
        if (!isfinite(best) || fabs(best) > 0.5)
            continue;
        if (!matched++)
            first_off = best;
        last_off = best;
        if (fabs(best) > fabs(worst))
            worst = best;
    }
    char runs[4096] = "";
    size_t rl = 0;
    for (size_t i = 0, j; i < s.nf && rl < sizeof(runs) - 64; i = j + 1) {
        j = i;
        if (j + 1 < s.nf && s.f[j + 1].n == s.f[i].n) {
            while (j + 1 < s.nf && s.f[j + 1].n == s.f[i].n)
                j++;
            rl += (size_t)snprintf(runs + rl, sizeof(runs) - rl, "%s%ld*%zu", rl ? " " : "", s.f[i].n, j - i + 1);
        } else {
            while (j + 1 < s.nf && s.f[j + 1].n == s.f[j].n + 1)
                j++;
            rl += (size_t)snprintf(runs + rl, sizeof(runs) - rl, "%s%ld-%ld", rl ? " " : "", s.f[i].n, s.f[j].n);
        }
    }
    printf("{\"runs\": \"%s\", \"frames\": %zu, \"first\": %ld, \"last\": %ld, \"skipped\": %ld, \"frame_s\": %.6f, "
           "\"video_start_s\": %.6f, \"video_s\": %.6f, \"audio_start_s\": %.6f, \"audio_s\": %.6f, "
           "\"boundaries\": %zu, \"matched\": %zu, \"first_offset_ms\": %.2f, \"last_offset_ms\": %.2f, "
           "\"worst_offset_ms\": %.2f}\n",
           runs, s.nf, s.nf ? s.f[0].n : -1, s.nf ? s.f[s.nf - 1].n : -1, skipped, frame_s,
           s.nf ? s.f[0].t : 0, video_s, a_t0, a_t0 + (double)s.samples / RATE, s.nb, matched,
           first_off * 1000, last_off * 1000, worst * 1000);
    free(buf);
    free(s.f);
    free(s.bt);
    free(s.bc);
    swr_free(&s.swr);
    for (int k = 0; k < 2; k++)
        avcodec_free_context(&dec[k]);
    avformat_close_input(&in);
    av_frame_free(&fr);
    av_packet_free(&pkt);
    return 0;
}
