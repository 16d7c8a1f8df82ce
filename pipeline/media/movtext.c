/*
 * movtext.c: a subtitle track as an MP4 soft track (3GPP timed text,
 * "mov_text"/tx3g): the sample description and the samples.
 *
 * A tx3g sample shows one text at a time, so overlapping cues are laid flat:
 * the clip's time is cut wherever a cue starts or ends, and each piece shows
 * the cues active in it, one above the other, in order of start. Markup is
 * dropped (plain text; players style timed text themselves). The muxer fills
 * the gaps between samples with empty ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/intreadwrite.h>
#include <libavutil/mem.h>

#include "clsub.h"
#include "media_internal.h"

/* The tx3g sample description: centred at the bottom, white text, one font. */
int cl_movtext_extradata(AVCodecParameters *par)
{
    static const char font[] = "Sans-Serif";
    const int fl = (int)sizeof(font) - 1;
    const int size = 4 + 1 + 1 + 4 + 8 + 12 + (4 + 4 + 2 + 2 + 1 + fl);
    uint8_t *x = av_mallocz((size_t)size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!x)
        return AVERROR(ENOMEM);
    uint8_t *p = x;
    AV_WB32(p, 0); /* display flags */
    p[4] = 1;      /* horizontal justification: centre */
    p[5] = 0xff;   /* vertical justification: bottom (-1) */
    AV_WB32(p + 6, 0); /* background: transparent */
    p += 10 + 8;       /* default text box: 0,0,0,0 (the whole frame) */
    AV_WB16(p, 0);     /* style record: start, end char */
    AV_WB16(p + 2, 0);
    AV_WB16(p + 4, 1); /* font id */
    p[6] = 0;          /* face: plain */
    p[7] = 18;         /* size */
    AV_WB32(p + 8, 0xffffffff); /* white, opaque */
    p += 12;
    AV_WB32(p, 4 + 4 + 2 + 2 + 1 + fl); /* ftab box */
    memcpy(p + 4, "ftab", 4);
    AV_WB16(p + 8, 1);
    AV_WB16(p + 10, 1);
    p[12] = (uint8_t)fl;
    memcpy(p + 13, font, (size_t)fl);
    par->extradata = x;
    par->extradata_size = size;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One sample: 16-bit length, then the UTF-8 text. */
static int add_sample(cl_movtext *m, int64_t start, int64_t end, const char *text, size_t len)
{
    if (len > 0xffff)
        len = 0xffff;
    if (m->n && m->s[m->n - 1].end == start && m->s[m->n - 1].pkt->size == (int)len + 2 &&
        !memcmp(m->s[m->n - 1].pkt->data + 2, text, len)) {
        m->s[m->n - 1].end = end; /* same text goes on */
        return 0;
    }
    cl_movtext_sample *s = realloc(m->s, (m->n + 1) * sizeof(*s));
    if (!s)
        return AVERROR(ENOMEM);
    m->s = s;
    AVPacket *pkt = av_packet_alloc();
    if (!pkt || av_new_packet(pkt, (int)len + 2) < 0) {
        av_packet_free(&pkt);
        return AVERROR(ENOMEM);
    }
    AV_WB16(pkt->data, (unsigned)len);
    memcpy(pkt->data + 2, text, len);
    s[m->n++] = (cl_movtext_sample){ start, end, pkt };
    return 0;
}

int cl_movtext_build(const clsub_track *t, cl_movtext *m)
{
    memset(m, 0, sizeof(*m));
    size_t nb = 2 * t->n_cues;
    int64_t *cut = malloc((nb ? nb : 1) * sizeof(*cut));
    char **plain = calloc(t->n_cues ? t->n_cues : 1, sizeof(*plain));
    char *text = NULL;
    int ret = cut && plain ? 0 : AVERROR(ENOMEM);
    for (size_t i = 0; ret >= 0 && i < t->n_cues; i++) {
        cut[2 * i] = t->cues[i].start_ms;
        cut[2 * i + 1] = t->cues[i].end_ms;
        if (clsub_cue_plain_text(&t->cues[i], &plain[i]) < 0)
            ret = AVERROR(ENOMEM);
    }
    if (ret >= 0)
        qsort(cut, nb, sizeof(*cut), cmp_i64);
    size_t cap = 0;
    for (size_t k = 0; ret >= 0 && k + 1 < nb; k++) {
        int64_t a = cut[k], b = cut[k + 1];
        if (a == b)
            continue;
        size_t len = 0;
        for (size_t i = 0; i < t->n_cues; i++) {
            if (t->cues[i].start_ms > a || t->cues[i].end_ms <= a || !plain[i][0])
                continue;
            size_t pl = strlen(plain[i]);
            if (len + pl + 2 > cap) {
                char *nt = realloc(text, cap = 2 * (len + pl + 2));
                if (!nt) {
                    ret = AVERROR(ENOMEM);
                    break;
                }
                text = nt;
            }
            if (len)
                text[len++] = '\n';
            memcpy(text + len, plain[i], pl);
            len += pl;
        }
        if (ret >= 0 && len)
            ret = add_sample(m, a, b, text, len);
    }
    for (size_t i = 0; plain && i < t->n_cues; i++)
        free(plain[i]);
    free(plain);
    free(cut);
    free(text);
    for (size_t i = 0; ret >= 0 && i < m->n; i++) {
        m->s[i].pkt->pts = m->s[i].pkt->dts = m->s[i].start;
        m->s[i].pkt->duration = m->s[i].end - m->s[i].start;
        m->s[i].pkt->flags |= AV_PKT_FLAG_KEY;
    }
    if (ret < 0)
        cl_movtext_free(m);
    return ret;
}

void cl_movtext_free(cl_movtext *m)
{
    for (size_t i = 0; i < m->n; i++)
        av_packet_free(&m->s[i].pkt);
    free(m->s);
    memset(m, 0, sizeof(*m));
}

int cl_movtext_add_streams(AVFormatContext *f, const char *const *langs, int n)
{
    for (int i = 0; i < n; i++) {
        AVStream *st = avformat_new_stream(f, NULL);
        if (!st)
            return AVERROR(ENOMEM);
        st->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
        st->codecpar->codec_id = AV_CODEC_ID_MOV_TEXT;
        st->time_base = (AVRational){ 1, 1000 };
        int ret = cl_movtext_extradata(st->codecpar);
        if (ret < 0)
            return ret;
        const char *name = clsub_language_native_name(langs[i]);
        av_dict_set(&st->metadata, "language", clsub_language_iso639_2(langs[i]), 0);
        av_dict_set(&st->metadata, "handler_name", name ? name : langs[i], 0);
    }
    return 0;
}

int cl_movtext_write(AVFormatContext *f, int first, const struct clsub_track *const *tracks, int n)
{
    for (int i = 0; i < n; i++) {
        cl_movtext m;
        int ret = cl_movtext_build(tracks[i], &m);
        for (size_t k = 0; ret >= 0 && k < m.n; k++) {
            AVStream *st = f->streams[first + i];
            av_packet_rescale_ts(m.s[k].pkt, (AVRational){ 1, 1000 }, st->time_base);
            m.s[k].pkt->stream_index = st->index;
            ret = av_interleaved_write_frame(f, m.s[k].pkt);
        }
        cl_movtext_free(&m);
        if (ret < 0)
            return ret;
    }
    return 0;
}
