/*
 * s3.c: the s3 storage backend (s3://bucket/prefix) on libcurl: the only
 * file of the library that includes curl.h. Requests are signed with our
 * own SigV4 (s3_sign.c); one easy handle is reused so that connections are.
 *
 * publish: sha256 of the staged file (unless the caller already has it)
 *          → HEAD the object; when its x-amz-meta-sha256 is the same,
 *          nothing is sent → single PUT up to the multipart threshold
 *          (16 MiB), multipart upload above it (aborted on failure) → the
 *          staged file is removed.
 * read:    GET, capped; 404 → AVERROR(ENOENT).
 * stat:    HEAD → Content-Length; 404 → AVERROR(ENOENT).
 * Every request is retried with exponential backoff and jitter on connection
 * errors, 5xx, 429 and SlowDown, a bounded number of times; every transfer
 * is bounded by a connect timeout and a stall timeout. Secrets never reach
 * logs or messages: error details are scrubbed of them before returning.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "s3_http.h"

#define MiB (1024 * 1024)

/* s3_priv, s3_req and s3_resp are in s3_http.h */

/* ---- small helpers ---- */

static const char *method_name(const s3_req *rq)
{
    return rq->method;
}

static uint64_t next_random(s3_priv *p)
{
    uint64_t x = p->rng ? p->rng : 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return p->rng = x;
}

void cl_s3_sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Replaces any occurrence of a secret in the context's detail by "***". */
void cl_s3_scrub_detail(cl_storage *st)
{
    s3_priv *p = st->priv;
    const char *secrets[] = { p->cfg.secret_key, p->cfg.session_token };
    for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++) {
        const char *s = secrets[i];
        size_t sl = s ? strlen(s) : 0;
        char *hit;
        if (sl < 4)
            continue;
        while ((hit = strstr(cl_detail(st->c), s)) != NULL) {
            memmove(hit + 3, hit + sl, strlen(hit + sl) + 1);
            memcpy(hit, "***", 3);
        }
    }
}

/* The object's key under the prefix (caller frees; NULL without memory),
 * and in `what` the operation as messages name it: "read of s3://bucket/key". */
static char *object_key(const s3_priv *p, const char *rel, const char *op, char what[1024])
{
    while (*rel == '/')
        rel++;
    cl_s3_buf b = { 0 };
    cl_s3_buf_printf(&b, "%s%s%s", p->cfg.prefix, *p->cfg.prefix ? "/" : "", rel);
    if (b.oom)
        cl_s3_buf_free(&b);
    if (b.p)
        snprintf(what, 1024, "%s of s3://%s/%s", op, p->cfg.bucket, b.p);
    return b.p;
}

