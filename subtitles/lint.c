/* Lint: problems a translator can fix, in plain words with line numbers.
 * Limits per script are documented in clsub.h (clsub_script_limits). */
#include "clsub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void clsub_script_limits(clsub_script s, double *max_cps, int *max_line_chars)
{
    double cps = 17;
    int chars = 42;
    switch (s) {
    case CLSUB_SCRIPT_THAI: cps = 15, chars = 35; break;
    case CLSUB_SCRIPT_HANGUL: cps = 12, chars = 16; break;
    case CLSUB_SCRIPT_HAN: cps = 9, chars = 16; break;
    case CLSUB_SCRIPT_KANA: cps = 4, chars = 13; break;
    default: break;
    }
    if (max_cps)
        *max_cps = cps;
    if (max_line_chars)
        *max_line_chars = chars;
}

void clsub_lint_default_settings(clsub_lint_settings *s)
{
    memset(s, 0, sizeof *s);
    s->max_lines = 2;
    s->cps_scale = 1.0;
    s->line_length = 1;
}

/* Characters as counted for reading speed and line length; *visible gets
 * those that are not spaces. */
static size_t count_chars(const char *s, const char *end, size_t *visible)
{
    size_t n = 0;
    while (s < end) {
        uint32_t cp = clsub_utf8_next(&s, end);
        if (cp == ' ' || cp == 0xA0 || cp == 0x3000) {
            n++;
        } else if (!clsub_cp_invisible(cp) && !clsub_cp_mark(cp)) {
            n++;
            (*visible)++;
        }
    }
    return n;
}

static clsub_script text_script(const char *s)
{
    size_t count[CLSUB_SCRIPT_OTHER + 1] = {0};
    const char *end = s + strlen(s);
    while (s < end)
        count[clsub_script_of(clsub_utf8_next(&s, end))]++;
    clsub_script best = CLSUB_SCRIPT_LATIN;
    size_t best_n = 0;
    for (int i = CLSUB_SCRIPT_LATIN; i <= CLSUB_SCRIPT_OTHER; i++)
        if (count[i] > best_n)
            best_n = count[i], best = (clsub_script)i;
    if (best == CLSUB_SCRIPT_HAN && count[CLSUB_SCRIPT_KANA])
        best = CLSUB_SCRIPT_KANA;
    return best;
}

static int has_diag(const clsub_track *t, const char *code, int line)
{
    for (size_t i = 0; i < t->n_diags; i++)
        if (t->diags[i].line == line && !strcmp(t->diags[i].code, code))
            return 1;
    return 0;
}

typedef struct lint_ctx {
    clsub_track *t;
    const clsub_lint_settings *s;
    clsub_script lang_script;
    int added;
    int err;
} lint_ctx;

#define DIAG(c, line, sev, code, ...)                                            \
    do {                                                                         \
        if (clsub_diag_add((c)->t, line, sev, code, __VA_ARGS__) < 0)            \
            (c)->err = CLSUB_ERR_NOMEM;                                          \
        else                                                                     \
            (c)->added++;                                                        \
    } while (0)

static void lint_timing(lint_ctx *c, const clsub_cue *q, const clsub_cue *prev_max)
{
    char a[32], b[32];
    if (q->end_ms == q->start_ms)
        DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-zero-duration",
             "line %d: the cue starts and ends at the same time, so it is never shown", q->line);
    else if (q->end_ms < q->start_ms && !has_diag(c->t, "end-before-start", q->line))
        DIAG(c, q->line, CLSUB_SEV_ERROR, "lint-negative-duration",
             "line %d: the cue ends before it starts", q->line);
    if (prev_max && q->start_ms < prev_max->end_ms && prev_max->start_ms < q->end_ms) {
        clsub_format_time(prev_max->end_ms, '.', a, sizeof a);
        DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-overlap",
             "line %d: the cue starts before the cue at line %d ends (%s): both are on screen together",
             q->line, prev_max->line, a);
    }
    int64_t clip = c->s->clip_duration_ms;
    if (clip > 0) {
        clsub_format_time(clip, '.', b, sizeof b);
        if (q->start_ms >= clip) {
            clsub_format_time(q->start_ms, '.', a, sizeof a);
            DIAG(c, q->line, CLSUB_SEV_ERROR, "lint-after-end",
                 "line %d: the cue starts at %s, after the end of the clip (%s): it is never shown",
                 q->line, a, b);
        } else if (q->end_ms > clip) {
            clsub_format_time(q->end_ms, '.', a, sizeof a);
            DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-past-end",
                 "line %d: the cue ends at %s, after the end of the clip (%s): it is cut short",
                 q->line, a, b);
        }
    }
}

static void lint_markup(lint_ctx *c, const clsub_cue *q)
{
    const char *s = q->text;
    const char *ass = strstr(s, "{\\");
    if (ass && strchr(ass, '}')) {
        size_t n = (size_t)(strchr(ass, '}') - ass) + 1;
        DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-ass-tag",
             "line %d: ASS override tag \"%.*s\" in %s text: most players show it as text or "
             "ignore it", q->line, (int)(n > 40 ? 40 : n), ass, clsub_format_name(c->t->format));
    }
    if (c->t->format != CLSUB_FORMAT_SRT)
        return;
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
        const char *e = strchr(p, '>');
        if (!e)
            break;
        const char *name = p + 1 + (p[1] == '/');
        size_t n = strcspn(name, " \t=>");
        if (n == 1 && strchr("biuBIU", name[0]))
            continue;
        DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-html-tag",
             "line %d: HTML tag \"%.*s\" in SRT text: only <b>, <i> and <u> are understood "
             "everywhere; it is dropped", q->line, (int)((size_t)(e - p) + 1 > 40 ? 40 : e - p + 1), p);
        break;
    }
}

