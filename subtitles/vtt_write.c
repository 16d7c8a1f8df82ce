/* Writers: WebVTT (regions, styles, valid cue settings, escaped text) and SRT. */
#include "clsub_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_num(clsub_buf *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        clsub_buf_printf(b, "%.0f", v);
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.6f", v);
    size_t n = strlen(tmp);
    while (n > 0 && tmp[n - 1] == '0')
        n--;
    if (n > 0 && tmp[n - 1] == '.')
        n--;
    clsub_buf_add(b, tmp, n);
}

static int is_token(const char *s)
{
    if (!s || !*s || strstr(s, "-->"))
        return 0;
    for (; *s; s++)
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
            return 0;
    return 1;
}

static int tag_like(const char *s)
{
    static const char *const names[] = {"b", "i", "u", "c", "v", "lang", "ruby", "rt"};
    const char *p = s + 1;
    if (*p == '/')
        p++;
    if (*p >= '0' && *p <= '9') { /* a timestamp tag <hh:mm:ss.ttt> */
        while ((*p >= '0' && *p <= '9') || *p == ':' || *p == '.')
            p++;
        return *p == '>';
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (!strncmp(p, names[i], n) && strchr(" \t.>", p[n]) && p[n]) {
            goto close;
        }
    }
    return 0;
close:
    for (; *p && *p != '\n'; p++)
        if (*p == '>')
            return 1;
    return 0;
}

static int char_ref_like(const char *s)
{
    const char *p = s + 1;
    if (*p == '#') {
        p++;
        if (*p == 'x' || *p == 'X')
            p++;
    }
    const char *st = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
        p++;
    return p > st && *p == ';';
}

/* Cue text: never blank lines (they would end the cue). mode 0: as it is (SRT);
 * 1: WebVTT, "-->" broken up; 2: WebVTT from another format, where &, < and >
 * are also escaped when they are not markup. */
static void put_text(clsub_buf *b, const char *s, int mode)
{
    int line_has_text = 0, in_tag = 0;
    size_t start = b->len;
    for (; *s; s++) {
        if (*s == '\n') {
            if (line_has_text)
                clsub_buf_add(b, "\n", 1);
            line_has_text = 0;
            in_tag = 0;
            continue;
        }
        line_has_text = 1;
        int escape = mode == 2;
        if (mode && *s == '>' && b->len >= start + 2 && !in_tag && !memcmp(b->data + b->len - 2, "--", 2)) {
            clsub_buf_adds(b, "&gt;");
        } else if (escape && *s == '<' && !in_tag && !tag_like(s)) {
            clsub_buf_adds(b, "&lt;");
        } else if (escape && *s == '>' && !in_tag) {
            clsub_buf_adds(b, "&gt;");
        } else if (escape && *s == '&' && !char_ref_like(s)) {
            clsub_buf_adds(b, "&amp;");
        } else {
            if (*s == '<')
                in_tag = 1;
            else if (*s == '>')
                in_tag = 0;
            clsub_buf_add(b, s, 1);
        }
    }
    while (b->len > start && b->data[b->len - 1] == '\n')
        b->data[--b->len] = '\0';
}

static void put_settings(clsub_buf *b, const clsub_track *t, const clsub_cue_settings *s)
{
    static const char *const aligns[] = {"center", "start", "end", "left", "right"};
    static const char *const laligns[] = {"start", "center", "end"};
    static const char *const paligns[] = {"auto", "line-left", "center", "line-right"};
    if (s->vertical != CLSUB_VERTICAL_NONE)
        clsub_buf_adds(b, s->vertical == CLSUB_VERTICAL_RL ? " vertical:rl" : " vertical:lr");
    if (!s->line_auto && (s->snap_to_lines || (s->line >= 0 && s->line <= 100))) {
        clsub_buf_adds(b, " line:");
        put_num(b, s->line);
        if (!s->snap_to_lines)
            clsub_buf_adds(b, "%");
        if (s->line_align != CLSUB_LINE_ALIGN_START && (unsigned)s->line_align < 3)
            clsub_buf_printf(b, ",%s", laligns[s->line_align]);
    }
    if (!s->position_auto && s->position >= 0 && s->position <= 100) {
        clsub_buf_adds(b, " position:");
        put_num(b, s->position);
        clsub_buf_adds(b, "%");
        if (s->position_align != CLSUB_POSITION_ALIGN_AUTO && (unsigned)s->position_align < 4)
            clsub_buf_printf(b, ",%s", paligns[s->position_align]);
    }
    if (s->size != 100 && s->size >= 0 && s->size <= 100) {
        clsub_buf_adds(b, " size:");
        put_num(b, s->size);
        clsub_buf_adds(b, "%");
    }
    if (s->align != CLSUB_ALIGN_CENTER && (unsigned)s->align < 5)
        clsub_buf_printf(b, " align:%s", aligns[s->align]);
    if (s->region && is_token(s->region)) {
        for (size_t i = 0; i < t->n_regions; i++)
            if (!strcmp(t->regions[i].id, s->region)) {
                clsub_buf_printf(b, " region:%s", s->region);
                break;
            }
    }
}

