/* Lint: one case per check, with the line numbers and codes the report uses. */
#include "clsub.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static clsub_track *lint(const char *src, const char *lang, int64_t clip_ms, int *added)
{
    clsub_track *t = NULL;
    int r = clsub_parse(src, strlen(src), CLSUB_FORMAT_UNKNOWN, &t);
    CHECK(r >= 0);
    clsub_lint_settings s;
    clsub_lint_default_settings(&s);
    s.lang = lang;
    s.clip_duration_ms = clip_ms;
    *added = t ? clsub_lint(t, &s) : -1;
    for (size_t i = 0; t && i < t->n_diags; i++)
        if (!strncmp(t->diags[i].code, "lint-", 5))
            fprintf(stderr, "  [%s] %s\n", t->diags[i].code, t->diags[i].message);
    return t;
}

/* How many lint diagnostics with this code (and line, unless line < 0). */
static int count(const clsub_track *t, const char *code, int line)
{
    int n = 0;
    for (size_t i = 0; t && i < t->n_diags; i++)
        if (!strcmp(t->diags[i].code, code) && (line < 0 || t->diags[i].line == line))
            n++;
    return n;
}

static const char *msg(const clsub_track *t, const char *code)
{
    for (size_t i = 0; t && i < t->n_diags; i++)
        if (!strcmp(t->diags[i].code, code))
            return t->diags[i].message;
    return "";
}

static void test_clean(void)
{
    int n;
    clsub_track *t = lint("1\n00:00:01,000 --> 00:00:03,000\nA short <i>clean</i> line.\n\n"
                          "2\n00:00:03,000 --> 00:00:05,000\nTwo lines,\nboth fine.\n", "en", 10000, &n);
    CHECK_INT(n, 0);
    clsub_track_free(&t);
}

static void test_timing(void)
{
    int n;
    clsub_track *t = lint("1\n00:00:01,000 --> 00:00:04,000\nFirst cue here\n\n"     /* 1-3 */
                          "2\n00:00:03,000 --> 00:00:05,000\nOverlaps the first\n\n" /* 5-7 */
                          "3\n00:00:06,000 --> 00:00:06,000\nZero\n\n"               /* 9-11 */
                          "4\n00:00:08,000 --> 00:00:07,000\nBackwards\n\n"          /* 13-15 */
                          "5\n00:00:09,000 --> 00:00:12,000\nPast the end\n\n"       /* 17-19 */
                          "6\n00:00:12,000 --> 00:00:13,000\nAfter the end\n",       /* 21-23 */
                          "en", 10000, &n);
    CHECK_INT(count(t, "lint-overlap", 6), 1);
    CHECK(strstr(msg(t, "lint-overlap"), "line 6: the cue starts before the cue at line 2 ends (00:00:04.000)"));
    CHECK_INT(count(t, "lint-overlap", -1), 1);
    CHECK_INT(count(t, "lint-zero-duration", 10), 1);
    /* the parser already said "end-before-start" for line 14: not repeated */
    CHECK_INT(count(t, "end-before-start", 14), 1);
    CHECK_INT(count(t, "lint-negative-duration", -1), 0);
    CHECK_INT(count(t, "lint-past-end", 18), 1);
    CHECK_INT(count(t, "lint-after-end", 22), 1);
    CHECK(strstr(msg(t, "lint-after-end"), "starts at 00:00:12.000, after the end of the clip (00:00:10.000)"));
    CHECK_INT(n, 4);
    clsub_track_free(&t);

    /* after clipping, a backwards cue found by lint alone */
    t = NULL;
    const char *src = "WEBVTT\n\n00:02.000 --> 00:03.000\nok\n";
    CHECK_INT(clsub_parse(src, strlen(src), CLSUB_FORMAT_VTT, &t), 1);
    if (t) {
        t->cues[0].end_ms = 1000;
        clsub_lint_settings s;
        clsub_lint_default_settings(&s);
        CHECK_INT(clsub_lint(t, &s), 1);
        CHECK_INT(count(t, "lint-negative-duration", 3), 1);
    }
    clsub_track_free(&t);
}

static void test_empty_and_lines(void)
{
    int n;
    clsub_track *t = lint("WEBVTT\n\n00:01.000 --> 00:02.000\n<i> </i>&lrm;\n\n"
                          "00:03.000 --> 00:09.000\none\ntwo\nthree\n\n"
                          "00:10.000 --> 00:16.000\n"
                          "This line is much longer than forty-two characters, surely.\nshort\n",
                          NULL, 0, &n);
    CHECK_INT(count(t, "lint-empty", 3), 1);
    CHECK_INT(count(t, "lint-too-many-lines", 6), 1);
    CHECK(strstr(msg(t, "lint-too-many-lines"), "has 3 lines; at most 2"));
    CHECK_INT(count(t, "lint-line-length", 12), 1);
    CHECK(strstr(msg(t, "lint-line-length"), "line 12: 59 characters on one line; 42 is the limit for latin text"));
    CHECK_INT(n, 3);
    clsub_track_free(&t);
}