static void lint_bidi(lint_ctx *c, const clsub_cue *q, const char *plain)
{
    char stack[64]; /* 'e' embedding/override, 'i' isolate */
    int depth = 0, stray_pdf = 0, stray_pdi = 0, open_e = 0, open_i = 0;
    const char *s = plain, *end = plain + strlen(plain);
    while (s < end) {
        uint32_t cp = clsub_utf8_next(&s, end);
        if (!clsub_cp_bidi_control(cp))
            continue;
        if (cp == 0x202C) { /* PDF */
            if (depth && stack[depth - 1] == 'e')
                depth--;
            else
                stray_pdf++;
        } else if (cp == 0x2069) { /* PDI */
            int k = depth;
            while (k && stack[k - 1] != 'i')
                k--;
            if (!k) {
                stray_pdi++;
                continue;
            }
            open_e += depth - k; /* embeddings left open inside the isolate */
            depth = k - 1;
        } else if (depth < (int)sizeof stack) {
            stack[depth++] = cp >= 0x2066 ? 'i' : 'e';
        }
    }
    for (int k = 0; k < depth; k++)
        stack[k] == 'i' ? open_i++ : open_e++;
    if (!stray_pdf && !stray_pdi && !open_e && !open_i)
        return;
    DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-bidi-unbalanced",
         "line %d: unbalanced bidi controls: %d embedding%s (LRE/RLE/LRO/RLO) without PDF, "
         "%d isolate%s (LRI/RLI/FSI) without PDI, %d PDF and %d PDI with nothing to close; "
         "the text direction may leak or be wrong",
         q->line, open_e, open_e == 1 ? "" : "s", open_i, open_i == 1 ? "" : "s", stray_pdf,
         stray_pdi);
}

static void lint_text(lint_ctx *c, const clsub_cue *q, const char *plain)
{
    const char *end = plain + strlen(plain);
    clsub_script sc = c->lang_script != CLSUB_SCRIPT_COMMON ? c->lang_script : text_script(plain);
    double max_cps;
    int max_chars;
    clsub_script_limits(sc, &max_cps, &max_chars);
    size_t total = 0, visible = 0;
    int lines = 0;
    for (const char *l = plain; l <= end; lines++) {
        const char *nl = strchr(l, '\n');
        const char *le = nl ? nl : end;
        size_t n = count_chars(l, le, &visible);
        total += n;
        if (c->s->line_length && n > (size_t)max_chars)
            DIAG(c, q->line + 1 + lines, CLSUB_SEV_WARNING, "lint-line-length",
                 "line %d: %zu characters on one line; %d is the limit for %s text",
                 q->line + 1 + lines, n, max_chars, clsub_script_name(sc));
        l = le + 1;
    }
    if (visible == 0) {
        DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-empty",
             "line %d: the cue has no visible text", q->line);
        return;
    }
    if (c->s->max_lines > 0 && lines > c->s->max_lines)
        DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-too-many-lines",
             "line %d: the cue has %d lines; at most %d fit on screen comfortably",
             q->line, lines, c->s->max_lines);
    int64_t dur = q->end_ms - q->start_ms;
    double limit = max_cps * (c->s->cps_scale > 0 ? c->s->cps_scale : 1.0);
    if (dur > 0) {
        double cps = (double)total * 1000.0 / (double)dur;
        if (cps > limit + 1e-9)
            DIAG(c, q->line, CLSUB_SEV_WARNING, "lint-reading-speed",
                 "line %d: %zu characters in %.3f s is %.1f characters per second; "
                 "%.1f is the limit for %s text (show it longer or shorten it)",
                 q->line, total, (double)dur / 1000.0, cps, limit, clsub_script_name(sc));
    }
}

int clsub_lint(clsub_track *t, const clsub_lint_settings *s)
{
    if (!t || !s)
        return CLSUB_ERR_INVAL;
    lint_ctx c = {t, s, clsub_language_script(s->lang), 0, 0};
    size_t n = t->n_cues;
    ptrdiff_t max_end = -1; /* index of the cue ending last so far */
    for (size_t i = 0; i < n && !c.err; i++) {
        const clsub_cue *q = &t->cues[i];
        lint_timing(&c, q, max_end >= 0 ? &t->cues[max_end] : NULL);
        if (max_end < 0 || q->end_ms > t->cues[max_end].end_ms)
            max_end = (ptrdiff_t)i;
        lint_markup(&c, q);
        char *plain = NULL;
        if (clsub_cue_plain_text(q, &plain) < 0)
            return CLSUB_ERR_NOMEM;
        lint_text(&c, q, plain);
        lint_bidi(&c, q, plain);
        free(plain);
    }
    return c.err ? c.err : c.added;
}
