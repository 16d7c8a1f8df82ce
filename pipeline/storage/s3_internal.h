/*
 * s3_internal.h: the private pieces of the s3 storage backend, shared by
 * s3.c (requests, publish/read/stat), s3_multipart.c, s3_config.c
 * (credentials, region, endpoint) and s3_sign.c (AWS Signature Version 4), and visible to the
 * backend's own unit tests. Nothing here is part of the library's API.
 *
 * Ownership: every char * returned by a function here is malloc'ed and
 * owned by the caller; structs are freed by their *_free / *_clear function,
 * which accepts zeroed or already-freed structs.
 */
#ifndef CL_S3_INTERNAL_H
#define CL_S3_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "storage.h"

/* ---- a growable string ---- */
typedef struct cl_s3_buf {
    char *p;     /* NUL-terminated when not NULL */
    size_t len;
    size_t cap;
    int oom;     /* set once an allocation failed; later appends do nothing */
} cl_s3_buf;

void cl_s3_buf_add(cl_s3_buf *b, const char *s, size_t n);
void cl_s3_buf_str(cl_s3_buf *b, const char *s);
void cl_s3_buf_printf(cl_s3_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cl_s3_buf_free(cl_s3_buf *b);

/* ---- SigV4 ---- */
typedef struct cl_s3_kv {
    const char *name;
    const char *value;
} cl_s3_kv;

typedef struct cl_sigv4_req {
    const char *method;      /* "GET", "PUT", ... */
    const char *path;        /* unencoded, starts with '/'; encoded here once, '/' kept */
    const cl_s3_kv *query;   /* unencoded names and values (value NULL: "name=") */
    int nb_query;
    const cl_s3_kv *headers; /* every header given is signed; must include host and x-amz-date */
    int nb_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *amz_date;     /* YYYYMMDDTHHMMSSZ */
    const char *region;
    const char *service;      /* "s3" */
    const char *access_key;
    const char *secret_key;
} cl_sigv4_req;

typedef struct cl_sigv4_out {
    char *canonical_request;
    char *string_to_sign;
    char *signed_headers;
    char *authorization;     /* the Authorization header's value */
    char signature[65];
} cl_sigv4_out;

/* Signs a request. Returns 0, AVERROR(ENOMEM) or AVERROR(EINVAL) (missing
 * fields). On failure `out` holds nothing to free, on success free it with
 * cl_sigv4_out_clear(). */
int cl_sigv4_sign(const cl_sigv4_req *r, cl_sigv4_out *out);
void cl_sigv4_out_clear(cl_sigv4_out *out);

/* RFC 3986 encoding as SigV4 wants it: unreserved characters kept, every
 * other byte as %XX (upper case); '/' kept when keep_slash. */
char *cl_s3_uri_encode(const char *s, int keep_slash);
/* The canonical query string: encoded, sorted by name then value, "a=&b=1". */
char *cl_s3_canonical_query(const cl_s3_kv *q, int n);
/* x-amz-date form of a UTC time. */
void cl_s3_amz_date(int64_t unix_time, char out[17]);

/* ---- configuration (s3_config.c) ---- */
typedef struct cl_s3_config {
    char *bucket;
    char *prefix;        /* without leading or trailing '/', may be "" */
    char *region;
    char *access_key;
    char *secret_key;    /* never logged, never in messages */
    char *session_token; /* idem */
    char *scheme;        /* "https" or "http" */
    char *host;          /* host[:port] requests go to (with the bucket when virtual-host) */
    char *base_path;     /* "" or "/bucket" for path-style */
    char *ca_bundle;     /* AWS_CA_BUNDLE, or NULL */
    char cred_source[128]; /* where the credentials came from, for messages */
    int path_style;
    int64_t part_size;       /* CLIPLINE_S3_PART_SIZE when >= 5 MiB, else 0 (automatic) */
    int64_t multipart_threshold;
    int parallel;            /* parts in flight: CLIPLINE_S3_PARALLEL, 1..16, default 4 */
    int max_attempts;        /* per request: CLIPLINE_S3_MAX_ATTEMPTS, 1..20, default 6 */
    int stall_timeout_s;     /* CLIPLINE_S3_STALL_TIMEOUT, default 60 */
} cl_s3_config;

/* Reads the environment and the AWS shared files for `location` ("bucket/prefix").
 * Returns 0 or a CLIPLINE_ERROR_CONFIG with the context's detail set. */
int cl_s3_config_load(clipline_context *c, const char *location, cl_s3_config *cfg);
void cl_s3_config_clear(cl_s3_config *cfg);

/* The value of `key` in `[section]` of an INI text (the AWS shared files'
 * format); malloc'ed, or NULL. */
char *cl_s3_ini_get(const char *text, const char *section, const char *key);

/* ---- S3's XML responses (s3_xml.c) ---- */
/* The text of the first <tag>...</tag> of a NUL-terminated document, entities
 * decoded and control characters made spaces, cut to outsz; "" if absent. */
void cl_s3_xml_tag(const char *xml, const char *tag, char *out, size_t outsz);

#define CL_S3_MAX_PARTS 10000

typedef struct cl_s3_listed_part {
    int number;      /* 1..10000 */
    int64_t size;
    char etag[80];   /* as the server wrote it, quotes included */
} cl_s3_listed_part;

typedef struct cl_s3_part_list {
    cl_s3_listed_part *parts;
    int n, cap;
    int truncated;   /* IsTruncated: ask again from next_marker */
    int next_marker; /* NextPartNumberMarker */
} cl_s3_part_list;

/* Appends the parts of one ListParts page (`len` bytes, not necessarily
 * NUL-terminated) to `out`, and sets its truncated/next_marker. Returns 0,
 * -1 when the page is not a ListPartsResult or a part is malformed (a part
 * number outside 1..10000, no ETag, a size that is not a number, more than
 * 10000 parts), -2 without memory. */
int cl_s3_parse_list_parts(const char *xml, size_t len, cl_s3_part_list *out);
void cl_s3_part_list_free(cl_s3_part_list *l);

/* ---- backend internals visible to tests ---- */
typedef struct cl_s3_stats {
    int64_t head, get, put, post, del; /* requests sent, retries included */
    int64_t retries;
    int64_t skipped;    /* publishes skipped because the object was already there */
    int64_t parts;      /* multipart parts uploaded */
    int64_t parts_kept; /* parts of an interrupted upload found on the server and not sent again */
    int64_t bytes_sent; /* request body bytes */
} cl_s3_stats;

/* Counters of an open s3 storage; AVERROR(EINVAL) if `st` is not one. */
int cl_s3_get_stats(const cl_storage *st, cl_s3_stats *out);

/* Part size for a multipart upload of `size` bytes: `wanted` (0: 8 MiB),
 * at least 5 MiB, rounded up to whole MiB so that 10,000 parts hold it. */
int64_t cl_s3_part_size(int64_t size, int64_t wanted);

/* Cache-Control for an object: long for media, short for playlists,
 * manifests, pages and subtitles. */
const char *cl_s3_cache_control(const char *rel, const char *content_type);

#endif
