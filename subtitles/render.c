/* Burn-in renderer: SRT/WebVTT cues -> ASS script -> libass -> alpha blend onto
 * yuv420p (BT.709 limited range). The only file that includes ass/ass.h.
 *
 * Default style per script (fractions of the frame height h / width w):
 *   font size  0.060 h x script factor (Arabic 1.30, Thai/Devanagari 1.10,
 *              Hebrew 1.05, Han/Kana/Hangul 0.95, others 1.00) x font_scale
 *   outline    0.0035 h (at least 1 px), black, no shadow; or (box) a translucent
 *              black box padded by twice that
 *   margins    0.065 h below (or above for top cues), 0.075 w at the sides
 *   Encoding   -1 (libass detects each paragraph's base direction)
 * WebVTT placement: a cue with "line:" in the upper half (line >= 0 with
 * snap-to-lines, or a percentage below 50) goes to the top; "align:left/right"
 * (and start/end, read as left/right) align the text. An SRT cue starting with
 * the de facto "{\anN}" tag keeps that placement (lint still warns about it);
 * all other braces are escaped and drawn. */
#include "clsub_internal.h"

#include <ass/ass.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct clsub_renderer {
    ASS_Library *lib;
    ASS_Renderer *ren;
    ASS_Track *track;
    int width, height;
    clsub_log_fn log;
    void *log_opaque;
    int max_log_level;
};

void clsub_render_default_settings(clsub_render_settings *s)
{
    memset(s, 0, sizeof *s);
    s->font_scale = 1.0;
    s->max_log_level = CLSUB_LOG_INFO;
    s->unicode_features = -1;
}

const char *clsub_libass_version(void)
{
    static char buf[32];
    if (!buf[0]) {
        /* LIBASS_VERSION is hex-coded: 0x01701000 is 0.17.1 */
        unsigned v = (unsigned)ass_library_version();
        snprintf(buf, sizeof buf, "%x.%x.%x", (v >> 28) & 0xFu, (v >> 20) & 0xFFu,
                 (v >> 12) & 0xFFu);
    }
    return buf;
}

/* ---- the ASS script ---------------------------------------------------- */
static double script_size_factor(clsub_script s)
{
    switch (s) {
    case CLSUB_SCRIPT_ARABIC: return 1.30;
    case CLSUB_SCRIPT_THAI:
    case CLSUB_SCRIPT_DEVANAGARI: return 1.10;
    case CLSUB_SCRIPT_HEBREW: return 1.05;
    case CLSUB_SCRIPT_HAN:
    case CLSUB_SCRIPT_KANA:
    case CLSUB_SCRIPT_HANGUL: return 0.95;
    default: return 1.0;
    }
}

/* Script chosen for a track: the language's, else the text's. */
static clsub_script track_script(const clsub_track *t, const char *lang)
{
    clsub_script s = clsub_language_script(lang);
    if (s == CLSUB_SCRIPT_COMMON && t)
        s = clsub_track_main_script(t);
    return s;
}

static const char *family_for(const clsub_track *t, const clsub_render_settings *s)
{
    if (s->font_family && *s->font_family)
        return s->font_family;
    if (clsub_language_script(s->lang) != CLSUB_SCRIPT_COMMON)
        return clsub_default_font_family(s->lang);
    return clsub_script_family(track_script(t, s->lang));
}

static void script_header(clsub_buf *b, const clsub_track *t, const clsub_render_settings *s)
{
    int w = s->width, h = s->height;
    double scale = s->font_scale > 0 ? s->font_scale : 1.0;
    double size = h * 0.06 * script_size_factor(track_script(t, s->lang)) * scale;
    double outline = h * 0.0035 < 1.0 ? 1.0 : h * 0.0035;
    clsub_buf_printf(b, "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\n"
                        "WrapStyle: 0\nScaledBorderAndShadow: yes\nYCbCr Matrix: TV.709\n",
                     w, h);
    if (s->lang && *s->lang && !strpbrk(s->lang, "\r\n"))
        clsub_buf_printf(b, "Language: %s\n", s->lang);
    clsub_buf_adds(b, "\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, "
                      "SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, "
                      "StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
                      "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n");
    char family[128];
    snprintf(family, sizeof family, "%s", family_for(t, s));
    family[strcspn(family, ",\r\n")] = '\0';
    /* the box (BorderStyle 3) is drawn in the outline colour: translucent black */
    clsub_buf_printf(b, "Style: Default,%s,%.1f,&H00FFFFFF,&H000000FF,%s,&H80000000,"
                        "0,0,0,0,100,100,0,0,%d,%.2f,0,2,%d,%d,%d,-1\n",
                     family, size, s->box ? "&H40000000" : "&H00000000", s->box ? 3 : 1,
                     s->box ? outline * 2 : outline, (int)lround(w * 0.075), (int)lround(w * 0.075),
                     (int)lround(h * 0.065));
    clsub_buf_adds(b, "\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
                      "MarginV, Effect, Text\n");
}