int64_t cl_s3_part_size(int64_t size, int64_t wanted)
{
    int64_t ps = wanted >= 5LL * MiB ? wanted : 8LL * MiB;
    int64_t need = (size + 9999) / 10000;
    if (ps < need)
        ps = (need + MiB - 1) / MiB * MiB;
    return ps;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

const char *cl_s3_cache_control(const char *rel, const char *ct)
{
    ct = ct ? ct : "";
    if (strstr(ct, "json") || strstr(ct, "mpegurl") || strstr(ct, "html") || strstr(ct, "vtt") ||
        ends_with(rel, ".json") || ends_with(rel, ".m3u8") || ends_with(rel, ".html") ||
        ends_with(rel, ".vtt"))
        return "public, max-age=60";
    return "public, max-age=31536000";
}

int cl_s3_get_stats(const cl_storage *st, cl_s3_stats *out)
{
    if (!st || st->ops != &cl_storage_s3 || !st->priv)
        return AVERROR(EINVAL);
    *out = ((const s3_priv *)st->priv)->stats;
    return 0;
}

/* ---- curl callbacks ---- */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *opaque)
{
    s3_resp *rs = opaque;
    size_t n = size * nmemb;
    long code = 0;
    curl_easy_getinfo(rs->h, CURLINFO_RESPONSE_CODE, &code);
    if (rs->rq && rs->rq->download && code >= 200 && code < 300) { /* into the file, as it comes */
        for (size_t done = 0; done < n;) {
            ssize_t w = write(rs->rq->out_fd, ptr + done, n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return 0;
            done += (size_t)w;
        }
        return n;
    }
    size_t cap = code >= 200 && code < 300 ? rs->cap : ERROR_BODY_CAP;
    if (rs->body.len + n > cap) {
        rs->over_cap = 1;
        return 0;
    }
    cl_s3_buf_add(&rs->body, ptr, n);
    return rs->body.oom ? 0 : n;
}

static void header_value(const char *line, size_t n, size_t name_len, char *out, size_t outsz)
{
    const char *v = line + name_len;
    size_t vl = n - name_len;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    snprintf(out, outsz, "%.*s", (int)vl, v);
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *opaque)
{
    s3_resp *rs = opaque;
    size_t n = size * nitems;
    char num[32];
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
        rs->etag[0] = rs->meta_sha256[0] = '\0';
        rs->content_length = -1;
    } else if (n > 5 && !strncasecmp(line, "etag:", 5)) {
        header_value(line, n, 5, rs->etag, sizeof(rs->etag));
    } else if (n > 18 && !strncasecmp(line, "x-amz-meta-sha256:", 18)) {
        header_value(line, n, 18, rs->meta_sha256, sizeof(rs->meta_sha256));
    } else if (n > 15 && !strncasecmp(line, "content-length:", 15)) {
        header_value(line, n, 15, num, sizeof(num));
        rs->content_length = strtoll(num, NULL, 10);
    }
    return n;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *opaque)
{
    s3_resp *rs = opaque;
    const s3_req *rq = rs->rq;
    int64_t total = rq->fd >= 0 ? rq->length : (int64_t)rq->mem_len;
    int64_t want = (int64_t)(size * nitems);
    if (want > total - rs->pos)
        want = total - rs->pos;
    if (want <= 0)
        return 0;
    if (rq->fd < 0) {
        memcpy(buf, rq->mem + rs->pos, (size_t)want);
        rs->pos += want;
        return (size_t)want;
    }
    ssize_t got = pread(rq->fd, buf, (size_t)want, (off_t)(rq->offset + rs->pos));
    if (got <= 0)
        return CURL_READFUNC_ABORT; /* the staged file shrank or cannot be read */
    rs->pos += got;
    return (size_t)got;
}

static int seek_cb(void *opaque, curl_off_t offset, int origin)
{
    s3_resp *rs = opaque;
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    rs->pos = offset;
    return CURL_SEEKFUNC_OK;
}

static int xferinfo_cb(void *opaque, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const s3_resp *rs = opaque;
    if (rs->rq && rs->rq->meter)
        cl_s3_meter_update(rs->rq->meter, un, 0);
    return rs->c->interrupted ? 1 : 0;
}

void cl_s3_meter_start(cl_s3_meter *m, cl_storage *st, const char *rel, int64_t total)
{
    *m = (cl_s3_meter){ .st = st, .rel = rel, .item = cl_storage_item(), .total = total,
                        .t0 = cl_now_s() };
}

void cl_s3_meter_update(cl_s3_meter *m, int64_t done, int final)
{
    double now = cl_now_s();
    if (!m->st->c->s.progress_cb || (!final && now - m->last < 0.5))
        return;
    m->last = now;
    m->done = done;
    clipline_progress p = cl_progress_make("progress", m->item, m->rel, "upload");
    double dt = now - m->t0;
    p.bytes = m->total;
    p.bytes_done = done;
    p.percent = m->total > 0 ? 100.0 * (double)done / (double)m->total : 100;
    if (dt > 0.2 && done > 0) {
        p.bytes_per_s = done / dt;
        p.eta_s = (m->total - done) / p.bytes_per_s;
    }
    cl_progress_ev(m->st->c, &p);
}

/* ---- one request ---- */

static int build_headers(const s3_priv *p, const s3_req *rq, const char *date, cl_s3_kv *kv)
{
    int n = 0;
    kv[n++] = (cl_s3_kv){ "host", p->cfg.host };
    kv[n++] = (cl_s3_kv){ "x-amz-content-sha256", rq->payload_hash };
    kv[n++] = (cl_s3_kv){ "x-amz-date", date };
    if (p->cfg.session_token)
        kv[n++] = (cl_s3_kv){ "x-amz-security-token", p->cfg.session_token };
    for (int i = 0; i < rq->nb_headers && i < MAX_EXTRA_HEADERS; i++)
        kv[n++] = rq->headers[i];
    return n;
}

