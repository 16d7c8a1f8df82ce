/* WebVTT parser following the W3C WebVTT parsing algorithm
 * (https://www.w3.org/TR/webvtt1/#file-parsing), plus one compatibility
 * extension: legacy "Region: id=... width=..." header lines (2013-2016 drafts,
 * still produced by some tools) are read into regions, with an info diagnostic. */
#include "clsub_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct vtt_parser {
    clsub_track *t;
    const char *s;
    size_t len;
    size_t pos;
    int lineno;      /* line number of the line starting at pos */
} vtt_parser;

typedef enum { BLOCK_NONE, BLOCK_CUE, BLOCK_STYLE, BLOCK_REGION } block_kind;

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int has_arrow(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (s[i] == '-' && s[i + 1] == '-' && s[i + 2] == '>')
            return 1;
    return 0;
}

/* Collect digits at *pos; returns count; value saturates. */
static size_t digits(const char *s, size_t n, size_t *pos, int64_t *value)
{
    size_t start = *pos;
    int64_t v = 0;
    while (*pos < n && is_digit(s[*pos])) {
        if (v < INT64_MAX / 100)
            v = v * 10 + (s[*pos] - '0');
        (*pos)++;
    }
    *value = v;
    return *pos - start;
}

/* "Collect a WebVTT timestamp". Returns 0 or -1. */
static int vtt_timestamp(const char *s, size_t n, size_t *pos, int64_t *ms)
{
    int64_t v1, v2, v3, v4;
    int hours = 0;
    if (*pos >= n || !is_digit(s[*pos]))
        return -1;
    size_t nd = digits(s, n, pos, &v1);
    if (nd != 2 || v1 > 59)
        hours = 1;
    if (*pos >= n || s[*pos] != ':')
        return -1;
    (*pos)++;
    if (*pos >= n || !is_digit(s[*pos]) || digits(s, n, pos, &v2) != 2)
        return -1;
    if (hours || (*pos < n && s[*pos] == ':')) {
        if (*pos >= n || s[*pos] != ':')
            return -1;
        (*pos)++;
        if (*pos >= n || !is_digit(s[*pos]) || digits(s, n, pos, &v3) != 2)
            return -1;
    } else {
        v3 = v2;
        v2 = v1;
        v1 = 0;
    }
    if (*pos >= n || s[*pos] != '.')
        return -1;
    (*pos)++;
    if (*pos >= n || !is_digit(s[*pos]) || digits(s, n, pos, &v4) != 3)
        return -1;
    if (v2 > 59 || v3 > 59 || v1 > CLSUB_MAX_HOURS)
        return -1;
    *ms = ((v1 * 60 + v2) * 60 + v3) * 1000 + v4;
    return 0;
}

/* "Parse a percentage string": ^\d+(\.\d+)?%$ within 0..100. */
static int vtt_percentage(const char *s, size_t n, double *out)
{
    size_t i = 0;
    if (n < 2 || s[n - 1] != '%')
        return -1;
    while (i < n - 1 && is_digit(s[i]))
        i++;
    if (i == 0)
        return -1;
    if (i < n - 1 && s[i] == '.') {
        size_t f = ++i;
        while (i < n - 1 && is_digit(s[i]))
            i++;
        if (i == f)
            return -1;
    }
    if (i != n - 1)
        return -1;
    char tmp[64];
    if (n - 1 >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n - 1);
    tmp[n - 1] = '\0';
    double v = strtod(tmp, NULL);
    if (v < 0 || v > 100)
        return -1;
    *out = v;
    return 0;
}

