/* Unit tests of the media stage: output sizes, the fan-out queue, the
 * probe and the verifier (against files made by tests/cli/make-fixtures.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../subtitles/harness.h"
#include "media/fanout.h"
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

int main(int argc, char **argv)
{
    clipline_context *c = NULL;
    CHECK_INT(clipline_open(&c, NULL), 0);
    test_fit();
    test_queue();
    if (argc > 1)
        test_probe_verify(c, argv[1]);
    clipline_close(&c);
    return th_finish("test_media");
}
