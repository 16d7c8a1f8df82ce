/* Unit tests of the storage backends (file, null) and of manifests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "../subtitles/harness.h"
#include "core/util.h"
#include "job/manifest.h"
#include "storage/storage.h"

static char tmpdir[] = "/tmp/clipline-test-storage-XXXXXX";

static void test_file_backend(clipline_context *c)
{
    char *dest = cl_path_join(tmpdir, "dest");
    cl_storage *st = NULL;
    CHECK_INT(cl_storage_open(c, dest, &st), 0);
    if (!st)
        return;
    CHECK(strstr(st->staging, "/.clipline-staging") != NULL);
    char *stage = cl_storage_staging_path(st, "iv/clip/clip.web-720p.mp4");
    char *stage2 = cl_storage_staging_path(st, "iv/clip/clip.web-720p.mp4");
    CHECK(strcmp(stage, stage2) != 0);
    CHECK_INT(cl_write_file_atomic(stage, "hello", 5), 0);
    int64_t bytes = -1;
    CHECK_INT(cl_storage_stat(st, "iv/clip/clip.web-720p.mp4", &bytes), AVERROR(ENOENT));
    CHECK_INT(cl_storage_publish(st, stage, "iv/clip/clip.web-720p.mp4", "video/mp4", NULL), 0);
    CHECK_INT(cl_storage_stat(st, "iv/clip/clip.web-720p.mp4", &bytes), 0);
    CHECK_INT(bytes, 5);
    CHECK(access(stage, F_OK) != 0); /* moved, not copied */
    char *buf = NULL;
    size_t len = 0;
    CHECK_INT(cl_storage_read(st, "iv/clip/clip.web-720p.mp4", 100, &buf, &len), 0);
    CHECK_INT(len, 5);
    CHECK(buf && !memcmp(buf, "hello", 5));
    free(buf);
    CHECK_INT(cl_storage_read(st, "iv/clip/clip.web-720p.mp4", 3, &buf, &len), CLIPLINE_ERROR_LIMIT);
    CHECK_INT(cl_storage_read(st, "nothing.json", 100, &buf, &len), AVERROR(ENOENT));
    cl_storage_close(&st);
    CHECK(st == NULL);
    char *staging = cl_path_join(dest, ".clipline-staging");
    struct stat s;
    CHECK(stat(staging, &s) != 0); /* the empty staging folder is removed */
    free(staging);
    free(stage);
    free(stage2);
    free(dest);
}

static void test_other_backends(clipline_context *c)
{
    cl_storage *st = NULL;
    CHECK_INT(cl_storage_open(c, "null:", &st), 0);
    if (st) {
        char *stage = cl_storage_staging_path(st, "a/b.mp4");
        CHECK_INT(cl_write_file_atomic(stage, "x", 1), 0);
        CHECK_INT(cl_storage_publish(st, stage, "a/b.mp4", "video/mp4", NULL), 0);
        CHECK(access(stage, F_OK) != 0);
        CHECK_INT(cl_storage_stat(st, "a/b.mp4", NULL), AVERROR(ENOENT));
        free(stage);
        cl_storage_close(&st);
    }
    CHECK_INT(cl_storage_open(c, "ftp://host/x", &st), CLIPLINE_ERROR_CONFIG);
    CHECK(strstr(clipline_error_detail(c), "unknown storage \"ftp\"") != NULL);
    CHECK(st == NULL);
}

static void test_manifest(clipline_context *c)
{
    json_t *m = NULL;
    CHECK_INT(cl_manifest_parse(c, NULL, "x", &m), 0);
    json_t *outs = json_pack("[{s:s,s:I}]", "path", "a/c1/c1.web-720p.mp4", "bytes", (json_int_t)10);
    json_t *item = json_pack("{s:s,s:s,s:s}", "interview", "a", "clip", "c1", "status", "ok");
    cl_manifest_replace_item(m, "a", "c1", item, outs);
    json_t *item2 = json_pack("{s:s,s:s,s:s}", "interview", "a", "clip", "c0", "status", "ok");
    json_t *outs2 = json_pack("[{s:s}]", "path", "a/c0/c0.web-720p.mp4");
    cl_manifest_replace_item(m, "a", "c0", item2, outs2);
    CHECK(cl_manifest_output(m, "a/c1/c1.web-720p.mp4") != NULL);
    CHECK_STR(json_string_value(json_object_get(cl_manifest_output(m, "a/c1/c1.web-720p.mp4"), "clip")), "c1");
    /* a failed item keeps its earlier outputs listed */
    json_t *failed = json_pack("{s:s,s:s,s:s}", "interview", "a", "clip", "c1", "status", "failed");
    cl_manifest_replace_item(m, "a", "c1", failed, NULL);
    CHECK(cl_manifest_output(m, "a/c1/c1.web-720p.mp4") != NULL);
    CHECK_INT(json_array_size(json_object_get(m, "items")), 2);
    char *text = cl_manifest_dump(m);
    CHECK(text && strstr(text, "\"a/c0/c0.web-720p.mp4\"") < strstr(text, "\"a/c1/c1.web-720p.mp4\""));
    json_t *back = NULL;
    CHECK_INT(cl_manifest_parse(c, text, "x", &back), 0);
    CHECK_INT(json_array_size(json_object_get(back, "outputs")), 2);
    json_decref(back);
    free(text);
    CHECK_INT(cl_manifest_parse(c, "{\"foo\": 1}", "dest/manifest.json", &back), CLIPLINE_ERROR_STORAGE);
    CHECK(strstr(clipline_error_detail(c), "not a clipline manifest") != NULL);
    CHECK_INT(cl_manifest_parse(c, "{oops", "dest/manifest.json", &back), CLIPLINE_ERROR_STORAGE);
    json_decref(outs);
    json_decref(outs2);
    json_decref(item);
    json_decref(item2);
    json_decref(failed);
    json_decref(m);
}

static void test_util(void)
{
    char hex[65];
    cl_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(cl_safe_component("module-3"));
    CHECK(cl_safe_component("entrevista ქართული"));
    CHECK(!cl_safe_component(".."));
    CHECK(!cl_safe_component("a/b"));
    CHECK(!cl_safe_component(""));
    CHECK(!cl_safe_component("a\nb"));
    char *j = cl_path_join("a/", "b");
    CHECK_STR(j, "a/b");
    free(j);
    j = cl_path_dir("x/y/z.json");
    CHECK_STR(j, "x/y");
    free(j);
    CHECK_STR(clipline_error_class(CLIPLINE_ERROR_VERIFY), "verify");
    CHECK_STR(clipline_strerror(CLIPLINE_ERROR_CONFIG), "configuration error");
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    clipline_context *c = NULL;
    CHECK_INT(clipline_open(&c, NULL), 0);
    test_util();
    test_file_backend(c);
    test_other_backends(c);
    test_manifest(c);
    clipline_close(&c);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    return th_finish("test_storage_manifest");
}