/* The "line" setting's non-percentage form: optional '-', digits, one optional '.'. */
static int vtt_line_number(const char *s, size_t n, double *out)
{
    size_t dots = 0, ndig = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i]))
            ndig++;
        else if (s[i] == '-' && i != 0)
            return -1;
        else if (s[i] == '.') {
            if (++dots > 1 || i == 0 || i + 1 >= n || !is_digit(s[i - 1]) || !is_digit(s[i + 1]))
                return -1;
        } else if (s[i] != '-')
            return -1;
    }
    char tmp[64];
    if (!ndig || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

static int streq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static void setting_ignored(vtt_parser *p, int line, const char *tok, size_t n, const char *why)
{
    clsub_diag_add(p->t, line, CLSUB_SEV_WARNING, "vtt-setting-ignored",
                   "line %d: cue setting \"%.*s\" ignored: %s", line, (int)(n > 80 ? 80 : n),
                   tok, why);
}

static int setting_line(clsub_cue_settings *cs, const char *v, size_t vn)
{
    const char *comma = memchr(v, ',', vn);
    size_t pn = comma ? (size_t)(comma - v) : vn;
    double num;
    int snap;
    size_t k;
    for (k = 0; k < pn && !is_digit(v[k]); k++)
        ;
    if (k == pn)
        return -1;
    if (v[pn - 1] == '%') {
        if (vtt_percentage(v, pn, &num) < 0)
            return -1;
        snap = 0;
    } else {
        if (vtt_line_number(v, pn, &num) < 0)
            return -1;
        snap = 1;
    }
    clsub_line_align la = cs->line_align;
    if (comma) {
        const char *a = comma + 1;
        size_t an = vn - pn - 1;
        if (streq(a, an, "start"))
            la = CLSUB_LINE_ALIGN_START;
        else if (streq(a, an, "center"))
            la = CLSUB_LINE_ALIGN_CENTER;
        else if (streq(a, an, "end"))
            la = CLSUB_LINE_ALIGN_END;
        else
            return -1;
    }
    cs->line_auto = 0;
    cs->line = num;
    cs->snap_to_lines = snap;
    cs->line_align = la;
    return 0;
}

static int setting_position(clsub_cue_settings *cs, const char *v, size_t vn)
{
    const char *comma = memchr(v, ',', vn);
    size_t pn = comma ? (size_t)(comma - v) : vn;
    double num;
    if (vtt_percentage(v, pn, &num) < 0)
        return -1;
    clsub_position_align pa = cs->position_align;
    if (comma) {
        const char *a = comma + 1;
        size_t an = vn - pn - 1;
        if (streq(a, an, "line-left"))
            pa = CLSUB_POSITION_ALIGN_LINE_LEFT;
        else if (streq(a, an, "center"))
            pa = CLSUB_POSITION_ALIGN_CENTER;
        else if (streq(a, an, "line-right"))
            pa = CLSUB_POSITION_ALIGN_LINE_RIGHT;
        else
            return -1;
    }
    cs->position_auto = 0;
    cs->position = num;
    cs->position_align = pa;
    return 0;
}

static int setting_align(clsub_cue_settings *cs, const char *v, size_t vn)
{
    static const struct { const char *name; clsub_align a; } tab[] = {
        {"start", CLSUB_ALIGN_START}, {"center", CLSUB_ALIGN_CENTER}, {"end", CLSUB_ALIGN_END},
        {"left", CLSUB_ALIGN_LEFT}, {"right", CLSUB_ALIGN_RIGHT},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (streq(v, vn, tab[i].name)) {
            cs->align = tab[i].a;
            return 0;
        }
    return -1;
}

static int setting_region(vtt_parser *p, clsub_cue_settings *cs, const char *v, size_t vn)
{
    for (size_t i = p->t->n_regions; i-- > 0;)
        if (streq(v, vn, p->t->regions[i].id)) {
            char *id = clsub_strndup(v, vn);
            if (!id)
                return CLSUB_ERR_NOMEM;
            free(cs->region);
            cs->region = id;
            return 0;
        }
    free(cs->region);
    cs->region = NULL;
    return -1;
}

/* "Parse the WebVTT cue settings": each invalid setting is ignored on its own. */
static int vtt_settings(vtt_parser *p, int line, const char *s, size_t n, clsub_cue_settings *cs)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && is_ws(s[i]))
            i++;
        size_t st = i;
        while (i < n && !is_ws(s[i]))
            i++;
        if (i == st)
            break;
        const char *tok = s + st;
        size_t tn = i - st;
        const char *colon = memchr(tok, ':', tn);
        if (!colon || colon == tok || colon == tok + tn - 1) {
            setting_ignored(p, line, tok, tn, "expected name:value");
            continue;
        }
        size_t nn = (size_t)(colon - tok);
        const char *v = colon + 1;
        size_t vn = tn - nn - 1;
        int r;
        if (streq(tok, nn, "region")) {
            r = setting_region(p, cs, v, vn);
            if (r == CLSUB_ERR_NOMEM)
                return r;
        } else if (streq(tok, nn, "vertical")) {
            r = streq(v, vn, "rl") ? 0 : streq(v, vn, "lr") ? 0 : -1;
            if (r == 0)
                cs->vertical = v[0] == 'r' ? CLSUB_VERTICAL_RL : CLSUB_VERTICAL_LR;
        } else if (streq(tok, nn, "line")) {
            r = setting_line(cs, v, vn);
        } else if (streq(tok, nn, "position")) {
            r = setting_position(cs, v, vn);
        } else if (streq(tok, nn, "size")) {
            double num;
            r = vtt_percentage(v, vn, &num);
            if (r == 0)
                cs->size = num;
        } else if (streq(tok, nn, "align")) {
            r = setting_align(cs, v, vn);
        } else {
            setting_ignored(p, line, tok, tn, "unknown setting name");
            continue;
        }
        if (r < 0)
            setting_ignored(p, line, tok, tn,
                            streq(tok, nn, "region") ? "no region with that id" : "invalid value");
    }
    return 0;
}

