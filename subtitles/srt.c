/* SubRip (SRT) parser. Tolerant of CRLF, missing or odd indices, ',' or '.'
 * before the milliseconds, 1-3 digit milliseconds (read as a fraction: ",5" is
 * 500 ms), extra blank lines, trailing spaces and "X1:.. Y2:.." coordinates.
 * Blocks without a usable timing line are dropped with a diagnostic. */
#include "clsub_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct srt_line {
    const char *s;
    size_t n;
    int lineno;
} srt_line;

static int sp(char c)
{
    return c == ' ' || c == '\t';
}

static int dig(char c)
{
    return c >= '0' && c <= '9';
}

static size_t num(const char *s, size_t n, size_t *pos, int64_t *v, size_t maxd)
{
    size_t st = *pos;
    *v = 0;
    while (*pos < n && dig(s[*pos]) && *pos - st < maxd)
        *v = *v * 10 + (s[(*pos)++] - '0');
    return *pos - st;
}

/* h+:mm:ss[,.]t{1,3} ; hours may be omitted (mm:ss,ttt). */
static int srt_time(const char *s, size_t n, size_t *pos, int64_t *ms, int *short_ms)
{
    int64_t a, b, c = 0, f = 0;
    if (!num(s, n, pos, &a, 7) || *pos >= n || s[*pos] != ':')
        return -1;
    (*pos)++;
    if (!num(s, n, pos, &b, 2))
        return -1;
    int have_h = *pos < n && s[*pos] == ':';
    if (have_h) {
        (*pos)++;
        if (!num(s, n, pos, &c, 2))
            return -1;
    } else {
        c = b;
        b = a;
        a = 0;
    }
    if (*pos < n && (s[*pos] == ',' || s[*pos] == '.')) {
        (*pos)++;
        size_t nd = num(s, n, pos, &f, 3);
        if (!nd)
            return -1;
        if (nd < 3)
            *short_ms = 1;
        for (; nd < 3; nd++)
            f *= 10;
        while (*pos < n && dig(s[*pos])) /* more than 3 digits: truncate */
            (*pos)++;
    } else {
        return -1;
    }
    if (b > 59 || c > 59 || a > CLSUB_MAX_HOURS)
        return -1;
    *ms = ((a * 60 + b) * 60 + c) * 1000 + f;
    return 0;
}

/* Parses a timing line; -1 if it is not one. */
static int srt_timing(clsub_track *t, const srt_line *l, clsub_cue *cue)
{
    const char *s = l->s;
    size_t n = l->n, pos = 0;
    int short_ms = 0;
    while (pos < n && sp(s[pos]))
        pos++;
    if (srt_time(s, n, &pos, &cue->start_ms, &short_ms) < 0)
        return -1;
    while (pos < n && sp(s[pos]))
        pos++;
    if (pos + 3 > n || memcmp(s + pos, "-->", 3) != 0)
        return -1;
    pos += 3;
    while (pos < n && sp(s[pos]))
        pos++;
    if (srt_time(s, n, &pos, &cue->end_ms, &short_ms) < 0)
        return -1;
    while (pos < n && sp(s[pos]))
        pos++;
    if (short_ms)
        clsub_diag_add(t, l->lineno, CLSUB_SEV_INFO, "srt-short-ms",
                       "line %d: milliseconds with fewer than 3 digits read as a fraction "
                       "of a second", l->lineno);
    if (pos < n) {
        if (n - pos >= 3 && (s[pos] == 'X' || s[pos] == 'x') && s[pos + 1] == '1' && s[pos + 2] == ':')
            clsub_diag_add(t, l->lineno, CLSUB_SEV_INFO, "srt-coordinates-ignored",
                           "line %d: position coordinates after the times ignored", l->lineno);
        else
            clsub_diag_add(t, l->lineno, CLSUB_SEV_WARNING, "srt-trailing-text",
                           "line %d: text after the end time ignored: \"%.*s\"", l->lineno,
                           (int)(n - pos > 60 ? 60 : n - pos), s + pos);
    }
    return 0;
}

static int has_arrow(const srt_line *l)
{
    for (size_t i = 0; i + 3 <= l->n; i++)
        if (memcmp(l->s + i, "-->", 3) == 0)
            return 1;
    return 0;
}

static int all_digits(const srt_line *l)
{
    if (!l->n)
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (!dig(l->s[i]))
            return 0;
    return 1;
}

