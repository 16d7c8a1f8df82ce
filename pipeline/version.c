/*
 * version.c: the versions clipline runs with, read at run time from each
 * library's own home: FFmpeg's libraries, libass (the subtitle renderer),
 * libcurl (the s3 backend). x264 is the one found at build time (libavcodec
 * does not say which libx264 it loaded).
 */
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>

#include "clsub.h"
#include "core/internal.h"
#include "storage/storage.h"

#ifndef CLIPLINE_VERSION
#define CLIPLINE_VERSION "0.0.0"
#endif
#ifndef CLIPLINE_X264_VERSION
#define CLIPLINE_X264_VERSION "unknown"
#endif

static void ver(char *buf, size_t size, unsigned v)
{
    snprintf(buf, size, "%u.%u.%u", AV_VERSION_MAJOR(v), AV_VERSION_MINOR(v), AV_VERSION_MICRO(v));
}

void clipline_get_versions(clipline_versions *v)
{
    memset(v, 0, sizeof(*v));
    v->clipline = CLIPLINE_VERSION;
    ver(v->libavcodec, sizeof(v->libavcodec), avcodec_version());
    ver(v->libavformat, sizeof(v->libavformat), avformat_version());
    ver(v->libavfilter, sizeof(v->libavfilter), avfilter_version());
    ver(v->libavutil, sizeof(v->libavutil), avutil_version());
    snprintf(v->libass, sizeof(v->libass), "%s", clsub_libass_version());
    snprintf(v->libcurl, sizeof(v->libcurl), "%s", cl_storage_s3_curl_version());
    snprintf(v->x264, sizeof(v->x264), "%s", CLIPLINE_X264_VERSION);
}
