/* Unit tests of the media stage: output sizes, the fan-out queue, the
 * probe and the verifier (against files made by tests/cli/make-fixtures.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../subtitles/harness.h"
#include "media/fanout.h"
#include "core/util.h"
#include "media/media_internal.h"

static void test_fit(void)
{
    int w, h;
    AVRational sq = { 1, 1 };
    cl_fit_size(1920, 1080, sq, 1280, 720, &w, &h);
    CHECK_INT(w, 1280);
    CHECK_INT(h, 720);
    cl_fit_size(640, 360, sq, 1280, 720, &w, &h); /* never upscaled */
    CHECK_INT(w, 640);
    CHECK_INT(h, 360);
    cl_fit_size(720, 576, (AVRational){ 16, 15 }, 1280, 720, &w, &h); /* PAL 4:3 */
    CHECK_INT(w, 768);
    CHECK_INT(h, 576);
    cl_fit_size(719, 575, sq, 1280, 720, &w, &h); /* odd: even, not larger */
    CHECK_INT(w, 718);
    CHECK_INT(h, 574);
    cl_fit_size(1080, 1920, sq, 1280, 720, &w, &h); /* portrait fits the height */
    CHECK_INT(h, 720);
    CHECK_INT(w, 404); /* 405 exactly: the even size below */
    cl_fit_size(3840, 2160, sq, 854, 480, &w, &h);
    CHECK(w % 2 == 0 && h % 2 == 0 && w <= 854 && h <= 480);
}

static void *consumer(void *arg)
{
    cl_queue *q = arg;
    long n = 0;
    cl_qitem it;
    while (cl_queue_pop(q, &it) >= 0) {
        int end = it.kind == CL_Q_END;
        cl_qitem_clear(&it);
        if (end)
            break;
        n++;
    }
    return (void *)n;
}

static void test_queue(void)
{
    cl_queue q;
    CHECK_INT(cl_queue_init(&q, 2), 0);
    pthread_t th;
    pthread_create(&th, NULL, consumer, &q);
    for (int i = 0; i < 100; i++) { /* more than the capacity: the producer waits */
        cl_qitem it = { .kind = CL_Q_VIDEO, .frame = av_frame_alloc() };
        CHECK_INT(cl_queue_push(&q, &it), 0);
    }
    cl_qitem end = { .kind = CL_Q_END };
    CHECK_INT(cl_queue_push(&q, &end), 0);
    void *n;
    pthread_join(th, &n);
    CHECK_INT((long)n, 100);
    cl_queue_abort(&q);
    cl_qitem late = { .kind = CL_Q_AUDIO, .pkt = av_packet_alloc() };
    CHECK_INT(cl_queue_push(&q, &late), AVERROR_EXIT); /* and the packet is freed */
    CHECK(late.pkt == NULL);
    cl_qitem it;
    CHECK_INT(cl_queue_pop(&q, &it), AVERROR_EXIT);
    cl_queue_uninit(&q);
}

static void test_probe_verify(clipline_context *c, const char *fixtures)
{
    char path[4096];
    clipline_media_info *info = NULL;
    snprintf(path, sizeof(path), "%s/cam.mov", fixtures);
    CHECK_INT(cl_media_probe(c, path, &info), 0);
    if (info) {
        CHECK_INT(info->nb_streams, 2);
        CHECK_STR(info->streams[0].type, "video");
        CHECK_INT(info->streams[0].width, 1920);
        CHECK(info->streams[0].frame_rate > 29.9 && info->streams[0].frame_rate < 30.1);
        CHECK(!info->streams[0].variable_frame_rate);
        CHECK_INT(info->streams[1].sample_rate, 48000);
        char *j = clipline_media_info_json(info);
        CHECK(j && strstr(j, "\"field_order\": \"progressive\""));
        free(j);
        clipline_media_info_free(&info);
    }
    /* a camera MOV is not a web output: its moov is at the end, and it is
     * not H.264 High 4:2:0 at a web level with AAC */
    cl_verify_req v = { .path = path, .max_width = 1920, .max_height = 1080, .expect_audio = 1 };
    CHECK_INT(cl_media_verify(c, &v), CLIPLINE_ERROR_VERIFY);
    CHECK(strstr(clipline_error_detail(c), "verification failed") != NULL);
    snprintf(path, sizeof(path), "%s/text.mov", fixtures);
    CHECK_INT(cl_media_probe(c, path, &info), CLIPLINE_ERROR_INPUT);
    v.path = path;
    CHECK_INT(cl_media_verify(c, &v), CLIPLINE_ERROR_VERIFY);
    cl_source_facts f;
    snprintf(path, sizeof(path), "%s/silent.mp4", fixtures);
    CHECK_INT(cl_media_source_facts(c, path, &f), 0);
    CHECK(f.has_video && !f.has_audio);
}

/* An HLS rendition of 40 frames of x264 (B-frames on), written by
 * clipline's segmenter or, for comparison, by FFmpeg's HLS muxer. */