static struct curl_slist *header_list(const cl_s3_kv *kv, int n, const char *auth, int has_body)
{
    struct curl_slist *l = NULL, *t;
    int has_ct = 0;
    cl_s3_buf line = { 0 };
    for (int i = 0; i < n; i++) {
        has_ct |= !strcasecmp(kv[i].name, "content-type");
        line.len = 0;
        cl_s3_buf_printf(&line, "%s: %s", kv[i].name, kv[i].value);
        if (line.oom || !(t = curl_slist_append(l, line.p)))
            goto fail;
        l = t;
    }
    line.len = 0;
    cl_s3_buf_printf(&line, "Authorization: %s", auth);
    if (line.oom || !(t = curl_slist_append(l, line.p)) || !(l = t) ||
        !(t = curl_slist_append(l, "Expect:")) || !(l = t))
        goto fail;
    if (!has_ct && has_body && (!(t = curl_slist_append(l, "Content-Type:")) || !(l = t)))
        goto fail;
    cl_s3_buf_free(&line);
    return l;
fail:
    cl_s3_buf_free(&line);
    curl_slist_free_all(l);
    return NULL;
}

static void count_request(s3_priv *p, const s3_req *rq)
{
    const char *m = method_name(rq);
    int64_t *c = !strcmp(m, "HEAD") ? &p->stats.head
                 : !strcmp(m, "GET") ? &p->stats.get
                 : !strcmp(m, "PUT") ? &p->stats.put
                 : !strcmp(m, "POST") ? &p->stats.post : &p->stats.del;
    (*c)++;
}

static void set_method(CURL *h, const s3_req *rq)
{
    if (!strcmp(rq->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(rq->method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)(rq->fd >= 0 ? rq->length : (int64_t)rq->mem_len));
    } else if (!strcmp(rq->method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->mem_len);
    } else if (!strcmp(rq->method, "DELETE")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
}

static void set_options(cl_storage *st, CURL *h, char *errbuf, const s3_req *rq, s3_resp *rs,
                        const char *url, struct curl_slist *hl)
{
    s3_priv *p = st->priv;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)p->cfg.stall_timeout_s);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (p->cfg.ca_bundle)
        curl_easy_setopt(h, CURLOPT_CAINFO, p->cfg.ca_bundle);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, rs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, rs);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, rs);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, rs);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, rs);
    set_method(h, rq);
    if (!strcmp(rq->method, "POST"))
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->mem ? rq->mem : "");
}

int cl_s3_prepare(cl_storage *st, CURL *h, char *errbuf, const s3_req *rq, s3_resp *rs,
                  struct curl_slist **hl)
{
    s3_priv *p = st->priv;
    int ret = 0;
    char date[17];
    cl_s3_kv kv[4 + MAX_EXTRA_HEADERS];
    cl_s3_amz_date((int64_t)time(NULL), date);
    int nkv = build_headers(p, rq, date, kv);
    cl_s3_buf path = { 0 }, url = { 0 };
    cl_s3_buf_printf(&path, "%s/%s", p->cfg.base_path, rq->key ? rq->key : "");
    cl_sigv4_req sr = { .method = rq->method, .path = path.p, .query = rq->query,
                        .nb_query = rq->nb_query, .headers = kv, .nb_headers = nkv,
                        .payload_hash = rq->payload_hash, .amz_date = date,
                        .region = p->cfg.region, .service = "s3",
                        .access_key = p->cfg.access_key, .secret_key = p->cfg.secret_key };
    cl_sigv4_out so = { 0 };
    char *epath = path.p ? cl_s3_uri_encode(path.p, 1) : NULL;
    char *query = cl_s3_canonical_query(rq->query, rq->nb_query);
    *hl = NULL;
    if (!epath || !query || (ret = cl_sigv4_sign(&sr, &so)) < 0) {
        ret = ret < 0 ? ret : AVERROR(ENOMEM);
        goto end;
    }
    cl_s3_buf_printf(&url, "%s://%s%s%s%s", p->cfg.scheme, p->cfg.host, epath, *query ? "?" : "",
                     query);
    int has_body = strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD");
    if (url.oom || !(*hl = header_list(kv, nkv, so.authorization, has_body))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    rs->h = h;
    rs->rq = rq;
    rs->c = st->c;
    rs->pos = 0;
    errbuf[0] = '\0';
    set_options(st, h, errbuf, rq, rs, url.p, *hl); /* curl copies the URL */
    count_request(p, rq);
end:
    cl_sigv4_out_clear(&so);
    cl_s3_buf_free(&path);
    cl_s3_buf_free(&url);
    free(epath);
    free(query);
    return ret;
}

void cl_s3_resp_reset(s3_resp *rs, size_t cap)
{
    cl_s3_buf_free(&rs->body);
    memset(rs, 0, sizeof(*rs));
    rs->cap = cap;
    rs->content_length = -1;
}

static int transient_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
        return 1;
    default:
        return 0;
    }
}