/* The \an override for a WebVTT cue's settings, 0 for the default (2). */
static int cue_alignment(const clsub_cue *c)
{
    const clsub_cue_settings *st = &c->settings;
    int row = 0; /* 0 bottom, 6 top */
    if (!st->line_auto && ((st->snap_to_lines && st->line >= 0) ||
                           (!st->snap_to_lines && st->line < 50)))
        row = 6;
    int col = 2;
    if (st->align == CLSUB_ALIGN_LEFT || st->align == CLSUB_ALIGN_START)
        col = 1;
    else if (st->align == CLSUB_ALIGN_RIGHT || st->align == CLSUB_ALIGN_END)
        col = 3;
    int an = row + col;
    return an == 2 ? 0 : an;
}

/* Append one decoded character of cue text, escaped for ASS. */
static void put_text_char(clsub_buf *b, const char *p, size_t n)
{
    if (n == 1 && (*p == '{' || *p == '}')) {
        clsub_buf_adds(b, *p == '{' ? "\\{" : "\\}");
    } else if (n == 1 && *p == '\\') {
        /* a word joiner keeps "\N", "\n", "\h", "\{" from being read as escapes */
        clsub_buf_adds(b, "\\\xE2\x81\xA0");
    } else if (n == 1 && *p == '\n') {
        clsub_buf_adds(b, "\\N");
    } else if (n == 1 && *p == '\r') {
        /* dropped */
    } else {
        clsub_buf_add(b, p, n);
    }
}

/* <b>, <i>, <u> (with optional classes) -> overrides; 1 if it was one of them. */
static int style_tag(clsub_buf *b, const char *tag, size_t n)
{
    int closing = n > 0 && tag[0] == '/';
    const char *name = tag + closing;
    size_t nl = 0;
    while (closing + nl < n && name[nl] != '.' && name[nl] != ' ' && name[nl] != '\t')
        nl++;
    if (nl != 1 || !strchr("biuBIU", name[0]))
        return 0;
    char c = (char)(name[0] | 0x20);
    clsub_buf_printf(b, "{\\%c%d}", c, closing ? 0 : 1);
    return 1;
}

static void cue_to_ass_text(clsub_buf *b, const clsub_cue *c, clsub_format fmt)
{
    const char *s = c->text ? c->text : "";
    int an = cue_alignment(c);
    if (fmt == CLSUB_FORMAT_SRT && s[0] == '{' && s[1] == '\\' && s[2] == 'a' && s[3] == 'n' &&
        s[4] >= '1' && s[4] <= '9' && s[5] == '}') {
        an = s[4] - '0';
        s += 6;
    }
    if (an)
        clsub_buf_printf(b, "{\\an%d}", an);
    while (*s) {
        if (*s == '<') {
            const char *e = strchr(s, '>');
            if (e) {
                style_tag(b, s + 1, (size_t)(e - s - 1));
                s = e + 1;
                continue;
            }
        }
        if (*s == '&') {
            clsub_buf tmp = {0};
            size_t n = clsub_char_ref(s, &tmp);
            if (n && !tmp.failed) {
                put_text_char(b, tmp.data, tmp.len);
                clsub_buf_release(&tmp);
                s += n;
                continue;
            }
            clsub_buf_release(&tmp);
        }
        put_text_char(b, s, 1);
        s++;
    }
}

static void ass_time(int64_t ms, char *buf, size_t size)
{
    if (ms < 0)
        ms = 0;
    int64_t cs = (ms + 5) / 10;
    snprintf(buf, size, "%d:%02d:%02d.%02d", (int)(cs / 360000), (int)(cs / 6000 % 60),
             (int)(cs / 100 % 60), (int)(cs % 100));
}

