/*
 * s3_http.h: the request engine of the s3 backend (s3.c), shared with the
 * multipart upload (s3_multipart.c). Part of the s3 backend, the only place
 * where curl.h is included; the signer and configuration in s3_internal.h
 * stay free of it.
 */
#ifndef CL_S3_HTTP_H
#define CL_S3_HTTP_H

#include <curl/curl.h>

#include "s3_internal.h"

#define ERROR_BODY_CAP (64 * 1024)
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MAX_EXTRA_HEADERS 8

typedef struct s3_priv {
    cl_s3_config cfg;
    CURL *h;          /* one easy handle for single requests: connections are reused */
    int curl_global;
    cl_s3_stats stats;
    uint64_t rng;     /* jitter */
    char errbuf[CURL_ERROR_SIZE];
} s3_priv;

/* Upload progress of one output: "progress" events of phase "upload" for
 * the thread's item, at most every half second, and one at the end. */
typedef struct cl_s3_meter {
    cl_storage *st;
    const char *rel;
    const char *item;
    int64_t total, done;
    double t0, last;
} cl_s3_meter;
void cl_s3_meter_start(cl_s3_meter *m, cl_storage *st, const char *rel, int64_t total);
void cl_s3_meter_update(cl_s3_meter *m, int64_t done, int final);

typedef struct s3_req {
    const char *method;
    const char *key;               /* full object key (prefix included) */
    const cl_s3_kv *query;
    int nb_query;
    const cl_s3_kv *headers;       /* signed and sent (at most MAX_EXTRA_HEADERS) */
    int nb_headers;
    int fd;                        /* body from a file range when >= 0 */
    int64_t offset, length;
    const char *mem;               /* or from memory (POST) */
    size_t mem_len;
    const char *payload_hash;      /* hex SHA-256 or UNSIGNED-PAYLOAD */
    size_t body_cap;               /* cap on a 2xx response body (0: ERROR_BODY_CAP) */
    int download;                  /* a 2xx response body goes to out_fd, not memory */
    int out_fd;
    cl_s3_meter *meter;            /* the body's bytes as they go, or NULL */
} s3_req;

typedef struct s3_resp {
    CURL *h;
    long status;
    cl_s3_buf body;
    size_t cap;
    int over_cap;
    char etag[160];
    char meta_sha256[72];
    int64_t content_length;
    const s3_req *rq;              /* the request whose body is being sent */
    const clipline_context *c;
    int64_t pos;
} s3_resp;

/* Signs `rq` and sets up `h` to send it; the caller performs the transfer
 * and frees *hl after it. */
int cl_s3_prepare(cl_storage *st, CURL *h, char *errbuf, const s3_req *rq, s3_resp *rs,
                  struct curl_slist **hl);
void cl_s3_resp_reset(s3_resp *rs, size_t cap);
/* Whether a result is worth retrying: connection errors, 5xx, 429, SlowDown. */
int cl_s3_transient(CURLcode cc, const s3_resp *rs);
/* The delay before attempt + 1 (exponential, with jitter); logs and counts the retry. */
int64_t cl_s3_backoff_ms(cl_storage *st, int attempt, CURLcode cc, const s3_resp *rs,
                         const char *what);
void cl_s3_sleep_ms(int64_t ms);
/* Sends a request with retries; 0 when a response came (any status). */
int cl_s3_call(cl_storage *st, const s3_req *rq, s3_resp *rs, const char *what);
/* Errors with a clear sentence in the context's detail, scrubbed of secrets. */
int cl_s3_status_error(cl_storage *st, const s3_resp *rs, const char *what);
int cl_s3_transport_error(cl_storage *st, CURLcode cc, const char *errbuf, int attempts,
                          const char *what);
void cl_s3_scrub_detail(cl_storage *st);

/* Multipart upload of a file, parts sent in parallel (s3_multipart.c). */
int cl_s3_put_multipart(cl_storage *st, const char *key, int fd, int64_t size, const char *sha,
                        const cl_s3_kv *h, int nh, const char *what, cl_s3_meter *meter);

#endif
