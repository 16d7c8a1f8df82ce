/*
 * clsub.h: the clipline subtitle library (one cue model for SRT / WebVTT / ASS,
 * charset decoding, parsing with diagnostics, retiming and clipping, writers).
 *
 * Ownership, stated once for the whole header:
 *  - Every object returned through a `T **out` parameter is owned by the caller and
 *    released with the matching `clsub_*_free(&p)`. Free functions accept NULL and
 *    a pointer to NULL, and set the pointer to NULL.
 *  - Every `char **out` string (writers, plain text) is allocated with malloc()
 *    and released by the caller with free().
 *  - On failure, `*out` is set to NULL and nothing needs to be released, EXCEPT
 *    for the parsers, which also return a track on CLSUB_ERR_INVALIDDATA so the
 *    caller can read the diagnostics that explain the failure (free it as usual).
 *  - Input buffers are never modified or retained.
 *
 * Return codes: 0 (or a non-negative count) on success, a negative CLSUB_ERR_*
 * on failure. The codes share AVERROR's space: -errno for system errors and
 * negative tags for the rest. clsub_strerror() names each of them.
 *
 * Usage:
 *     char err[256];
 *     clsub_text *txt = NULL;
 *     clsub_track *track = NULL;
 *     int r = clsub_decode(bytes, len, "ar", NULL, &txt, err, sizeof err);
 *     if (r < 0) { fprintf(stderr, "%s\n", err); return r; }
 *     r = clsub_parse(txt->utf8, txt->len, CLSUB_FORMAT_UNKNOWN, &track);
 *     for (size_t i = 0; track && i < track->n_diags; i++) ... report ...
 *     if (r >= 0) clsub_track_clip(track, in_ms, out_ms, &stats);
 *     clsub_track_free(&track);
 *     clsub_text_free(&txt);
 */
#ifndef CLSUB_H
#define CLSUB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- caps on input ---------------------------------------------------- */
#define CLSUB_MAX_INPUT_BYTES ((size_t)16 << 20) /* 16 MiB per subtitle file */
#define CLSUB_MAX_CUES 100000                     /* cues per track */
#define CLSUB_MAX_LINE_BYTES ((size_t)64 << 10)   /* 64 KiB per line */

/* ---- errors ----------------------------------------------------------- */
#define CLSUB_TAG(a, b, c, d) ((int)((unsigned)(a) | ((unsigned)(b) << 8) | \
                                     ((unsigned)(c) << 16) | ((unsigned)(d) << 24)))
#define CLSUB_ERR_NOMEM (-12)   /* -ENOMEM */
#define CLSUB_ERR_INVAL (-22)   /* -EINVAL: bad argument */
#define CLSUB_ERR_TOOBIG (-27)  /* -EFBIG: an input cap was exceeded */
#define CLSUB_ERR_CHARSET (-84) /* -EILSEQ: bytes could not be decoded */
#define CLSUB_ERR_INVALIDDATA (-CLSUB_TAG('I', 'N', 'D', 'A')) /* = AVERROR_INVALIDDATA */
#define CLSUB_ERR_UNSUPPORTED (-CLSUB_TAG('C', 'S', 'U', 'P')) /* e.g. unknown encoding */
#define CLSUB_ERR_GLYPHS (-CLSUB_TAG('G', 'L', 'Y', 'F'))      /* fonts lack characters */

/* A static English description of any code above (never NULL). */
const char *clsub_strerror(int err);

/* ---- diagnostics ------------------------------------------------------ */
typedef enum clsub_severity {
    CLSUB_SEV_INFO = 0,
    CLSUB_SEV_WARNING = 1,
    CLSUB_SEV_ERROR = 2,
} clsub_severity;

typedef struct clsub_diag {
    int line;                /* 1-based source line, 0 when not tied to a line */
    clsub_severity severity;
    const char *code;        /* stable short code, e.g. "vtt-bad-timing" (static) */
    char *message;           /* plain English, owned by the track */
} clsub_diag;

const char *clsub_severity_name(clsub_severity s); /* "info" / "warning" / "error" */

