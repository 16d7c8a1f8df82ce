/* Glyph pre-flight: with the system fonts (fonts-noto-core, fonts-noto-cjk)
 * Arabic, Georgian, Chinese, Thai and Greek pass; with a pinned folder holding
 * only a Latin font, a Georgian cue fails naming the missing characters and a
 * family that covers them, and the renderer given the same folder agrees.
 *
 * The Latin-only font is Noto Sans Regular (Latin, Greek, Cyrillic), found
 * through fontconfig: DejaVu Sans is NOT Latin-only, it draws Georgian. */
#include "clsub.h"
#include "harness.h"

#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static clsub_track *srt(const char *text)
{
    char src[1024];
    snprintf(src, sizeof src, "1\n00:00:01,000 --> 00:00:05,000\nfirst line\n\n"
                              "2\n00:00:06,000 --> 00:00:07,000\n%s\n", text);
    clsub_track *t = NULL;
    CHECK_INT(clsub_parse(src, strlen(src), CLSUB_FORMAT_SRT, &t), 2);
    return t;
}

static void test_system_fonts(void)
{
    static const struct { const char *lang, *text; } ok[] = {
        {"ar", "بدائل الاحتجاز، «نعم»؟"},
        {"ka", "ალტერნატივები"},
        {"zh-Hans", "拘留的替代方案。"},
        {"zh-Hant", "拘留的替代方案"},
        {"th", "ทางเลือกแทนการกักตัว"},
        {"el", "Εναλλακτικές λύσεις"},
        {"ru", "Альтернативы задержанию"},
        {"he", "חלופות למעצר"},
        {"hi", "हिरासत के विकल्प"},
        {"ja", "収容に代わる措置です"},
        {"ko", "구금의 대안"},
        {NULL, "ალტერნატივები"}, /* no language: the text decides */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        clsub_track *t = srt(ok[i].text);
        clsub_glyph_report *r = NULL;
        int ret = clsub_glyph_check(t, ok[i].lang, NULL, &r);
        CHECK_INT(ret, 0);
        CHECK(r != NULL);
        if (r) {
            if (ret != 0)
                fprintf(stderr, "%s: %s\n", ok[i].lang ? ok[i].lang : "und", r->message);
            CHECK_INT(r->n_missing, 0);
            CHECK(r->checked > 10);
            CHECK(strstr(r->message, "covered") != NULL);
        }
        if (r && i == 1) {
            CHECK_STR(r->family, "Noto Sans Georgian");
            CHECK_STR(r->resolved, "Noto Sans Georgian");
        }
        clsub_glyph_report_free(&r);
        clsub_glyph_report_free(&r);
        clsub_track_free(&t);
    }
}

/* The file of the system's "Noto Sans" Regular, or NULL. */
static char *latin_font_file(void)
{
    FcPattern *p = FcNameParse((const FcChar8 *)"Noto Sans:style=Regular");
    FcConfigSubstitute(NULL, p, FcMatchPattern);
    FcDefaultSubstitute(p);
    FcResult res;
    FcPattern *m = FcFontMatch(NULL, p, &res);
    char *file = NULL;
    FcChar8 *f = NULL, *fam = NULL;
    FcCharSet *cs = NULL;
    if (m && FcPatternGetString(m, FC_FILE, 0, &f) == FcResultMatch &&
        FcPatternGetString(m, FC_FAMILY, 0, &fam) == FcResultMatch &&
        !strcmp((const char *)fam, "Noto Sans") &&
        FcPatternGetCharSet(m, FC_CHARSET, 0, &cs) == FcResultMatch &&
        !FcCharSetHasChar(cs, 0x10D0) && FcCharSetHasChar(cs, 'a'))
        file = strdup((const char *)f);
    if (m)
        FcPatternDestroy(m);
    FcPatternDestroy(p);
    return file;
}

typedef struct log_state { int missing; } log_state;

static void on_log(void *opaque, int level, const char *msg)
{
    log_state *ls = opaque;
    (void)level;
    if (strstr(msg, "failed to find any fallback") || strstr(msg, "Glyph 0x10"))
        ls->missing++;
}

