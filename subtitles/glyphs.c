/* Glyph pre-flight: does the font chain for a language draw every character?
 *
 * The chain is fontconfig's sorted, trimmed list for the language's default
 * family (FcFontSort), so it includes the fallbacks libass would reach for;
 * the union of their charsets is checked. With a pinned font folder the
 * configuration is private and holds only that folder, like the renderer's. */
#include "clsub_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct chain {
    FcConfig *cfg;
    FcFontSet *fonts;
    FcCharSet *coverage;
} chain;

static void chain_free(chain *c)
{
    if (c->fonts)
        FcFontSetDestroy(c->fonts);
    if (c->coverage)
        FcCharSetDestroy(c->coverage);
    if (c->cfg)
        FcConfigDestroy(c->cfg);
    memset(c, 0, sizeof *c);
}

/* fontconfig's language for a BCP-47 tag: the primary subtag, and for Chinese
 * zh-cn / zh-tw / zh-hk (fontconfig knows no script subtags). 0 if none. */
static int fc_lang(const char *lang, char *buf, size_t size)
{
    if (!lang || !*lang || size < 8)
        return 0;
    size_t n = strcspn(lang, "-_");
    if (n == 0 || n > 3 || !strncasecmp(lang, "und", n))
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)lang[i]);
    buf[n] = '\0';
    if (!strcmp(buf, "zh")) {
        const char *fam = clsub_default_font_family(lang);
        snprintf(buf, size, "%s", strstr(lang, "HK") || strstr(lang, "hk") ? "zh-hk"
                                  : !strcmp(fam, "Noto Sans CJK TC") ? "zh-tw" : "zh-cn");
    }
    return 1;
}

/* A private configuration with every font file directly in dir (no cache is
 * written), or NULL when the folder cannot be read. */
static FcConfig *folder_config(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    FcConfig *cfg = FcConfigCreate();
    struct dirent *e;
    while (cfg && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FcConfigAppFontAddFile(cfg, (const FcChar8 *)path); /* non-fonts are skipped */
    }
    closedir(d);
    return cfg;
}

/* Sorted fonts for a family (and language) in cfg; the config reference is taken over. */
static int chain_open(chain *c, FcConfig *cfg, const char *family, const char *lang)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    FcPattern *pat = FcPatternCreate();
    if (!pat)
        return CLSUB_ERR_NOMEM;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)family);
    char fl[16];
    if (fc_lang(lang, fl, sizeof fl)) {
        FcLangSet *ls = FcLangSetCreate();
        if (ls && FcLangSetAdd(ls, (const FcChar8 *)fl))
            FcPatternAddLangSet(pat, FC_LANG, ls);
        if (ls)
            FcLangSetDestroy(ls);
    }
    FcConfigSubstitute(cfg, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    c->fonts = FcFontSort(cfg, pat, FcTrue, &c->coverage, &res);
    FcPatternDestroy(pat);
    if (!c->fonts || c->fonts->nfont == 0 || !c->coverage)
        return CLSUB_ERR_INVAL;
    return 0;
}

static const char *font_family(FcPattern *p)
{
    FcChar8 *fam = NULL;
    return FcPatternGetString(p, FC_FAMILY, 0, &fam) == FcResultMatch ? (const char *)fam : "?";
}

static const char *keep(clsub_glyph_report *r, const char *s)
{
    for (size_t i = 0; i < r->n_strings; i++)
        if (!strcmp(r->strings[i], s))
            return r->strings[i];
    char **p = realloc(r->strings, (r->n_strings + 1) * sizeof *p);
    if (!p)
        return NULL;
    r->strings = p;
    if (!(p[r->n_strings] = clsub_strndup(s, strlen(s))))
        return NULL;
    return p[r->n_strings++];
}

static int note_missing(clsub_glyph_report *r, uint32_t cp, int line)
{
    for (size_t i = 0; i < r->n_missing; i++)
        if (r->missing[i].cp == cp) {
            r->missing[i].count++;
            return 0;
        }
    r->missing_total++;
    if (r->n_missing >= CLSUB_MAX_MISSING_GLYPHS)
        return 0;
    clsub_missing_glyph *p = realloc(r->missing, (r->n_missing + 1) * sizeof *p);
    if (!p)
        return CLSUB_ERR_NOMEM;
    r->missing = p;
    clsub_missing_glyph *m = &p[r->n_missing++];
    memset(m, 0, sizeof *m);
    m->cp = cp;
    m->line = line;
    m->count = 1;
    clsub_buf b = {0};
    clsub_put_utf8(&b, cp);
    if (b.data)
        snprintf(m->utf8, sizeof m->utf8, "%s", b.data);
    clsub_buf_release(&b);
    return 0;
}