static int make_hls(const char *dir, int ffmpeg_muxer)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    AVCodecContext *e = codec ? avcodec_alloc_context3(codec) : NULL;
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    cl_segmenter *seg = NULL;
    AVFormatContext *hls = NULL;
    int ret = e && f && pkt ? 0 : AVERROR(ENOMEM);
    if (ret < 0)
        goto end;
    e->width = 320;
    e->height = 180;
    e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->time_base = (AVRational){ 1, 30 };
    e->framerate = (AVRational){ 30, 1 };
    e->gop_size = e->keyint_min = 15;
    e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *o = NULL;
    av_dict_set(&o, "preset", "veryfast", 0);
    av_dict_set(&o, "x264-params", "scenecut=0:open-gop=0", 0);
    ret = avcodec_open2(e, codec, &o);
    av_dict_free(&o);
    if (ret < 0)
        goto end;
    if (ffmpeg_muxer) {
        char pl[4200], segs[4200];
        snprintf(pl, sizeof(pl), "%s/index.m3u8", dir);
        snprintf(segs, sizeof(segs), "%s/seg-%%05d.m4s", dir);
        if ((ret = avformat_alloc_output_context2(&hls, NULL, "hls", pl)) < 0)
            goto end;
        AVStream *st = avformat_new_stream(hls, NULL);
        avcodec_parameters_from_context(st->codecpar, e);
        st->time_base = e->time_base;
        av_dict_set(&o, "hls_segment_type", "fmp4", 0);
        av_dict_set(&o, "hls_playlist_type", "vod", 0);
        av_dict_set(&o, "hls_segment_filename", segs, 0);
        ret = avformat_write_header(hls, &o);
        av_dict_free(&o);
    } else {
        ret = cl_segmenter_open(&seg, dir, 1, e, NULL);
    }
    f->format = e->pix_fmt;
    f->width = e->width;
    f->height = e->height;
    if (ret >= 0)
        ret = av_frame_get_buffer(f, 0);
    for (int i = 0; ret >= 0 && i <= 40; i++) {
        if (i < 40 && (ret = av_frame_make_writable(f)) >= 0) {
            for (int y = 0; y < f->height; y++)
                for (int x = 0; x < f->width; x++)
                    f->data[0][y * f->linesize[0] + x] = (uint8_t)(x + y + 3 * i);
            memset(f->data[1], 128, (size_t)f->linesize[1] * f->height / 2);
            memset(f->data[2], 128, (size_t)f->linesize[2] * f->height / 2);
            f->pts = i;
        }
        ret = avcodec_send_frame(e, i < 40 ? f : NULL);
        while (ret >= 0 && (ret = avcodec_receive_packet(e, pkt)) >= 0) {
            pkt->duration = 1;
            if (seg) {
                ret = cl_segmenter_write(seg, pkt, 1);
            } else {
                av_packet_rescale_ts(pkt, e->time_base, hls->streams[0]->time_base);
                ret = av_interleaved_write_frame(hls, pkt);
            }
            av_packet_unref(pkt);
        }
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            ret = 0;
    }
    if (ret >= 0)
        ret = seg ? cl_segmenter_finish(seg) : av_write_trailer(hls);
end:
    cl_segmenter_free(&seg);
    avformat_free_context(hls);
    avcodec_free_context(&e);
    av_frame_free(&f);
    av_packet_free(&pkt);
    return ret;
}

/* The verifier reads an fMP4 rendition's start from its boxes: clipline's
 * segments show the first frame at 0; FFmpeg 5.1's HLS muxer's show it two
 * frames late to players that ignore edit lists. */
static void test_hls_start(clipline_context *c)
{
    char tmpl[] = "/tmp/clipline-test-hls-XXXXXX", pl[256];
    for (int ffmpeg_muxer = 0; ffmpeg_muxer < 2; ffmpeg_muxer++) {
        char *dir = mkdtemp(tmpl);
        CHECK(dir != NULL);
        if (!dir)
            return;
        CHECK_INT(make_hls(dir, ffmpeg_muxer), 0);
        snprintf(pl, sizeof(pl), "%s/index.m3u8", dir);
        cl_verify_req v = { .path = pl, .hls = 1, .max_width = 320, .max_height = 180,
                            .expect_duration_s = 40 / 30.0 };
        int ret = cl_media_verify(c, &v);
        if (!ffmpeg_muxer) {
            CHECK_INT(ret, 0);
        } else {
            CHECK_INT(ret, CLIPLINE_ERROR_VERIFY);
            CHECK(strstr(clipline_error_detail(c), "the first frame is presented at 0.067 s, not 0") != NULL);
        }
        cl_remove_tree(dir);
        strcpy(tmpl, "/tmp/clipline-test-hls-XXXXXX");
    }
}

int main(int argc, char **argv)
{
    clipline_context *c = NULL;
    CHECK_INT(clipline_open(&c, NULL), 0);
    test_fit();
    test_queue();
    test_hls_start(c);
    if (argc > 1)
        test_probe_verify(c, argv[1]);
    clipline_close(&c);
    return th_finish("test_media");
}
