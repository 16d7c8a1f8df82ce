/* Minimal PNG writer and reader for the golden-frame tests: 8-bit RGB,
 * non-interlaced (the reader handles all five row filters), built on zlib. */
#ifndef CLSUB_TEST_PNG_H
#define CLSUB_TEST_PNG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void png_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t png_rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int png_chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t hdr[8];
    png_be32(hdr, len);
    memcpy(hdr + 4, type, 4);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, len);
    uint8_t tail[4];
    png_be32(tail, (uint32_t)crc);
    return fwrite(hdr, 1, 8, f) == 8 && (len == 0 || fwrite(data, 1, len, f) == len) &&
           fwrite(tail, 1, 4, f) == 4 ? 0 : -1;
}

/* rgb: w*h*3 bytes, rows top to bottom. 0 or -1. Rows use the "Sub" filter. */
static int png_write_rgb(const char *path, const uint8_t *rgb, int w, int h)
{
    size_t row = (size_t)w * 3 + 1, raw_len = row * (size_t)h;
    uint8_t *raw = malloc(raw_len);
    uLongf zlen = compressBound(raw_len);
    uint8_t *z = malloc(zlen);
    int ret = -1;
    FILE *f = NULL;
    if (!raw || !z)
        goto end;
    for (int y = 0; y < h; y++) {
        uint8_t *o = raw + row * (size_t)y;
        const uint8_t *in = rgb + (size_t)y * (size_t)w * 3;
        o[0] = 1;
        for (size_t i = 0; i < (size_t)w * 3; i++)
            o[1 + i] = (uint8_t)(in[i] - (i >= 3 ? in[i - 3] : 0));
    }
    if (compress2(z, &zlen, raw, raw_len, 9) != Z_OK)
        goto end;
    if (!(f = fopen(path, "wb")))
        goto end;
    uint8_t ihdr[13];
    png_be32(ihdr, (uint32_t)w);
    png_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = 0, ihdr[11] = 0, ihdr[12] = 0;
    if (fwrite("\x89PNG\r\n\x1a\n", 1, 8, f) != 8 || png_chunk(f, "IHDR", ihdr, 13) < 0 ||
        png_chunk(f, "IDAT", z, (uint32_t)zlen) < 0 || png_chunk(f, "IEND", NULL, 0) < 0)
        goto end;
    ret = 0;
end:
    if (f && fclose(f) != 0)
        ret = -1;
    free(raw);
    free(z);
    return ret;
}

static int png_paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Reads an 8-bit RGB non-interlaced PNG; returns malloc'd w*h*3 bytes or NULL. */
static uint8_t *png_read_rgb(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *file = NULL, *idat = NULL, *raw = NULL, *rgb = NULL;
    size_t n = 0, cap = 0, ilen = 0;
    for (;;) {
        if (n + 65536 > cap) {
            uint8_t *p = realloc(file, cap = cap ? cap * 2 : 262144);
            if (!p)
                goto end;
            file = p;
        }
        size_t got = fread(file + n, 1, 65536, f);
        n += got;
        if (got < 65536)
            break;
    }
    if (n < 33 || memcmp(file, "\x89PNG\r\n\x1a\n", 8) != 0)
        goto end;
    if (!(idat = malloc(n)))
        goto end;
    *w = (int)png_rd32(file + 16);
    *h = (int)png_rd32(file + 20);
    if (file[24] != 8 || file[25] != 2 || file[28] != 0 || *w <= 0 || *h <= 0 ||
        *w > 16384 || *h > 16384)
        goto end;
    for (size_t pos = 8; pos + 12 <= n;) {
        uint32_t len = png_rd32(file + pos);
        if (len > n - pos - 12)
            goto end;
        if (!memcmp(file + pos + 4, "IDAT", 4)) {
            memcpy(idat + ilen, file + pos + 8, len);
            ilen += len;
        }
        pos += 12 + (size_t)len;
    }
    size_t row = (size_t)*w * 3 + 1;
    uLongf raw_len = row * (size_t)*h;
    if (!(raw = malloc(raw_len)) || uncompress(raw, &raw_len, idat, ilen) != Z_OK ||
        raw_len != row * (size_t)*h || !(rgb = malloc((size_t)*w * (size_t)*h * 3)))
        goto end;
    for (int y = 0; y < *h; y++) {
        const uint8_t *in = raw + row * (size_t)y;
        uint8_t *o = rgb + (size_t)y * (row - 1);
        const uint8_t *up = y ? o - (row - 1) : NULL;
        for (size_t i = 0; i < row - 1; i++) {
            int a = i >= 3 ? o[i - 3] : 0, b = up ? up[i] : 0, c = (up && i >= 3) ? up[i - 3] : 0;
            int x = in[1 + i];
            switch (in[0]) {
            case 0: break;
            case 1: x += a; break;
            case 2: x += b; break;
            case 3: x += (a + b) / 2; break;
            case 4: x += png_paeth(a, b, c); break;
            default: free(rgb); rgb = NULL; goto end;
            }
            o[i] = (uint8_t)x;
        }
    }
end:
    fclose(f);
    free(file);
    free(idat);
    free(raw);
    return rgb;
}

#endif
