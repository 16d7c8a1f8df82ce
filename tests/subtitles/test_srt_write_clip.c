/* SRT parsing cases, writer round trips (parse -> write -> parse gives the same
 * cues) and clip/retime cases. */
#include "clsub.h"
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static clsub_track *parse(const char *s, clsub_format f, int *ret)
{
    clsub_track *t = NULL;
    *ret = clsub_parse(s, strlen(s), f, &t);
    return t;
}

static int has_diag(const clsub_track *t, const char *code, int line)
{
    for (size_t i = 0; t && i < t->n_diags; i++)
        if (!strcmp(t->diags[i].code, code) && (line < 0 || t->diags[i].line == line))
            return 1;
    return 0;
}

static void test_srt_tolerance(void)
{
    const char *src =
        "\xEF\xBB\xBF" "1\r\n00:00:01,000 --> 00:00:02,500  \r\nHello  \r\nworld\r\n\r\n\r\n\r\n"
        "00:00:03.5 --> 00:00:04.25 X1:10 X2:20 Y1:5 Y2:6\r\n<i>No index</i>\r\n\r\n"
        "abc\r\n00:00:05,000 --> 00:00:06,000\r\nOdd index\r\n\r\n"
        "4\r\n00:00:07,000 -> 00:00:08,000\r\nBad arrow\r\n\r\n"
        "5\r\n\r\n"
        "6\r\n1:02:03,004 --> 1:02:04,005\r\nHours\r\n";
    int r;
    clsub_track *t = parse(src, CLSUB_FORMAT_UNKNOWN, &r);
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_INT(t->format, CLSUB_FORMAT_SRT);
    CHECK_INT(r, 4);
    CHECK_INT(t->cues_read, 6);
    CHECK_INT(t->cues_kept, 4);
    CHECK_INT(t->cues_dropped, 2);
    if (t->n_cues == 4) {
        CHECK_STR(t->cues[0].id, "1");
        CHECK_STR(t->cues[0].text, "Hello\nworld");
        CHECK_INT(t->cues[0].start_ms, 1000);
        CHECK_INT(t->cues[0].end_ms, 2500);
        CHECK_INT(t->cues[0].line, 2);
        CHECK_STR(t->cues[1].id, "");
        CHECK_INT(t->cues[1].start_ms, 3500);
        CHECK_INT(t->cues[1].end_ms, 4250);
        CHECK_STR(t->cues[1].text, "<i>No index</i>");
        CHECK_STR(t->cues[2].id, "abc");
        CHECK_INT(t->cues[3].start_ms, 3723004);
        char *plain = NULL;
        CHECK_INT(clsub_cue_plain_text(&t->cues[1], &plain), 0);
        CHECK_STR(plain, "No index");
        free(plain);
    }
    CHECK(has_diag(t, "srt-coordinates-ignored", 8));
    CHECK(has_diag(t, "srt-no-index", 8));
    CHECK(has_diag(t, "srt-odd-index", 11));
    CHECK(has_diag(t, "srt-bad-timing", 16));
    CHECK(has_diag(t, "srt-no-timing", 19));
    clsub_track_free(&t);
    clsub_track_free(&t); /* NULLed: second free is a no-op */
    CHECK(t == NULL);
}

static void test_srt_bad(void)
{
    int r;
    clsub_track *t = parse("just some text\nwithout timings\n", CLSUB_FORMAT_SRT, &r);
    CHECK_INT(r, CLSUB_ERR_INVALIDDATA);
    CHECK(t && t->n_diags > 0 && t->n_cues == 0);
    clsub_track_free(&t);
    t = parse("1\n00:00:01,000 --> 00:61:02,000\nbad minutes\n", CLSUB_FORMAT_SRT, &r);
    CHECK_INT(r, 0);
    CHECK(t && t->cues_dropped == 1 && has_diag(t, "srt-bad-timing", 2));
    clsub_track_free(&t);
    /* a line over the cap */
    size_t n = CLSUB_MAX_LINE_BYTES + 100;
    char *big = malloc(n + 1);
    CHECK(big != NULL);
    if (big) {
        memset(big, 'a', n);
        big[n] = '\0';
        memcpy(big, "1\n00:00:01,000 --> 00:00:02,000\n", 32);
        t = parse(big, CLSUB_FORMAT_SRT, &r);
        CHECK_INT(r, CLSUB_ERR_TOOBIG);
        CHECK(has_diag(t, "line-too-long", 3));
        clsub_track_free(&t);
        free(big);
    }
    CHECK_INT(clsub_parse_srt(NULL, 5, &t), CLSUB_ERR_INVAL);
}