static int check_settings(const clsub_render_settings *s)
{
    return s && s->width > 0 && s->height > 0 && s->width <= 16384 && s->height <= 16384;
}

int clsub_track_to_ass(const clsub_track *track, const clsub_render_settings *s, char **out)
{
    if (!out)
        return CLSUB_ERR_INVAL;
    *out = NULL;
    if (!track || !check_settings(s))
        return CLSUB_ERR_INVAL;
    clsub_buf b = {0};
    script_header(&b, track, s);
    for (size_t i = 0; i < track->n_cues; i++) {
        const clsub_cue *c = &track->cues[i];
        char t0[32], t1[32];
        ass_time(c->start_ms, t0, sizeof t0);
        ass_time(c->end_ms, t1, sizeof t1);
        clsub_buf_printf(&b, "Dialogue: 0,%s,%s,Default,,0,0,0,,", t0, t1);
        cue_to_ass_text(&b, c, track->format);
        clsub_buf_adds(&b, "\n");
    }
    if (b.failed) {
        clsub_buf_release(&b);
        return CLSUB_ERR_NOMEM;
    }
    *out = b.data;
    return 0;
}

/* ---- libass setup ------------------------------------------------------ */
static void msg_cb(int level, const char *fmt, va_list va, void *data)
{
    clsub_renderer *r = data;
    int lv = level <= 1 ? CLSUB_LOG_ERROR : level <= 3 ? CLSUB_LOG_WARNING
           : level <= 5 ? CLSUB_LOG_INFO : CLSUB_LOG_DEBUG;
    if (!r->log || lv > r->max_log_level)
        return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, va);
    r->log(r->log_opaque, lv, msg);
}

static int setup(clsub_renderer **out, const clsub_render_settings *s, clsub_renderer **rp)
{
    *out = NULL;
    clsub_renderer *r = calloc(1, sizeof *r);
    if (!r)
        return CLSUB_ERR_NOMEM;
    r->width = s->width;
    r->height = s->height;
    r->log = s->log;
    r->log_opaque = s->log_opaque;
    r->max_log_level = s->max_log_level;
    *rp = r;
    if (!(r->lib = ass_library_init()))
        return CLSUB_ERR_UNSUPPORTED;
    ass_set_message_cb(r->lib, msg_cb, r);
    ass_set_extract_fonts(r->lib, 0);
    if (s->font_dir)
        ass_set_fonts_dir(r->lib, s->font_dir);
    if (!(r->ren = ass_renderer_init(r->lib)))
        return CLSUB_ERR_UNSUPPORTED;
    ass_set_frame_size(r->ren, s->width, s->height);
    ass_set_storage_size(r->ren, s->width, s->height);
    ass_set_shaper(r->ren, ASS_SHAPING_COMPLEX);
    ass_set_hinting(r->ren, ASS_HINTING_NONE);
    return 0;
}

static void set_features(clsub_renderer *r, int on)
{
    static const struct { ASS_Feature f; const char *name; } feats[] = {
        {ASS_FEATURE_BIDI_BRACKETS, "bidi brackets"},
        {ASS_FEATURE_WHOLE_TEXT_LAYOUT, "whole-text layout"},
        {ASS_FEATURE_WRAP_UNICODE, "Unicode line wrapping"},
    };
    for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++)
        if (ass_track_set_feature(r->track, feats[i].f, on) < 0 && on && r->log &&
            r->max_log_level >= CLSUB_LOG_WARNING) {
            char msg[128];
            snprintf(msg, sizeof msg, "libass: feature \"%s\" is not available in this build",
                     feats[i].name);
            r->log(r->log_opaque, CLSUB_LOG_WARNING, msg);
        }
}

static void set_fonts(clsub_renderer *r, const char *family, const clsub_render_settings *s)
{
    if (s->font_dir) {
        /* only the folder's fonts; the one fontconfig ranks first for the
           language is the default, so text is drawn even when no family
           name in the folder matches */
        char *best = clsub_font_dir_best_file(s->font_dir, family, s->lang);
        ass_set_fonts(r->ren, best, family, ASS_FONTPROVIDER_NONE, NULL, 0);
        free(best);
    } else
        ass_set_fonts(r->ren, NULL, family, ASS_FONTPROVIDER_FONTCONFIG, NULL, 1);
}