int cl_s3_transient(CURLcode cc, const s3_resp *rs)
{
    if (cc != CURLE_OK)
        return transient_curl(cc);
    char code[64];
    cl_s3_xml_tag(rs->body.p, "Code", code, sizeof(code));
    return rs->status >= 500 || rs->status == 429 || !strcmp(code, "SlowDown") ||
           !strcmp(code, "RequestTimeout") || !strcmp(code, "InternalError");
}

int64_t cl_s3_backoff_ms(cl_storage *st, int attempt, CURLcode cc, const s3_resp *rs,
                         const char *what)
{
    s3_priv *p = st->priv;
    int64_t base = 200LL << (attempt - 1 < 6 ? attempt - 1 : 6); /* 0.2 s .. 12.8 s */
    int64_t delay = base / 2 + (int64_t)(next_random(p) % (uint64_t)(base / 2 + 1));
    if (cc != CURLE_OK)
        cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3: %s: %s; retrying in %d ms (attempt %d of %d)",
               what, curl_easy_strerror(cc), (int)delay, attempt + 1, p->cfg.max_attempts);
    else
        cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3: %s: HTTP %ld; retrying in %d ms (attempt %d of %d)",
               what, rs->status, (int)delay, attempt + 1, p->cfg.max_attempts);
    p->stats.retries++;
    return delay;
}

int cl_s3_transport_error(cl_storage *st, CURLcode cc, const char *errbuf, int attempts,
                          const char *what)
{
    int ret = cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "s3: %s: %s%s%s%s (gave up after %d attempt%s)",
                      what, curl_easy_strerror(cc), errbuf[0] ? " (" : "", errbuf,
                      errbuf[0] ? ")" : "", attempts, attempts == 1 ? "" : "s");
    cl_s3_scrub_detail(st);
    return ret;
}

/* Sends a request, retrying transient failures. Returns 0 when a response
 * was received (whatever its status: the caller judges it), < 0 with the
 * detail set when none was. */
int cl_s3_call(cl_storage *st, const s3_req *rq, s3_resp *rs, const char *what)
{
    s3_priv *p = st->priv;
    CURLcode cc = CURLE_OK;
    int attempt;
    for (attempt = 1;; attempt++) {
        struct curl_slist *hl = NULL;
        cl_s3_resp_reset(rs, rq->body_cap ? rq->body_cap : ERROR_BODY_CAP);
        if (rq->download && (ftruncate(rq->out_fd, 0) < 0 || lseek(rq->out_fd, 0, SEEK_SET) < 0))
            return cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "s3: %s: cannot rewind the local copy", what);
        int ret = cl_s3_prepare(st, p->h, p->errbuf, rq, rs, &hl);
        if (ret < 0) {
            curl_slist_free_all(hl);
            return ret;
        }
        cc = curl_easy_perform(p->h);
        curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &rs->status);
        p->stats.bytes_sent += rs->pos;
        curl_slist_free_all(hl);
        if (st->c->interrupted)
            return cl_fail(st->c, CLIPLINE_ERROR_INTERRUPTED, "s3: %s: interrupted", what);
        if (cc == CURLE_WRITE_ERROR && rs->over_cap)
            return 0;
        if (!cl_s3_transient(cc, rs) || attempt >= p->cfg.max_attempts)
            break;
        cl_s3_sleep_ms(cl_s3_backoff_ms(st, attempt, cc, rs, what));
    }
    if (cc != CURLE_OK)
        return cl_s3_transport_error(st, cc, p->errbuf, attempt, what);
    return 0;
}

