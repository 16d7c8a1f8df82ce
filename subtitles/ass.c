/* ASS/SSA files into the cue model, read by libass (the same reader that
 * renders them), so what is parsed is what would be drawn.
 *
 * Each Dialogue event becomes a cue: its start and end, its text with the
 * override blocks ({...}) removed except italic, bold and underline, which
 * become <i>, <b>, <u> spans; \N and \n are line breaks, \h a no-break space;
 * vector drawings ({\p1} ... {\p0}) are not text and are left out. Every
 * event is accounted for: one that keeps no text, or ends before it starts,
 * is dropped with a diagnostic naming its line. */
#include <ass/ass.h>
#include <stdlib.h>
#include <string.h>

#include "clsub_internal.h"

typedef struct ass_msgs {
    clsub_track *t;
} ass_msgs;

static void ass_msg(int level, const char *fmt, va_list va, void *data)
{
    ass_msgs *m = data;
    if (level > 2) /* errors and warnings only */
        return;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, va);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    clsub_diag_add(m->t, 0, CLSUB_SEV_WARNING, "ass-reader", "libass: %s", msg);
}

/* Which span an override tag opens or closes: 'i', 'b', 'u'; 0 for others. */
static int span_tag(const char *p, const char *end, int *on)
{
    if (end - p < 2 || !strchr("ibu", p[0]))
        return 0;
    if (p[1] != '0' && p[1] != '1')
        return 0;
    if (end - p > 2 && p[2] >= '0' && p[2] <= '9') /* \b700: a weight, not on/off */
        return 0;
    *on = p[1] == '1';
    return p[0];
}

/* The event text as cue text. Returns the number of visible characters. */
static size_t event_text(const char *s, clsub_buf *b)
{
    int open[3] = { 0, 0, 0 }; /* i, b, u */
    static const char names[] = "ibu";
    int drawing = 0;
    size_t visible = 0;
    while (*s) {
        if (*s == '{') {
            const char *close = strchr(s, '}');
            if (!close)
                break; /* an unclosed block: libass ignores the rest too */
            for (const char *p = s + 1; p < close; p++) {
                if (*p != '\\')
                    continue;
                p++;
                if (*p == 'p' && p + 1 < close && p[1] >= '0' && p[1] <= '9') {
                    drawing = atoi(p + 1) > 0;
                    continue;
                }
                int on = 0, tag = span_tag(p, close, &on);
                if (!tag)
                    continue;
                int k = (int)(strchr(names, tag) - names);
                if (on != open[k]) {
                    clsub_buf_printf(b, on ? "<%c>" : "</%c>", tag);
                    open[k] = on;
                }
            }
            s = close + 1;
            continue;
        }
        if (drawing) {
            s++;
            continue;
        }
        if (*s == '\\' && (s[1] == 'N' || s[1] == 'n')) {
            clsub_buf_add(b, "\n", 1);
            s += 2;
            continue;
        }
        if (*s == '\\' && s[1] == 'h') {
            clsub_buf_add(b, "\xC2\xA0", 2);
            s += 2;
            continue;
        }
        if (*s != ' ' && *s != '\t')
            visible++;
        clsub_buf_add(b, s, 1);
        s++;
    }
    for (int k = 2; k >= 0; k--)
        if (open[k])
            clsub_buf_printf(b, "</%c>", names[k]);
    return visible;
}

/* Line number of the n-th (0-based) "Dialogue:" line of the text. */
static int dialogue_line(const char *text, int n)
{
    int line = 1, seen = 0;
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && !strncmp(p, "Dialogue:", 9) && seen++ == n)
            return line;
        if (*p == '\n')
            line++;
    }
    return 0;
}

static int cmp_cue(const void *a, const void *b)
{
    const clsub_cue *x = a, *y = b;
    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

int clsub_parse_ass(const char *utf8, size_t len, clsub_track **out)
{
    if (!out || (!utf8 && len))
        return CLSUB_ERR_INVAL;
    *out = NULL;
    clsub_track *t = clsub_track_alloc(CLSUB_FORMAT_ASS);
    if (!t)
        return CLSUB_ERR_NOMEM;
    char *norm = NULL;
    size_t nlen = 0;
    int r = clsub_normalize(t, utf8 ? utf8 : "", len, &norm, &nlen);
    ASS_Library *lib = r == 0 ? ass_library_init() : NULL;
    ASS_Track *a = NULL;
    ass_msgs msgs = { t };
    if (r == 0 && !lib)
        r = CLSUB_ERR_NOMEM;
    if (r == 0) {
        ass_set_message_cb(lib, ass_msg, &msgs);
        char *copy = clsub_strndup(norm, nlen); /* libass may write into its buffer */
        a = copy ? ass_read_memory(lib, copy, nlen, NULL) : NULL;
        free(copy);
        if (!a) {
            clsub_diag_add(t, 1, CLSUB_SEV_ERROR, "ass-unreadable",
                           "not an ASS/SSA file libass can read (no [Script Info] or [Events])");
            r = CLSUB_ERR_INVALIDDATA;
        }
    }
    for (int i = 0; r == 0 && a && i < a->n_events; i++) {
        const ASS_Event *e = &a->events[i];
        int line = dialogue_line(norm, e->ReadOrder);
        t->cues_read++;
        if (e->Duration <= 0) {
            t->cues_dropped++;
            r = clsub_diag_add(t, line, CLSUB_SEV_ERROR, "ass-bad-timing",
                               "line %d: event dropped: it ends before it starts (or when it starts)", line);
            continue;
        }
        if (t->n_cues >= CLSUB_MAX_CUES) {
            t->cues_dropped++;
            r = clsub_diag_add(t, line, CLSUB_SEV_ERROR, "too-many-cues",
                               "line %d: event dropped: the limit is %d cues per file", line, CLSUB_MAX_CUES);
            continue;
        }
        clsub_buf text = { 0 };
        clsub_buf_add(&text, "", 0);
        size_t visible = event_text(e->Text ? e->Text : "", &text);
        if (text.failed) {
            clsub_buf_release(&text);
            r = CLSUB_ERR_NOMEM;
            break;
        }
        if (!visible) {
            clsub_buf_release(&text);
            t->cues_dropped++;
            r = clsub_diag_add(t, line, CLSUB_SEV_WARNING, "ass-no-text",
                               "line %d: event dropped: it has no text (only override tags or a drawing)", line);
            continue;
        }
        clsub_cue cue = { 0 };
        clsub_settings_default(&cue.settings);
        cue.start_ms = e->Start;
        cue.end_ms = e->Start + e->Duration;
        cue.line = line;
        cue.text = text.data;
        if ((r = clsub_cue_push(t, &cue)) == 0)
            t->cues_kept++;
    }
    if (r == 0 && t->n_cues > 1) /* files are often out of order; cues are kept by start */
        qsort(t->cues, t->n_cues, sizeof(*t->cues), cmp_cue);
    if (r == 0 && t->cues_read == 0)
        clsub_diag_add(t, 1, CLSUB_SEV_WARNING, "ass-no-events", "the file has no Dialogue events");
    if (a)
        ass_free_track(a);
    if (lib)
        ass_library_done(lib);
    free(norm);
    if (r == CLSUB_ERR_NOMEM) {
        clsub_track_free(&t);
        return r;
    }
    *out = t;
    return r < 0 ? r : (int)t->n_cues;
}
