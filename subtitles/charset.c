/* Charset decoding: bytes + optional language + optional encoding -> UTF-8.
 * Order: explicit encoding, BOM, strict UTF-8, per-language legacy codepage.
 * Never guesses: invalid UTF-8 without a language is an error. */
#include "clsub_internal.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *clsub_charset_path_name(clsub_charset_path p)
{
    switch (p) {
    case CLSUB_CHARSET_BOM: return "bom";
    case CLSUB_CHARSET_UTF8: return "utf-8";
    case CLSUB_CHARSET_LANGUAGE: return "language-fallback";
    default: return "explicit";
    }
}

int clsub_utf8_valid(const char *str, size_t len, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1; cp = c & 0x1F; min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2; cp = c & 0x0F; min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3; cp = c & 0x07; min = 0x10000;
        } else {
            goto bad;
        }
        if (len - i <= n)
            goto bad;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += n + 1;
    }
    return 1;
bad:
    if (bad_offset)
        *bad_offset = i;
    return 0;
}

const char *clsub_language_encoding(const char *lang)
{
    static const struct { const char *lang; const char *enc; } tab[] = {
        {"ar", "CP1256"}, {"fa", "CP1256"}, {"ur", "CP1256"},
        {"ru", "CP1251"}, {"bg", "CP1251"}, {"uk", "CP1251"}, {"mk", "CP1251"},
        {"sr", "CP1251"}, {"be", "CP1251"},
        {"pl", "CP1250"}, {"cs", "CP1250"}, {"sk", "CP1250"}, {"hu", "CP1250"},
        {"ro", "CP1250"}, {"hr", "CP1250"}, {"sl", "CP1250"},
        {"el", "CP1253"}, {"he", "CP1255"}, {"iw", "CP1255"}, {"tr", "CP1254"},
        {"zh", "GB18030"}, {"ja", "SHIFT_JIS"}, {"ko", "CP949"}, {"th", "CP874"},
        {"vi", "CP1258"},
    };
    char primary[9] = {0};
    size_t n = 0;
    if (!lang)
        return "CP1252";
    while (lang[n] && lang[n] != '-' && lang[n] != '_' && n < sizeof primary - 1) {
        primary[n] = (char)tolower((unsigned char)lang[n]);
        n++;
    }
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(primary, tab[i].lang))
            return tab[i].enc;
    return "CP1252";
}

/* Convert with iconv. On invalid input, *bad is the input offset. */
static int convert(const char *in, size_t len, const char *from, char **out, size_t *out_len,
                   size_t *bad)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return CLSUB_ERR_UNSUPPORTED;
    size_t cap = len * 2 + 16, used = 0;
    char *buf = malloc(cap);
    char *ip = (char *)in;
    size_t ileft = len;
    int r = 0, flushing = 0;
    while (buf) {
        char *op = buf + used;
        size_t oleft = cap - used - 1;
        size_t rc = flushing ? iconv(cd, NULL, NULL, &op, &oleft)
                             : iconv(cd, &ip, &ileft, &op, &oleft);
        used = (size_t)(op - buf);
        if (rc != (size_t)-1) {
            if (flushing)
                break;
            flushing = ileft == 0;
            continue;
        }
        if (errno != E2BIG) { /* EILSEQ, or EINVAL: truncated sequence at the end */
            *bad = (size_t)(ip - in);
            r = CLSUB_ERR_CHARSET;
            break;
        }
        if (cap > CLSUB_MAX_INPUT_BYTES * 4 + 64) {
            r = CLSUB_ERR_TOOBIG;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    iconv_close(cd);
    if (!buf)
        return CLSUB_ERR_NOMEM;
    if (r < 0) {
        free(buf);
        return r;
    }
    buf[used] = '\0';
    *out = buf;
    *out_len = used;
    return 0;
}

static int line_of(const char *s, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        line += s[i] == '\n';
    return line;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Which encoding a BOM names, and its length; NULL when there is none. */
static const char *bom_encoding(const unsigned char *b, size_t len, size_t *bom_len)
{
    if (len >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0) {
        *bom_len = 4;
        return "UTF-32LE";
    }
    if (len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF) {
        *bom_len = 4;
        return "UTF-32BE";
    }
    if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        *bom_len = 3;
        return "UTF-8";
    }
    if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
        *bom_len = 2;
        return "UTF-16LE";
    }
    if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF) {
        *bom_len = 2;
        return "UTF-16BE";
    }
    return NULL;
}

