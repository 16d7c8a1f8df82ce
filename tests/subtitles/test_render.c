/* Burn-in renderer: golden frames (Arabic, Georgian, Chinese, Thai, Greek at
 * 1280x720 on flat grey, compared with committed PNGs with a tolerance) and
 * properties that fail independently of the goldens (non-empty bounding box,
 * right-to-left order, no missing-glyph messages from libass, change detection,
 * markup conversion).
 *
 * Usage: test_clsub_render GOLDEN_DIR
 * With CLSUB_REGEN_GOLDEN=1 in the environment the goldens are (re)written
 * instead of compared; look at them before committing. On a mismatch the
 * rendered frame is written to the current folder as <name>.actual.png. */
#include "clsub.h"
#include "harness.h"
#include "png.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 1280
#define H 720
#define GREY_Y 126

/* Tolerance: mean absolute difference per channel, and the share of pixels
 * where some channel differs by more than PIXEL_DIFF. */
#define MAX_MEAN_DIFF 1.5
#define PIXEL_DIFF 32
#define MAX_DIFF_FRACTION 0.005

typedef struct picture {
    uint8_t *buf;
    clsub_frame f;
} picture;

static int picture_alloc(picture *p)
{
    size_t cw = (W + 1) / 2, ch = (H + 1) / 2;
    p->buf = malloc((size_t)W * H + 2 * cw * ch);
    if (!p->buf)
        return -1;
    memset(p->buf, GREY_Y, (size_t)W * H);
    memset(p->buf + (size_t)W * H, 128, 2 * cw * ch);
    p->f.data[0] = p->buf;
    p->f.data[1] = p->buf + (size_t)W * H;
    p->f.data[2] = p->f.data[1] + cw * ch;
    p->f.linesize[0] = W;
    p->f.linesize[1] = p->f.linesize[2] = (int)cw;
    p->f.width = W;
    p->f.height = H;
    return 0;
}

static uint8_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)(v + 0.5);
}

/* BT.709 limited range -> RGB, chroma upsampled by repetition. */
static uint8_t *picture_rgb(const picture *p)
{
    uint8_t *rgb = malloc((size_t)W * H * 3);
    if (!rgb)
        return NULL;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double Y = 1.164384 * (p->f.data[0][y * p->f.linesize[0] + x] - 16);
            double U = p->f.data[1][(y / 2) * p->f.linesize[1] + x / 2] - 128;
            double V = p->f.data[2][(y / 2) * p->f.linesize[2] + x / 2] - 128;
            uint8_t *o = rgb + ((size_t)y * W + (size_t)x) * 3;
            o[0] = clamp8(Y + 1.792741 * V);
            o[1] = clamp8(Y - 0.213249 * U - 0.532909 * V);
            o[2] = clamp8(Y + 2.112402 * U);
        }
    return rgb;
}

typedef struct log_state {
    int missing; /* libass said a glyph had no font */
    int errors;
} log_state;

static void on_log(void *opaque, int level, const char *msg)
{
    log_state *ls = opaque;
    if (strstr(msg, "failed to find any fallback") || strstr(msg, "Glyph 0x"))
        ls->missing++, fprintf(stderr, "libass: %s\n", msg);
    if (level == CLSUB_LOG_ERROR)
        ls->errors++, fprintf(stderr, "libass error: %s\n", msg);
}

static int compare_golden(const char *dir, const char *name, const uint8_t *rgb)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    if (getenv("CLSUB_REGEN_GOLDEN") && *getenv("CLSUB_REGEN_GOLDEN") == '1') {
        int r = png_write_rgb(path, rgb, W, H);
        fprintf(stderr, "%s: golden written to %s\n", name, path);
        return r;
    }
    int gw = 0, gh = 0;
    uint8_t *gold = png_read_rgb(path, &gw, &gh);
    int ok = 0;
    if (!gold || gw != W || gh != H) {
        fprintf(stderr, "%s: cannot read the golden %s (set CLSUB_REGEN_GOLDEN=1 to create it)\n",
                name, path);
    } else {
        double sum = 0;
        size_t differing = 0;
        for (size_t i = 0; i < (size_t)W * H; i++) {
            int worst = 0;
            for (int c = 0; c < 3; c++) {
                int d = abs((int)rgb[i * 3 + c] - (int)gold[i * 3 + c]);
                sum += d;
                worst = d > worst ? d : worst;
            }
            differing += worst > PIXEL_DIFF;
        }
        double mean = sum / ((double)W * H * 3), frac = (double)differing / ((double)W * H);
        ok = mean <= MAX_MEAN_DIFF && frac <= MAX_DIFF_FRACTION;
        fprintf(stderr, "%s: mean abs diff %.4f (max %.2f), differing pixels %.4f%% (max %.2f%%)%s\n",
                name, mean, MAX_MEAN_DIFF, frac * 100, MAX_DIFF_FRACTION * 100,
                ok ? "" : ": MISMATCH");
    }
    if (!ok) {
        char actual[4096];
        snprintf(actual, sizeof actual, "%s.actual.png", name);
        if (png_write_rgb(actual, rgb, W, H) == 0)
            fprintf(stderr, "%s: rendered frame written to %s\n", name, actual);
    }
    free(gold);
    return ok ? 0 : -1;
}