/* settings: also compare the cue settings (not kept by SRT). */
static int same_cues(const clsub_track *a, const clsub_track *b, int settings)
{
    if (a->n_cues != b->n_cues)
        return 0;
    for (size_t i = 0; i < a->n_cues; i++) {
        const clsub_cue *x = &a->cues[i], *y = &b->cues[i];
        const clsub_cue_settings *s = &x->settings, *u = &y->settings;
        if (x->start_ms != y->start_ms || x->end_ms != y->end_ms || strcmp(x->text, y->text)) {
            fprintf(stderr, "cue %zu differs: \"%s\" vs \"%s\"\n", i, x->text, y->text);
            return 0;
        }
        if (settings && (s->vertical != u->vertical || s->line_auto != u->line_auto || s->line != u->line ||
            s->snap_to_lines != u->snap_to_lines || s->line_align != u->line_align ||
            s->position_auto != u->position_auto || s->position != u->position ||
            s->position_align != u->position_align || s->size != u->size || s->align != u->align ||
            (s->region == NULL) != (u->region == NULL) || (s->region && strcmp(s->region, u->region)))) {
            fprintf(stderr, "cue %zu settings differ\n", i);
            return 0;
        }
        if (a->format == b->format && strcmp(x->id, y->id) && !strstr(x->id, "-->"))
            return 0;
    }
    return 1;
}

static int roundtrip(const clsub_track *t, clsub_format f)
{
    char *out = NULL;
    size_t len = 0;
    int r = f == CLSUB_FORMAT_VTT ? clsub_write_vtt(t, &out, &len) : clsub_write_srt(t, &out, &len);
    if (r < 0)
        return 0;
    clsub_track *u = NULL;
    r = clsub_parse(out, len, f, &u);
    int ok = (r >= 0 || (t->n_cues == 0 && u)) && u && same_cues(t, u, f == CLSUB_FORMAT_VTT) &&
             u->cues_dropped == 0 && u->n_regions == (f == CLSUB_FORMAT_VTT ? t->n_regions : 0);
    if (!ok)
        fprintf(stderr, "round trip failed (%s):\n%.2000s\n", clsub_format_name(f), out);
    clsub_track_free(&u);
    free(out);
    return ok;
}

/* Every ableplayer file and vtt.js integration/regions file survives a VTT round trip. */
static void test_roundtrip_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".vtt"))
            continue;
        char path[8192];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data = th_read_file(path, &len);
        clsub_track *t = NULL;
        if (data && clsub_parse_vtt(data, len, &t) > 0) {
            int ok = roundtrip(t, CLSUB_FORMAT_VTT);
            if (!ok)
                fprintf(stderr, "VTT round trip failed for %s\n", path);
            CHECK(ok);
            (*count)++;
        }
        clsub_track_free(&t);
        free(data);
    }
    closedir(d);
}