/* One block of non-blank lines. */
static int srt_block(clsub_track *t, const srt_line *ls, size_t count)
{
    clsub_cue cue = {0};
    size_t ti = 0;
    int r = 0;
    if (has_arrow(&ls[0])) {
        ti = 0;
    } else if (count > 1 && (has_arrow(&ls[1]) || all_digits(&ls[0]))) {
        ti = 1; /* after a number, the next line is meant to be the timing line */
    } else {
        if (!all_digits(&ls[0]))
            return clsub_diag_add(t, ls[0].lineno, CLSUB_SEV_WARNING, "srt-stray-text",
                                  "line %d: text without a timing line ignored", ls[0].lineno);
        t->cues_read++;
        t->cues_dropped++;
        return clsub_diag_add(t, ls[0].lineno, CLSUB_SEV_ERROR, "srt-no-timing",
                              "line %d: cue %.*s dropped: no \"start --> end\" timing line follows "
                              "its number", ls[0].lineno, (int)(ls[0].n > 20 ? 20 : ls[0].n), ls[0].s);
    }
    t->cues_read++;
    clsub_settings_default(&cue.settings);
    cue.line = ls[ti].lineno;
    if (srt_timing(t, &ls[ti], &cue) < 0) {
        t->cues_dropped++;
        return clsub_diag_add(t, ls[ti].lineno, CLSUB_SEV_ERROR, "srt-bad-timing",
                              "line %d: cue dropped: the timing line is not "
                              "\"hh:mm:ss,mmm --> hh:mm:ss,mmm\"", ls[ti].lineno);
    }
    if (t->n_cues >= CLSUB_MAX_CUES) {
        t->cues_dropped++;
        return clsub_diag_add(t, cue.line, CLSUB_SEV_ERROR, "too-many-cues",
                              "line %d: cue dropped: the limit is %d cues per file",
                              cue.line, CLSUB_MAX_CUES);
    }
    if (ti == 0)
        r = clsub_diag_add(t, cue.line, CLSUB_SEV_INFO, "srt-no-index",
                           "line %d: cue without a number", cue.line);
    else if (!all_digits(&ls[0]))
        r = clsub_diag_add(t, ls[0].lineno, CLSUB_SEV_INFO, "srt-odd-index",
                           "line %d: cue number \"%.*s\" is not a number; kept as the cue id",
                           ls[0].lineno, (int)(ls[0].n > 40 ? 40 : ls[0].n), ls[0].s);
    if (r < 0)
        return r;
    cue.id = ti ? clsub_strndup(ls[0].s, ls[0].n) : clsub_strndup("", 0);
    clsub_buf text = {0};
    clsub_buf_add(&text, "", 0);
    for (size_t i = ti + 1; i < count; i++) {
        if (i > ti + 1)
            clsub_buf_add(&text, "\n", 1);
        clsub_buf_add(&text, ls[i].s, ls[i].n);
    }
    if (text.failed || !cue.id) {
        clsub_buf_release(&text);
        clsub_cue_clear(&cue);
        return CLSUB_ERR_NOMEM;
    }
    cue.text = text.data;
    if (cue.end_ms < cue.start_ms)
        clsub_diag_add(t, cue.line, CLSUB_SEV_WARNING, "end-before-start",
                       "line %d: the cue ends before it starts", cue.line);
    if ((r = clsub_cue_push(t, &cue)) == 0)
        t->cues_kept++;
    return r;
}

static int srt_lines(clsub_track *t, const char *s, size_t n)
{
    srt_line *ls = NULL;
    size_t cap = 0, count = 0, pos = 0;
    int lineno = 1, r = 0;
    while (pos <= n && r == 0) {
        const char *nl = pos < n ? memchr(s + pos, '\n', n - pos) : NULL;
        size_t ln = nl ? (size_t)(nl - (s + pos)) : n - pos;
        size_t e = ln;
        while (e > 0 && (sp(s[pos + e - 1])))
            e--;
        size_t b = 0;
        while (b < e && sp(s[pos + b]))
            b++;
        if (b == e) {
            if (count)
                r = srt_block(t, ls, count);
            count = 0;
        } else {
            if (count == cap) {
                size_t nc = cap ? cap * 2 : 32;
                srt_line *nls = realloc(ls, nc * sizeof *nls);
                if (!nls) {
                    r = CLSUB_ERR_NOMEM;
                    break;
                }
                ls = nls;
                cap = nc;
            }
            ls[count++] = (srt_line){s + pos, e, lineno};
        }
        if (!nl)
            break;
        pos += ln + 1;
        lineno++;
    }
    if (r == 0 && count)
        r = srt_block(t, ls, count);
    free(ls);
    return r;
}

int clsub_parse_srt(const char *utf8, size_t len, clsub_track **out)
{
    if (!out || (!utf8 && len))
        return CLSUB_ERR_INVAL;
    *out = NULL;
    char *norm = NULL;
    size_t nlen = 0;
    clsub_track *t = clsub_track_alloc(CLSUB_FORMAT_SRT);
    if (!t)
        return CLSUB_ERR_NOMEM;
    int r = clsub_normalize(t, utf8 ? utf8 : "", len, &norm, &nlen);
    if (r == 0)
        r = srt_lines(t, norm, nlen);
    if (r == 0 && t->cues_read == 0 && nlen > 0) {
        clsub_diag_add(t, 1, CLSUB_SEV_ERROR, "srt-no-cues", "no SRT cue found in the text");
        r = CLSUB_ERR_INVALIDDATA;
    }
    free(norm);
    if (r == CLSUB_ERR_NOMEM) {
        clsub_track_free(&t);
        return r;
    }
    *out = t;
    return r < 0 ? r : (int)t->n_cues;
}