static clsub_track *parse_srt(const char *text)
{
    char src[1024];
    snprintf(src, sizeof src, "1\n00:00:01,000 --> 00:00:05,000\n%s\n", text);
    clsub_track *t = NULL;
    int r = clsub_parse(src, strlen(src), CLSUB_FORMAT_SRT, &t);
    CHECK_INT(r, 1);
    return t;
}

/* Render one line; returns the picture (caller frees buf) or buf NULL. */
static picture render_line(const char *lang, const char *text, clsub_render_info *info,
                           log_state *ls)
{
    picture p = {0};
    clsub_track *t = parse_srt(text);
    clsub_renderer *r = NULL;
    clsub_render_settings s;
    clsub_render_default_settings(&s);
    s.width = W;
    s.height = H;
    s.lang = lang;
    s.log = on_log;
    s.log_opaque = ls;
    if (!t || picture_alloc(&p) < 0) {
        CHECK(!"setup");
        goto end;
    }
    CHECK_INT(clsub_render_open(&r, t, &s), 0);
    if (!r)
        goto end;
    int n = clsub_render_frame(r, 2000, &p.f, info);
    CHECK(n > 0);
end:
    clsub_render_close(&r);
    clsub_track_free(&t);
    return p;
}

static const struct golden_case {
    const char *name, *lang, *text;
} cases[] = {
    {"arabic", "ar", "بدائل الاحتجاز"},
    {"georgian", "ka", "ალტერნატივები"},
    {"chinese", "zh-Hans", "拘留的替代方案"},
    {"thai", "th", "ทางเลือกแทนการกักตัว"},
    {"greek", "el", "Εναλλακτικές λύσεις"},
};

static void test_goldens(const char *dir)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        log_state ls = {0};
        clsub_render_info info;
        memset(&info, 0, sizeof info);
        picture p = render_line(cases[i].lang, cases[i].text, &info, &ls);
        if (!p.buf)
            continue;
        fprintf(stderr, "%s: bbox %d,%d..%d,%d\n", cases[i].name, info.x0, info.y0, info.x1, info.y1);
        CHECK_INT(ls.missing, 0);
        CHECK_INT(ls.errors, 0);
        /* non-empty, bottom of the frame, horizontally centred, inside the margins */
        CHECK(info.x1 > info.x0 + 100 && info.y1 > info.y0 + 20);
        CHECK(info.y0 > H / 2 && info.y1 <= H - H * 35 / 1000); /* action-safe */
        CHECK(abs((info.x0 + info.x1) / 2 - W / 2) < 12);
        CHECK(info.x0 >= W * 75 / 1000 - 4 && info.x1 <= W - W * 75 / 1000 + 4);
        CHECK_INT(info.changed, 2);
        uint8_t *rgb = picture_rgb(&p);
        CHECK(rgb != NULL);
        if (rgb)
            CHECK_INT(compare_golden(dir, cases[i].name, rgb), 0);
        free(rgb);
        free(p.buf);
    }
}

/* The first logical character of an Arabic line must be drawn on the right:
 * colour it red with a hand-authored ASS script and find the red pixels. */