static void put_region(clsub_buf *b, const clsub_region *r)
{
    clsub_buf_printf(b, "REGION\nid:%s width:", r->id);
    put_num(b, r->width);
    clsub_buf_printf(b, "%% lines:%d regionanchor:", r->lines);
    put_num(b, r->region_anchor_x);
    clsub_buf_adds(b, "%,");
    put_num(b, r->region_anchor_y);
    clsub_buf_adds(b, "% viewportanchor:");
    put_num(b, r->viewport_anchor_x);
    clsub_buf_adds(b, "%,");
    put_num(b, r->viewport_anchor_y);
    clsub_buf_adds(b, r->scroll_up ? "% scroll:up\n\n" : "%\n\n");
}

static void put_style(clsub_buf *b, const char *css)
{
    if (strstr(css, "-->"))
        return;
    clsub_buf_adds(b, "STYLE\n");
    put_text(b, css, 1);
    clsub_buf_adds(b, "\n\n");
}

static int finish(clsub_buf *b, char **out, size_t *len)
{
    if (b->failed) {
        clsub_buf_release(b);
        return CLSUB_ERR_NOMEM;
    }
    *out = b->data;
    if (len)
        *len = b->len;
    return 0;
}

int clsub_write_vtt(const clsub_track *t, char **out, size_t *len)
{
    if (!t || !out)
        return CLSUB_ERR_INVAL;
    *out = NULL;
    clsub_buf b = {0};
    clsub_buf_adds(&b, "WEBVTT\n\n");
    for (size_t i = 0; i < t->n_regions; i++)
        if (is_token(t->regions[i].id))
            put_region(&b, &t->regions[i]);
    for (size_t i = 0; i < t->n_styles; i++)
        put_style(&b, t->styles[i]);
    for (size_t i = 0; i < t->n_cues; i++) {
        const clsub_cue *c = &t->cues[i];
        char t1[32], t2[32];
        if (c->id && *c->id && !strstr(c->id, "-->") && !strchr(c->id, '\n'))
            clsub_buf_printf(&b, "%s\n", c->id);
        clsub_format_time(c->start_ms, '.', t1, sizeof t1);
        clsub_format_time(c->end_ms, '.', t2, sizeof t2);
        clsub_buf_printf(&b, "%s --> %s", t1, t2);
        put_settings(&b, t, &c->settings);
        clsub_buf_adds(&b, "\n");
        put_text(&b, c->text ? c->text : "", t->format == CLSUB_FORMAT_VTT ? 1 : 2);
        clsub_buf_adds(&b, "\n\n");
    }
    return finish(&b, out, len);
}

int clsub_write_srt(const clsub_track *t, char **out, size_t *len)
{
    if (!t || !out)
        return CLSUB_ERR_INVAL;
    *out = NULL;
    clsub_buf b = {0};
    clsub_buf_add(&b, "", 0);
    for (size_t i = 0; i < t->n_cues; i++) {
        const clsub_cue *c = &t->cues[i];
        char t1[32], t2[32];
        clsub_format_time(c->start_ms, ',', t1, sizeof t1);
        clsub_format_time(c->end_ms, ',', t2, sizeof t2);
        clsub_buf_printf(&b, "%zu\n%s --> %s\n", i + 1, t1, t2);
        size_t before = b.len;
        put_text(&b, c->text ? c->text : "", 0);
        clsub_buf_adds(&b, b.len > before ? "\n\n" : "\n");
    }
    return finish(&b, out, len);
}
