/* Unit tests of the job stage: time codes, JSON line lookup, key checks,
 * job files and presets (with the file, line and key in every message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../subtitles/harness.h"
#include "core/util.h"
#include "job/jsonfile.h"
#include "job/preset.h"
#include "job/spec.h"

static char tmpdir[] = "/tmp/clipline-test-job-XXXXXX";

static char *write_tmp(const char *name, const char *text)
{
    char *p = cl_path_join(tmpdir, name);
    if (cl_write_file_atomic(p, text, strlen(text)) < 0)
        fprintf(stderr, "cannot write %s\n", p);
    return p;
}

static void test_timepoints(void)
{
    cl_timepoint t;
    CHECK_INT(cl_timepoint_parse("00:00:05.000", &t), 0);
    CHECK_INT(t.value, 5000000);
    CHECK_INT(cl_timepoint_parse("01:02:03.5", &t), 0);
    CHECK_INT(t.value, (3600 + 120 + 3) * 1000000LL + 500000);
    CHECK_INT(cl_timepoint_parse("14:30", &t), 0);
    CHECK_INT(t.value, 870000000);
    CHECK_INT(cl_timepoint_parse("12.25", &t), 0);
    CHECK_INT(t.value, 12250000);
    CHECK_INT(cl_timepoint_parse("123f", &t), 0);
    CHECK(t.is_frames);
    CHECK_INT(t.value, 123);
    CHECK_INT(cl_timepoint_parse("", &t), -1);
    CHECK_INT(cl_timepoint_parse("abc", &t), -1);
    CHECK_INT(cl_timepoint_parse("00:61:00", &t), -1);
    CHECK_INT(cl_timepoint_parse("1.5:00", &t), -1);
    CHECK_INT(cl_timepoint_parse("-3", &t), -1);
    CHECK_INT(cl_timepoint_parse("1:2:3:4", &t), -1);
    CHECK_INT(cl_timepoint_parse("12f3", &t), -1);
    char buf[32];
    CHECK_STR(cl_format_time(3723004000LL, buf), "1:02:03.004");
}

static void test_json_lines(void)
{
    const char *text = "{\n  \"a\": 1,\n  \"list\": [\n    {\"x\": 1},\n    {\n      \"y\": \"}\"\n    }\n  ]\n}\n";
    CHECK_INT(cl_json_line(text, "/a"), 2);
    CHECK_INT(cl_json_line(text, "/list"), 3);
    CHECK_INT(cl_json_line(text, "/list/0"), 4);
    CHECK_INT(cl_json_line(text, "/list/1"), 5);
    CHECK_INT(cl_json_line(text, "/list/1/y"), 6);
    CHECK_INT(cl_json_line(text, "/nope"), 0);
    CHECK_INT(cl_json_line(text, "/list/7"), 0);
}

static int load_job(clipline_context *c, const char *text, cl_job_spec *job)
{
    char *p = write_tmp("job.json", text);
    int ret = cl_job_load(c, p, job);
    free(p);
    return ret;
}

static void test_job_files(clipline_context *c)
{
    cl_job_spec job;
    int ret = load_job(c, "{\"interviews\":[{\"id\":\"a\",\"source\":\"m/a.mov\",\"clips\":[{\"name\":\"c1\",\"in\":\"1\",\"duration\":\"2\"}]}]}", &job);
    CHECK_INT(ret, 0);
    if (ret == 0) {
        CHECK_INT(job.nb_interviews, 1);
        CHECK_INT(job.interviews[0].nb_clips, 1);
        CHECK_INT(job.interviews[0].clips[0].duration.value, 2000000);
        CHECK(strstr(job.interviews[0].source, "/m/a.mov") != NULL);
        CHECK_INT(job.nb_presets, 1);
        CHECK_STR(job.presets[0].name, "web-720p");
        CHECK_INT(job.module_length_us, 900000000LL);
        cl_job_free(&job);
    }
    ret = load_job(c, "{\n \"interviews\": [\n  {\"id\": \"a\", \"source\": \"x\",\n   \"clips\": [{\"name\": \"c\", \"colour\": 1}]}]}", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "job.json:4: unknown key \"colour\" in a clip") != NULL);
    ret = load_job(c, "{\"interviews\": [{\"id\": \"a/b\", \"source\": \"x\"}]}", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "cannot be used as a folder name") != NULL);
    ret = load_job(c, "{\"interviews\": [{\"id\": \"a\", \"source\": \"x\", \"clips\": [{\"name\": \"..\"}]}]}", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    ret = load_job(c, "{\"presets\": [\"web-720p\", \"nope\"], \"interviews\": [{\"id\": \"a\", \"source\": \"x\"}]}", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "unknown preset \"nope\"") != NULL);
    ret = load_job(c, "{\"module_length\": \"soon\", \"interviews\": [{\"id\": \"a\", \"source\": \"x\"}]}", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "module_length") != NULL);
    ret = load_job(c, "[1, 2]", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    ret = load_job(c, "{\"interviews\": []}", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    ret = load_job(c, "{\"destination\": 3, \"interviews\": [{\"id\": \"a\", \"source\": \"x\"}]}", &job);
    CHECK_INT(ret, CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "must be a string") != NULL);
    /* a bad clip point is kept on the clip, not a configuration error */
    ret = load_job(c, "{\"interviews\": [{\"id\": \"a\", \"source\": \"x\", \"clips\": [{\"name\": \"c\", \"in\": \"soon\"}]}]}", &job);
    CHECK_INT(ret, 0);
    if (ret == 0) {
        CHECK(job.interviews[0].clips[0].error != NULL);
        CHECK(strstr(job.interviews[0].clips[0].error, "\"soon\" is not a time") != NULL);
        cl_job_free(&job);
    }
}

