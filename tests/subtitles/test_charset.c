/* Charset decoding: SRT files generated at test time with iconv in legacy and
 * UTF-16 encodings must decode back to the same UTF-8, naming the encoding and
 * the path that decided it. Invalid UTF-8 without a language is a clear error. */
#include "clsub.h"
#include "harness.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Encode UTF-8 text into `to`, optionally prefixed by a BOM. */
static char *encode(const char *utf8, const char *to, const char *bom, size_t bom_len, size_t *len)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1)
        return NULL;
    size_t in_left = strlen(utf8), cap = in_left * 4 + 16 + bom_len;
    char *out = malloc(cap);
    if (!out) {
        iconv_close(cd);
        return NULL;
    }
    memcpy(out, bom, bom_len);
    char *ip = (char *)utf8, *op = out + bom_len;
    size_t out_left = cap - bom_len;
    size_t rc = iconv(cd, &ip, &in_left, &op, &out_left);
    iconv_close(cd);
    if (rc == (size_t)-1) {
        free(out);
        return NULL;
    }
    *len = (size_t)(op - out);
    return out;
}

static void check_case(const char *name, const char *text, const char *to, const char *bom,
                       size_t bom_len, const char *lang, const char *want_enc,
                       clsub_charset_path want_path)
{
    char srt[1024];
    snprintf(srt, sizeof srt, "1\r\n00:00:01,000 --> 00:00:02,000\r\n%s\r\n", text);
    size_t len = 0;
    char *bytes = encode(srt, to, bom, bom_len, &len);
    CHECK(bytes != NULL);
    if (!bytes)
        return;
    clsub_text *txt = NULL;
    char err[256];
    int r = clsub_decode(bytes, len, lang, NULL, &txt, err, sizeof err);
    if (r < 0)
        fprintf(stderr, "%s: %s\n", name, err);
    CHECK_INT(r, 0);
    if (txt) {
        CHECK_STR(txt->utf8, srt);
        CHECK_INT(txt->len, strlen(srt));
        CHECK_STR(txt->encoding, want_enc);
        CHECK_INT(txt->path, want_path);
        clsub_track *t = NULL;
        CHECK_INT(clsub_parse(txt->utf8, txt->len, CLSUB_FORMAT_UNKNOWN, &t), 1);
        if (t && t->n_cues == 1)
            CHECK_STR(t->cues[0].text, text);
        clsub_track_free(&t);
    }
    printf("%-12s %-10s -> %s via %s\n", name, to, txt ? txt->encoding : "-",
           txt ? clsub_charset_path_name(txt->path) : "-");
    clsub_text_free(&txt);
    free(bytes);
}

static void test_broken_utf8(void)
{
    /* "Hi" then CP1256 bytes for Arabic text: invalid as UTF-8 on line 3 */
    const char bytes[] = "1\n00:00:01,000 --> 00:00:02,000\nHi \xE3\xD1\xCD\xC8\xC7\n";
    size_t len = sizeof bytes - 1;
    clsub_text *txt = NULL;
    char err[256] = "";
    int r = clsub_decode(bytes, len, NULL, NULL, &txt, err, sizeof err);
    CHECK_INT(r, CLSUB_ERR_CHARSET);
    CHECK(txt == NULL);
    CHECK(strstr(err, "byte offset 35") != NULL);
    CHECK(strstr(err, "line 3") != NULL);
    fprintf(stderr, "expected error: %s\n", err);
    r = clsub_decode(bytes, len, "ar", NULL, &txt, err, sizeof err);
    CHECK_INT(r, 0);
    if (txt) {
        CHECK_STR(txt->encoding, "CP1256");
        CHECK_INT(txt->path, CLSUB_CHARSET_LANGUAGE);
        CHECK(strstr(txt->utf8, "Hi \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7") != NULL);
    }
    clsub_text_free(&txt);
    /* explicit encoding always wins, even over valid UTF-8 */
    r = clsub_decode("caf\xC3\xA9", 5, "fr", "CP1252", &txt, err, sizeof err);
    CHECK_INT(r, 0);
    if (txt) {
        CHECK_STR(txt->utf8, "caf\xC3\x83\xC2\xA9");
        CHECK_INT(txt->path, CLSUB_CHARSET_EXPLICIT);
    }
    clsub_text_free(&txt);
    CHECK_INT(clsub_decode("x", 1, NULL, "NO-SUCH-ENCODING", &txt, err, sizeof err),
              CLSUB_ERR_UNSUPPORTED);
    /* strict UTF-8: overlong, surrogate, > U+10FFFF, truncated */
    size_t off = 99;
    CHECK(!clsub_utf8_valid("a\xC0\xAF", 3, &off) && off == 1);
    CHECK(!clsub_utf8_valid("\xED\xA0\x80", 3, &off) && off == 0);
    CHECK(!clsub_utf8_valid("ab\xF4\x90\x80\x80", 6, &off) && off == 2);
    CHECK(!clsub_utf8_valid("\xE2\x82", 2, &off));
    CHECK(clsub_utf8_valid("\xF0\x9F\x98\x80 \xE2\x82\xAC", 8, &off));
    r = clsub_decode("plain ascii", 11, NULL, NULL, &txt, err, sizeof err);
    CHECK(r == 0 && txt && txt->path == CLSUB_CHARSET_UTF8 && !strcmp(txt->encoding, "UTF-8"));
    clsub_text_free(&txt);
    clsub_text_free(&txt);
    CHECK_STR(clsub_language_encoding("zh-Hans"), "GB18030");
    CHECK_STR(clsub_language_encoding("pt-BR"), "CP1252");
    CHECK_STR(clsub_language_encoding("TH"), "CP874");
}

int main(void)
{
    check_case("arabic", "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd9\x83\xd9\x85",
               "CP1256", "", 0, "ar", "CP1256", CLSUB_CHARSET_LANGUAGE);
    check_case("bulgarian", "\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd0\xb5\xd0\xb9\xd1\x82\xd0\xb5",
               "CP1251", "", 0, "bg", "CP1251", CLSUB_CHARSET_LANGUAGE);
    check_case("utf16le-bom", "Caf\xc3\xa9 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xf0\x9f\x98\x80",
               "UTF-16LE", "\xFF\xFE", 2, NULL, "UTF-16LE", CLSUB_CHARSET_BOM);
    check_case("utf16be-bom", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd0\x97",
               "UTF-16BE", "\xFE\xFF", 2, "ja", "UTF-16BE", CLSUB_CHARSET_BOM);
    check_case("chinese", "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c",
               "GB18030", "", 0, "zh-Hans", "GB18030", CLSUB_CHARSET_LANGUAGE);
    check_case("utf32le-bom", "\xc3\xa9t\xc3\xa9", "UTF-32LE", "\xFF\xFE\x00\x00", 4, NULL,
               "UTF-32LE", CLSUB_CHARSET_BOM);
    check_case("utf8", "\xc3\xa9t\xc3\xa9", "UTF-8", "", 0, "ar", "UTF-8", CLSUB_CHARSET_UTF8);
    test_broken_utf8();
    return th_finish("charset");
}
