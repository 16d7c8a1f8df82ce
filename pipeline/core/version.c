/*
 * version.c: the versions clipline runs with. FFmpeg's are read at run
 * time; libass, libcurl and x264 are those found at build time (their own
 * homes, the renderer and the s3 backend, report run-time versions).
 */
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>

#include "internal.h"

#ifndef CLIPLINE_VERSION
#define CLIPLINE_VERSION "0.0.0"
#endif
#ifndef CLIPLINE_LIBASS_VERSION
#define CLIPLINE_LIBASS_VERSION "unknown"
#endif
#ifndef CLIPLINE_LIBCURL_VERSION
#define CLIPLINE_LIBCURL_VERSION "unknown"
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
    snprintf(v->libass, sizeof(v->libass), "%s", CLIPLINE_LIBASS_VERSION);
    snprintf(v->libcurl, sizeof(v->libcurl), "%s", CLIPLINE_LIBCURL_VERSION);
    snprintf(v->x264, sizeof(v->x264), "%s", CLIPLINE_X264_VERSION);
}
