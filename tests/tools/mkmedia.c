/*
 * mkmedia: generate media files for tests, demos and benchmarks through
 * libavfilter source graphs, libavcodec encoders and libavformat muxers.
 * It never runs the ffmpeg program.
 *
 *   mkmedia OUT --duration SECONDS [--video GRAPH] [--audio GRAPH | --audio-file FILE] ...
 *
 * Each stream is a filter graph ending in a buffersink: a source graph given
 * on the command line (video or audio), or, for --audio-file, a decoder
 * feeding an abuffer source.  mkmedia appends trim and format filters so the
 * graph ends at --duration in the encoder's format, encodes the two streams
 * in step (whichever is behind goes next, so the file is well interleaved)
 * and writes OUT.tmp, renamed to OUT on success.
 *
 * Exit codes: 0 written, 1 failure while generating, 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libavutil/parseutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>

#define X264_DEFAULT_THREADS "4" /* fixed, so output does not depend on the machine */
#define VFR_TIME_BASE (AVRational){ 1, 90000 }

enum OptionId {
    OPT_DURATION = 1, OPT_VIDEO, OPT_VCODEC, OPT_VOPT, OPT_PIX_FMT, OPT_VFR,
    OPT_AUDIO, OPT_AUDIO_FILE, OPT_ACODEC, OPT_AOPT, OPT_ROTATE, OPT_FIELD_ORDER,
    OPT_SAR, OPT_AUDIO_DELAY, OPT_AUDIO_COPIES, OPT_FORMAT, OPT_MOPT, OPT_METADATA, OPT_QUIET, OPT_HELP,
};

typedef struct OptionDef {
    const char *name;
    const char *arg; /* NULL: a flag */
    enum OptionId id;
    const char *help;
} OptionDef;

/* One table drives parsing and --help. */
static const OptionDef option_table[] = {
    { "duration", "SECONDS", OPT_DURATION, "length of the file (required)" },
    { "video", "GRAPH", OPT_VIDEO, "libavfilter source graph for the video stream,\n"
      "e.g. \"testsrc2=size=1920x1080:rate=30,noise=alls=8:allf=t\"" },
    { "vcodec", "NAME", OPT_VCODEC, "video encoder (default libx264)" },
    { "vopt", "KEY=VALUE", OPT_VOPT, "video encoder option, repeatable (e.g. preset=veryfast,\n"
      "b=8M, x264-params=keyint=60); an option the encoder does not use is an error" },
    { "pix-fmt", "FMT", OPT_PIX_FMT, "pixel format to encode (default: the encoder's first)" },
    { "vfr", NULL, OPT_VFR, "keep the graph's own frame timestamps (1/90000 time base)\n"
      "instead of numbering frames at the graph's constant frame rate" },
    { "audio", "GRAPH", OPT_AUDIO, "libavfilter source graph for the audio stream,\n"
      "e.g. \"sine=frequency=440:sample_rate=48000\"" },
    { "audio-file", "FILE", OPT_AUDIO_FILE, "take the audio from FILE (any format libavformat reads);\n"
      "padded with silence up to the duration" },
    { "acodec", "NAME", OPT_ACODEC, "audio encoder (default pcm_s16le for mov, else aac)" },
    { "aopt", "KEY=VALUE", OPT_AOPT, "audio encoder option, repeatable (e.g. b=128k)" },
    { "rotate", "DEG", OPT_ROTATE, "store a display matrix: the picture must be turned DEG\n"
      "degrees clockwise to show upright, as phones do (ffprobe shows rotation -DEG)" },
    { "field-order", "ORDER", OPT_FIELD_ORDER, "progressive, tt, bb, tb or bt; for libx264 the\n"
      "stream is coded interlaced (+ildct+ilme)" },
    { "sar", "N:D", OPT_SAR, "sample aspect ratio" },
    { "audio-delay", "SECONDS", OPT_AUDIO_DELAY, "start the audio stream this late" },
    { "audio-copies", "N", OPT_AUDIO_COPIES, "write the audio stream N times (N streams with the same\n"
      "packets), for files with very many streams" },
    { "format", "NAME", OPT_FORMAT, "muxer (default: chosen by OUT's extension)" },
    { "mopt", "KEY=VALUE", OPT_MOPT, "muxer option, repeatable (e.g. movflags=+faststart);\n"
      "an option the muxer does not use is an error" },
    { "metadata", "KEY=VALUE", OPT_METADATA, "container metadata, repeatable" },
    { "quiet", NULL, OPT_QUIET, "do not print the summary line" },
    { "help", NULL, OPT_HELP, "show this help" },
};