/* ---- the cue model ---------------------------------------------------- */
typedef enum clsub_format {
    CLSUB_FORMAT_UNKNOWN = 0, /* for clsub_parse(): sniff the text */
    CLSUB_FORMAT_SRT,
    CLSUB_FORMAT_VTT,
    CLSUB_FORMAT_ASS,         /* recognised by the sniffer; not parsed by this version */
} clsub_format;

const char *clsub_format_name(clsub_format f); /* "srt" / "vtt" / "ass" / "unknown" */

typedef enum clsub_vertical {
    CLSUB_VERTICAL_NONE = 0, /* horizontal */
    CLSUB_VERTICAL_RL,
    CLSUB_VERTICAL_LR,
} clsub_vertical;

typedef enum clsub_align {
    CLSUB_ALIGN_CENTER = 0, /* WebVTT default */
    CLSUB_ALIGN_START,
    CLSUB_ALIGN_END,
    CLSUB_ALIGN_LEFT,
    CLSUB_ALIGN_RIGHT,
} clsub_align;

typedef enum clsub_line_align {
    CLSUB_LINE_ALIGN_START = 0,
    CLSUB_LINE_ALIGN_CENTER,
    CLSUB_LINE_ALIGN_END,
} clsub_line_align;

typedef enum clsub_position_align {
    CLSUB_POSITION_ALIGN_AUTO = 0,
    CLSUB_POSITION_ALIGN_LINE_LEFT,
    CLSUB_POSITION_ALIGN_CENTER,
    CLSUB_POSITION_ALIGN_LINE_RIGHT,
} clsub_position_align;

/* WebVTT cue settings; SRT cues carry the defaults. */
typedef struct clsub_cue_settings {
    clsub_vertical vertical;
    int line_auto;                  /* 1: "auto" (default); `line` is then 0 */
    double line;                    /* line number, or percentage when !snap_to_lines */
    int snap_to_lines;              /* 1 (default) for line numbers, 0 for percentages */
    clsub_line_align line_align;
    int position_auto;              /* 1: "auto" (default) */
    double position;                /* percentage */
    clsub_position_align position_align;
    double size;                    /* percentage, default 100 */
    clsub_align align;
    char *region;                   /* id of the region, NULL when none */
    char *raw;                      /* settings text as in the source, NULL when none */
} clsub_cue_settings;

typedef struct clsub_cue {
    int64_t start_ms;
    int64_t end_ms;
    char *id;                       /* "" when none (never NULL) */
    char *text;                     /* UTF-8 payload, markup as in the source, lines joined by "\n" */
    int line;                       /* 1-based source line of the timing line */
    clsub_cue_settings settings;
} clsub_cue;

typedef struct clsub_region {
    char *id;
    double width;                   /* percentage, default 100 */
    int lines;                      /* default 3 */
    double region_anchor_x, region_anchor_y;     /* default 0, 100 */
    double viewport_anchor_x, viewport_anchor_y; /* default 0, 100 */
    int scroll_up;                  /* 1: "scroll:up" */
} clsub_region;

typedef struct clsub_track {
    clsub_format format;
    char encoding[32];              /* "UTF-8"; callers that decoded with clsub_decode() copy clsub_text.encoding here */
    clsub_cue *cues;
    size_t n_cues;
    clsub_region *regions;
    size_t n_regions;
    char **styles;                  /* WebVTT STYLE block bodies (CSS text) */
    size_t n_styles;
    clsub_diag *diags;
    size_t n_diags;
    /* accounting: cues_read == cues_kept + cues_dropped; every dropped cue has
       one diagnostic of severity error or warning saying why. */
    size_t cues_read;
    size_t cues_kept;
    size_t cues_dropped;
    /* private bookkeeping */
    size_t cap_cues, cap_regions, cap_styles, cap_diags;
} clsub_track;

/* Parsing. `utf8` need not be NUL-terminated; len <= CLSUB_MAX_INPUT_BYTES.
 * Returns the number of cues kept (>= 0), or:
 *   CLSUB_ERR_INVALIDDATA: not a file of that format (e.g. no WEBVTT signature);
 *                          *out holds a track whose diagnostics say why.
 *   CLSUB_ERR_TOOBIG:      a cap was exceeded; *out holds the diagnostics.
 *   CLSUB_ERR_NOMEM / CLSUB_ERR_INVAL: *out is NULL. */