/* "Collect WebVTT cue timings and settings" from one line. 0, -1 (bad), or error. */
static int vtt_timings(vtt_parser *p, int line, const char *s, size_t n, clsub_cue *cue)
{
    size_t pos = 0;
    while (pos < n && is_ws(s[pos]))
        pos++;
    if (vtt_timestamp(s, n, &pos, &cue->start_ms) < 0)
        return -1;
    while (pos < n && is_ws(s[pos]))
        pos++;
    if (pos + 3 > n || memcmp(s + pos, "-->", 3) != 0)
        return -1;
    pos += 3;
    while (pos < n && is_ws(s[pos]))
        pos++;
    if (vtt_timestamp(s, n, &pos, &cue->end_ms) < 0)
        return -1;
    clsub_settings_default(&cue->settings);
    size_t rs = pos;
    while (rs < n && is_ws(s[rs]))
        rs++;
    if (rs < n) {
        cue->settings.raw = clsub_strndup(s + rs, n - rs);
        if (!cue->settings.raw)
            return CLSUB_ERR_NOMEM;
        size_t e = n;
        while (e > rs && is_ws(s[e - 1]))
            e--;
        cue->settings.raw[e - rs] = '\0';
    }
    return vtt_settings(p, line, s + pos, n - pos, &cue->settings);
}

/* Region settings ("Collect WebVTT region settings"); delim is ':' (REGION block)
 * or '=' (legacy header line). */
static void vtt_region_settings(const char *s, size_t n, char delim, clsub_region *r, char **id)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && is_ws(s[i]))
            i++;
        size_t st = i;
        while (i < n && !is_ws(s[i]))
            i++;
        const char *tok = s + st;
        size_t tn = i - st;
        const char *d = tn ? memchr(tok, delim, tn) : NULL;
        if (!d || d == tok || d == tok + tn - 1)
            continue;
        size_t nn = (size_t)(d - tok);
        const char *v = d + 1;
        size_t vn = tn - nn - 1;
        double x, y;
        if (streq(tok, nn, "id")) {
            free(*id);
            *id = clsub_strndup(v, vn);
        } else if (streq(tok, nn, "width")) {
            if (vtt_percentage(v, vn, &x) == 0)
                r->width = x;
        } else if (streq(tok, nn, "lines")) {
            size_t k = 0;
            int64_t lines;
            if (digits(v, vn, &k, &lines) == vn)
                r->lines = lines > 1000000 ? 1000000 : (int)lines;
        } else if (streq(tok, nn, "regionanchor") || streq(tok, nn, "viewportanchor")) {
            const char *c = memchr(v, ',', vn);
            if (!c || vtt_percentage(v, (size_t)(c - v), &x) < 0 ||
                vtt_percentage(c + 1, vn - (size_t)(c - v) - 1, &y) < 0)
                continue;
            if (tok[0] == 'r') {
                r->region_anchor_x = x;
                r->region_anchor_y = y;
            } else {
                r->viewport_anchor_x = x;
                r->viewport_anchor_y = y;
            }
        } else if (streq(tok, nn, "scroll")) {
            if (streq(v, vn, "up"))
                r->scroll_up = 1;
        }
    }
}