typedef struct Settings {
    const char *out;
    double duration;
    const char *video, *vcodec, *pix_fmt;
    AVDictionary *vopts;
    int vfr;
    const char *audio, *audio_file, *acodec;
    AVDictionary *aopts;
    int has_rotate;
    double rotate;
    enum AVFieldOrder field_order;
    AVRational sar;
    double audio_delay;
    int audio_copies;
    const char *format;
    AVDictionary *mopts;
    AVDictionary *metadata;
    int quiet;
} Settings;

typedef struct Track {
    const char *label;
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;  /* src only for --audio-file */
    AVFormatContext *in;          /* --audio-file input */
    AVCodecContext *dec;
    int in_index, in_eof;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame;
    AVPacket *pkt;
    int64_t count;       /* frames (CFR video) or samples (audio) encoded */
    int64_t offset;      /* audio: delay, in samples */
    int64_t first_pts;   /* VFR video: the graph's first timestamp */
    int64_t last_pts;
    double clock;        /* seconds of output reached */
    int vfr, done;
} Track;

typedef struct Output {
    AVFormatContext *oc;
    char *tmp;
    Track video, audio;
    int has_video, has_audio;
    AVStream **copies; /* --audio-copies: the audio's other streams */
    int nb_copies;
} Output;

static void fail(const char *fmt, ...)
{
    va_list ap;
    fputs("mkmedia: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *err2str(int err)
{
    static char buf[AV_ERROR_MAX_STRING_SIZE];
    return av_make_error_string(buf, sizeof(buf), err);
}

static void usage(FILE *f)
{
    fputs("usage: mkmedia OUT --duration SECONDS [--video GRAPH] [--audio GRAPH | --audio-file FILE]\n"
          "               [options]\n"
          "Generate a media file from libavfilter source graphs (and/or an audio file),\n"
          "encoded with libavcodec and written with the muxer OUT's extension selects.\n"
          "At least one of --video, --audio, --audio-file is required.\n\noptions:\n", f);
    for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++) {
        const OptionDef *o = &option_table[i];
        char head[64];
        snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-22s ", head);
        for (const char *p = o->help; *p; p++) {
            fputc(*p, f);
            if (*p == '\n')
                fprintf(f, "  %-22s ", "");
        }
        fputc('\n', f);
    }
    fputs("\nexit status: 0 written, 1 generation failed, 2 usage error\n"
          "example:\n  mkmedia clip.mov --duration 4 --video testsrc2=size=1280x720:rate=25 \\\n"
          "          --audio sine=frequency=440:sample_rate=48000 --vopt preset=ultrafast\n", f);
}

static int add_kv(AVDictionary **d, const char *kv, const char *what)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fail("%s expects KEY=VALUE, got '%s'", what, kv);
        return AVERROR(EINVAL);
    }
    char *key = av_strndup(kv, (size_t)(eq - kv));
    if (!key)
        return AVERROR(ENOMEM);
    int ret = av_dict_set(d, key, eq + 1, AV_DICT_DONT_STRDUP_KEY);
    return ret < 0 ? ret : 0;
}

static int parse_number(const char *s, const char *what, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) {
        fail("%s expects a number, got '%s'", what, s);
        return AVERROR(EINVAL);
    }
    *out = v;
    return 0;
}

static int parse_field_order(const char *s, enum AVFieldOrder *out)
{
    static const struct { const char *name; enum AVFieldOrder order; } names[] = {
        { "progressive", AV_FIELD_PROGRESSIVE }, { "tt", AV_FIELD_TT }, { "bb", AV_FIELD_BB },
        { "tb", AV_FIELD_TB }, { "bt", AV_FIELD_BT },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!strcmp(s, names[i].name)) {
            *out = names[i].order;
            return 0;
        }
    }
    fail("--field-order expects progressive, tt, bb, tb or bt, got '%s'", s);
    return AVERROR(EINVAL);
}

static const OptionDef *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++)
        if (strlen(option_table[i].name) == len && !strncmp(option_table[i].name, name, len))
            return &option_table[i];
    return NULL;
}