static void test_pinned_latin_folder(void)
{
    char *font = latin_font_file();
    CHECK(font != NULL);
    if (!font)
        return;
    char dir[] = "/tmp/clsub-glyphs-XXXXXX", link[4096];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(link, sizeof link, "%s/latin.ttf", dir);
    CHECK_INT(symlink(font, link), 0);

    clsub_track *t = srt("ალტერნატივები ok");
    clsub_glyph_report *r = NULL;
    CHECK_INT(clsub_glyph_check(t, "ka", dir, &r), CLSUB_ERR_GLYPHS);
    CHECK(r != NULL);
    if (r) {
        fprintf(stderr, "pinned: %s\n", r->message);
        CHECK_STR(r->family, "Noto Sans Georgian");
        CHECK_STR(r->resolved, "Noto Sans");
        CHECK_INT(r->n_fonts, 1);
        CHECK_INT(r->missing_total, 9); /* ა ლ ტ ე რ ნ ი ვ ბ */
        CHECK_INT(r->n_missing, 9);
        if (r->n_missing) {
            CHECK_INT(r->missing[0].cp, 0x10D0);
            CHECK_STR(r->missing[0].utf8, "ა");
            CHECK_INT(r->missing[0].line, 6);
            CHECK_INT(r->missing[0].count, 2);
            CHECK_STR(r->missing[0].suggestion, "Noto Sans Georgian");
        }
        CHECK(strstr(r->message, "U+10D0 ა (line 6, Noto Sans Georgian)") != NULL);
        CHECK(strstr(r->message, "U+10DA ლ") != NULL);
        CHECK(strstr(r->message, "9 characters have no glyph") != NULL);
    }
    clsub_glyph_report_free(&r);

    /* the renderer, given the same folder, cannot draw them either */
    clsub_render_settings s;
    clsub_render_default_settings(&s);
    s.width = 640;
    s.height = 360;
    s.lang = "ka";
    s.font_dir = dir;
    log_state ls = {0};
    s.log = on_log;
    s.log_opaque = &ls;
    clsub_renderer *ren = NULL;
    CHECK_INT(clsub_render_open(&ren, t, &s), 0);
    CHECK(ren && clsub_render_peek(ren, 6500, NULL) > 0);
    CHECK(ls.missing > 0);
    clsub_render_close(&ren);
    clsub_track_free(&t);

    /* Latin text and invisible controls pass with the same folder */
    t = srt("Alternatives \xE2\x80\x8F\xE2\x81\xA7(détention)\xE2\x81\xA9 \xE2\x80\x8B\xC2\xA0ok");
    CHECK_INT(clsub_glyph_check(t, "fr", dir, &r), 0);
    if (r)
        CHECK_INT(r->n_missing, 0);
    clsub_glyph_report_free(&r);
    clsub_track_free(&t);

    unlink(link);
    rmdir(dir);
    free(font);
}

static void test_errors(void)
{
    clsub_track *t = srt("x");
    clsub_glyph_report *r = NULL;
    CHECK_INT(clsub_glyph_check(NULL, "fr", NULL, &r), CLSUB_ERR_INVAL);
    CHECK(r == NULL);
    CHECK_INT(clsub_glyph_check(t, "fr", NULL, NULL), CLSUB_ERR_INVAL);
    CHECK_INT(clsub_glyph_check(t, "fr", "/nonexistent/clsub-fonts", &r), CLSUB_ERR_INVAL);
    CHECK(r && strstr(r->message, "no usable font in the font folder /nonexistent/clsub-fonts"));
    clsub_glyph_report_free(&r);
    CHECK(r == NULL);
    CHECK_STR(clsub_strerror(CLSUB_ERR_GLYPHS), "the fonts have no glyph for some characters");
    clsub_track_free(&t);
}

int main(void)
{
    test_system_fonts();
    test_pinned_latin_folder();
    test_errors();
    clsub_glyph_cleanup();
    return th_finish("glyphs");
}
