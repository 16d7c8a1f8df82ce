/*
 * hls.c: the HLS master playlist of a clip's ladder. Each rendition's media
 * playlist (index.m3u8, fMP4 segments) is written by segmenter.c, which
 * also measures the peak and average segment bit rates; this file writes the
 * master with BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION and CODECS, and the subtitle renditions
 * (written by the subtitle stage) as one group.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "media.h"

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
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, cap - used,
                                 "#EXT-X-STREAM-INF:BANDWIDTH=%lld,AVERAGE-BANDWIDTH=%lld,"
                                 "RESOLUTION=%dx%d,CODECS=\"%s\"%s\n%s/index.m3u8\n",
                                 (long long)r[i].hls_bandwidth, (long long)r[i].hls_avg_bandwidth,
                                 r[i].out_width, r[i].out_height, r[i].codecs,
                                 nb_subs ? ",SUBTITLES=\"subs\"" : "", names[i]);
    if ((ret = cl_write_file_atomic(path, buf, used)) < 0)
        ret = cl_fail(c, CLIPLINE_ERROR_STORAGE, "%s: cannot write: %s", path, clipline_strerror(ret));
    free(buf);
    return ret;
}