static void test_writers(const char *root)
{
    int r;
    clsub_track *t = parse("1\n00:00:01,000 --> 00:00:02,000\nAT&T <i>rocks</i> x<y & 3 > 2 -->\n\n"
                           "2\n00:01:00,000 --> 01:00:00,001\nline1\nline2\n", CLSUB_FORMAT_SRT, &r);
    CHECK_INT(r, 2);
    CHECK(t && roundtrip(t, CLSUB_FORMAT_SRT));
    char *vtt = NULL;
    CHECK(t && clsub_write_vtt(t, &vtt, NULL) == 0);
    CHECK(vtt && strstr(vtt, "AT&amp;T <i>rocks</i> x&lt;y &amp; 3 &gt; 2 --&gt;"));
    CHECK(vtt && strstr(vtt, "00:01:00.000 --> 01:00:00.001\nline1\nline2"));
    clsub_track *u = NULL;
    CHECK(vtt && clsub_parse_vtt(vtt, strlen(vtt), &u) == 2);
    if (u && u->n_cues == 2) {
        char *plain = NULL;
        CHECK_INT(clsub_cue_plain_text(&u->cues[0], &plain), 0);
        CHECK_STR(plain, "AT&T rocks x<y & 3 > 2 -->");
        free(plain);
    }
    clsub_track_free(&u);
    free(vtt);
    clsub_track_free(&t);

    t = parse("WEBVTT\n\nREGION\nid:r1 width:40% lines:2 regionanchor:10%,90% scroll:up\n\n"
              "STYLE\n::cue { color: red }\n\n"
              "c1\n00:01.000 --> 00:02.000 region:r1 align:start line:-2 position:30%,line-left "
              "size:50% bogus:1\n<v Bob>Hi &amp; bye\n", CLSUB_FORMAT_UNKNOWN, &r);
    CHECK_INT(r, 1);
    CHECK(t && t->n_regions == 1 && t->n_styles == 1);
    CHECK(has_diag(t, "vtt-setting-ignored", 10));
    if (t && t->n_cues == 1) {
        CHECK_STR(t->cues[0].settings.raw,
                  "region:r1 align:start line:-2 position:30%,line-left size:50% bogus:1");
        CHECK_STR(t->cues[0].settings.region, "r1");
    }
    CHECK(t && roundtrip(t, CLSUB_FORMAT_VTT));
    CHECK(t && roundtrip(t, CLSUB_FORMAT_SRT));
    clsub_track_free(&t);

    char dir[4096];
    int count = 0;
    snprintf(dir, sizeof dir, "%s/ableplayer", root);
    test_roundtrip_dir(dir, &count);
    snprintf(dir, sizeof dir, "%s/vtt.js/tests/integration", root);
    test_roundtrip_dir(dir, &count);
    printf("writer: %d files round-tripped through WebVTT\n", count);
    CHECK(count >= 50);
}

static void test_clip(void)
{
    int r;
    clsub_track *t = parse("1\n00:00:01,000 --> 00:00:03,000\nbefore\n\n"
                           "2\n00:00:04,000 --> 00:00:06,000\ncrosses in\n\n"
                           "3\n00:00:06,000 --> 00:00:07,000\ninside\n\n"
                           "4\n00:00:09,000 --> 00:00:12,000\ncrosses out\n\n"
                           "5\n00:00:10,000 --> 00:00:11,000\nafter\n\n"
                           "6\n00:00:04,000 --> 00:00:12,000\nspans\n", CLSUB_FORMAT_SRT, &r);
    CHECK_INT(r, 6);
    clsub_clip_stats st;
    CHECK_INT(clsub_track_clip(t, 5000, 10000, &st), 4);
    CHECK_INT(st.kept, 4);
    CHECK_INT(st.dropped_before, 1);
    CHECK_INT(st.dropped_after, 1);
    CHECK_INT(st.clipped, 3);
    CHECK_INT(st.first_ms, 0);
    CHECK_INT(st.last_ms, 5000);
    if (t && t->n_cues == 4) {
        CHECK_STR(t->cues[0].text, "crosses in");
        CHECK_INT(t->cues[0].start_ms, 0);
        CHECK_INT(t->cues[0].end_ms, 1000);
        CHECK_INT(t->cues[1].start_ms, 1000);
        CHECK_INT(t->cues[1].end_ms, 2000);
        CHECK_INT(t->cues[2].start_ms, 4000);
        CHECK_INT(t->cues[2].end_ms, 5000);
        CHECK_STR(t->cues[3].text, "spans");
        CHECK_INT(t->cues[3].end_ms, 5000);
    }
    CHECK_INT(clsub_track_clip(t, 10, 10, &st), CLSUB_ERR_INVAL);
    CHECK_INT(clsub_track_clip(t, 100000, 200000, &st), 0);
    CHECK_INT(st.first_ms, -1);
    CHECK_INT(st.dropped_before, 4);
    clsub_track_free(&t);
    t = parse("1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:05,000 --> 00:00:06,000\nb\n",
              CLSUB_FORMAT_SRT, &r);
    CHECK_INT(clsub_track_shift(t, -2000), 2);
    CHECK(t && t->cues[0].start_ms == 0 && t->cues[0].end_ms == 1000 && t->cues[1].start_ms == 3000);
    CHECK_INT(clsub_track_shift(t, -3500), 1);
    clsub_track_free(&t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TESTDATA/subtitles\n", argv[0]);
        return 2;
    }
    test_srt_tolerance();
    test_srt_bad();
    test_writers(argv[1]);
    test_clip();
    return th_finish("srt_write_clip");
}