/* Add a region; a later region with the same id replaces the earlier one. */
static int add_region(vtt_parser *p, int line, const char *s, size_t n, char delim)
{
    clsub_track *t = p->t;
    clsub_region r;
    char *id = NULL;
    clsub_region_default(&r);
    vtt_region_settings(s, n, delim, &r, &id);
    if (!id || !*id) {
        free(id);
        return clsub_diag_add(t, line, CLSUB_SEV_WARNING, "vtt-region-no-id",
                              "line %d: region without an id ignored", line);
    }
    for (size_t i = 0; i < t->n_regions; i++)
        if (strcmp(t->regions[i].id, id) == 0) {
            free(t->regions[i].id);
            memmove(&t->regions[i], &t->regions[i + 1], (t->n_regions - i - 1) * sizeof r);
            t->n_regions--;
            break;
        }
    if (t->n_regions == t->cap_regions) {
        size_t cap = t->cap_regions ? t->cap_regions * 2 : 4;
        clsub_region *nr = realloc(t->regions, cap * sizeof *nr);
        if (!nr) {
            free(id);
            return CLSUB_ERR_NOMEM;
        }
        t->regions = nr;
        t->cap_regions = cap;
    }
    r.id = id;
    t->regions[t->n_regions++] = r;
    return 0;
}

static int add_style(vtt_parser *p, const char *css, size_t n)
{
    clsub_track *t = p->t;
    if (t->n_styles == t->cap_styles) {
        size_t cap = t->cap_styles ? t->cap_styles * 2 : 4;
        char **ns = realloc(t->styles, cap * sizeof *ns);
        if (!ns)
            return CLSUB_ERR_NOMEM;
        t->styles = ns;
        t->cap_styles = cap;
    }
    if (!(t->styles[t->n_styles] = clsub_strndup(css, n)))
        return CLSUB_ERR_NOMEM;
    t->n_styles++;
    return 0;
}

/* Legacy header lines: "Region: id=... ...". */
static int header_lines(vtt_parser *p, const char *buf, size_t n, int first_line)
{
    int line = first_line;
    size_t i = 0;
    while (i < n) {
        const char *e = memchr(buf + i, '\n', n - i);
        size_t ln = e ? (size_t)(e - (buf + i)) : n - i;
        if (ln >= 7 && memcmp(buf + i, "Region:", 7) == 0) {
            clsub_diag_add(p->t, line, CLSUB_SEV_INFO, "vtt-legacy-region",
                           "line %d: legacy \"Region:\" header line read as a region "
                           "(current WebVTT uses a REGION block)", line);
            int r = add_region(p, line, buf + i + 7, ln - 7, '=');
            if (r < 0)
                return r;
        }
        i += ln + 1;
        line++;
    }
    return 0;
}

/* The whole-block state of "Collect a WebVTT block". */
typedef struct vtt_block {
    block_kind kind;
    clsub_cue cue;
    int have_cue;
    int attempted;     /* a timing line was seen (a cue was read) */
    int bad_line;      /* line of a timing line that failed */
    int first_line;
    clsub_buf buf;
} vtt_block;

static int only_ws_after(const clsub_buf *b, size_t k)
{
    for (size_t i = k; i < b->len; i++)
        if (!is_ws(b->data[i]))
            return 0;
    return 1;
}

