/* ASS/SSA into the cue model (through libass): times, text without override
 * tags, spans, line breaks, drawings left out, every event accounted for. */
#include "clsub.h"
#include "harness.h"

static const char ass[] =
    "\xEF\xBB\xBF[Script Info]\r\n"
    "ScriptType: v4.00+\r\n"
    "PlayResX: 1280\r\n"
    "PlayResY: 720\r\n"
    "\r\n"
    "[V4+ Styles]\r\n"
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    "MarginR, MarginV, Encoding\r\n"
    "Style: Default,Noto Sans,40,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,20,20,30,1\r\n"
    "\r\n"
    "[Events]\r\n"
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\r\n"
    "Dialogue: 0,0:00:04.00,0:00:05.50,Default,,0,0,0,,Second {\\i1}in time{\\i0}, first in the file\r\n" /* line 12 */
    "Comment: 0,0:00:00.00,0:00:09.00,Default,,0,0,0,,a comment is not an event\r\n"
    "Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\an8\\fs30}Top line\\Nsecond\\hline\r\n" /* line 14 */
    "Dialogue: 0,0:00:03.00,0:00:02.00,Default,,0,0,0,,ends before it starts\r\n"         /* line 15 */
    "Dialogue: 0,0:00:06.00,0:00:07.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100{\\p0}\r\n" /* line 16 */
    "Dialogue: 0,0:00:08.00,0:00:09.25,Default,,0,0,0,,{\\b1}بدائل الاحتجاز\r\n";           /* line 17 */

int main(void)
{
    clsub_track *t = NULL;
    CHECK_INT(clsub_sniff_format(ass, sizeof(ass) - 1), CLSUB_FORMAT_ASS);
    int n = clsub_parse(ass, sizeof(ass) - 1, CLSUB_FORMAT_UNKNOWN, &t);
    CHECK_INT(n, 3);
    CHECK(t != NULL);
    if (!t)
        return th_finish("test_ass");
    CHECK_INT(t->cues_read, 5);
    CHECK_INT(t->cues_kept, 3);
    CHECK_INT(t->cues_dropped, 2);
    if (t->n_cues == 3) {
        CHECK_INT(t->cues[0].start_ms, 1000); /* sorted by start */
        CHECK_INT(t->cues[0].end_ms, 2500);
        CHECK_STR(t->cues[0].text, "Top line\nsecond\xC2\xA0line");
        CHECK_INT(t->cues[0].line, 14);
        CHECK_INT(t->cues[1].start_ms, 4000);
        CHECK_STR(t->cues[1].text, "Second <i>in time</i>, first in the file");
        CHECK_INT(t->cues[1].line, 12);
        CHECK_INT(t->cues[2].end_ms, 9250);
        CHECK_STR(t->cues[2].text, "<b>بدائل الاحتجاز</b>");
        char *plain = NULL;
        CHECK_INT(clsub_cue_plain_text(&t->cues[1], &plain), 0);
        CHECK_STR(plain, "Second in time, first in the file");
        free(plain);
    }
    int timing = 0, drawing = 0;
    for (size_t i = 0; i < t->n_diags; i++) {
        timing |= !strcmp(t->diags[i].code, "ass-bad-timing") && t->diags[i].line == 15;
        drawing |= !strcmp(t->diags[i].code, "ass-no-text") && t->diags[i].line == 16;
    }
    CHECK(timing);
    CHECK(drawing);
    /* into WebVTT: spans kept, times as they were */
    char *vtt = NULL;
    size_t len = 0;
    CHECK_INT(clsub_write_vtt(t, &vtt, &len), 0);
    CHECK(vtt && strstr(vtt, "00:00:04.000 --> 00:00:05.500\nSecond <i>in time</i>, first in the file\n"));
    free(vtt);
    clsub_track_free(&t);
    /* a header and nothing else: libass cannot read it, and the track says so */
    CHECK_INT(clsub_parse_ass("[Script Info]\nno events here\n", 29, &t), CLSUB_ERR_INVALIDDATA);
    CHECK(t && t->n_diags >= 1 && !strcmp(t->diags[t->n_diags - 1].code, "ass-unreadable"));
    clsub_track_free(&t);
    return th_finish("test_ass");
}
