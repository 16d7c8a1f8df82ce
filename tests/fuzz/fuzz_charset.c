/*
 * fuzz_charset.c: the charset decoder. The first byte chooses the language
 * tag and whether an encoding is named; the rest are the file's bytes. Any
 * success must give valid UTF-8 of the length it claims.
 */
#include <clsub.h>

#include "fuzz.h"

static const char *const langs[] = { NULL, "en", "ar", "fa", "he", "ka", "ru", "bg", "el", "pl",
                                     "zh", "zh-Hant", "ja", "ko", "th", "tr", "vi", "uk", "x" };
static const char *const encodings[] = { NULL, "UTF-8", "UTF-16LE", "UTF-16BE", "CP1256", "CP1251",
                                         "ISO-8859-7", "GB18030", "BIG5", "CP874", "no-such" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *lang = langs[data[0] % (sizeof(langs) / sizeof(*langs))];
    const char *enc = encodings[(data[0] / 19) % (sizeof(encodings) / sizeof(*encodings))];
    clsub_text *t = NULL;
    char err[256];
    int ret = clsub_decode(data + 1, size - 1, lang, enc, &t, err, sizeof(err));
    if (ret == 0) {
        FUZZ_CHECK(t != NULL && t->utf8 != NULL);
        FUZZ_CHECK(strlen(t->utf8) <= t->len);
        FUZZ_CHECK(clsub_utf8_valid(t->utf8, t->len, NULL) == 1);
    } else {
        FUZZ_CHECK(t == NULL);
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
    }
    clsub_text_free(&t);
    return 0;
}