static int add_events(clsub_renderer *r, const clsub_track *t)
{
    for (size_t i = 0; i < t->n_cues; i++) {
        const clsub_cue *c = &t->cues[i];
        if (c->end_ms <= c->start_ms)
            continue;
        clsub_buf b = {0};
        cue_to_ass_text(&b, c, t->format);
        clsub_buf_add(&b, "", 0);
        if (b.failed)
            return CLSUB_ERR_NOMEM;
        int id = ass_alloc_event(r->track);
        if (id < 0) {
            clsub_buf_release(&b);
            return CLSUB_ERR_NOMEM;
        }
        ASS_Event *ev = &r->track->events[id];
        ev->Start = c->start_ms;
        ev->Duration = c->end_ms - c->start_ms;
        ev->ReadOrder = id;
        ev->Layer = 0;
        ev->Style = r->track->default_style;
        ev->Text = b.data; /* libass frees it with free() */
    }
    return 0;
}

int clsub_render_open(clsub_renderer **out, const clsub_track *track,
                      const clsub_render_settings *s)
{
    if (!out)
        return CLSUB_ERR_INVAL;
    *out = NULL;
    if (!track || !check_settings(s))
        return CLSUB_ERR_INVAL;
    clsub_renderer *r = NULL;
    clsub_buf hdr = {0};
    int ret = setup(out, s, &r);
    if (ret < 0)
        goto fail;
    script_header(&hdr, track, s);
    if (hdr.failed) {
        ret = CLSUB_ERR_NOMEM;
        goto fail;
    }
    if (!(r->track = ass_read_memory(r->lib, hdr.data, hdr.len, NULL)) ||
        r->track->n_styles < 1) {
        ret = CLSUB_ERR_INVALIDDATA;
        goto fail;
    }
    r->track->default_style = r->track->n_styles - 1; /* ours, after libass's own "Default" */
    set_features(r, s->unicode_features != 0);
    if ((ret = add_events(r, track)) < 0)
        goto fail;
    set_fonts(r, family_for(track, s), s);
    clsub_buf_release(&hdr);
    *out = r;
    return 0;
fail:
    clsub_buf_release(&hdr);
    clsub_render_close(&r);
    return ret;
}

int clsub_render_open_ass(clsub_renderer **out, const char *ass, size_t len,
                          const clsub_render_settings *s)
{
    if (!out)
        return CLSUB_ERR_INVAL;
    *out = NULL;
    if (!ass || !len || !check_settings(s))
        return CLSUB_ERR_INVAL;
    if (len > CLSUB_MAX_INPUT_BYTES)
        return CLSUB_ERR_TOOBIG;
    clsub_renderer *r = NULL;
    char *copy = NULL;
    int ret = setup(out, s, &r);
    if (ret < 0)
        goto fail;
    if (!(copy = clsub_strndup(ass, len))) {
        ret = CLSUB_ERR_NOMEM;
        goto fail;
    }
    if (!(r->track = ass_read_memory(r->lib, copy, len, NULL))) {
        ret = CLSUB_ERR_INVALIDDATA;
        goto fail;
    }
    set_features(r, s->unicode_features == 1);
    set_fonts(r, s->font_family && *s->font_family ? s->font_family
                                                   : clsub_default_font_family(s->lang), s);
    free(copy);
    *out = r;
    return 0;
fail:
    free(copy);
    clsub_render_close(&r);
    return ret;
}

void clsub_render_close(clsub_renderer **rp)
{
    if (!rp || !*rp)
        return;
    clsub_renderer *r = *rp;
    if (r->track)
        ass_free_track(r->track);
    if (r->ren)
        ass_renderer_done(r->ren);
    if (r->lib)
        ass_library_done(r->lib);
    free(r);
    *rp = NULL;
}

/* ---- blending ---------------------------------------------------------- */
typedef struct yuv { int y, u, v; } yuv;

/* BT.709, limited range, from 8-bit RGB (fixed point, x 2^16). */
static yuv rgb_to_yuv(int r, int g, int b)
{
    yuv o;
    o.y = 16 + ((11966 * r + 40254 * g + 4064 * b + 32768) >> 16);
    o.u = 128 + ((-6596 * r - 22189 * g + 28785 * b + 32768) >> 16);
    o.v = 128 + ((28785 * r - 26145 * g - 2640 * b + 32768) >> 16);
    return o;
}