/* Handle a line containing "-->" at line count 1 or 2 (cue creation). */
static int block_timing_line(vtt_parser *p, vtt_block *b, const char *line, size_t n, int lineno)
{
    b->attempted = 1;
    clsub_cue_clear(&b->cue);
    memset(&b->cue, 0, sizeof b->cue);
    b->cue.id = clsub_strndup(b->buf.data ? b->buf.data : "", b->buf.len);
    if (!b->cue.id)
        return CLSUB_ERR_NOMEM;
    b->cue.line = lineno;
    int r = vtt_timings(p, lineno, line, n, &b->cue);
    if (r == CLSUB_ERR_NOMEM)
        return r;
    if (r < 0) {
        clsub_cue_clear(&b->cue);
        b->have_cue = 0;
        b->bad_line = lineno;
        return 0;
    }
    b->have_cue = 1;
    b->buf.len = 0;
    if (b->buf.data)
        b->buf.data[0] = '\0';
    return 0;
}

/* "Collect a WebVTT block". Fills b; returns 0 or CLSUB_ERR_NOMEM. */
static int collect_block(vtt_parser *p, int in_header, vtt_block *b)
{
    int line_count = 0, seen_arrow = 0, r = 0;
    size_t prev_pos = p->pos;
    int prev_lineno = p->lineno;
    b->first_line = p->lineno;
    clsub_buf_add(&b->buf, "", 0);
    for (;;) {
        const char *line = p->s + p->pos;
        const char *nl = memchr(line, '\n', p->len - p->pos);
        size_t n = nl ? (size_t)(nl - line) : p->len - p->pos;
        int lineno = p->lineno;
        line_count++;
        p->pos += n;
        if (p->pos < p->len) {
            p->pos++;
            p->lineno++;
        }
        int legacy = in_header && n >= 7 && memcmp(line, "Region:", 7) == 0;
        if (has_arrow(line, n) && !legacy) {
            if (!in_header && (line_count == 1 || (line_count == 2 && !seen_arrow))) {
                seen_arrow = 1;
                prev_pos = p->pos;
                prev_lineno = p->lineno;
                if ((r = block_timing_line(p, b, line, n, lineno)) < 0)
                    break;
            } else {
                p->pos = prev_pos;
                p->lineno = prev_lineno;
                break;
            }
        } else if (n == 0) {
            break;
        } else {
            if (!in_header && line_count == 2 && !b->have_cue && b->kind == BLOCK_NONE) {
                if (b->buf.len >= 5 && memcmp(b->buf.data, "STYLE", 5) == 0 && only_ws_after(&b->buf, 5)) {
                    b->kind = BLOCK_STYLE;
                    b->buf.len = 0;
                } else if (b->buf.len >= 6 && memcmp(b->buf.data, "REGION", 6) == 0 &&
                           only_ws_after(&b->buf, 6)) {
                    b->kind = BLOCK_REGION;
                    b->buf.len = 0;
                }
            }
            if (b->buf.len)
                clsub_buf_add(&b->buf, "\n", 1);
            clsub_buf_add(&b->buf, line, n);
            prev_pos = p->pos;
            prev_lineno = p->lineno;
        }
        if (p->pos >= p->len)
            break;
    }
    if (r == 0 && b->buf.failed)
        r = CLSUB_ERR_NOMEM;
    if (b->have_cue)
        b->kind = BLOCK_CUE;
    return r;
}

