/* Track model: allocation, diagnostics, error strings, plain text, sniffing. */
#include "clsub_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *clsub_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case CLSUB_ERR_NOMEM: return "out of memory";
    case CLSUB_ERR_INVAL: return "invalid argument";
    case CLSUB_ERR_TOOBIG: return "input exceeds a size limit";
    case CLSUB_ERR_CHARSET: return "the bytes could not be decoded as text";
    case CLSUB_ERR_INVALIDDATA: return "invalid subtitle data";
    case CLSUB_ERR_UNSUPPORTED: return "unsupported encoding or format";
    case CLSUB_ERR_GLYPHS: return "the fonts have no glyph for some characters";
    default: return err < 0 ? "unknown error" : "success";
    }
}

const char *clsub_severity_name(clsub_severity s)
{
    switch (s) {
    case CLSUB_SEV_ERROR: return "error";
    case CLSUB_SEV_WARNING: return "warning";
    default: return "info";
    }
}

const char *clsub_format_name(clsub_format f)
{
    switch (f) {
    case CLSUB_FORMAT_SRT: return "srt";
    case CLSUB_FORMAT_VTT: return "vtt";
    case CLSUB_FORMAT_ASS: return "ass";
    default: return "unknown";
    }
}

/* ---- buffers ---------------------------------------------------------- */
void clsub_buf_add(clsub_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void clsub_buf_adds(clsub_buf *b, const char *s)
{
    clsub_buf_add(b, s, strlen(s));
}

void clsub_buf_printf(clsub_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        clsub_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    clsub_buf_add(b, big, (size_t)n);
    free(big);
}

void clsub_buf_release(clsub_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

char *clsub_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- track ------------------------------------------------------------ */
clsub_track *clsub_track_alloc(clsub_format format)
{
    clsub_track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->format = format;
    snprintf(t->encoding, sizeof t->encoding, "UTF-8");
    return t;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return CLSUB_ERR_NOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

int clsub_diag_add(clsub_track *t, int line, clsub_severity sev, const char *code,
                   const char *fmt, ...)
{
    if (grow((void **)&t->diags, &t->cap_diags, t->n_diags + 1, sizeof *t->diags) < 0)
        return CLSUB_ERR_NOMEM;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *m = clsub_strndup(msg, strlen(msg));
    if (!m)
        return CLSUB_ERR_NOMEM;
    clsub_diag *d = &t->diags[t->n_diags++];
    d->line = line;
    d->severity = sev;
    d->code = code;
    d->message = m;
    return 0;
}

void clsub_settings_default(clsub_cue_settings *s)
{
    memset(s, 0, sizeof *s);
    s->line_auto = 1;
    s->snap_to_lines = 1;
    s->position_auto = 1;
    s->size = 100;
    s->align = CLSUB_ALIGN_CENTER;
}

void clsub_region_default(clsub_region *r)
{
    memset(r, 0, sizeof *r);
    r->width = 100;
    r->lines = 3;
    r->region_anchor_y = 100;
    r->viewport_anchor_y = 100;
}

void clsub_cue_clear(clsub_cue *cue)
{
    free(cue->id);
    free(cue->text);
    free(cue->settings.region);
    free(cue->settings.raw);
    cue->id = cue->text = cue->settings.region = cue->settings.raw = NULL;
}

int clsub_cue_push(clsub_track *t, clsub_cue *cue)
{
    if (!cue->id)
        cue->id = clsub_strndup("", 0);
    if (!cue->text)
        cue->text = clsub_strndup("", 0);
    if (!cue->id || !cue->text ||
        grow((void **)&t->cues, &t->cap_cues, t->n_cues + 1, sizeof *t->cues) < 0) {
        clsub_cue_clear(cue);
        return CLSUB_ERR_NOMEM;
    }
    t->cues[t->n_cues++] = *cue;
    memset(cue, 0, sizeof *cue);
    return 0;
}

void clsub_track_free(clsub_track **track)
{
    if (!track || !*track)
        return;
    clsub_track *t = *track;
    for (size_t i = 0; i < t->n_cues; i++)
        clsub_cue_clear(&t->cues[i]);
    free(t->cues);
    for (size_t i = 0; i < t->n_regions; i++)
        free(t->regions[i].id);
    free(t->regions);
    for (size_t i = 0; i < t->n_styles; i++)
        free(t->styles[i]);
    free(t->styles);
    for (size_t i = 0; i < t->n_diags; i++)
        free(t->diags[i].message);
    free(t->diags);
    free(t);
    *track = NULL;
}

/* ---- normalisation ---------------------------------------------------- */
int clsub_normalize(clsub_track *t, const char *in, size_t len, char **out, size_t *out_len)
{
    *out = NULL;
    if (len > CLSUB_MAX_INPUT_BYTES) {
        clsub_diag_add(t, 0, CLSUB_SEV_ERROR, "too-big",
                       "the file has %zu bytes; the limit is %zu bytes (16 MiB)",
                       len, CLSUB_MAX_INPUT_BYTES);
        return CLSUB_ERR_TOOBIG;
    }
    if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) {
        in += 3;
        len -= 3;
    }
    clsub_buf b = {0};
    size_t line_start = 0;
    int line = 1;
    clsub_buf_add(&b, "", 0);
    for (size_t i = 0; i < len && !b.failed; i++) {
        char c = in[i];
        if (c == '\r') {
            if (i + 1 < len && in[i + 1] == '\n')
                i++;
            c = '\n';
        }
        if (c == '\0')
            clsub_buf_add(&b, "\xEF\xBF\xBD", 3);
        else
            clsub_buf_add(&b, &c, 1);
        if (c == '\n') {
            line++;
            line_start = b.len;
        } else if (b.len - line_start > CLSUB_MAX_LINE_BYTES) {
            clsub_buf_release(&b);
            clsub_diag_add(t, line, CLSUB_SEV_ERROR, "line-too-long",
                           "line %d is longer than the limit of %zu bytes (64 KiB)",
                           line, CLSUB_MAX_LINE_BYTES);
            return CLSUB_ERR_TOOBIG;
        }
    }
    if (b.failed) {
        clsub_buf_release(&b);
        return CLSUB_ERR_NOMEM;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;
}

void clsub_format_time(int64_t ms, char sep, char *buf, size_t size)
{
    if (ms < 0)
        ms = 0;
    snprintf(buf, size, "%02" PRId64 ":%02d:%02d%c%03d", ms / 3600000,
             (int)(ms / 60000 % 60), (int)(ms / 1000 % 60), sep, (int)(ms % 1000));
}

/* ---- plain text ------------------------------------------------------- */
void clsub_put_utf8(clsub_buf *b, uint32_t cp)
{
    char o[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        o[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    clsub_buf_add(b, o, n);
}

/* Decode one character reference at s (s[0] == '&'); returns bytes consumed or 0. */
size_t clsub_char_ref(const char *s, clsub_buf *b)
{
    static const struct { const char *name; uint32_t cp; } named[] = {
        {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"nbsp;", 0xA0},
        {"lrm;", 0x200E}, {"rlm;", 0x200F}, {"quot;", '"'}, {"apos;", '\''},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen(named[i].name);
        if (strncmp(s + 1, named[i].name, n) == 0) {
            clsub_put_utf8(b, named[i].cp);
            return n + 1;
        }
    }
    if (s[1] != '#')
        return 0;
    int hex = s[2] == 'x' || s[2] == 'X';
    char *end;
    const char *digits = s + (hex ? 3 : 2);
    if (!((hex && strchr("0123456789abcdefABCDEF", *digits) && *digits) ||
          (!hex && *digits >= '0' && *digits <= '9')))
        return 0;
    unsigned long v = strtoul(digits, &end, hex ? 16 : 10);
    if (*end != ';')
        return 0;
    clsub_put_utf8(b, v > 0x10FFFF ? 0xFFFD : (uint32_t)v);
    return (size_t)(end + 1 - s);
}

int clsub_cue_plain_text(const clsub_cue *cue, char **out)
{
    if (!cue || !out)
        return CLSUB_ERR_INVAL;
    *out = NULL;
    clsub_buf b = {0};
    const char *s = cue->text ? cue->text : "";
    clsub_buf_add(&b, "", 0);
    while (*s) {
        if (*s == '<') {
            const char *e = strchr(s, '>');
            s = e ? e + 1 : s + strlen(s);
            continue;
        }
        if (*s == '&') {
            size_t n = clsub_char_ref(s, &b);
            if (n) {
                s += n;
                continue;
            }
        }
        clsub_buf_add(&b, s, 1);
        s++;
    }
    if (b.failed) {
        clsub_buf_release(&b);
        return CLSUB_ERR_NOMEM;
    }
    *out = b.data;
    return 0;
}

/* ---- sniffing and dispatch -------------------------------------------- */
clsub_format clsub_sniff_format(const char *utf8, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(utf8, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    if (len - i >= 6 && memcmp(utf8 + i, "WEBVTT", 6) == 0)
        return CLSUB_FORMAT_VTT;
    while (i < len && (utf8[i] == ' ' || utf8[i] == '\t' || utf8[i] == '\r' || utf8[i] == '\n'))
        i++;
    if (len - i >= 13 && memcmp(utf8 + i, "[Script Info]", 13) == 0)
        return CLSUB_FORMAT_ASS;
    for (size_t j = i; j + 3 <= len && j < i + 4096; j++)
        if (memcmp(utf8 + j, "-->", 3) == 0)
            return CLSUB_FORMAT_SRT;
    return CLSUB_FORMAT_UNKNOWN;
}

int clsub_parse(const char *utf8, size_t len, clsub_format format, clsub_track **out)
{
    if (!out || (!utf8 && len))
        return CLSUB_ERR_INVAL;
    *out = NULL;
    if (format == CLSUB_FORMAT_UNKNOWN)
        format = clsub_sniff_format(utf8 ? utf8 : "", len);
    switch (format) {
    case CLSUB_FORMAT_SRT: return clsub_parse_srt(utf8, len, out);
    case CLSUB_FORMAT_VTT: return clsub_parse_vtt(utf8, len, out);
    case CLSUB_FORMAT_ASS: return clsub_parse_ass(utf8, len, out);
    default: break;
    }
    clsub_track *t = clsub_track_alloc(format);
    if (!t)
        return CLSUB_ERR_NOMEM;
    clsub_diag_add(t, 1, CLSUB_SEV_ERROR, "unknown-format",
                   "the text is neither WebVTT (no WEBVTT line), ASS/SSA (no [Script Info]) nor SRT "
                   "(no \"-->\" timing line)");
    *out = t;
    return CLSUB_ERR_INVALIDDATA;
}