int clsub_parse_srt(const char *utf8, size_t len, clsub_track **out);
int clsub_parse_vtt(const char *utf8, size_t len, clsub_track **out);
/* ASS/SSA through libass: Dialogue events as cues (override tags removed,
 * italic/bold/underline kept as spans, \N as line breaks, drawings left out). */
int clsub_parse_ass(const char *utf8, size_t len, clsub_track **out);
int clsub_parse(const char *utf8, size_t len, clsub_format format, clsub_track **out);
clsub_format clsub_sniff_format(const char *utf8, size_t len);
void clsub_track_free(clsub_track **track);

/* The cue text without tags, with the WebVTT character references (&amp; &lt;
 * &gt; &nbsp; &lrm; &rlm; and numeric ones) decoded. 0 or CLSUB_ERR_*. */
int clsub_cue_plain_text(const clsub_cue *cue, char **out);

/* ---- charset decoding -------------------------------------------------- */
typedef enum clsub_charset_path {
    CLSUB_CHARSET_BOM = 0,       /* a byte-order mark decided */
    CLSUB_CHARSET_UTF8,          /* the bytes are valid UTF-8 */
    CLSUB_CHARSET_LANGUAGE,      /* invalid UTF-8, the language tag chose a legacy codepage */
    CLSUB_CHARSET_EXPLICIT,      /* the caller named the encoding */
} clsub_charset_path;

const char *clsub_charset_path_name(clsub_charset_path p); /* "bom", "utf-8", "language-fallback", "explicit" */

typedef struct clsub_text {
    char *utf8;                  /* NUL-terminated, BOM removed */
    size_t len;                  /* bytes, without the NUL */
    char encoding[32];           /* e.g. "UTF-8", "UTF-16LE", "CP1256" */
    clsub_charset_path path;
} clsub_text;

/* The legacy encoding used for a BCP-47 language tag ("ar", "pt-BR", "zh-Hant");
 * never NULL (CP1252 for the rest). */
const char *clsub_language_encoding(const char *lang);

/* Decode subtitle bytes to UTF-8. Order: explicit `encoding` (if non-NULL) always
 * wins; otherwise a BOM; otherwise strict UTF-8; otherwise the fallback of `lang`.
 * With no `lang` and invalid UTF-8 it fails with CLSUB_ERR_CHARSET and writes the
 * byte offset and line of the first invalid sequence to `err` (may be NULL).
 * Other failures: CLSUB_ERR_TOOBIG, CLSUB_ERR_UNSUPPORTED (unknown encoding name),
 * CLSUB_ERR_NOMEM, CLSUB_ERR_INVAL. */
int clsub_decode(const void *bytes, size_t len, const char *lang, const char *encoding,
                 clsub_text **out, char *err, size_t errlen);
void clsub_text_free(clsub_text **text);

/* Strict UTF-8 check (no overlongs, surrogates, or code points > U+10FFFF).
 * Returns 1 when valid; else 0 and the offset of the first bad byte. */
int clsub_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* ---- writers ----------------------------------------------------------- */
/* WebVTT: escapes &, <, > that are not already markup or character references,
 * keeps regions, styles and valid cue settings. SRT: numbered blocks with
 * HH:MM:SS,mmm times; the text is written as it is. 0 or CLSUB_ERR_*. */
int clsub_write_vtt(const clsub_track *track, char **out, size_t *len);
int clsub_write_srt(const clsub_track *track, char **out, size_t *len);

/* ---- retiming ---------------------------------------------------------- */
typedef struct clsub_clip_stats {
    size_t kept;                 /* cues left in the track */
    size_t clipped;              /* cues that crossed `in` or `out` and were cut */
    size_t dropped_before;       /* ended at or before `in` */
    size_t dropped_after;        /* started at or after `out` */
    int64_t first_ms;            /* start of the first kept cue after the shift, -1 if none */
    int64_t last_ms;             /* end of the last kept cue after the shift, -1 if none */
} clsub_clip_stats;

