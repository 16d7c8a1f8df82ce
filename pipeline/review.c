/*
 * review.c: the destination's index.html, the review page. Every clip of
 * the manifest: its title and state (a failed clip with its error class and
 * message), a player with the clip's poster, a choice of its renditions
 * (clean and burned) and of its subtitle languages (the sidecars, as
 * tracks, named in their own script), and the list of its outputs. One
 * self-contained file, nothing loaded from elsewhere; every link relative,
 * so the page works from the local folder, a bucket or a web server.
 * Written from the manifest alone, after the destination's manifest.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clsub.h"
#include "orch.h"

/* Text for HTML content and attribute values. */
static void put_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A relative URL for a destination path: each byte outside the unreserved
 * set (and '/') percent-encoded, so names with spaces or any script work. */
static void put_url(FILE *f, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; p && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int same_clip(const json_t *o, const char *iv, const char *clip)
{
    return str(o, "interview") && str(o, "clip") && !strcmp(str(o, "interview"), iv) &&
           !strcmp(str(o, "clip"), clip);
}

/* An output of this clip of this kind ("video", "subtitles", ...). */
static int clip_kind(const json_t *o, const char *iv, const char *clip, const char *kind)
{
    return same_clip(o, iv, clip) && str(o, "kind") && !strcmp(str(o, "kind"), kind);
}

static void put_size(FILE *f, double bytes)
{
    if (bytes >= 1e6)
        fprintf(f, "%.1f MB", bytes / 1e6);
    else
        fprintf(f, "%.0f kB", bytes / 1e3);
}

/* One clip: heading, player, choices, outputs. */
static void put_clip(FILE *f, const json_t *item, const json_t *outputs)
{
    const char *iv = str(item, "interview"), *clip = str(item, "clip"), *title = str(item, "title");
    const char *status = str(item, "status");
    int failed = status && !strcmp(status, "failed");
    size_t i;
    json_t *o;
    fputs("<section class=\"clip\" data-clip=\"", f);
    put_text(f, iv);
    fputc('/', f);
    put_text(f, clip);
    fputs("\">\n<h2 dir=\"auto\">", f);
    put_text(f, iv);
    fputs(" / ", f);
    put_text(f, clip);
    if (title) {
        fputs(" <span class=\"title\" dir=\"auto\">", f);
        put_text(f, title);
        fputs("</span>", f);
    }
    fprintf(f, " <span class=\"state %s\">%s</span></h2>\n", failed ? "failed" : "ok", failed ? "failed" : "ok");
    if (failed) {
        json_t *e = json_object_get(item, "error");
        fputs("<p class=\"error\" dir=\"auto\">", f);
        put_text(f, str(e, "class"));
        fputs(": ", f);
        put_text(f, str(e, "message"));
        fputs("</p>\n", f);
    }
    /* the player: the first clean rendition, the poster, every sidecar */
    const json_t *first = NULL, *poster = NULL;
    int nb_video = 0, nb_subs = 0;
    json_array_foreach(outputs, i, o) {
        if (!same_clip(o, iv, clip))
            continue;
        if (clip_kind(o, iv, clip, "video")) {
            nb_video++;
            if (!first && !str(o, "burned_language"))
                first = o;
        }
        if (clip_kind(o, iv, clip, "image"))
            poster = o;
        nb_subs += clip_kind(o, iv, clip, "subtitles");
    }
    json_array_foreach(outputs, i, o) { /* only burned variants: the first of them */
        if (!first && clip_kind(o, iv, clip, "video"))
            first = o;
    }
    if (first) {
        fputs("<video controls preload=\"metadata\" src=\"", f);
        put_url(f, str(first, "path"));
        fputc('"', f);
        if (poster) {
            fputs(" poster=\"", f);
            put_url(f, str(poster, "path"));
            fputc('"', f);
        }
        fputs(">\n", f);
        json_array_foreach(outputs, i, o) {
            if (!clip_kind(o, iv, clip, "subtitles"))
                continue;
            const char *lang = str(o, "language");
            fputs("<track kind=\"subtitles\" srclang=\"", f);
            put_text(f, lang);
            fputs("\" label=\"", f);
            put_text(f, lang ? clsub_language_native_name(lang) : "");
            fputs("\" src=\"", f);
            put_url(f, str(o, "path"));
            fputs("\">\n", f);
        }
        fputs("</video>\n<p class=\"choices\">", f);
        fputs("<label>Rendition <select class=\"rendition\">", f);
        json_array_foreach(outputs, i, o) {
            if (!clip_kind(o, iv, clip, "video"))
                continue;
            const char *burned = str(o, "burned_language");
            fputs("<option value=\"", f);
            put_url(f, str(o, "path"));
            fprintf(f, "\"%s>", o == first ? " selected" : "");
            put_text(f, str(o, "preset"));
            fprintf(f, " (%lldx%lld", (long long)json_integer_value(json_object_get(o, "width")),
                    (long long)json_integer_value(json_object_get(o, "height")));
            if (burned) {
                fputs(", burned ", f);
                put_text(f, clsub_language_native_name(burned));
            }
            fputs(", ", f);
            put_size(f, json_number_value(json_object_get(o, "bytes")));
            fputs(")</option>", f);
        }
        fputs("</select></label>\n<label>Subtitles <select class=\"subtitles\"><option value=\"\">off</option>", f);
        json_array_foreach(outputs, i, o) {
            if (!clip_kind(o, iv, clip, "subtitles"))
                continue;
            fputs("<option value=\"", f);
            put_text(f, str(o, "language"));
            fputs("\">", f);
            put_text(f, clsub_language_native_name(str(o, "language")));
            fputs("</option>", f);
        }
        fputs("</select></label>", f);
        json_array_foreach(outputs, i, o) {
            const char *path = str(o, "path");
            size_t l = path ? strlen(path) : 0;
            if (same_clip(o, iv, clip) && l > 11 && !strcmp(path + l - 11, "master.m3u8")) {
                fputs(" <a href=\"", f);
                put_url(f, path);
                fputs("\">HLS ladder</a>", f);
            }
        }
        fputs("</p>\n", f);
    }
    /* every output (HLS segments counted, not listed) */
    int segments = 0;
    json_array_foreach(outputs, i, o)
        segments += clip_kind(o, iv, clip, "segment");
    fprintf(f, "<details><summary>%d videos, %d subtitle languages, %d HLS segments</summary>\n<table>\n"
               "<tr><th>file</th><th>kind</th><th>preset</th><th>language</th><th>size</th><th>seconds</th></tr>\n",
            nb_video, nb_subs, segments);
    json_array_foreach(outputs, i, o) {
        if (!same_clip(o, iv, clip) || clip_kind(o, iv, clip, "segment"))
            continue;
        const char *path = str(o, "path"), *lang = str(o, "language");
        fputs("<tr><td><a href=\"", f);
        put_url(f, path);
        fputs("\">", f);
        put_text(f, path);
        fputs("</a></td><td>", f);
        put_text(f, str(o, "kind"));
        fputs("</td><td>", f);
        put_text(f, str(o, "preset"));
        fputs("</td><td>", f);
        put_text(f, lang ? lang : str(o, "burned_language"));
        fputs("</td><td>", f);
        put_size(f, json_number_value(json_object_get(o, "bytes")));
        fprintf(f, "</td><td>%.3f</td></tr>\n", json_number_value(json_object_get(o, "duration_s")));
    }
    fputs("</table></details>\n</section>\n", f);
}

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}.title{font-weight:normal}"
    ".state{font-size:.8em;padding:.1em .5em;border-radius:.3em}.ok{background:#dfd}.failed{background:#fdd}"
    ".error{color:#900}video{width:100%;max-height:70vh;background:#000}"
    "table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .6em;text-align:left}"
    "tr:nth-child(even){background:#f4f4f4}label{margin-right:1.5em}";