static int scan_track(clsub_glyph_report *r, const clsub_track *t, const FcCharSet *cs)
{
    for (size_t i = 0; i < t->n_cues; i++) {
        char *plain = NULL;
        int ret = clsub_cue_plain_text(&t->cues[i], &plain);
        if (ret < 0)
            return ret;
        const char *s = plain, *end = plain + strlen(plain);
        while (s < end && ret == 0) {
            uint32_t cp = clsub_utf8_next(&s, end);
            if (clsub_cp_invisible(cp))
                continue;
            r->checked++;
            if (!FcCharSetHasChar(cs, cp))
                ret = note_missing(r, cp, t->cues[i].line);
        }
        free(plain);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Fill each missing character's suggestion from the system fonts. */
static void suggest(clsub_glyph_report *r, const char *family)
{
    FcConfig *cfg = FcConfigReference(NULL);
    FcPattern *pat = cfg ? FcPatternCreate() : NULL;
    FcFontSet *all = NULL; /* the untrimmed list: every installed font, best first */
    if (pat) {
        FcResult res;
        FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)family);
        FcConfigSubstitute(cfg, pat, FcMatchPattern);
        FcDefaultSubstitute(pat);
        all = FcFontSort(cfg, pat, FcFalse, NULL, &res);
        FcPatternDestroy(pat);
    }
    for (size_t i = 0; i < r->n_missing; i++) {
        clsub_missing_glyph *m = &r->missing[i];
        for (int f = 0; all && f < all->nfont && !m->suggestion; f++) {
            FcCharSet *cs = NULL;
            if (FcPatternGetCharSet(all->fonts[f], FC_CHARSET, 0, &cs) == FcResultMatch &&
                FcCharSetHasChar(cs, m->cp))
                m->suggestion = keep(r, font_family(all->fonts[f]));
        }
        if (!m->suggestion) {
            char buf[160];
            snprintf(buf, sizeof buf, "%s (not installed)",
                     clsub_script_family(clsub_script_of(m->cp)));
            m->suggestion = keep(r, buf);
        }
    }
    if (all)
        FcFontSetDestroy(all);
    if (cfg)
        FcConfigDestroy(cfg);
}

static int summarize(clsub_glyph_report *r, const char *lang, const char *font_dir)
{
    clsub_buf b = {0};
    const char *where = font_dir ? "the font folder " : "the installed fonts";
    if (!r->missing_total) {
        clsub_buf_printf(&b, "all %zu characters are covered by %s%s (%s, %zu fonts in the chain)",
                         r->checked, where, font_dir ? font_dir : "", r->resolved, r->n_fonts);
    } else {
        clsub_buf_printf(&b, "%zu character%s %s no glyph in %s%s for language \"%s\" "
                             "(font %s, %zu fonts in the chain): ",
                         r->missing_total, r->missing_total == 1 ? "" : "s",
                         r->missing_total == 1 ? "has" : "have", where, font_dir ? font_dir : "",
                         lang && *lang ? lang : "und", r->resolved, r->n_fonts);
        for (size_t i = 0; i < r->n_missing; i++)
            clsub_buf_printf(&b, "%sU+%04X %s (line %d, %s)", i ? "; " : "",
                             (unsigned)r->missing[i].cp, r->missing[i].utf8, r->missing[i].line,
                             r->missing[i].suggestion ? r->missing[i].suggestion : "?");
        if (r->missing_total > r->n_missing)
            clsub_buf_printf(&b, "; and %zu more", r->missing_total - r->n_missing);
        clsub_buf_adds(&b, ". Install or add a font family named above (font, in parentheses).");
    }
    if (b.failed) {
        clsub_buf_release(&b);
        return CLSUB_ERR_NOMEM;
    }
    r->message = b.data;
    return 0;
}

int clsub_glyph_check(const clsub_track *track, const char *lang, const char *font_dir,
                      clsub_glyph_report **out)
{
    if (!out)
        return CLSUB_ERR_INVAL;
    *out = NULL;
    if (!track)
        return CLSUB_ERR_INVAL;
    clsub_glyph_report *r = calloc(1, sizeof *r);
    if (!r)
        return CLSUB_ERR_NOMEM;
    chain c = {0};
    int ret;
    const char *family = clsub_language_script(lang) != CLSUB_SCRIPT_COMMON
                             ? clsub_default_font_family(lang)
                             : clsub_script_family(clsub_track_main_script(track));
    snprintf(r->family, sizeof r->family, "%s", family);
    FcConfig *cfg = font_dir ? folder_config(font_dir) : FcConfigReference(NULL);
    if (!cfg || chain_open(&c, cfg, family, lang) < 0) {
        clsub_buf b = {0};
        clsub_buf_printf(&b, "no usable font in %s%s", font_dir ? "the font folder " : "the system",
                         font_dir ? font_dir : "");
        r->message = b.data;
        ret = r->message ? CLSUB_ERR_INVAL : CLSUB_ERR_NOMEM;
        if (ret == CLSUB_ERR_INVAL) {
            chain_free(&c);
            *out = r;
            return ret;
        }
        goto fail;
    }
    snprintf(r->resolved, sizeof r->resolved, "%s", font_family(c.fonts->fonts[0]));
    r->n_fonts = (size_t)c.fonts->nfont;
    if ((ret = scan_track(r, track, c.coverage)) < 0)
        goto fail;
    if (r->n_missing)
        suggest(r, family);
    if ((ret = summarize(r, lang, font_dir)) < 0)
        goto fail;
    chain_free(&c);
    *out = r;
    return r->missing_total ? CLSUB_ERR_GLYPHS : 0;
fail:
    chain_free(&c);
    clsub_glyph_report_free(&r);
    return ret;
}

char *clsub_font_dir_best_file(const char *font_dir, const char *family, const char *lang)
{
    chain c;
    FcConfig *cfg = folder_config(font_dir);
    char *file = NULL;
    FcChar8 *f = NULL;
    if (cfg && chain_open(&c, cfg, family, lang) == 0 &&
        FcPatternGetString(c.fonts->fonts[0], FC_FILE, 0, &f) == FcResultMatch)
        file = clsub_strndup((const char *)f, strlen((const char *)f));
    if (cfg)
        chain_free(&c);
    return file;
}

void clsub_glyph_report_free(clsub_glyph_report **rp)
{
    if (!rp || !*rp)
        return;
    clsub_glyph_report *r = *rp;
    for (size_t i = 0; i < r->n_strings; i++)
        free(r->strings[i]);
    free(r->strings);
    free(r->missing);
    free(r->message);
    free(r);
    *rp = NULL;
}

void clsub_glyph_cleanup(void)
{
    FcFini();
}