static void test_presets(clipline_context *c)
{
    cl_preset p;
    CHECK_INT(cl_preset_load(c, "web-720p", &p), 0);
    CHECK_INT(p.video.max_height, 720);
    CHECK_INT(p.video.crf, 23);
    CHECK_STR(p.video.profile, "high");
    CHECK_INT(p.audio.sample_rate, 48000);
    char *canon = cl_preset_canonical(&p);
    CHECK(canon && strstr(canon, "\"crf\":23"));
    free(canon);
    cl_preset_free(&p);

    char *path = write_tmp("mine.json", "{\n  \"video\": {\n    \"crf\": 24,\n    \"crff\": 1\n  }\n}\n");
    CHECK_INT(cl_preset_load_file(c, path, &p), CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "mine.json:4: unknown key \"crff\"") != NULL);
    cl_preset_free(&p);
    free(path);
    path = write_tmp("mine.json", "{\"video\": {\"crf\": 99}}");
    CHECK_INT(cl_preset_load_file(c, path, &p), CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "out of range") != NULL);
    free(path);
    path = write_tmp("mine.json", "{\"video\": {\"profile\": \"extreme\"}}");
    CHECK_INT(cl_preset_load_file(c, path, &p), CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "\"extreme\" is not a valid video.profile") != NULL);
    free(path);
    path = write_tmp("mine.json", "{\"video\": {\"crf\": 20}}");
    CHECK_INT(cl_preset_load_file(c, path, &p), 0);
    CHECK_INT(p.video.crf, 20);
    CHECK_INT(p.video.max_height, 1080); /* the built-in default layer */
    cl_preset_free(&p);
    free(path);
}

int main(int argc, char **argv)
{
    if (!mkdtemp(tmpdir))
        return 1;
    clipline_settings s;
    clipline_default_settings(&s);
    s.preset_dir = argc > 1 ? argv[1] : "presets";
    clipline_context *c = NULL;
    CHECK_INT(clipline_open(&c, &s), 0);
    test_timepoints();
    test_json_lines();
    test_job_files(c);
    test_presets(c);
    clipline_close(&c);
    CHECK(c == NULL);
    clipline_close(&c); /* NULL is fine */
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    return th_finish("test_job");
}