/* Switching renditions keeps the time and the playing state; a subtitle
 * choice shows that language's track and hides the others. */
static const char script[] =
    "document.querySelectorAll('section.clip').forEach(function(s){\n"
    " var v=s.querySelector('video');if(!v)return;\n"
    " s.querySelector('select.rendition').addEventListener('change',function(e){\n"
    "  var t=v.currentTime,p=!v.paused;v.src=e.target.value;\n"
    "  v.addEventListener('loadedmetadata',function(){v.currentTime=t;if(p)v.play();},{once:true});});\n"
    " s.querySelector('select.subtitles').addEventListener('change',function(e){\n"
    "  for(var i=0;i<v.textTracks.length;i++){var tr=v.textTracks[i];\n"
    "   tr.mode=tr.language===e.target.value?'showing':'disabled';}});\n"
    "});\n";

char *review_page(const json_t *manifest)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    json_t *items = json_object_get(manifest, "items"), *outputs = json_object_get(manifest, "outputs");
    size_t i, nok = 0;
    json_t *it;
    json_array_foreach(items, i, it)
        nok += str(it, "status") && !strcmp(str(it, "status"), "ok");
    clipline_versions v;
    clipline_get_versions(&v);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>Review: %zu clips</title>\n<style>%s</style>\n</head>\n<body>\n"
               "<h1>Review: %zu clips, %zu ok, %zu failed</h1>\n"
               "<p>Written by clipline %s from <a href=\"manifest.json\">manifest.json</a>.</p>\n",
            json_array_size(items), style, json_array_size(items), nok, json_array_size(items) - nok,
            v.clipline);
    json_array_foreach(items, i, it)
        put_clip(f, it, outputs);
    fprintf(f, "<script>\n%s</script>\n</body>\n</html>\n", script);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