static int apply_option(Settings *s, enum OptionId id, const char *v)
{
    int ret = 0;
    switch (id) {
    case OPT_DURATION:    ret = parse_number(v, "--duration", &s->duration); break;
    case OPT_VIDEO:       s->video = v; break;
    case OPT_VCODEC:      s->vcodec = v; break;
    case OPT_VOPT:        ret = add_kv(&s->vopts, v, "--vopt"); break;
    case OPT_PIX_FMT:     s->pix_fmt = v; break;
    case OPT_VFR:         s->vfr = 1; break;
    case OPT_AUDIO:       s->audio = v; break;
    case OPT_AUDIO_FILE:  s->audio_file = v; break;
    case OPT_ACODEC:      s->acodec = v; break;
    case OPT_AOPT:        ret = add_kv(&s->aopts, v, "--aopt"); break;
    case OPT_ROTATE:      s->has_rotate = 1; ret = parse_number(v, "--rotate", &s->rotate); break;
    case OPT_FIELD_ORDER: ret = parse_field_order(v, &s->field_order); break;
    case OPT_SAR:
        if (av_parse_ratio(&s->sar, v, 1000000, 0, NULL) < 0 || s->sar.num <= 0 || s->sar.den <= 0) {
            fail("--sar expects N:D with positive N and D, got '%s'", v);
            ret = AVERROR(EINVAL);
        }
        break;
    case OPT_AUDIO_DELAY: ret = parse_number(v, "--audio-delay", &s->audio_delay); break;
    case OPT_AUDIO_COPIES: {
        double n;
        if ((ret = parse_number(v, "--audio-copies", &n)) >= 0 && (n < 1 || n > 1000 || n != floor(n))) {
            fail("--audio-copies expects a whole number from 1 to 1000, got '%s'", v);
            ret = AVERROR(EINVAL);
        }
        s->audio_copies = ret >= 0 ? (int)n : 0;
        break;
    }
    case OPT_FORMAT:      s->format = v; break;
    case OPT_MOPT:        ret = add_kv(&s->mopts, v, "--mopt"); break;
    case OPT_METADATA:    ret = add_kv(&s->metadata, v, "--metadata"); break;
    case OPT_QUIET:       s->quiet = 1; break;
    case OPT_HELP:        break;
    }
    return ret;
}

static int check_settings(const Settings *s)
{
    if (!s->out) {
        fail("missing OUT (try --help)");
        return AVERROR(EINVAL);
    }
    if (!(s->duration > 0)) {
        fail("--duration SECONDS (> 0) is required");
        return AVERROR(EINVAL);
    }
    if (!s->video && !s->audio && !s->audio_file) {
        fail("nothing to write: give --video, --audio or --audio-file");
        return AVERROR(EINVAL);
    }
    if (s->audio_copies > 1 && !s->audio && !s->audio_file) {
        fail("--audio-copies needs --audio or --audio-file");
        return AVERROR(EINVAL);
    }
    if (s->audio && s->audio_file) {
        fail("--audio and --audio-file exclude each other");
        return AVERROR(EINVAL);
    }
    if (s->audio_delay < 0 || ((s->audio || s->audio_file) && s->audio_delay >= s->duration)) {
        fail("--audio-delay must be >= 0 and shorter than --duration");
        return AVERROR(EINVAL);
    }
    return 0;
}

/* Returns 0 to run, 1 when help was printed, AVERROR on a usage error. */
static int parse_args(int argc, char **argv, Settings *s)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || !a[2]) {
            if (s->out) {
                fail("unexpected argument '%s' (OUT is already '%s')", a, s->out);
                return AVERROR(EINVAL);
            }
            s->out = a;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const OptionDef *o = find_option(name, len);
        if (!o) {
            fail("unknown option '%s' (try --help)", a);
            return AVERROR(EINVAL);
        }
        if (o->id == OPT_HELP) {
            usage(stdout);
            return 1;
        }
        const char *v = NULL;
        if (o->arg) {
            if (eq) {
                v = eq + 1;
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                fail("option --%s needs %s", o->name, o->arg);
                return AVERROR(EINVAL);
            }
        } else if (eq) {
            fail("option --%s takes no value", o->name);
            return AVERROR(EINVAL);
        }
        int ret = apply_option(s, o->id, v);
        if (ret < 0)
            return ret;
    }
    return check_settings(s);
}

/* Links a parsed graph's single open pad list entry to a filter pad. */
static int link_single(AVFilterInOut *io, const char *what, AVFilterContext *other, int io_is_output)
{
    if (!io || io->next) {
        fail("%s must have exactly one unconnected %s", what, io_is_output ? "output" : "input");
        return AVERROR(EINVAL);
    }
    int ret = io_is_output ? avfilter_link(io->filter_ctx, (unsigned)io->pad_idx, other, 0)
                           : avfilter_link(other, 0, io->filter_ctx, (unsigned)io->pad_idx);
    if (ret < 0)
        fail("cannot connect %s: %s", what, err2str(ret));
    return ret;
}