/* Keep [in_ms, out_ms) of the track and shift it to start at 0: every cue moves by
 * -in_ms; cues crossing in or out are clipped to [0, out_ms - in_ms]; cues wholly
 * outside are dropped (and counted). `stats` may be NULL. Returns the number of
 * cues kept, or CLSUB_ERR_INVAL (in_ms < 0 or out_ms <= in_ms). */
int clsub_track_clip(clsub_track *track, int64_t in_ms, int64_t out_ms, clsub_clip_stats *stats);

/* Shift every cue by delta_ms; cues pushed wholly below 0 are dropped, others
 * clamped at 0. Returns the number of cues kept. */
int clsub_track_shift(clsub_track *track, int64_t delta_ms);


/* ---- scripts and default fonts ----------------------------------------- */
/* Script classes that matter for fonts, reading speed and line length. */
typedef enum clsub_script {
    CLSUB_SCRIPT_COMMON = 0, /* digits, punctuation, symbols: no script of their own */
    CLSUB_SCRIPT_LATIN,      /* also Greek, Cyrillic and the other alphabets Noto Sans covers */
    CLSUB_SCRIPT_ARABIC,
    CLSUB_SCRIPT_HEBREW,
    CLSUB_SCRIPT_GEORGIAN,
    CLSUB_SCRIPT_ARMENIAN,
    CLSUB_SCRIPT_THAI,
    CLSUB_SCRIPT_DEVANAGARI,
    CLSUB_SCRIPT_HAN,        /* Chinese characters (also in Japanese text) */
    CLSUB_SCRIPT_KANA,       /* Hiragana and Katakana */
    CLSUB_SCRIPT_HANGUL,
    CLSUB_SCRIPT_OTHER,      /* any other script */
} clsub_script;

const char *clsub_script_name(clsub_script s); /* "latin", "arabic", ... */
/* The script class of one code point. */
clsub_script clsub_script_of(uint32_t cp);
/* The main script of a BCP-47 tag ("ar" -> arabic, "sr-Latn" -> latin,
 * "zh-Hant" -> han); CLSUB_SCRIPT_COMMON when the tag says nothing. */
clsub_script clsub_language_script(const char *lang);
/* The default font family for a language: the Noto family of its script
 * ("Noto Sans Arabic", "Noto Sans Georgian", "Noto Sans CJK TC" for zh-Hant ...),
 * "Noto Sans" for Latin, Greek, Cyrillic and unknown tags. Never NULL, static.
 * All of them ship in Debian's fonts-noto-core and fonts-noto-cjk. */
const char *clsub_default_font_family(const char *lang);
/* ISO 639-2/T code of a BCP-47 tag's language ("fr" -> "fra", "ka" -> "kat"),
 * as MP4 tracks carry it; "und" when unknown. Static. */
const char *clsub_language_iso639_2(const char *lang);
/* The language's name in its own script ("Français", "العربية", "ქართული",
 * "中文（繁體）" for zh-Hant), for players' menus; NULL when unknown. Static. */
const char *clsub_language_native_name(const char *lang);
/* The script that most letters of the track's cue text belong to
 * (CLSUB_SCRIPT_COMMON for a track without letters). */
clsub_script clsub_track_main_script(const clsub_track *track);


/* ---- lint ------------------------------------------------------------- */
/* Reading-speed and line-length limits per script, after the Netflix timed
 * text style guides for adult programmes (characters are code points without
 * combining marks and invisible controls; spaces and punctuation count):
 *   latin (Latin, Greek, Cyrillic), georgian, armenian, arabic, hebrew,
 *   devanagari and other scripts: 17 characters per second, 42 per line
 *   thai:   15 per second, 35 per line
 *   hangul: 12 per second, 16 per line
 *   han (Chinese): 9 per second, 16 per line
 *   kana (Japanese): 4 per second, 13 per line */
void clsub_script_limits(clsub_script s, double *max_cps, int *max_line_chars);