static void test_reading_speed(void)
{
    int n;
    /* 30 Latin characters in 1.5 s = 20 cps > 17 */
    clsub_track *t = lint("1\n00:00:01,000 --> 00:00:02,500\nabcdefghij abcdefghij abcdefgh\n", "fr", 0, &n);
    CHECK_INT(count(t, "lint-reading-speed", 2), 1);
    CHECK(strstr(msg(t, "lint-reading-speed"), "30 characters in 1.500 s is 20.0 characters per second; 17.0 is the limit for latin text"));
    clsub_track_free(&t);
    /* the same count of Chinese characters is far too fast; 12 in 2 s = 6 cps is fine */
    t = lint("1\n00:00:01,000 --> 00:00:03,000\n拘留的替代方案拘留的替代\n", "zh", 0, &n);
    CHECK_INT(n, 0);
    clsub_track_free(&t);
    t = lint("1\n00:00:01,000 --> 00:00:02,000\n拘留的替代方案拘留的替代\n", NULL, 0, &n);
    CHECK_INT(count(t, "lint-reading-speed", 2), 1);
    CHECK(strstr(msg(t, "lint-reading-speed"), "12.0 characters per second; 9.0 is the limit for han text"));
    clsub_track_free(&t);
    /* Thai: combining vowels and tone marks do not count (20 code points, 17 characters) */
    t = lint("1\n00:00:01,000 --> 00:00:02,000\nทางเลือกแทนการกักตัว\n", "th", 0, &n);
    CHECK(strstr(msg(t, "lint-reading-speed"), "17 characters in 1.000 s is 17.0 characters per second; 15.0 is the limit for thai"));
    clsub_track_free(&t);
    /* Chinese line length: 17 > 16 */
    t = lint("1\n00:00:01,000 --> 00:00:05,000\n拘留的替代方案拘留的替代方案拘留的\n", "zh-Hant", 0, &n);
    CHECK_INT(count(t, "lint-line-length", 3), 1);
    clsub_track_free(&t);
    double cps;
    int chars;
    clsub_script_limits(CLSUB_SCRIPT_KANA, &cps, &chars);
    CHECK(cps == 4 && chars == 13);
    clsub_script_limits(CLSUB_SCRIPT_ARABIC, &cps, &chars);
    CHECK(cps == 17 && chars == 42);
}

static void test_markup(void)
{
    int n;
    clsub_track *t = lint("1\n00:00:01,000 --> 00:00:04,000\n{\\an8}<font color=\"#ff0000\">Top</font>\n\n"
                          "2\n00:00:05,000 --> 00:00:08,000\n<b>bold</b> <i>it</i> <u>u</u>\n", "en", 0, &n);
    CHECK_INT(count(t, "lint-ass-tag", 2), 1);
    CHECK(strstr(msg(t, "lint-ass-tag"), "ASS override tag \"{\\an8}\" in srt text"));
    CHECK_INT(count(t, "lint-html-tag", 2), 1);
    CHECK(strstr(msg(t, "lint-html-tag"), "HTML tag \"<font color=\"#ff0000\">\" in SRT text"));
    CHECK_INT(n, 2);
    clsub_track_free(&t);
    /* WebVTT spans are not stray HTML */
    t = lint("WEBVTT\n\n00:01.000 --> 00:04.000\n<v Anna><c.loud>Hi</c> <lang en>there</lang>\n", "en", 0, &n);
    CHECK_INT(n, 0);
    clsub_track_free(&t);
}

static void test_bidi(void)
{
    int n;
    clsub_track *t = lint("1\n00:00:01,000 --> 00:00:04,000\n\xE2\x81\xA7" "abc" "\xE2\x81\xA9 \xE2\x80\xAB" "def" "\xE2\x80\xAC\n\n" /* balanced */
                          "2\n00:00:05,000 --> 00:00:08,000\n\xE2\x81\xA7" "open isolate\n\n"
                          "3\n00:00:09,000 --> 00:00:12,000\nstray pdf\xE2\x80\xAC and pdi\xE2\x81\xA9\n\n"
                          "4\n00:00:13,000 --> 00:00:16,000\n\xE2\x81\xA6\xE2\x80\xAA" "emb in iso\xE2\x81\xA9\n",
                          "en", 0, &n);
    CHECK_INT(count(t, "lint-bidi-unbalanced", 2), 0);
    CHECK_INT(count(t, "lint-bidi-unbalanced", 6), 1);
    CHECK_INT(count(t, "lint-bidi-unbalanced", 10), 1);
    CHECK_INT(count(t, "lint-bidi-unbalanced", 14), 1);
    CHECK_INT(n, 3);
    for (size_t i = 0; t && i < t->n_diags; i++) {
        if (t->diags[i].line == 6)
            CHECK(strstr(t->diags[i].message, "0 embeddings (LRE/RLE/LRO/RLO) without PDF, 1 isolate (LRI/RLI/FSI) without PDI, 0 PDF and 0 PDI"));
        if (t->diags[i].line == 10)
            CHECK(strstr(t->diags[i].message, "1 PDF and 1 PDI with nothing to close"));
        if (t->diags[i].line == 14)
            CHECK(strstr(t->diags[i].message, "1 embedding (LRE/RLE/LRO/RLO) without PDF"));
    }
    clsub_track_free(&t);
    clsub_lint_settings s;
    clsub_lint_default_settings(&s);
    CHECK_INT(clsub_lint(NULL, &s), CLSUB_ERR_INVAL);
}

int main(void)
{
    test_clean();
    test_timing();
    test_empty_and_lines();
    test_reading_speed();
    test_markup();
    test_bidi();
    return th_finish("lint");
}