static int block_finish(vtt_parser *p, vtt_block *b)
{
    clsub_track *t = p->t;
    const char *text = b->buf.data ? b->buf.data : "";
    int r = 0;
    if (b->attempted)
        t->cues_read++;
    if (b->kind == BLOCK_CUE) {
        if (t->n_cues >= CLSUB_MAX_CUES) {
            t->cues_dropped++;
            return clsub_diag_add(t, b->cue.line, CLSUB_SEV_ERROR, "too-many-cues",
                                  "line %d: cue dropped: the limit is %d cues per file",
                                  b->cue.line, CLSUB_MAX_CUES);
        }
        if (!(b->cue.text = clsub_strndup(text, b->buf.len)))
            return CLSUB_ERR_NOMEM;
        if (b->cue.end_ms < b->cue.start_ms)
            clsub_diag_add(t, b->cue.line, CLSUB_SEV_WARNING, "end-before-start",
                           "line %d: the cue ends before it starts", b->cue.line);
        if ((r = clsub_cue_push(t, &b->cue)) == 0)
            t->cues_kept++;
        return r;
    }
    if (b->attempted) {
        t->cues_dropped++;
        return clsub_diag_add(t, b->bad_line, CLSUB_SEV_ERROR, "vtt-bad-timing",
                              "line %d: cue dropped: the timing line is not "
                              "\"[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]\"", b->bad_line);
    }
    if (b->kind == BLOCK_STYLE)
        return add_style(p, text, b->buf.len);
    if (b->kind == BLOCK_REGION)
        return add_region(p, b->first_line, text, b->buf.len, ':');
    if (b->buf.len >= 4 && memcmp(text, "NOTE", 4) == 0 && (b->buf.len == 4 || is_ws(text[4])))
        return 0;
    return clsub_diag_add(t, b->first_line, CLSUB_SEV_WARNING, "vtt-stray-text",
                          "line %d: text outside any cue ignored", b->first_line);
}

static int check_signature(vtt_parser *p)
{
    const char *s = p->s;
    if (p->len < 6 || memcmp(s, "WEBVTT", 6) != 0 ||
        (p->len > 6 && s[6] != ' ' && s[6] != '\t' && s[6] != '\n')) {
        clsub_diag_add(p->t, 1, CLSUB_SEV_ERROR, "vtt-no-signature",
                       "line 1: a WebVTT file must start with \"WEBVTT\" "
                       "(optionally followed by a space or tab and text)");
        return CLSUB_ERR_INVALIDDATA;
    }
    return 0;
}

static int parse_body(vtt_parser *p)
{
    int r = 0;
    const char *nl = memchr(p->s, '\n', p->len);
    if (!nl)
        return 0;
    p->pos = (size_t)(nl - p->s) + 1;
    p->lineno = 2;
    if (p->pos >= p->len)
        return 0;
    if (p->s[p->pos] != '\n') {
        vtt_block hb = {0};
        int first = p->lineno;
        r = collect_block(p, 1, &hb);
        if (r == 0)
            r = header_lines(p, hb.buf.data ? hb.buf.data : "", hb.buf.len, first);
        clsub_cue_clear(&hb.cue);
        clsub_buf_release(&hb.buf);
        if (r < 0)
            return r;
    } else {
        p->pos++;
        p->lineno++;
    }
    while (p->pos < p->len && p->s[p->pos] == '\n') {
        p->pos++;
        p->lineno++;
    }
    while (p->pos < p->len && r == 0) {
        vtt_block b = {0};
        r = collect_block(p, 0, &b);
        if (r == 0)
            r = block_finish(p, &b);
        clsub_cue_clear(&b.cue);
        clsub_buf_release(&b.buf);
        while (p->pos < p->len && p->s[p->pos] == '\n') {
            p->pos++;
            p->lineno++;
        }
    }
    return r;
}

int clsub_parse_vtt(const char *utf8, size_t len, clsub_track **out)
{
    if (!out || (!utf8 && len))
        return CLSUB_ERR_INVAL;
    *out = NULL;
    char *norm = NULL;
    size_t nlen = 0;
    clsub_track *t = clsub_track_alloc(CLSUB_FORMAT_VTT);
    if (!t)
        return CLSUB_ERR_NOMEM;
    int r = clsub_normalize(t, utf8 ? utf8 : "", len, &norm, &nlen);
    if (r < 0)
        goto end;
    vtt_parser p = {.t = t, .s = norm, .len = nlen, .pos = 0, .lineno = 1};
    if ((r = check_signature(&p)) < 0)
        goto end;
    r = parse_body(&p);
end:
    free(norm);
    if (r == CLSUB_ERR_NOMEM) {
        clsub_track_free(&t);
        return r;
    }
    *out = t;
    return r < 0 ? r : (int)t->n_cues;
}