/*
 * Builds [src ->] DESC -> TAIL -> buffersink in t->graph (allocated by the caller,
 * t->src already created for file input) and configures it.
 */
static int build_graph(Track *t, const char *desc, const char *tail)
{
    AVFilterInOut *uin = NULL, *uout = NULL, *tin = NULL, *tout = NULL;
    int video = !strcmp(t->label, "video");
    int ret = avfilter_graph_create_filter(&t->sink, avfilter_get_by_name(video ? "buffersink" : "abuffersink"),
                                           "out", NULL, NULL, t->graph);
    if (ret < 0) {
        fail("cannot create the %s sink: %s", t->label, err2str(ret));
        goto end;
    }
    if ((ret = avfilter_graph_parse2(t->graph, desc, &uin, &uout)) < 0) {
        fail("cannot parse the %s graph \"%s\": %s", t->label, desc, err2str(ret));
        goto end;
    }
    if ((ret = avfilter_graph_parse2(t->graph, tail, &tin, &tout)) < 0) {
        fail("cannot parse \"%s\": %s", tail, err2str(ret));
        goto end;
    }
    if (t->src) {
        if ((ret = link_single(uin, "the audio filter chain", t->src, 0)) < 0)
            goto end;
    } else if (uin) {
        fail("the %s graph \"%s\" has an unconnected input: it must start with sources", t->label, desc);
        ret = AVERROR(EINVAL);
        goto end;
    }
    if ((ret = link_single(uout, "the graph", tin->filter_ctx, 1)) < 0 ||
        (ret = link_single(tout, "the tail", t->sink, 1)) < 0)
        goto end;
    if ((ret = avfilter_graph_config(t->graph, NULL)) < 0)
        fail("cannot configure the %s graph \"%s\": %s", t->label, desc, err2str(ret));
end:
    avfilter_inout_free(&uin);
    avfilter_inout_free(&uout);
    avfilter_inout_free(&tin);
    avfilter_inout_free(&tout);
    return ret;
}

/* Opens --audio-file, its decoder, and the abuffer source fed from it. */
static int open_audio_input(Track *t, const char *path)
{
    const AVCodec *codec = NULL;
    AVChannelLayout layout = { 0 };
    char layout_name[128], args[512];
    int ret = avformat_open_input(&t->in, path, NULL, NULL);
    if (ret < 0) {
        fail("cannot open audio file %s: %s", path, err2str(ret));
        goto end;
    }
    if ((ret = avformat_find_stream_info(t->in, NULL)) < 0) {
        fail("cannot read %s: %s", path, err2str(ret));
        goto end;
    }
    if ((ret = av_find_best_stream(t->in, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0)) < 0) {
        fail("%s has no audio stream that can be decoded", path);
        goto end;
    }
    t->in_index = ret;
    AVStream *ist = t->in->streams[ret];
    if (!(t->dec = avcodec_alloc_context3(codec))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = avcodec_parameters_to_context(t->dec, ist->codecpar)) < 0)
        goto end;
    t->dec->pkt_timebase = ist->time_base;
    if ((ret = avcodec_open2(t->dec, codec, NULL)) < 0) {
        fail("cannot open the %s decoder for %s: %s", codec->name, path, err2str(ret));
        goto end;
    }
    if (t->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&layout, t->dec->ch_layout.nb_channels);
    else if ((ret = av_channel_layout_copy(&layout, &t->dec->ch_layout)) < 0)
        goto end;
    av_channel_layout_describe(&layout, layout_name, sizeof(layout_name));
    snprintf(args, sizeof(args), "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
             ist->time_base.num, ist->time_base.den, t->dec->sample_rate,
             av_get_sample_fmt_name(t->dec->sample_fmt), layout_name);
    ret = avfilter_graph_create_filter(&t->src, avfilter_get_by_name("abuffer"), "in", args, NULL, t->graph);
    if (ret < 0)
        fail("cannot create the audio source (%s): %s", args, err2str(ret));
end:
    av_channel_layout_uninit(&layout);
    return ret;
}