typedef struct clsub_lint_settings {
    int64_t clip_duration_ms;   /* > 0: flag cues that end after it (after the shift) */
    const char *lang;           /* BCP-47; its script picks the limits. NULL: each
                                   cue's own main script */
    int max_lines;              /* default 2 */
    double cps_scale;           /* multiplies the reading-speed limits; default 1.0 */
    int line_length;            /* 1 (default): check line length; 0: skip */
} clsub_lint_settings;

void clsub_lint_default_settings(clsub_lint_settings *s);

/* Append plain-English diagnostics (codes "lint-*", with the source line) to the
 * track's list: lint-overlap, lint-zero-duration, lint-negative-duration,
 * lint-empty, lint-after-end, lint-past-end, lint-reading-speed,
 * lint-line-length, lint-too-many-lines, lint-html-tag (SRT: tags other than
 * <b>, <i>, <u>), lint-ass-tag ("{\...}" overrides in SRT or WebVTT),
 * lint-bidi-unbalanced. All are warnings except lint-negative-duration and
 * lint-after-end (errors). Run it once per track. Returns the number of
 * diagnostics added, CLSUB_ERR_INVAL or CLSUB_ERR_NOMEM. */
int clsub_lint(clsub_track *track, const clsub_lint_settings *s);

/* ---- glyph pre-flight (fontconfig) ------------------------------------- */
#define CLSUB_MAX_MISSING_GLYPHS 64 /* distinct characters listed in a report */

typedef struct clsub_missing_glyph {
    uint32_t cp;                /* the code point */
    char utf8[8];               /* the character itself, NUL-terminated */
    int line;                   /* source line of the first cue using it (0: unknown) */
    size_t count;               /* occurrences in the track */
    const char *suggestion;     /* a font family that covers it: an installed one
                                   when fontconfig knows one, else the Noto family
                                   of its script; points into the report */
} clsub_missing_glyph;

typedef struct clsub_glyph_report {
    char family[128];           /* the family asked for (clsub_default_font_family) */
    char resolved[128];         /* the family fontconfig chose first for it */
    size_t n_fonts;             /* fonts in the fallback chain */
    size_t checked;             /* code points checked */
    clsub_missing_glyph *missing;
    size_t n_missing;           /* <= CLSUB_MAX_MISSING_GLYPHS */
    size_t missing_total;       /* distinct characters missing, including unlisted ones */
    char *message;              /* plain English summary, never NULL */
    /* private */
    char **strings;
    size_t n_strings;
} clsub_glyph_report;

/* Check that every drawn code point of every cue's plain text (controls, bidi
 * marks, zero-width characters and whitespace are skipped) has a glyph in the
 * font chain fontconfig resolves for the language's default family: with
 * font_dir NULL from the system configuration, otherwise from a private
 * configuration holding ONLY the fonts in font_dir (what the renderer uses
 * with the same font_dir). Returns 0 when everything is covered,
 * CLSUB_ERR_GLYPHS when characters are missing (the report names them),
 * CLSUB_ERR_INVAL (bad argument, or font_dir holds no usable font: *out then
 * explains), CLSUB_ERR_NOMEM. *out is set on 0, CLSUB_ERR_GLYPHS and the
 * font_dir failure; free it with clsub_glyph_report_free(). */
int clsub_glyph_check(const clsub_track *track, const char *lang, const char *font_dir,
                      clsub_glyph_report **out);
void clsub_glyph_report_free(clsub_glyph_report **report);
/* Release fontconfig's global caches (FcFini). Only for programs that are about
 * to exit and use no fontconfig any more (leak checkers). */
void clsub_glyph_cleanup(void);

/* ---- burn-in renderer (libass) ----------------------------------------- */
/* One renderer draws one track at one frame size. SRT and WebVTT cues are
 * converted to an ASS script with a default style for the language's script
 * (see clsub_default_font_family()): white text, black outline, font size
 * 6% of the frame height (scaled per script, see render.c), bottom centre,
 * safe margins (6.5% of the height below, 7.5% of the width at the sides), and
 * Encoding=-1 so libass picks each paragraph's base direction from its text.
 * WebVTT/SRT markup: <b>, <i>, <u> become ASS overrides; every other tag is
 * dropped (its text kept); character references are decoded; "{", "}" and
 * "\" in the text are escaped so they are drawn, never read as overrides.
 * HarfBuzz shaping is always on (ASS_SHAPING_COMPLEX). */