/* Turns an unexpected HTTP status into a clear error. */
int cl_s3_status_error(cl_storage *st, const s3_resp *rs, const char *what)
{
    s3_priv *p = st->priv;
    char code[64], msg[300];
    cl_s3_xml_tag(rs->body.p, "Code", code, sizeof(code));
    cl_s3_xml_tag(rs->body.p, "Message", msg, sizeof(msg));
    const char *hint = "";
    if (!strcmp(code, "RequestTimeTooSkewed"))
        hint = "this computer's clock is more than 15 minutes away from the server's: correct the "
               "system time (NTP) and run again";
    else if (!strcmp(code, "SignatureDoesNotMatch"))
        hint = "the secret access key does not belong to the access key id (check "
               "AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key)";
    else if (!strcmp(code, "InvalidAccessKeyId"))
        hint = "the server does not know this access key id (check AWS_ACCESS_KEY_ID or the "
               "profile, and AWS_ENDPOINT_URL)";
    else if (!strcmp(code, "ExpiredToken") || !strcmp(code, "TokenRefreshRequired"))
        hint = "the session token has expired: get new temporary credentials";
    else if (!strcmp(code, "NoSuchBucket"))
        hint = "the bucket does not exist at this endpoint";
    else if (!strcmp(code, "PermanentRedirect") || !strcmp(code, "AuthorizationHeaderMalformed") ||
             rs->status == 301)
        hint = "the bucket is in another region: set AWS_REGION to the bucket's region";
    else if (rs->status == 403)
        hint = "access denied: the credentials are not allowed to do this";
    else if (rs->status >= 500 || rs->status == 429 || !strcmp(code, "SlowDown"))
        hint = "the server kept failing or asking to slow down; gave up after the retries";
    /* credentials, bucket, region and clock are the configuration's: the same
     * command again would fail the same way (exit 2 or 1, not 75) */
    int config = rs->status == 403 || rs->status == 301 || !strcmp(code, "NoSuchBucket") ||
                 !strcmp(code, "RequestTimeTooSkewed") || !strcmp(code, "InvalidAccessKeyId") ||
                 !strcmp(code, "AuthorizationHeaderMalformed") || !strcmp(code, "PermanentRedirect") ||
                 !strcmp(code, "ExpiredToken") || !strcmp(code, "TokenRefreshRequired");
    int ret = cl_fail(st->c, config ? CLIPLINE_ERROR_CONFIG : CLIPLINE_ERROR_STORAGE,
                      "s3: %s (%s, %s): HTTP %ld%s%s%s%s%s%s", what,
                      p->cfg.cred_source, p->cfg.region, rs->status, *code ? " " : "", code,
                      *msg ? ": " : "", msg, *hint ? "; " : "", hint);
    cl_s3_scrub_detail(st);
    return ret;
}

/* ---- operations ---- */

static int head_object(cl_storage *st, const char *key, s3_resp *rs, const char *what)
{
    s3_req rq = { .method = "HEAD", .key = key, .fd = -1, .payload_hash = EMPTY_SHA256 };
    return cl_s3_call(st, &rq, rs, what);
}

/* 1 when the object is there with the same sha256, 0 when it is not. */
static int already_there(cl_storage *st, const char *key, const char *sha, const char *what)
{
    s3_resp rs = { 0 };
    int ret = head_object(st, key, &rs, what);
    if (ret < 0)
        goto end;
    if (rs.status == 200)
        ret = !strcasecmp(rs.meta_sha256, sha);
    else if (rs.status == 404 || rs.status == 403) /* 403: no s3:ListBucket right; PUT will tell */
        ret = 0;
    else
        ret = cl_s3_status_error(st, &rs, what);
end:
    cl_s3_buf_free(&rs.body);
    return ret;
}

