/*
 * s3_xml.c: the few S3 XML responses the backend reads (errors,
 * InitiateMultipartUpload, ListParts). S3 answers with flat, predictable
 * documents, so this is a bounded tag reader, not an XML parser: it never
 * reads past the length it is given, decodes the five predefined entities,
 * and turns control characters into spaces so that a server's text can go
 * into an error message.
 */
#include <stdlib.h>
#include <string.h>

#include "s3_internal.h"

/* First occurrence of needle in [a, end), or NULL. */
static const char *find(const char *a, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    if (!a || a > end)
        return NULL;
    for (; (size_t)(end - a) >= n; a++) {
        a = memchr(a, needle[0], (size_t)(end - a) - n + 1);
        if (!a)
            return NULL;
        if (!memcmp(a, needle, n))
            return a;
    }
    return NULL;
}

/* The content of the first <tag>...</tag> in [xml, end), or NULL. The
 * opening tag may carry attributes (S3 puts xmlns on a document's root). */
static const char *element(const char *xml, const char *end, const char *tag, const char **stop)
{
    char open[64], close[64];
    size_t tl = strlen(tag);
    if (tl + 4 > sizeof(open))
        return NULL;
    open[0] = '<';
    memcpy(open + 1, tag, tl + 1);
    close[0] = '<';
    close[1] = '/';
    memcpy(close + 2, tag, tl);
    memcpy(close + 2 + tl, ">", 2);
    for (const char *a = xml; (a = find(a, end, open)) != NULL; a++) {
        const char *p = a + tl + 1, *b;
        if (p >= end || (*p != '>' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n'))
            continue; /* <PartNumber> when looking for <Part> */
        while (p < end && *p != '>')
            p++;
        if (p >= end || p[-1] == '/') /* cut, or an empty <tag/> */
            return NULL;
        if (!(b = find(++p, end, close)))
            return NULL;
        *stop = b;
        return p;
    }
    return NULL;
}

static void decode(const char *a, const char *b, char *out, size_t outsz)
{
    static const struct {
        const char *ent;
        char ch;
    } ents[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
    };
    size_t o = 0;
    while (a < b && o + 1 < outsz) {
        int done = 0;
        for (size_t i = 0; i < sizeof(ents) / sizeof(*ents) && *a == '&'; i++) {
            size_t l = strlen(ents[i].ent);
            if ((size_t)(b - a) >= l && !strncmp(a, ents[i].ent, l)) {
                out[o++] = ents[i].ch;
                a += l;
                done = 1;
                break;
            }
        }
        if (!done)
            out[o++] = (unsigned char)*a < 0x20 ? ' ' : *a, a++;
    }
    out[o] = '\0';
}

static int tag_n(const char *xml, const char *end, const char *tag, char *out, size_t outsz)
{
    const char *stop, *a = element(xml, end, tag, &stop);
    out[0] = '\0';
    if (!a)
        return 0;
    decode(a, stop, out, outsz);
    return 1;
}

void cl_s3_xml_tag(const char *xml, const char *tag, char *out, size_t outsz)
{
    out[0] = '\0';
    if (xml)
        tag_n(xml, xml + strlen(xml), tag, out, outsz);
}

/* A decimal number of at most 15 digits (surrounding blanks allowed), or -1. */
static int64_t number(const char *s)
{
    while (*s == ' ')
        s++;
    int64_t v = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (++digits > 15)
            return -1;
        v = v * 10 + (*s - '0');
    }
    while (*s == ' ')
        s++;
    return digits && !*s ? v : -1;
}

int cl_s3_parse_list_parts(const char *xml, size_t len, cl_s3_part_list *out)
{
    const char *end = xml + len, *stop;
    const char *body = element(xml, end, "ListPartsResult", &stop);
    if (!body)
        return -1;
    end = stop;
    char v[128];
    out->truncated = tag_n(body, end, "IsTruncated", v, sizeof(v)) && !strcmp(v, "true");
    out->next_marker = 0;
    /* the marker comes before the parts; a <Part> never holds one */
    const char *first = find(body, end, "<Part>");
    if (tag_n(body, first ? first : end, "NextPartNumberMarker", v, sizeof(v))) {
        int64_t m = number(v);
        if (m < 0 || m > CL_S3_MAX_PARTS)
            return -1;
        out->next_marker = (int)m;
    }
    for (const char *a = first; a; a = find(a, end, "<Part>")) {
        const char *pe = find(a += 6, end, "</Part>");
        if (!pe)
            return -1;
        cl_s3_listed_part part = { 0 };
        char num[32], size[32];
        if (!tag_n(a, pe, "PartNumber", num, sizeof(num)) || !tag_n(a, pe, "Size", size, sizeof(size)) ||
            !tag_n(a, pe, "ETag", part.etag, sizeof(part.etag)) || !part.etag[0])
            return -1;
        int64_t n = number(num);
        part.size = number(size);
        if (n < 1 || n > CL_S3_MAX_PARTS || part.size < 0)
            return -1;
        part.number = (int)n;
        if (out->n >= CL_S3_MAX_PARTS)
            return -1;
        if (out->n == out->cap) {
            int cap = out->cap ? out->cap * 2 : 16;
            cl_s3_listed_part *np = realloc(out->parts, (size_t)cap * sizeof(*np));
            if (!np)
                return -2;
            out->parts = np;
            out->cap = cap;
        }
        out->parts[out->n++] = part;
        a = pe + 7;
    }
    /* a truncated listing must say where to go on, and go forward */
    if (out->truncated && out->next_marker < 1)
        return -1;
    return 0;
}

void cl_s3_part_list_free(cl_s3_part_list *l)
{
    free(l->parts);
    memset(l, 0, sizeof(*l));
}