/* Moves the audio file one step: one decoded frame into the graph, or one packet into the decoder. */
static int feed_audio_file(Track *t)
{
    int ret = avcodec_receive_frame(t->dec, t->frame);
    if (ret >= 0) {
        t->frame->pts = t->frame->best_effort_timestamp;
        ret = av_buffersrc_add_frame(t->src, t->frame);
        av_frame_unref(t->frame);
        return ret;
    }
    if (ret == AVERROR_EOF) {
        if (t->in_eof == 2) {
            fail("the audio graph wants more input after the end of the file");
            return AVERROR_BUG;
        }
        t->in_eof = 2;
        return av_buffersrc_add_frame(t->src, NULL);
    }
    if (ret != AVERROR(EAGAIN)) {
        fail("cannot decode the audio file: %s", err2str(ret));
        return ret;
    }
    ret = av_read_frame(t->in, t->pkt);
    if (ret == AVERROR_EOF) {
        t->in_eof = 1;
        return avcodec_send_packet(t->dec, NULL);
    }
    if (ret < 0) {
        fail("cannot read the audio file: %s", err2str(ret));
        return ret;
    }
    if (t->pkt->stream_index == t->in_index)
        ret = avcodec_send_packet(t->dec, t->pkt);
    av_packet_unref(t->pkt);
    if (ret < 0)
        fail("cannot decode the audio file: %s", err2str(ret));
    return ret;
}

/* avcodec_open2 with every option required to be used. */
static int open_encoder(Track *t, const AVCodec *codec, AVDictionary **opts)
{
    const AVDictionaryEntry *e = NULL;
    int ret = avcodec_open2(t->enc, codec, opts);
    if (ret < 0) {
        fail("cannot open the %s encoder %s: %s", t->label, codec->name, err2str(ret));
        return ret;
    }
    while ((e = av_dict_get(*opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        fail("option '%s=%s' is not used by the %s encoder %s", e->key, e->value, t->label, codec->name);
        ret = AVERROR_OPTION_NOT_FOUND;
    }
    return ret;
}

static int new_stream(Output *o, Track *t)
{
    if (!(t->st = avformat_new_stream(o->oc, NULL)))
        return AVERROR(ENOMEM);
    t->st->time_base = t->enc->time_base;
    int ret = avcodec_parameters_from_context(t->st->codecpar, t->enc);
    if (ret < 0)
        return ret;
    if (!(t->frame = av_frame_alloc()) || !(t->pkt = av_packet_alloc()))
        return AVERROR(ENOMEM);
    return 0;
}

static int set_rotation(AVStream *st, double degrees)
{
    uint8_t *sd = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
    if (!sd)
        return AVERROR(ENOMEM);
    /* The matrix a phone writes when it was held turned DEG degrees: players turn
     * the picture DEG clockwise, ffprobe reports rotation -DEG. */
    av_display_rotation_set((int32_t *)sd, degrees);
    return 0;
}

static void set_field_order(AVCodecContext *enc, enum AVFieldOrder order)
{
    enc->field_order = order;
    if (order != AV_FIELD_PROGRESSIVE && order != AV_FIELD_UNKNOWN)
        enc->flags |= AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME;
}

static int setup_video(Output *o, const Settings *s)
{
    Track *t = &o->video;
    AVDictionary *opts = NULL;
    char tail[256];
    int ret;
    const char *name = s->vcodec ? s->vcodec : "libx264";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec || codec->type != AVMEDIA_TYPE_VIDEO) {
        fail("unknown video encoder '%s'", name);
        return AVERROR_ENCODER_NOT_FOUND;
    }
    const char *pix = s->pix_fmt ? s->pix_fmt : codec->pix_fmts ? av_get_pix_fmt_name(codec->pix_fmts[0]) : NULL;
    snprintf(tail, sizeof(tail), "trim=duration=%.6f%s%s", s->duration, pix ? ",format=pix_fmts=" : "", pix ? pix : "");
    t->vfr = s->vfr;
    t->first_pts = t->last_pts = AV_NOPTS_VALUE;
    if (!(t->graph = avfilter_graph_alloc()))
        return AVERROR(ENOMEM);
    if ((ret = build_graph(t, s->video, tail)) < 0)
        goto end;
    AVRational rate = av_buffersink_get_frame_rate(t->sink);
    int rate_ok = rate.num > 0 && rate.den > 0;
    if (!rate_ok && !s->vfr) {
        fail("the video graph has no constant frame rate: add an fps filter or use --vfr");
        ret = AVERROR(EINVAL);
        goto end;
    }
    if (!(t->enc = avcodec_alloc_context3(codec))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    t->enc->width = av_buffersink_get_w(t->sink);
    t->enc->height = av_buffersink_get_h(t->sink);
    t->enc->pix_fmt = av_buffersink_get_format(t->sink);
    t->enc->sample_aspect_ratio = s->sar.num ? s->sar : av_buffersink_get_sample_aspect_ratio(t->sink);
    t->enc->framerate = rate_ok ? rate : (AVRational){ 30, 1 };
    t->enc->time_base = s->vfr ? VFR_TIME_BASE : av_inv_q(rate);
    if (s->field_order != AV_FIELD_UNKNOWN)
        set_field_order(t->enc, s->field_order);
    if (o->oc->oformat->flags & AVFMT_GLOBALHEADER)
        t->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = av_dict_copy(&opts, s->vopts, 0)) < 0)
        goto end;
    if (!strcmp(codec->name, "libx264") && !av_dict_get(opts, "threads", NULL, 0))
        av_dict_set(&opts, "threads", X264_DEFAULT_THREADS, 0);
    /* libx264 writes its headers with the field order it opens with, not the frames' one */
    if (!strcmp(codec->name, "libx264") && (t->enc->flags & AV_CODEC_FLAG_INTERLACED_DCT) &&
        !av_dict_get(opts, "x264opts", NULL, 0))
        av_dict_set(&opts, "x264opts", s->field_order == AV_FIELD_BB || s->field_order == AV_FIELD_BT ? "bff=1" : "tff=1", 0);
    if ((ret = open_encoder(t, codec, &opts)) < 0 || (ret = new_stream(o, t)) < 0)
        goto end;
    t->st->sample_aspect_ratio = t->enc->sample_aspect_ratio;
    if (!s->vfr)
        t->st->avg_frame_rate = rate;
    if (s->has_rotate && (ret = set_rotation(t->st, s->rotate)) < 0)
        goto end;
end:
    av_dict_free(&opts);
    return ret;
}