static int put_single(cl_storage *st, const char *key, int fd, int64_t size, const char *sha,
                      const cl_s3_kv *h, int nh, const char *what, cl_s3_meter *meter)
{
    s3_resp rs = { 0 };
    s3_req rq = { .method = "PUT", .key = key, .headers = h, .nb_headers = nh, .fd = fd,
                  .offset = 0, .length = size, .payload_hash = sha, .meter = meter };
    int ret = cl_s3_call(st, &rq, &rs, what);
    if (ret >= 0 && rs.status != 200)
        ret = cl_s3_status_error(st, &rs, what);
    cl_s3_buf_free(&rs.body);
    return ret;
}

static int s3_publish(cl_storage *st, const char *local, const char *rel, const char *content_type,
                      const char *known_sha256)
{
    s3_priv *p = st->priv;
    char sha[65], what[1024];
    int64_t size = 0;
    int fd = -1, ret;
    char *key = object_key(p, rel, "upload", what);
    if (!key)
        return AVERROR(ENOMEM);
    struct stat sb;
    if (known_sha256 && strlen(known_sha256) == 64 && stat(local, &sb) == 0) { /* hashed by the caller */
        memcpy(sha, known_sha256, 65);
        size = sb.st_size;
    } else if ((ret = cl_sha256_file(local, sha, &size)) < 0) {
        ret = cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "%s: cannot read %s: %s", what, local,
                      clipline_strerror(ret));
        goto end;
    }
    if ((ret = already_there(st, key, sha, what)) < 0)
        goto end;
    if (ret == 1) {
        p->stats.skipped++;
        cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3://%s/%s: already there with the same sha256, not sent",
               p->cfg.bucket, key);
        if (!st->keep_local)
            unlink(local);
        ret = 0;
        goto end;
    }
    if ((fd = open(local, O_RDONLY | O_CLOEXEC)) < 0) {
        ret = cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "%s: cannot open %s: %s", what, local,
                      strerror(errno));
        goto end;
    }
    const char *ct = content_type && *content_type ? content_type : "application/octet-stream";
    cl_s3_kv h[] = { { "content-type", ct },
                     { "cache-control", cl_s3_cache_control(rel, ct) },
                     { "x-amz-meta-sha256", sha } };
    cl_s3_meter meter;
    cl_s3_meter_start(&meter, st, rel, size);
    if (size > p->cfg.multipart_threshold)
        ret = cl_s3_put_multipart(st, key, fd, size, sha, h, 3, what, &meter);
    else
        ret = put_single(st, key, fd, size, sha, h, 3, what, &meter);
    if (ret >= 0)
        cl_s3_meter_update(&meter, size, 1);
    if (ret >= 0) {
        cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3://%s/%s: uploaded %lld bytes", p->cfg.bucket, key,
               (long long)size);
        if (!st->keep_local)
            unlink(local);
    }
end:
    if (fd >= 0)
        close(fd);
    free(key);
    return ret;
}

static int s3_read(cl_storage *st, const char *rel, size_t cap, char **buf, size_t *len)
{
    s3_priv *p = st->priv;
    char what[1024];
    s3_resp rs = { 0 };
    *buf = NULL;
    if (len)
        *len = 0;
    char *key = object_key(p, rel, "read", what);
    if (!key)
        return AVERROR(ENOMEM);
    s3_req rq = { .method = "GET", .key = key, .fd = -1, .payload_hash = EMPTY_SHA256,
                  .body_cap = cap };
    int ret = cl_s3_call(st, &rq, &rs, what);
    if (ret < 0)
        goto end;
    if (rs.over_cap) {
        ret = cl_fail(st->c, CLIPLINE_ERROR_LIMIT, "s3: %s: larger than %zu bytes", what, cap);
    } else if (rs.status == 404) {
        ret = AVERROR(ENOENT);
    } else if (rs.status != 200) {
        ret = cl_s3_status_error(st, &rs, what);
    } else {
        *buf = rs.body.p ? rs.body.p : strdup("");
        if (len)
            *len = rs.body.len;
        rs.body.p = NULL;
        ret = *buf ? 0 : AVERROR(ENOMEM);
    }
end:
    cl_s3_buf_free(&rs.body);
    free(key);
    return ret;
}

/* A published object, downloaded into staging (streamed to the file: memory
 * stays small whatever its size), for the caller to read and remove. */
