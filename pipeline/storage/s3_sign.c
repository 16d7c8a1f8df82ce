/*
 * s3_sign.c: AWS Signature Version 4 for S3 requests, in our own code
 * (libcurl 7.88's CURLOPT_AWS_SIGV4 neither sorts nor encodes the query
 * string and does not add x-amz-content-sha256). HMAC-SHA256 and SHA-256
 * come from OpenSSL's libcrypto.
 *
 *   canonical request = method \n encoded path \n canonical query \n
 *                       lower-case sorted headers "name:value\n" \n
 *                       signed header names \n payload hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n date \n scope \n hex(sha256(canonical))
 *   signing key       = HMAC chain "AWS4"+secret → date → region → service → "aws4_request"
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libavutil/error.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "s3_internal.h"

/* ---- growable string ---- */

static int buf_reserve(cl_s3_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void cl_s3_buf_add(cl_s3_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void cl_s3_buf_str(cl_s3_buf *b, const char *s)
{
    cl_s3_buf_add(b, s, strlen(s));
}

void cl_s3_buf_printf(cl_s3_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cl_s3_buf_free(cl_s3_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- encodings ---- */

static void hex_encode(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const char *s, size_t n, char hex[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_Digest(s, n, d, &dl, EVP_sha256(), NULL) || dl != 32) {
        hex[0] = '\0';
        return;
    }
    hex_encode(d, 32, hex);
}

static int hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int ol = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &ol) ||
        ol != 32)
        return -1;
    return 0;
}

static int unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

char *cl_s3_uri_encode(const char *s, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = digits[*p >> 4];
            *o++ = digits[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

typedef struct enc_pair {
    char *name;
    char *value;
} enc_pair;

static int cmp_pair(const void *a, const void *b)
{
    const enc_pair *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : strcmp(x->value, y->value);
}

char *cl_s3_canonical_query(const cl_s3_kv *q, int n)
{
    cl_s3_buf b = { 0 };
    enc_pair *pairs = n > 0 ? calloc((size_t)n, sizeof(*pairs)) : NULL;
    if (n > 0 && !pairs)
        return NULL;
    int ok = 1;
    for (int i = 0; i < n; i++) {
        pairs[i].name = cl_s3_uri_encode(q[i].name, 0);
        pairs[i].value = cl_s3_uri_encode(q[i].value ? q[i].value : "", 0);
        ok = ok && pairs[i].name && pairs[i].value;
    }
    if (ok) {
        if (n > 0)
            qsort(pairs, (size_t)n, sizeof(*pairs), cmp_pair);
        cl_s3_buf_str(&b, "");
        for (int i = 0; i < n; i++)
            cl_s3_buf_printf(&b, "%s%s=%s", i ? "&" : "", pairs[i].name, pairs[i].value);
    }
    for (int i = 0; i < n; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
    if (!ok || b.oom) {
        cl_s3_buf_free(&b);
        return NULL;
    }
    return b.p;
}

void cl_s3_amz_date(int64_t unix_time, char out[17])
{
    time_t t = (time_t)unix_time;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- canonical headers ---- */

typedef struct hdr {
    char *name;  /* lower case */
    char *value; /* trimmed, inner runs of spaces collapsed */
    int order;
} hdr;

static int cmp_hdr(const void *a, const void *b)
{
    const hdr *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : (x->order > y->order) - (x->order < y->order);
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return d;
}

static char *trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *d = malloc(strlen(s) + 1), *o = d;
    if (!d)
        return NULL;
    int space = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            space = 1;
            continue;
        }
        if (space && o != d)
            *o++ = ' ';
        space = 0;
        *o++ = *s;
    }
    *o = '\0';
    return d;
}

/* Appends "name:v1,v2\n" lines to `canon` and "a;b" to `names`. */
static int canonical_headers(const cl_s3_kv *h, int n, cl_s3_buf *canon, cl_s3_buf *names)
{
    int ret = 0;
    hdr *v = calloc((size_t)(n > 0 ? n : 1), sizeof(*v));
    if (!v)
        return AVERROR(ENOMEM);
    for (int i = 0; i < n; i++) {
        v[i].name = lower_dup(h[i].name);
        v[i].value = trim_dup(h[i].value ? h[i].value : "");
        v[i].order = i;
        if (!v[i].name || !v[i].value) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
    }
    if (n > 0)
        qsort(v, (size_t)n, sizeof(*v), cmp_hdr);
    for (int i = 0; i < n; i++) {
        int same = i > 0 && !strcmp(v[i].name, v[i - 1].name);
        if (same) {
            cl_s3_buf_printf(canon, ",%s", v[i].value);
            continue;
        }
        cl_s3_buf_printf(canon, "%s%s:%s", i ? "\n" : "", v[i].name, v[i].value);
        cl_s3_buf_printf(names, "%s%s", i ? ";" : "", v[i].name);
    }
    cl_s3_buf_str(canon, "\n");
    if (canon->oom || names->oom)
        ret = AVERROR(ENOMEM);
end:
    for (int i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
    return ret;
}

/* ---- signing ---- */

static int signing_key(const cl_sigv4_req *r, unsigned char key[32])
{
    char date[9];
    snprintf(date, sizeof(date), "%.8s", r->amz_date);
    size_t sl = strlen(r->secret_key);
    unsigned char *k0 = malloc(sl + 5);
    if (!k0)
        return AVERROR(ENOMEM);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, r->secret_key, sl);
    unsigned char a[32], b[32];
    int bad = hmac(k0, sl + 4, date, a) < 0 || hmac(a, 32, r->region, b) < 0 ||
              hmac(b, 32, r->service, a) < 0 || hmac(a, 32, "aws4_request", key) < 0;
    OPENSSL_cleanse(k0, sl + 4);
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
    free(k0);
    return bad ? AVERROR(EINVAL) : 0;
}

void cl_sigv4_out_clear(cl_sigv4_out *out)
{
    if (!out)
        return;
    free(out->canonical_request);
    free(out->string_to_sign);
    free(out->signed_headers);
    free(out->authorization);
    memset(out, 0, sizeof(*out));
}

int cl_sigv4_sign(const cl_sigv4_req *r, cl_sigv4_out *out)
{
    memset(out, 0, sizeof(*out));
    if (!r->method || !r->path || r->path[0] != '/' || !r->payload_hash || !r->amz_date ||
        strlen(r->amz_date) != 16 || !r->region || !r->service || !r->access_key ||
        !r->secret_key)
        return AVERROR(EINVAL);
    int ret = 0;
    cl_s3_buf creq = { 0 }, canon = { 0 }, names = { 0 }, sts = { 0 }, auth = { 0 };
    char *path = cl_s3_uri_encode(r->path, 1);
    char *query = cl_s3_canonical_query(r->query, r->nb_query);
    if (!path || !query) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = canonical_headers(r->headers, r->nb_headers, &canon, &names)) < 0)
        goto end;
    cl_s3_buf_printf(&creq, "%s\n%s\n%s\n%s\n%s\n%s", r->method, path, query, canon.p,
                     names.p, r->payload_hash);
    char creq_hash[65], scope[256];
    if (creq.oom) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    sha256_hex(creq.p, creq.len, creq_hash);
    snprintf(scope, sizeof(scope), "%.8s/%s/%s/aws4_request", r->amz_date, r->region, r->service);
    cl_s3_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope, creq_hash);
    unsigned char key[32], sig[32];
    if (sts.oom) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = signing_key(r, key)) < 0)
        goto end;
    ret = hmac(key, 32, sts.p, sig) < 0 ? AVERROR(EINVAL) : 0;
    OPENSSL_cleanse(key, sizeof(key));
    if (ret < 0)
        goto end;
    hex_encode(sig, 32, out->signature);
    cl_s3_buf_printf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                     r->access_key, scope, names.p, out->signature);
    if (auth.oom) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    out->canonical_request = creq.p;
    out->string_to_sign = sts.p;
    out->signed_headers = names.p;
    out->authorization = auth.p;
    creq.p = sts.p = names.p = auth.p = NULL;
end:
    if (ret < 0)
        memset(out, 0, sizeof(*out));
    cl_s3_buf_free(&creq);
    cl_s3_buf_free(&canon);
    cl_s3_buf_free(&names);
    cl_s3_buf_free(&sts);
    cl_s3_buf_free(&auth);
    free(path);
    free(query);
    return ret;
}