typedef struct clsub_renderer clsub_renderer;

/* Log levels passed to the callback: libass levels mapped onto these. */
#define CLSUB_LOG_ERROR 0
#define CLSUB_LOG_WARNING 1
#define CLSUB_LOG_INFO 2
#define CLSUB_LOG_DEBUG 3
typedef void (*clsub_log_fn)(void *opaque, int level, const char *message);

typedef struct clsub_render_settings {
    int width, height;          /* frame size in pixels (the output size), required */
    const char *lang;           /* BCP-47 tag; picks the default font. NULL: from the text */
    const char *font_family;    /* NULL: clsub_default_font_family(lang) */
    const char *font_dir;       /* NULL: system fonts through fontconfig; else ONLY
                                   the fonts in this folder are used */
    double font_scale;          /* multiplies the default size; default 1.0 */
    int box;                    /* 1: SRT/WebVTT text on a translucent box instead of an outline */
    int max_log_level;          /* messages above this level are not passed on; default INFO */
    /* The libass features for Unicode text (bidi brackets, whole-text layout,
       Unicode line wrapping): -1 (default) on for SRT/WebVTT, off for
       hand-authored ASS; 0 always off; 1 always on. */
    int unicode_features;
    clsub_log_fn log;           /* NULL: messages are dropped */
    void *log_opaque;
} clsub_render_settings;

void clsub_render_default_settings(clsub_render_settings *s);

/* Build the ASS script used for an SRT/WebVTT track (for inspection or muxing).
 * *out is malloc'd. 0 or CLSUB_ERR_*. */
int clsub_track_to_ass(const clsub_track *track, const clsub_render_settings *s, char **out);

/* Open a renderer for a parsed SRT/WebVTT track (copied; the track may be freed
 * afterwards), or for hand-authored ASS/SSA text. 0, or CLSUB_ERR_INVAL (bad
 * size or arguments), CLSUB_ERR_NOMEM, CLSUB_ERR_INVALIDDATA (libass refused
 * the script), CLSUB_ERR_UNSUPPORTED (libass could not be initialised). */
int clsub_render_open(clsub_renderer **out, const clsub_track *track,
                      const clsub_render_settings *s);
int clsub_render_open_ass(clsub_renderer **out, const char *ass, size_t len,
                          const clsub_render_settings *s);
void clsub_render_close(clsub_renderer **r);

/* An 8-bit yuv420p picture (BT.709, limited range); chroma planes are
 * ((width+1)/2) x ((height+1)/2). */
typedef struct clsub_frame {
    uint8_t *data[3];
    int linesize[3];
    int width, height;
} clsub_frame;

typedef struct clsub_render_info {
    int changed;                /* 0: same as the last call, 1: moved, 2: new content
                                   (libass's detect_change) */
    int n_images;               /* bitmaps blended; 0: nothing on screen */
    int x0, y0, x1, y1;         /* bounding box of what was drawn [x0,x1) x [y0,y1);
                                   all 0 when nothing */
} clsub_render_info;

/* Render the subtitles at t_ms and blend them onto `frame` (which must have the
 * renderer's size). `info` may be NULL. Returns the number of images blended
 * (0: nothing to draw, the frame is untouched) or CLSUB_ERR_INVAL. */
int clsub_render_frame(clsub_renderer *r, int64_t t_ms, clsub_frame *frame,
                       clsub_render_info *info);
/* Whether anything is on screen at t_ms, and if it differs from the previous
 * call, without blending (the caller may reuse an earlier overlay). */
int clsub_render_peek(clsub_renderer *r, int64_t t_ms, clsub_render_info *info);

/* libass's version as "0.17.1" (static string). */
const char *clsub_libass_version(void);

#ifdef __cplusplus
}
#endif
#endif