static void test_rtl_order(void)
{
    static const char ass[] =
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 1280\nPlayResY: 720\n\n"
        "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
        "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, "
        "Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, "
        "Encoding\nStyle: Default,Noto Sans Arabic,96,&H00FFFFFF,&H000000FF,&H00000000,"
        "&H00000000,0,0,0,0,100,100,0,0,1,0,0,2,20,20,40,-1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:00.00,0:00:05.00,Default,,0,0,0,,{\\c&H0000FF&}ب{\\c&HFFFFFF&}دائل الاحتجاز\n";
    picture p = {0};
    clsub_renderer *r = NULL;
    clsub_render_settings s;
    clsub_render_default_settings(&s);
    s.width = W;
    s.height = H;
    s.lang = "ar";
    s.unicode_features = 1;
    if (picture_alloc(&p) < 0)
        return;
    CHECK_INT(clsub_render_open_ass(&r, ass, sizeof ass - 1, &s), 0);
    clsub_render_info info;
    memset(&info, 0, sizeof info);
    CHECK(r && clsub_render_frame(r, 1000, &p.f, &info) > 0);
    long red_x = 0, red_n = 0;
    for (int y = 0; y < H / 2; y++)
        for (int x = 0; x < W / 2; x++)
            if (p.f.data[2][y * p.f.linesize[2] + x] > 128 + 32)
                red_x += 2 * x, red_n++;
    CHECK(red_n > 20);
    if (red_n > 20) {
        long mean_x = red_x / red_n;
        fprintf(stderr, "rtl: text %d..%d, first letter at x=%ld\n", info.x0, info.x1, mean_x);
        CHECK(mean_x > info.x1 - (info.x1 - info.x0) / 5);
    }
    if (getenv("CLSUB_REGEN_GOLDEN")) { /* for a human look, not compared */
        uint8_t *rgb = picture_rgb(&p);
        if (rgb && png_write_rgb("rtl.actual.png", rgb, W, H) == 0)
            fprintf(stderr, "rtl: frame written to rtl.actual.png\n");
        free(rgb);
    }
    clsub_render_close(&r);
    free(p.buf);
}

static void test_changes_and_empty(void)
{
    clsub_track *t = parse_srt("Hello <b>world</b>");
    picture p = {0};
    clsub_renderer *r = NULL;
    clsub_render_settings s;
    clsub_render_default_settings(&s);
    s.width = W;
    s.height = H;
    if (!t || picture_alloc(&p) < 0)
        goto end;
    CHECK_INT(clsub_render_open(&r, t, &s), 0);
    if (!r)
        goto end;
    clsub_render_info info;
    CHECK_INT(clsub_render_peek(r, 500, &info), 0); /* before the cue */
    CHECK_INT(info.n_images, 0);
    CHECK_INT(clsub_render_frame(r, 500, &p.f, &info), 0);
    size_t touched = 0;
    for (size_t i = 0; i < (size_t)W * H; i++)
        touched += p.buf[i] != GREY_Y;
    CHECK_INT(touched, 0);
    CHECK(clsub_render_frame(r, 1500, &p.f, &info) > 0);
    CHECK_INT(info.changed, 2);
    CHECK(clsub_render_peek(r, 1600, &info) > 0);
    CHECK_INT(info.changed, 0);
    CHECK_INT(clsub_render_peek(r, 5000, &info), 0); /* end is exclusive */
    CHECK(info.changed != 0);
    p.f.width = W / 2; /* wrong size */
    CHECK_INT(clsub_render_frame(r, 1500, &p.f, &info), CLSUB_ERR_INVAL);
end:
    clsub_render_close(&r);
    clsub_render_close(&r); /* NULL-safe */
    clsub_track_free(&t);
    free(p.buf);
}