int clsub_decode(const void *bytes, size_t len, const char *lang, const char *encoding,
                 clsub_text **out, char *err, size_t errlen)
{
    if (!out || (!bytes && len))
        return CLSUB_ERR_INVAL;
    *out = NULL;
    set_err(err, errlen, "%s", "");
    if (len > CLSUB_MAX_INPUT_BYTES) {
        set_err(err, errlen, "file too big: %zu bytes; the limit is 16 MiB", len);
        return CLSUB_ERR_TOOBIG;
    }
    const char *in = bytes ? bytes : "";
    clsub_text *t = calloc(1, sizeof *t);
    if (!t)
        return CLSUB_ERR_NOMEM;
    size_t bom_len = 0, bad = 0;
    const char *enc = NULL;
    int r = 0;
    if (encoding && *encoding) {
        enc = encoding;
        t->path = CLSUB_CHARSET_EXPLICIT;
    } else if ((enc = bom_encoding((const unsigned char *)in, len, &bom_len))) {
        t->path = CLSUB_CHARSET_BOM;
    } else if (clsub_utf8_valid(in, len, &bad)) {
        enc = "UTF-8";
        t->path = CLSUB_CHARSET_UTF8;
    } else if (lang && *lang) {
        enc = clsub_language_encoding(lang);
        t->path = CLSUB_CHARSET_LANGUAGE;
    } else {
        set_err(err, errlen,
                "not valid UTF-8: invalid byte 0x%02X at byte offset %zu (line %d), no byte-order "
                "mark, and no language given to choose a legacy encoding; name the language "
                "(e.g. ar.srt) or the encoding",
                (unsigned)(unsigned char)in[bad], bad, line_of(in, bad));
        r = CLSUB_ERR_CHARSET;
        goto end;
    }
    snprintf(t->encoding, sizeof t->encoding, "%s", enc);
    if (t->path == CLSUB_CHARSET_UTF8 || (t->path == CLSUB_CHARSET_BOM && bom_len == 3)) {
        if (!clsub_utf8_valid(in + bom_len, len - bom_len, &bad)) {
            bad += bom_len;
            set_err(err, errlen, "UTF-8 byte-order mark, but invalid UTF-8 at byte offset %zu "
                    "(line %d)", bad, line_of(in, bad));
            r = CLSUB_ERR_CHARSET;
            goto end;
        }
        t->utf8 = clsub_strndup(in + bom_len, len - bom_len);
        t->len = len - bom_len;
        r = t->utf8 ? 0 : CLSUB_ERR_NOMEM;
        goto end;
    }
    r = convert(in + bom_len, len - bom_len, enc, &t->utf8, &t->len, &bad);
    if (r == CLSUB_ERR_UNSUPPORTED)
        set_err(err, errlen, "unknown encoding \"%s\"", enc);
    else if (r == CLSUB_ERR_CHARSET)
        set_err(err, errlen, "the bytes are not valid %s (%s): invalid sequence at byte offset %zu",
                enc, clsub_charset_path_name(t->path), bad + bom_len);
    else if (r == CLSUB_ERR_TOOBIG)
        set_err(err, errlen, "decoded text exceeds the size limit");
    /* iconv lets some sequences through (its UTF-8 reader takes code points
     * beyond U+10FFFF): what leaves here is strict UTF-8 or an error */
    if (r == 0 && !clsub_utf8_valid(t->utf8, t->len, &bad)) {
        set_err(err, errlen, "the bytes are not valid %s (%s): they decode to a character that is "
                "not Unicode (beyond U+10FFFF or a surrogate) at line %d",
                enc, clsub_charset_path_name(t->path), line_of(t->utf8, bad));
        r = CLSUB_ERR_CHARSET;
    }
    if (r == 0 && t->len >= 3 && memcmp(t->utf8, "\xEF\xBB\xBF", 3) == 0) {
        memmove(t->utf8, t->utf8 + 3, t->len - 2);
        t->len -= 3;
    }
end:
    if (r < 0)
        clsub_text_free(&t);
    *out = t;
    return r;
}

void clsub_text_free(clsub_text **text)
{
    if (!text || !*text)
        return;
    free((*text)->utf8);
    free(*text);
    *text = NULL;
}
