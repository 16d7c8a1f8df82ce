/*
 * hls.c: the HLS master playlist of a clip's ladder. Each rendition's media
 * playlist (index.m3u8, fMP4 segments) is written by segmenter.c;
 * this file reads them back for the peak segment bit rate and writes the
 * master with BANDWIDTH, RESOLUTION and CODECS, and the subtitle renditions
 * (written by the subtitle stage) as one group.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "media.h"

#define PLAYLIST_CAP (4 * 1024 * 1024)

/* Peak and average bit rate over the segments of a media playlist. */
static int scan_playlist(clipline_context *c, const char *dir, int64_t *peak, int64_t *avg, int *segments)
{
    char *pl = cl_path_join(dir, "index.m3u8"), *text = NULL;
    int ret = pl ? cl_read_file(pl, PLAYLIST_CAP, &text, NULL) : AVERROR(ENOMEM);
    double dur = 0, total_dur = 0;
    int64_t total_bytes = 0;
    *peak = *avg = 0;
    *segments = 0;
    if (ret < 0) {
        ret = cl_fail(c, CLIPLINE_ERROR_ENCODE, "%s: cannot read: %s", pl, clipline_strerror(ret));
        goto end;
    }
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        if (!strncmp(line, "#EXTINF:", 8)) {
            dur = atof(line + 8);
            continue;
        }
        if (line[0] == '#' || !line[0])
            continue;
        char *seg = cl_path_join(dir, line);
        struct stat st;
        if (!seg || stat(seg, &st) < 0) {
            ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: segment %s is missing", pl, line);
            free(seg);
            goto end;
        }
        free(seg);
        if (dur > 0) {
            int64_t rate = (int64_t)ceil(st.st_size * 8.0 / dur);
            if (rate > *peak)
                *peak = rate;
        }
        total_bytes += st.st_size;
        total_dur += dur;
        (*segments)++;
    }
    if (total_dur > 0)
        *avg = (int64_t)ceil(total_bytes * 8.0 / total_dur);
    if (!*segments)
        ret = cl_fail(c, CLIPLINE_ERROR_VERIFY, "%s: no segments", pl);
end:
    free(text);
    free(pl);
    return ret;
}

/* A quoted-string attribute value may not hold '"' or line breaks. */
static void quoted(char *dst, size_t size, const char *s)
{
    size_t k = 0;
    for (; *s && k + 1 < size; s++)
        if (*s != '"' && *s != '\n' && *s != '\r')
            dst[k++] = *s;
    dst[k] = '\0';
}

int cl_media_hls_master(clipline_context *c, const char *path, const cl_rendition_req *r,
                        const char *const *names, int n, const cl_hls_subtitle *subs, int nb_subs)
{
    size_t cap = 1024 + (size_t)n * 512 + (size_t)nb_subs * 512, used = 0;
    char *buf = malloc(cap);
    int ret = 0;
    if (!buf)
        return AVERROR(ENOMEM);
    used += (size_t)snprintf(buf + used, cap - used, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (int i = 0; i < nb_subs; i++) {
        char lang[64], name[160], uri[256];
        quoted(lang, sizeof(lang), subs[i].lang);
        quoted(name, sizeof(name), subs[i].name ? subs[i].name : subs[i].lang);
        quoted(uri, sizeof(uri), subs[i].uri);
        used += (size_t)snprintf(buf + used, cap - used,
                                 "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",LANGUAGE=\"%s\",NAME=\"%s\","
                                 "DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI=\"%s\"\n",
                                 lang, name, uri);
    }
    for (int i = 0; i < n; i++) {
        char *dir = cl_path_dir(path), *rdir = dir ? cl_path_join(dir, names[i]) : NULL;
        int64_t peak = 0, avg = 0;
        int segs = 0;
        ret = rdir ? scan_playlist(c, rdir, &peak, &avg, &segs) : AVERROR(ENOMEM);
        free(rdir);
        free(dir);
        if (ret < 0)
            goto end;
        ((cl_rendition_req *)&r[i])->hls_bandwidth = peak;
        ((cl_rendition_req *)&r[i])->hls_segments = segs;
        used += (size_t)snprintf(buf + used, cap - used,
                                 "#EXT-X-STREAM-INF:BANDWIDTH=%lld,AVERAGE-BANDWIDTH=%lld,"
                                 "RESOLUTION=%dx%d,CODECS=\"%s\"%s\n%s/index.m3u8\n",
                                 (long long)peak, (long long)avg, r[i].out_width, r[i].out_height,
                                 r[i].codecs, nb_subs ? ",SUBTITLES=\"subs\"" : "", names[i]);
    }
    if ((ret = cl_write_file_atomic(path, buf, used)) < 0)
        ret = cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: cannot write: %s", path, clipline_strerror(ret));
end:
    free(buf);
    return ret;
}