static void test_markup(void)
{
    const char *vtt = "WEBVTT\n\n00:01.000 --> 00:02.000 line:0 align:left\n"
                      "<v Anna><b>bold</b> <i>it</i> <u>u</u> <c.red>c</c> {\\an8} a\\N b &amp; &lt;\n"
                      "second\n";
    clsub_track *t = NULL;
    CHECK_INT(clsub_parse(vtt, strlen(vtt), CLSUB_FORMAT_UNKNOWN, &t), 1);
    clsub_render_settings s;
    clsub_render_default_settings(&s);
    s.width = 1920;
    s.height = 1080;
    s.lang = "fr";
    char *ass = NULL;
    CHECK_INT(clsub_track_to_ass(t, &s, &ass), 0);
    if (ass) {
        CHECK(strstr(ass, "PlayResX: 1920\nPlayResY: 1080\n") != NULL);
        CHECK(strstr(ass, "Style: Default,Noto Sans,64.8,") != NULL);
        CHECK(strstr(ass, ",-1\n") != NULL);
        CHECK(strstr(ass, "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\an7}"
                          "{\\b1}bold{\\b0} {\\i1}it{\\i0} {\\u1}u{\\u0} c \\{\\\xE2\x81\xA0"
                          "an8\\} a\\\xE2\x81\xA0N b & <\\Nsecond\n") != NULL);
        if (!strstr(ass, "{\\an7}"))
            fprintf(stderr, "%s", ass);
    }
    free(ass);
    CHECK_INT(clsub_track_to_ass(t, NULL, &ass), CLSUB_ERR_INVAL);
    CHECK(ass == NULL);
    clsub_track_free(&t);

    const char *srt = "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<font color=\"red\">top</font>\n";
    CHECK_INT(clsub_parse(srt, strlen(srt), CLSUB_FORMAT_SRT, &t), 1);
    s.lang = "ar";
    CHECK_INT(clsub_track_to_ass(t, &s, &ass), 0);
    if (ass) {
        CHECK(strstr(ass, "Style: Default,Noto Sans Arabic,") != NULL);
        CHECK(strstr(ass, ",,{\\an8}top\n") != NULL);
    }
    free(ass);
    clsub_track_free(&t);
}

static void test_misc(void)
{
    const char *v = clsub_libass_version();
    CHECK(v && v[0] == '0' && v[1] == '.');
    fprintf(stderr, "libass %s\n", v);
    CHECK_STR(clsub_default_font_family("ar"), "Noto Sans Arabic");
    CHECK_STR(clsub_default_font_family("ka"), "Noto Sans Georgian");
    CHECK_STR(clsub_default_font_family("zh-Hant"), "Noto Sans CJK TC");
    CHECK_STR(clsub_default_font_family("zh-TW"), "Noto Sans CJK TC");
    CHECK_STR(clsub_default_font_family("zh"), "Noto Sans CJK SC");
    CHECK_STR(clsub_default_font_family("ja"), "Noto Sans CJK JP");
    CHECK_STR(clsub_default_font_family("ko-KR"), "Noto Sans CJK KR");
    CHECK_STR(clsub_default_font_family("th"), "Noto Sans Thai");
    CHECK_STR(clsub_default_font_family("el"), "Noto Sans");
    CHECK_STR(clsub_default_font_family("sr-Cyrl"), "Noto Sans");
    CHECK_STR(clsub_default_font_family("az-Arab"), "Noto Sans Arabic");
    CHECK_STR(clsub_default_font_family("he"), "Noto Sans Hebrew");
    CHECK_STR(clsub_default_font_family("hi"), "Noto Sans Devanagari");
    CHECK_STR(clsub_default_font_family(NULL), "Noto Sans");
    clsub_renderer *r = NULL;
    clsub_render_settings s;
    clsub_render_default_settings(&s);
    CHECK_INT(clsub_render_open_ass(&r, "x", 1, &s), CLSUB_ERR_INVAL); /* no size */
    CHECK(r == NULL);
}

/* The job's "box" style: the text sits on a translucent dark box, so many
 * more pixels around the line are darkened than with the outline alone. */
static void test_box(void)
{
    size_t changed[2] = { 0, 0 };
    for (int box = 0; box < 2; box++) {
        picture p = {0};
        clsub_track *t = parse_srt("A short line");
        clsub_renderer *r = NULL;
        clsub_render_settings s;
        clsub_render_default_settings(&s);
        s.width = W;
        s.height = H;
        s.lang = "en";
        s.box = box;
        clsub_render_info info;
        if (t && picture_alloc(&p) == 0 && clsub_render_open(&r, t, &s) == 0 &&
            clsub_render_frame(r, 2000, &p.f, &info) > 0) {
            for (size_t i = 0; i < (size_t)W * H; i++)
                changed[box] += p.buf[i] < GREY_Y - 20;
        }
        clsub_render_close(&r);
        clsub_track_free(&t);
        free(p.buf);
    }
    CHECK(changed[0] > 0);
    CHECK(changed[1] > 3 * changed[0]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
        return 2;
    }
    test_misc();
    test_box();
    test_markup();
    test_changes_and_empty();
    test_rtl_order();
    test_goldens(argv[1]);
    return th_finish("render");
}
