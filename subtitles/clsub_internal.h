/* Private helpers shared by the subtitle library's files. Not installed. */
#ifndef CLSUB_INTERNAL_H
#define CLSUB_INTERNAL_H

#include "clsub.h"

#include <stdarg.h>

/* The largest hour a cue time may have, in every format we read: a time
 * beyond it is not a time (and what one parser reads, every writer's
 * output must read back the same). */
#define CLSUB_MAX_HOURS 999999

/* A growable byte buffer (always NUL-terminated when data != NULL). */
typedef struct clsub_buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed; further appends are ignored */
} clsub_buf;

void clsub_buf_add(clsub_buf *b, const char *s, size_t n);
void clsub_buf_adds(clsub_buf *b, const char *s);
void clsub_buf_printf(clsub_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void clsub_buf_release(clsub_buf *b);

char *clsub_strndup(const char *s, size_t n);

clsub_track *clsub_track_alloc(clsub_format format);
/* Append a diagnostic; returns 0 or CLSUB_ERR_NOMEM. */
int clsub_diag_add(clsub_track *t, int line, clsub_severity sev, const char *code,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Append a cue (its strings are taken over, even on failure). */
int clsub_cue_push(clsub_track *t, clsub_cue *cue);
void clsub_cue_clear(clsub_cue *cue);
void clsub_settings_default(clsub_cue_settings *s);
void clsub_region_default(clsub_region *r);

/* Normalise the input for line-based parsing: strips a UTF-8 BOM, turns CRLF and CR
 * into LF, replaces NUL by U+FFFD and enforces the caps. On success *out is a
 * NUL-terminated copy; on CLSUB_ERR_TOOBIG a diagnostic is added to t. */
int clsub_normalize(clsub_track *t, const char *in, size_t len, char **out, size_t *out_len);

/* Format milliseconds as HH:MM:SS<sep>mmm into buf (at least 24 bytes). */
void clsub_format_time(int64_t ms, char sep, char *buf, size_t size);

/* UTF-8 helpers (script.c, track.c). clsub_utf8_next() decodes one code point at
 * *s (s < end) and advances; an invalid sequence gives U+FFFD and advances one byte. */
uint32_t clsub_utf8_next(const char **s, const char *end);
void clsub_put_utf8(clsub_buf *b, uint32_t cp);
/* Decode one character reference at s (s[0] == '&') into b; bytes consumed or 0. */
size_t clsub_char_ref(const char *s, clsub_buf *b);
/* 1 for code points that draw nothing: C0/C1 controls, whitespace, bidi and
 * zero-width format characters, variation selectors, BOM. */
int clsub_cp_invisible(uint32_t cp);
/* 1 for combining marks (Thai vowels above/below, Arabic harakat, Indic signs,
 * general combining diacritics): they do not count as characters. */
int clsub_cp_mark(uint32_t cp);
/* 1 for the bidi embedding/override/isolate controls and their terminators. */
int clsub_cp_bidi_control(uint32_t cp);

/* The default Noto family of a script ("Noto Sans CJK SC" for Han). */
const char *clsub_script_family(clsub_script s);

/* glyphs.c: the font file in font_dir fontconfig ranks first for family/lang
 * (malloc'd), or NULL. */
char *clsub_font_dir_best_file(const char *font_dir, const char *family, const char *lang);

#endif