static const AVCodec *audio_encoder(const Output *o, const Settings *s)
{
    const char *name = s->acodec;
    if (!name)
        name = !strcmp(o->oc->oformat->name, "mov") ? "pcm_s16le" : "aac";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec || codec->type != AVMEDIA_TYPE_AUDIO)
        fail("unknown audio encoder '%s'", name);
    return codec && codec->type == AVMEDIA_TYPE_AUDIO ? codec : NULL;
}

static int setup_audio(Output *o, const Settings *s)
{
    Track *t = &o->audio;
    AVDictionary *opts = NULL;
    char tail[256];
    int ret;
    const AVCodec *codec = audio_encoder(o, s);
    if (!codec)
        return AVERROR_ENCODER_NOT_FOUND;
    const char *sfmt = codec->sample_fmts ? av_get_sample_fmt_name(codec->sample_fmts[0]) : NULL;
    snprintf(tail, sizeof(tail), "atrim=duration=%.6f%s%s", s->duration - s->audio_delay,
             sfmt ? ",aformat=sample_fmts=" : "", sfmt ? sfmt : "");
    if (!(t->graph = avfilter_graph_alloc()))
        return AVERROR(ENOMEM);
    if (s->audio_file && (ret = open_audio_input(t, s->audio_file)) < 0)
        goto end;
    if ((ret = build_graph(t, s->audio_file ? "apad" : s->audio, tail)) < 0)
        goto end;
    if (!(t->enc = avcodec_alloc_context3(codec))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    t->enc->sample_fmt = av_buffersink_get_format(t->sink);
    t->enc->sample_rate = av_buffersink_get_sample_rate(t->sink);
    t->enc->time_base = (AVRational){ 1, t->enc->sample_rate };
    if ((ret = av_buffersink_get_ch_layout(t->sink, &t->enc->ch_layout)) < 0)
        goto end;
    if (o->oc->oformat->flags & AVFMT_GLOBALHEADER)
        t->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = av_dict_copy(&opts, s->aopts, 0)) < 0)
        goto end;
    if ((ret = open_encoder(t, codec, &opts)) < 0 || (ret = new_stream(o, t)) < 0)
        goto end;
    if (t->enc->frame_size > 0 && !(codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
        av_buffersink_set_frame_size(t->sink, (unsigned)t->enc->frame_size);
    t->offset = llrint(s->audio_delay * t->enc->sample_rate);
    t->clock = s->audio_delay;
    if (s->audio_copies > 1 && !(o->copies = av_calloc((size_t)s->audio_copies - 1, sizeof(*o->copies)))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    for (; o->nb_copies < s->audio_copies - 1; o->nb_copies++) {
        AVStream *st = o->copies[o->nb_copies] = avformat_new_stream(o->oc, NULL);
        if (!st) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        st->time_base = t->st->time_base;
        if ((ret = avcodec_parameters_copy(st->codecpar, t->st->codecpar)) < 0)
            goto end;
    }
end:
    av_dict_free(&opts);
    return ret;
}

/* Sends one frame (NULL: flush) to the encoder and writes what comes out. */
static int encode(Output *o, Track *t, AVFrame *frame)
{
    int ret = avcodec_send_frame(t->enc, frame);
    if (ret < 0) {
        fail("cannot encode %s: %s", t->label, err2str(ret));
        return ret;
    }
    for (;;) {
        ret = avcodec_receive_packet(t->enc, t->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            fail("cannot encode %s: %s", t->label, err2str(ret));
            return ret;
        }
        t->pkt->stream_index = t->st->index;
        av_packet_rescale_ts(t->pkt, t->enc->time_base, t->st->time_base);
        for (int k = 0; t == &o->audio && k < o->nb_copies && ret >= 0; k++) { /* --audio-copies */
            AVPacket *copy = av_packet_clone(t->pkt);
            if (!copy)
                return AVERROR(ENOMEM);
            copy->stream_index = o->copies[k]->index;
            av_packet_rescale_ts(copy, t->st->time_base, o->copies[k]->time_base);
            ret = av_interleaved_write_frame(o->oc, copy);
            av_packet_free(&copy);
        }
        if (ret >= 0)
            ret = av_interleaved_write_frame(o->oc, t->pkt);
        if (ret < 0) {
            fail("cannot write %s: %s", o->tmp, err2str(ret));
            return ret;
        }
    }
}

/* Gives the frame from the graph its output timestamp. */
static int stamp_frame(Track *t, AVFrame *f)
{
    if (t->enc->codec_type == AVMEDIA_TYPE_AUDIO) {
        f->pts = t->offset + t->count;
        t->count += f->nb_samples;
        t->clock = (double)(t->offset + t->count) / t->enc->sample_rate;
        return 0;
    }
    f->pict_type = AV_PICTURE_TYPE_NONE;
    if (t->enc->field_order != AV_FIELD_UNKNOWN && t->enc->field_order != AV_FIELD_PROGRESSIVE) {
        f->interlaced_frame = 1;
        f->top_field_first = t->enc->field_order == AV_FIELD_TT || t->enc->field_order == AV_FIELD_TB;
    }
    if (!t->vfr) {
        f->pts = t->count++;
        t->clock = (double)t->count * av_q2d(t->enc->time_base);
        return 0;
    }
    if (f->pts == AV_NOPTS_VALUE) {
        fail("--vfr: the video graph produced a frame without a timestamp");
        return AVERROR(EINVAL);
    }
    if (t->first_pts == AV_NOPTS_VALUE)
        t->first_pts = f->pts;
    f->pts = av_rescale_q(f->pts - t->first_pts, av_buffersink_get_time_base(t->sink), t->enc->time_base);
    if (t->last_pts != AV_NOPTS_VALUE && f->pts <= t->last_pts) {
        fail("--vfr: timestamps do not increase (frame %" PRId64 ")", t->count);
        return AVERROR(EINVAL);
    }
    t->last_pts = f->pts;
    t->count++;
    t->clock = f->pts * av_q2d(t->enc->time_base);
    return 0;
}

/* Pulls one frame from the track's graph and encodes it; at the end, flushes. */
static int step_track(Output *o, Track *t)
{
    int ret;
    for (;;) {
        ret = av_buffersink_get_frame(t->sink, t->frame);
        if (ret != AVERROR(EAGAIN) || !t->src)
            break;
        if ((ret = feed_audio_file(t)) < 0)
            return ret;
    }
    if (ret == AVERROR_EOF) {
        t->done = 1;
        return encode(o, t, NULL);
    }
    if (ret < 0) {
        fail("the %s graph failed: %s", t->label, err2str(ret));
        return ret;
    }
    if ((ret = stamp_frame(t, t->frame)) >= 0)
        ret = encode(o, t, t->frame);
    av_frame_unref(t->frame);
    return ret;
}

static int run_tracks(Output *o)
{
    for (;;) {
        Track *next = NULL;
        if (o->has_video && !o->video.done)
            next = &o->video;
        if (o->has_audio && !o->audio.done && (!next || o->audio.clock < next->clock))
            next = &o->audio;
        if (!next)
            return 0;
        int ret = step_track(o, next);
        if (ret < 0)
            return ret;
    }
}

static void free_track(Track *t)
{
    avfilter_graph_free(&t->graph);
    avcodec_free_context(&t->enc);
    avcodec_free_context(&t->dec);
    avformat_close_input(&t->in);
    av_frame_free(&t->frame);
    av_packet_free(&t->pkt);
}

static int open_output(Output *o, const Settings *s)
{
    int ret = avformat_alloc_output_context2(&o->oc, NULL, s->format, s->out);
    if (ret < 0 || !o->oc) {
        fail("cannot choose a muxer for %s%s%s: %s", s->out, s->format ? " with format " : "",
             s->format ? s->format : " (use --format)", err2str(ret < 0 ? ret : AVERROR_MUXER_NOT_FOUND));
        return ret < 0 ? ret : AVERROR_MUXER_NOT_FOUND;
    }
    if (!(o->tmp = av_asprintf("%s.tmp", s->out)))
        return AVERROR(ENOMEM);
    if (!(o->oc->oformat->flags & AVFMT_NOFILE)) { /* what a muxer opens again (movflags=+faststart):
                                                     * the file written; image2 names its own files */
        av_freep(&o->oc->url);
        if (!(o->oc->url = av_strdup(o->tmp)))
            return AVERROR(ENOMEM);
    }
    return av_dict_copy(&o->oc->metadata, s->metadata, 0);
}

static int generate(const Settings *s)
{
    Output o = { 0 };
    AVDictionary *mopts = NULL;
    int ret, opened = 0, nofile;
    if ((ret = open_output(&o, s)) < 0)
        goto end;
    o.video.label = "video";
    o.audio.label = "audio";
    o.has_video = !!s->video;
    o.has_audio = s->audio || s->audio_file;
    if ((o.has_video && (ret = setup_video(&o, s)) < 0) || (o.has_audio && (ret = setup_audio(&o, s)) < 0))
        goto end;
    nofile = !!(o.oc->oformat->flags & AVFMT_NOFILE); /* e.g. null: nothing to rename */
    if (!nofile && (ret = avio_open(&o.oc->pb, o.tmp, AVIO_FLAG_WRITE)) < 0) {
        fail("cannot create %s: %s", o.tmp, err2str(ret));
        goto end;
    }
    opened = !nofile;
    if ((ret = av_dict_copy(&mopts, s->mopts, 0)) < 0)
        goto end;
    if ((ret = avformat_write_header(o.oc, &mopts)) < 0) {
        fail("cannot write the %s header: %s", o.oc->oformat->name, err2str(ret));
        goto end;
    }
    for (const AVDictionaryEntry *e = NULL; (e = av_dict_get(mopts, "", e, AV_DICT_IGNORE_SUFFIX));) {
        fail("option '%s=%s' is not used by the %s muxer", e->key, e->value, o.oc->oformat->name);
        ret = AVERROR_OPTION_NOT_FOUND;
    }
    if (ret < 0)
        goto end;
    if ((ret = run_tracks(&o)) < 0)
        goto end;
    if ((ret = av_write_trailer(o.oc)) < 0) {
        fail("cannot finish %s: %s", o.tmp, err2str(ret));
        goto end;
    }
    if ((ret = avio_closep(&o.oc->pb)) < 0) {
        fail("cannot close %s: %s", o.tmp, err2str(ret));
        goto end;
    }
    if (!nofile && rename(o.tmp, s->out) < 0) {
        ret = AVERROR(errno);
        fail("cannot rename %s to %s: %s", o.tmp, s->out, strerror(errno));
        goto end;
    }
    opened = 0;
    if (!s->quiet)
        fprintf(stderr, "mkmedia: wrote %s (%s%s%s, %.3f s)\n", s->out, o.has_video ? o.video.enc->codec->name : "",
                o.has_video && o.has_audio ? " + " : "", o.has_audio ? o.audio.enc->codec->name : "", s->duration);
end:
    if (o.oc) {
        avio_closep(&o.oc->pb);
        if (opened)
            remove(o.tmp);
    }
    free_track(&o.video);
    free_track(&o.audio);
    av_dict_free(&mopts);
    av_free(o.copies);
    avformat_free_context(o.oc);
    av_free(o.tmp);
    return ret;
}

int main(int argc, char **argv)
{
    Settings s = { .field_order = AV_FIELD_UNKNOWN };
    int status;
    av_log_set_level(AV_LOG_ERROR);
    int ret = parse_args(argc, argv, &s);
    if (ret != 0) {
        status = ret > 0 ? 0 : 2;
        goto end;
    }
    status = generate(&s) < 0 ? 1 : 0;
end:
    av_dict_free(&s.vopts);
    av_dict_free(&s.aopts);
    av_dict_free(&s.metadata);
    av_dict_free(&s.mopts);
    return status;
}