static char *s3_fetch(cl_storage *st, const char *rel, int *temporary)
{
    s3_priv *p = st->priv;
    char what[1024];
    s3_resp rs = { 0 };
    *temporary = 1;
    char *key = object_key(p, rel, "download", what), *path = key ? cl_storage_staging_path(st, rel) : NULL;
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1, ret;
    if (fd < 0) {
        ret = cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "s3: cannot make a local copy of %s: %s", rel,
                      path ? strerror(errno) : "out of memory");
        goto end;
    }
    s3_req rq = { .method = "GET", .key = key, .fd = -1, .payload_hash = EMPTY_SHA256, .download = 1, .out_fd = fd };
    if ((ret = cl_s3_call(st, &rq, &rs, what)) >= 0 && rs.status != 200)
        ret = rs.status == 404 ? cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "s3: %s: not found", what)
                               : cl_s3_status_error(st, &rs, what);
    if (close(fd) < 0 && ret >= 0)
        ret = cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "s3: %s: %s", what, strerror(errno));
end:
    cl_s3_buf_free(&rs.body);
    free(key);
    if (ret < 0 && path) {
        unlink(path);
        free(path);
        path = NULL;
    }
    return path;
}

static int s3_stat(cl_storage *st, const char *rel, int64_t *bytes)
{
    s3_priv *p = st->priv;
    char what[1024];
    s3_resp rs = { 0 };
    char *key = object_key(p, rel, "stat", what);
    if (!key)
        return AVERROR(ENOMEM);
    int ret = head_object(st, key, &rs, what);
    if (ret < 0)
        goto end;
    if (rs.status == 404)
        ret = AVERROR(ENOENT);
    else if (rs.status != 200)
        ret = cl_s3_status_error(st, &rs, what);
    else if (bytes)
        *bytes = rs.content_length;
end:
    cl_s3_buf_free(&rs.body);
    free(key);
    return ret;
}

static int s3_remove(cl_storage *st, const char *rel)
{
    s3_priv *p = st->priv;
    char what[1024];
    s3_resp rs = { 0 };
    char *key = object_key(p, rel, "removal", what);
    if (!key)
        return AVERROR(ENOMEM);
    s3_req rq = { .method = "DELETE", .key = key, .fd = -1, .payload_hash = EMPTY_SHA256 };
    int ret = cl_s3_call(st, &rq, &rs, what);
    if (ret >= 0 && rs.status != 204 && rs.status != 200 && rs.status != 404)
        ret = cl_s3_status_error(st, &rs, what);
    cl_s3_buf_free(&rs.body);
    free(key);
    return ret;
}

static int s3_open(cl_storage *st, const char *location)
{
    s3_priv *p = st->priv;
    int ret = cl_s3_config_load(st->c, location, &p->cfg);
    if (ret < 0)
        return ret;
    if ((ret = cl_storage_private_staging(st, "s3")) < 0)
        return ret;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return cl_fail(st->c, CLIPLINE_ERROR_STORAGE, "s3: libcurl could not be initialised");
    p->curl_global = 1;
    if (!(p->h = curl_easy_init()))
        return AVERROR(ENOMEM);
    p->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)p;
    cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3: bucket %s, prefix \"%s\", %s://%s (%s-style), region %s, "
           "credentials from %s", p->cfg.bucket, p->cfg.prefix, p->cfg.scheme, p->cfg.host,
           p->cfg.path_style ? "path" : "virtual-host", p->cfg.region, p->cfg.cred_source);
    return 0;
}

static void s3_close(cl_storage *st)
{
    s3_priv *p = st->priv;
    if (!p)
        return;
    if (p->h)
        curl_easy_cleanup(p->h);
    p->h = NULL;
    if (p->curl_global)
        curl_global_cleanup();
    p->curl_global = 0;
    cl_s3_config_clear(&p->cfg);
    cl_storage_remove_private_staging(st); /* with what failed outputs left */
}

const cl_storage_ops cl_storage_s3 = {
    .name = "S3-compatible object storage",
    .scheme = "s3",
    .priv_size = sizeof(s3_priv),
    .open = s3_open,
    .publish = s3_publish,
    .read = s3_read,
    .stat = s3_stat,
    .fetch = s3_fetch,
    .remove = s3_remove,
    .close = s3_close,
};

const char *cl_storage_s3_curl_version(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v && v->version ? v->version : "unknown";
}
