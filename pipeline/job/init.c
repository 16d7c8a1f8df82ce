/*
 * init.c: `clipline init DIR`: a starter job file for the recordings found
 * in DIR: one interview per recording, the whole recording as one clip,
 * and its subtitle folder when one is there (DIR/subs/<id>/, DIR/<id>/ or
 * DIR/subs/ for a single recording).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "../core/util.h"

#define INIT_MAX_RECORDINGS 1000

static const char *const media_ext[] = { "mov", "mp4", "m4v", "mkv", "mxf", "avi", "mts", "m2ts",
                                         "webm", "mpg", "mpeg", "3gp", NULL };

static int is_recording(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (int i = 0; dot && media_ext[i]; i++)
        if (!strcasecmp(dot + 1, media_ext[i]))
            return 1;
    return 0;
}

static int is_dir(const char *dir, const char *rel)
{
    char *p = cl_path_join(dir, rel);
    struct stat st;
    int r = p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    return r;
}

/* An interview id from a file name: its stem, spaces kept, slashes out. */
static void id_of(const char *name, char *id, size_t size)
{
    snprintf(id, size, "%s", name);
    char *dot = strrchr(id, '.');
    if (dot && dot != id)
        *dot = '\0';
    for (char *p = id; *p; p++)
        if (*p == '/' || *p == '\\' || iscntrl((unsigned char)*p))
            *p = '-';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int clipline_init_job(clipline_context *c, const char *dir, char **path_out)
{
    CL_CHECK_ARG(c, dir && path_out);
    *path_out = NULL;
    char *job = cl_path_join(dir, "job.json");
    if (!job)
        return AVERROR(ENOMEM);
    if (access(job, F_OK) == 0) {
        int ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s already exists; it is left as it is", job);
        free(job);
        return ret;
    }
    DIR *d = opendir(dir);
    if (!d) {
        int ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: %s", dir, strerror(errno));
        free(job);
        return ret;
    }
    char *names[INIT_MAX_RECORDINGS];
    int n = 0, ret = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < INIT_MAX_RECORDINGS)
        if (e->d_name[0] != '.' && is_recording(e->d_name))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof(*names), cmp_str);
    json_t *ivs = json_array();
    for (int i = 0; i < n; i++) {
        char id[256], subs[600];
        id_of(names[i], id, sizeof(id));
        json_t *iv = json_pack("{s:s,s:s}", "id", id, "source", names[i]);
        snprintf(subs, sizeof(subs), "subs/%s", id);
        if (is_dir(dir, subs) || is_dir(dir, id) || (n == 1 && is_dir(dir, "subs")))
            json_object_set_new(iv, "subtitles", json_string(is_dir(dir, subs) ? subs
                                                             : is_dir(dir, id) ? id : "subs"));
        json_array_append_new(ivs, iv);
        free(names[i]);
    }
    if (!n) {
        json_decref(ivs);
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG, "%s: no recordings found (looked for .mov, .mp4, .mkv, .mxf, ...)", dir);
        goto end;
    }
    json_t *root = json_pack("{s:s,s:[s,s],s:s,s:o}", "destination", "out", "presets", "web-720p", "hls",
                             "module_length", "15:00", "interviews", ivs);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    size_t l = strlen(text);
    char *buf = malloc(l + 2);
    if (buf) {
        memcpy(buf, text, l);
        memcpy(buf + l, "\n", 2);
    }
    ret = buf ? cl_write_file_atomic(job, buf, l + 1) : AVERROR(ENOMEM);
    free(buf);
    free(text);
    if (ret < 0)
        ret = cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: cannot write: %s", job, clipline_strerror(ret));
    else
        cl_log(c, CLIPLINE_LOG_INFO, "wrote %s: %d recording%s, each as one clip; edit the clips' in and out points", job, n,
               n == 1 ? "" : "s");
end:
    if (ret >= 0)
        *path_out = job;
    else
        free(job);
    return ret < 0 ? ret : n;
}