static inline uint8_t mix(uint8_t dst, int src, int a)
{
    return (uint8_t)((dst * (255 - a) + src * a + 127) / 255);
}

static void blend_image(const ASS_Image *img, clsub_frame *f)
{
    uint32_t c = img->color;
    yuv col = rgb_to_yuv((int)(c >> 24), (int)((c >> 16) & 0xFF), (int)((c >> 8) & 0xFF));
    int opacity = 255 - (int)(c & 0xFF);
    int x0 = img->dst_x < 0 ? -img->dst_x : 0, y0 = img->dst_y < 0 ? -img->dst_y : 0;
    int x1 = img->w, y1 = img->h;
    if (img->dst_x + x1 > f->width)
        x1 = f->width - img->dst_x;
    if (img->dst_y + y1 > f->height)
        y1 = f->height - img->dst_y;
    if (x0 >= x1 || y0 >= y1 || opacity == 0)
        return;
    for (int y = y0; y < y1; y++) {
        const uint8_t *src = img->bitmap + (size_t)y * (size_t)img->stride;
        uint8_t *dst = f->data[0] + (size_t)(img->dst_y + y) * (size_t)f->linesize[0] + img->dst_x;
        for (int x = x0; x < x1; x++)
            if (src[x])
                dst[x] = mix(dst[x], col.y, (src[x] * opacity + 127) / 255);
    }
    /* chroma: average the coverage of the 2x2 luma samples of each chroma sample */
    int cx0 = (img->dst_x + x0) / 2, cx1 = (img->dst_x + x1 + 1) / 2;
    int cy0 = (img->dst_y + y0) / 2, cy1 = (img->dst_y + y1 + 1) / 2;
    for (int cy = cy0; cy < cy1; cy++) {
        uint8_t *du = f->data[1] + (size_t)cy * (size_t)f->linesize[1];
        uint8_t *dv = f->data[2] + (size_t)cy * (size_t)f->linesize[2];
        for (int cx = cx0; cx < cx1; cx++) {
            int sum = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int bx = 2 * cx + dx - img->dst_x, by = 2 * cy + dy - img->dst_y;
                    if (bx >= x0 && bx < x1 && by >= y0 && by < y1)
                        sum += img->bitmap[(size_t)by * (size_t)img->stride + (size_t)bx];
                }
            if (!sum)
                continue;
            int a = (sum * opacity + 510) / 1020;
            du[cx] = mix(du[cx], col.u, a);
            dv[cx] = mix(dv[cx], col.v, a);
        }
    }
}

static int collect(ASS_Image *imgs, int changed, clsub_render_info *info)
{
    clsub_render_info in = {0};
    in.changed = changed;
    int first = 1;
    for (ASS_Image *i = imgs; i; i = i->next) {
        if (i->w <= 0 || i->h <= 0)
            continue;
        in.n_images++;
        int x1 = i->dst_x + i->w, y1 = i->dst_y + i->h;
        if (first || i->dst_x < in.x0)
            in.x0 = i->dst_x;
        if (first || i->dst_y < in.y0)
            in.y0 = i->dst_y;
        if (first || x1 > in.x1)
            in.x1 = x1;
        if (first || y1 > in.y1)
            in.y1 = y1;
        first = 0;
    }
    if (info)
        *info = in;
    return in.n_images;
}

int clsub_render_peek(clsub_renderer *r, int64_t t_ms, clsub_render_info *info)
{
    if (!r)
        return CLSUB_ERR_INVAL;
    int changed = 0;
    ASS_Image *imgs = ass_render_frame(r->ren, r->track, (long long)t_ms, &changed);
    return collect(imgs, changed, info);
}

int clsub_render_frame(clsub_renderer *r, int64_t t_ms, clsub_frame *f, clsub_render_info *info)
{
    if (!r || !f || !f->data[0] || !f->data[1] || !f->data[2] || f->width != r->width ||
        f->height != r->height)
        return CLSUB_ERR_INVAL;
    int changed = 0;
    ASS_Image *imgs = ass_render_frame(r->ren, r->track, (long long)t_ms, &changed);
    int n = collect(imgs, changed, info);
    for (ASS_Image *i = imgs; i; i = i->next)
        if (i->w > 0 && i->h > 0)
            blend_image(i, f);
    return n;
}
