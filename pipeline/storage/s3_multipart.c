/*
 * s3_multipart.c: multipart upload for the s3 backend: CreateMultipartUpload,
 * the parts sent several at a time through one curl multi handle (each part
 * streamed from the staged file with pread, so memory is bounded by the
 * parts in flight times curl's upload buffer, never by the file size), each
 * part retried on its own with exponential backoff and jitter, then
 * CompleteMultipartUpload. An upload that fails is aborted so that no
 * orphan parts stay stored (and billed).
 *
 * Resume: with a state folder (the cache folder, cl_storage.state_dir) each
 * upload keeps a journal, uploads/<sha256 of bucket and key>.json,
 * with its UploadId, the file's sha256, size and part size, and the ETag
 * of every part the server has acknowledged, written after each part. An
 * upload interrupted (Ctrl-C, a kill, a crash) is taken up again by the
 * next upload of the same bytes to the same key: ListParts says which parts
 * the server holds, each is checked (its size, and its ETag against the
 * journal's or against the MD5 of the local part) and only the others are
 * sent. A journal for other bytes, or one whose upload the server no longer
 * knows, is dropped (its upload aborted) and a new upload begins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/common.h>
#include <libavutil/error.h>
#include <openssl/evp.h>

#include "../core/util.h"
#include "s3_http.h"

typedef struct part_slot {
    CURL *h;
    struct curl_slist *hl;
    s3_req rq;
    s3_resp rs;
    cl_s3_kv q[2];
    char num[16];
    char errbuf[CURL_ERROR_SIZE];
    int part;            /* 0-based part index, -1 when idle */
    int attempt;
    int64_t retry_at_ms; /* when a failed part is sent again */
    int active;          /* in the multi handle */
} part_slot;

typedef struct journal {
    char *path;  /* NULL: no state folder; the upload cannot be resumed */
    json_t *doc; /* what the file says (or will say) */
} journal;

typedef struct mp_upload {
    cl_storage *st;
    const char *key, *upload_id, *what;
    int fd;
    int64_t size, ps;
    int nparts, next_part, done;
    char **etags;  /* a part's ETag once the server holds it */
    journal *jn;
    cl_s3_meter *meter;
    CURLM *m;
    part_slot *slots;
    int nslots;
} mp_upload;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the journal ---- */
static char *journal_path(cl_storage *st, const char *key)
{
    s3_priv *p = st->priv;
    if (!st->state_dir)
        return NULL;
    cl_s3_buf b = { 0 };
    char hex[65], name[80];
    cl_s3_buf_printf(&b, "%s\n%s", p->cfg.bucket, key);
    if (b.oom) {
        cl_s3_buf_free(&b);
        return NULL;
    }
    cl_sha256_hex(b.p, b.len, hex);
    cl_s3_buf_free(&b);
    snprintf(name, sizeof(name), "uploads/%.40s.json", hex);
    return cl_path_join(st->state_dir, name);
}

static void journal_save(cl_storage *st, journal *jn)
{
    if (!jn->path || !jn->doc)
        return;
    char *text = json_dumps(jn->doc, JSON_SORT_KEYS | JSON_COMPACT);
    char *dir = cl_path_dir(jn->path);
    int ret = text && dir ? cl_mkdirs(dir, 0700) : AVERROR(ENOMEM);
    if (ret >= 0)
        ret = cl_write_file_atomic(jn->path, text, strlen(text));
    if (ret < 0) {
        char e[128];
        cl_log(st->c, CLIPLINE_LOG_WARNING, "%s: cannot write the upload journal (%s); this upload "
               "cannot be resumed if it is interrupted", jn->path, cl_averr(ret, e));
        free(jn->path); /* no more tries */
        jn->path = NULL;
    }
    free(dir);
    free(text);
}

static void journal_part(cl_storage *st, journal *jn, int number, const char *etag)
{
    char n[16];
    snprintf(n, sizeof(n), "%d", number);
    if (jn && jn->doc) {
        json_object_set_new(json_object_get(jn->doc, "parts"), n, json_string(etag));
        journal_save(st, jn);
    }
}

static void journal_drop(journal *jn)
{
    if (jn->path)
        unlink(jn->path);
    json_decref(jn->doc);
    jn->doc = NULL;
}

/* The journal of an earlier upload of this key, if there is one. */
static json_t *journal_read(cl_storage *st, const char *path)
{
    char *text = NULL;
    json_t *doc = NULL;
    if (path && cl_read_file(path, 1 << 20, &text, NULL) >= 0) {
        doc = json_loads(text, 0, NULL);
        if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "clipline_upload")) != 1 ||
            !json_string_value(json_object_get(doc, "upload_id")) ||
            !json_is_object(json_object_get(doc, "parts"))) {
            cl_log(st->c, CLIPLINE_LOG_WARNING, "%s: not an upload journal of this version; ignored",
                   path);
            json_decref(doc);
            doc = NULL;
            unlink(path);
        }
    }
    free(text);
    return doc;
}

/* The MD5 of a part of the file as S3 writes it in a part's ETag (hex). */
static int part_md5(int fd, int64_t off, int64_t len, char hex[33])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[1 << 16], d[16];
    int ret = md && EVP_DigestInit_ex(md, EVP_md5(), NULL) ? 0 : AVERROR(ENOMEM);
    while (ret >= 0 && len > 0) {
        ssize_t n = pread(fd, buf, len < (int64_t)sizeof(buf) ? (size_t)len : sizeof(buf), off);
        if (n <= 0) {
            ret = n < 0 ? AVERROR(errno) : AVERROR(EIO);
            break;
        }
        EVP_DigestUpdate(md, buf, (size_t)n);
        off += n;
        len -= n;
    }
    if (ret >= 0 && EVP_DigestFinal_ex(md, d, NULL) != 1)
        ret = AVERROR(EIO);
    for (int i = 0; ret >= 0 && i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    EVP_MD_CTX_free(md);
    return ret;
}

/* Asks the server which parts of upload_id it holds (ListParts, page by
 * page) and keeps in u->etags those that check out. Returns the parts kept,
 * or -1 when the server no longer knows the upload or would not list it. */
static int list_kept_parts(mp_upload *u, const json_t *journaled)
{
    cl_storage *st = u->st;
    cl_s3_part_list l = { 0 };
    char marker[16] = "0", what[700];
    int ret = 0, kept = 0;
    snprintf(what, sizeof(what), "%s, listing the parts sent before", u->what);
    for (int page = 0; page < 12; page++) {
        cl_s3_kv q[] = { { "part-number-marker", marker }, { "uploadId", u->upload_id } };
        s3_req rq = { .method = "GET", .key = u->key, .query = q, .nb_query = 2, .fd = -1,
                      .payload_hash = EMPTY_SHA256, .body_cap = 4 << 20 };
        s3_resp rs = { 0 };
        if ((ret = cl_s3_call(st, &rq, &rs, what)) >= 0 && rs.status != 200) {
            char code[64];
            cl_s3_xml_tag(rs.body.p, "Code", code, sizeof(code));
            cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3: %s: HTTP %ld %s; starting a new upload", what,
                   rs.status, code);
            ret = -1;
        } else if (ret >= 0 && cl_s3_parse_list_parts(rs.body.p ? rs.body.p : "", rs.body.len, &l) < 0) {
            cl_log(st->c, CLIPLINE_LOG_WARNING, "s3: %s: the server's answer is not a list of parts; "
                   "starting a new upload", what);
            ret = -1;
        }
        cl_s3_buf_free(&rs.body);
        if (ret < 0 || !l.truncated)
            break;
        snprintf(marker, sizeof(marker), "%d", l.next_marker);
    }
    if (ret < 0) {
        cl_s3_part_list_free(&l);
        return ret == CLIPLINE_ERROR_INTERRUPTED ? ret : -1;
    }
    for (int i = 0; i < l.n; i++) {
        const cl_s3_listed_part *lp = &l.parts[i];
        int k = lp->number - 1;
        if (k >= u->nparts || u->etags[k])
            continue;
        int64_t off = (int64_t)k * u->ps, want = u->size - off < u->ps ? u->size - off : u->ps;
        char n[16], md5[33], quoted[40];
        snprintf(n, sizeof(n), "%d", lp->number);
        const char *mine = json_string_value(json_object_get(json_object_get(journaled, "parts"), n));
        int same = lp->size == want && mine && !strcmp(mine, lp->etag);
        if (!same && lp->size == want && part_md5(u->fd, off, want, md5) >= 0) {
            snprintf(quoted, sizeof(quoted), "\"%s\"", md5);
            same = !strcasecmp(lp->etag, quoted) || !strcasecmp(lp->etag, md5);
        }
        if (!same) {
            cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3: %s: part %d on the server differs from the file; "
                   "sending it again", u->what, lp->number);
            continue;
        }
        if (!(u->etags[k] = strdup(lp->etag))) {
            ret = AVERROR(ENOMEM);
            break;
        }
        kept++;
    }
    cl_s3_part_list_free(&l);
    return ret < 0 ? ret : kept;
}

static int start_part(mp_upload *u, part_slot *sl)
{
    int64_t off = (int64_t)sl->part * u->ps;
    snprintf(sl->num, sizeof(sl->num), "%d", sl->part + 1);
    sl->q[0] = (cl_s3_kv){ "partNumber", sl->num };
    sl->q[1] = (cl_s3_kv){ "uploadId", u->upload_id };
    sl->rq = (s3_req){ .method = "PUT", .key = u->key, .query = sl->q, .nb_query = 2, .fd = u->fd,
                       .offset = off, .length = u->size - off < u->ps ? u->size - off : u->ps,
                       .payload_hash = "UNSIGNED-PAYLOAD" };
    cl_s3_resp_reset(&sl->rs, ERROR_BODY_CAP);
    sl->attempt++;
    sl->retry_at_ms = 0;
    int ret = cl_s3_prepare(u->st, sl->h, sl->errbuf, &sl->rq, &sl->rs, &sl->hl);
    if (ret < 0)
        return ret;
    if (curl_multi_add_handle(u->m, sl->h) != CURLM_OK)
        return AVERROR(ENOMEM);
    sl->active = 1;
    return 0;
}

static int finish_part(mp_upload *u, part_slot *sl, CURLcode cc)
{
    s3_priv *p = u->st->priv;
    char what[700];
    snprintf(what, sizeof(what), "%s, part %d of %d", u->what, sl->part + 1, u->nparts);
    curl_multi_remove_handle(u->m, sl->h);
    sl->active = 0;
    curl_easy_getinfo(sl->h, CURLINFO_RESPONSE_CODE, &sl->rs.status);
    p->stats.bytes_sent += sl->rs.pos;
    curl_slist_free_all(sl->hl);
    sl->hl = NULL;
    if (cc == CURLE_OK && sl->rs.status == 200 && sl->rs.etag[0]) {
        if (!(u->etags[sl->part] = strdup(sl->rs.etag)))
            return AVERROR(ENOMEM);
        p->stats.parts++;
        u->done++;
        journal_part(u->st, u->jn, sl->part + 1, sl->rs.etag);
        sl->part = -1;
        sl->attempt = 0;
        return 0;
    }
    if (u->st->c->interrupted)
        return cl_fail(u->st->c, CLIPLINE_ERROR_INTERRUPTED, "s3: %s: interrupted", what);
    if (cl_s3_transient(cc, &sl->rs) && sl->attempt < p->cfg.max_attempts) {
        sl->retry_at_ms = now_ms() + cl_s3_backoff_ms(u->st, sl->attempt, cc, &sl->rs, what);
        return 0;
    }
    if (cc != CURLE_OK)
        return cl_s3_transport_error(u->st, cc, sl->errbuf, sl->attempt, what);
    if (sl->rs.status != 200)
        return cl_s3_status_error(u->st, &sl->rs, what);
    return cl_fail(u->st->c, CLIPLINE_ERROR_STORAGE, "s3: %s: the server sent no ETag", what);
}

/* Starts idle slots on the next parts and failed parts whose delay is over. */
static int fill_slots(mp_upload *u)
{
    int64_t t = now_ms();
    for (int i = 0; i < u->nslots; i++) {
        part_slot *sl = &u->slots[i];
        if (sl->active)
            continue;
        while (u->next_part < u->nparts && u->etags[u->next_part])
            u->next_part++; /* already on the server (resumed) */
        if (sl->part < 0 && u->next_part < u->nparts) {
            sl->part = u->next_part++;
            sl->attempt = 0;
        } else if (sl->part < 0 || sl->retry_at_ms > t) {
            continue;
        }
        int ret = start_part(u, sl);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* The parts the server holds, and what the parts in flight have sent. */
static int64_t bytes_sent(const mp_upload *u)
{
    int64_t n = 0;
    for (int i = 0; i < u->nparts; i++)
        if (u->etags[i])
            n += FFMIN(u->ps, u->size - (int64_t)i * u->ps);
    for (int i = 0; i < u->nslots; i++) {
        curl_off_t up = 0;
        if (u->slots[i].active && curl_easy_getinfo(u->slots[i].h, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK)
            n += up;
    }
    return FFMIN(n, u->size);
}

static int run_parts(mp_upload *u)
{
    int ret = 0;
    while (ret >= 0 && u->done < u->nparts) {
        if ((ret = fill_slots(u)) < 0)
            break;
        int running = 0, left = 0;
        if (curl_multi_perform(u->m, &running) != CURLM_OK) {
            ret = AVERROR(EIO);
            break;
        }
        CURLMsg *msg;
        while (ret >= 0 && (msg = curl_multi_info_read(u->m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            for (int i = 0; i < u->nslots; i++)
                if (u->slots[i].active && u->slots[i].h == msg->easy_handle) {
                    ret = finish_part(u, &u->slots[i], msg->data.result);
                    break;
                }
        }
        if (ret >= 0 && u->st->c->interrupted)
            ret = cl_fail(u->st->c, CLIPLINE_ERROR_INTERRUPTED, "s3: %s: interrupted", u->what);
        if (ret >= 0 && u->meter)
            cl_s3_meter_update(u->meter, bytes_sent(u), 0);
        if (ret >= 0 && u->done < u->nparts)
            curl_multi_poll(u->m, NULL, 0, 100, NULL); /* at most 100 ms: retries are timed here */
    }
    return ret;
}

static int upload_parts(mp_upload *u, int parallel)
{
    int ret = 0;
    u->nslots = parallel < u->nparts ? parallel : u->nparts;
    u->slots = calloc((size_t)u->nslots, sizeof(*u->slots));
    u->m = curl_multi_init();
    if (!u->slots || !u->m) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    for (int i = 0; i < u->nslots; i++) {
        u->slots[i].part = -1;
        if (!(u->slots[i].h = curl_easy_init())) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
    }
    ret = run_parts(u);
end:
    for (int i = 0; u->slots && i < u->nslots; i++) {
        part_slot *sl = &u->slots[i];
        if (sl->active)
            curl_multi_remove_handle(u->m, sl->h);
        curl_slist_free_all(sl->hl);
        cl_s3_buf_free(&sl->rs.body);
        if (sl->h)
            curl_easy_cleanup(sl->h);
    }
    free(u->slots);
    u->slots = NULL;
    if (u->m)
        curl_multi_cleanup(u->m);
    u->m = NULL;
    return ret;
}

static void abort_multipart(cl_storage *st, const char *key, const char *upload_id)
{
    s3_priv *p = st->priv;
    char saved[CL_DETAIL_MAX];
    memcpy(saved, cl_detail(st->c), sizeof(saved));
    cl_s3_kv q[] = { { "uploadId", upload_id } };
    s3_req rq = { .method = "DELETE", .key = key, .query = q, .nb_query = 1, .fd = -1,
                  .payload_hash = EMPTY_SHA256 };
    s3_resp rs = { 0 };
    int ret = cl_s3_call(st, &rq, &rs, "abort multipart upload");
    if (ret < 0 || (rs.status != 204 && rs.status != 200 && rs.status != 404))
        cl_log(st->c, CLIPLINE_LOG_WARNING,
               "s3://%s/%s: could not abort the multipart upload (HTTP %ld); its parts stay "
               "stored until a lifecycle rule removes them",
               p->cfg.bucket, key, rs.status);
    memcpy(cl_detail(st->c), saved, sizeof(saved));
    cl_s3_buf_free(&rs.body);
}

static int complete_multipart(cl_storage *st, const char *key, const char *upload_id,
                              char **etags, int nparts, const char *what)
{
    cl_s3_buf x = { 0 };
    s3_resp rs = { 0 };
    int ret = 0;
    cl_s3_buf_str(&x, "<CompleteMultipartUpload>");
    for (int i = 0; i < nparts; i++)
        cl_s3_buf_printf(&x, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1,
                         etags[i]);
    cl_s3_buf_str(&x, "</CompleteMultipartUpload>");
    if (x.oom) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    char sha[65];
    cl_sha256_hex(x.p, x.len, sha);
    cl_s3_kv q[] = { { "uploadId", upload_id } };
    cl_s3_kv h[] = { { "content-type", "application/xml" } };
    s3_req rq = { .method = "POST", .key = key, .query = q, .nb_query = 1, .headers = h,
                  .nb_headers = 1, .fd = -1, .mem = x.p, .mem_len = x.len, .payload_hash = sha };
    if ((ret = cl_s3_call(st, &rq, &rs, what)) < 0)
        goto end;
    /* a 200 may still carry an <Error> (S3 reports late failures that way) */
    if (rs.status != 200 || (rs.body.p && strstr(rs.body.p, "<Error>")))
        ret = cl_s3_status_error(st, &rs, what);
end:
    cl_s3_buf_free(&x);
    cl_s3_buf_free(&rs.body);
    return ret;
}

/* Takes up an earlier upload of these bytes to this key when its journal
 * says there is one: *upload_id is set and u->etags holds the parts kept.
 * A journal for other bytes has its upload aborted. */
static int resume(mp_upload *u, const char *sha, char *upload_id, size_t idsize)
{
    cl_storage *st = u->st;
    s3_priv *p = st->priv;
    json_t *old = journal_read(st, u->jn->path);
    if (!old)
        return 0;
    const char *id = json_string_value(json_object_get(old, "upload_id"));
    int mine = !strcmp(json_string_value(json_object_get(old, "bucket")) ?: "", p->cfg.bucket) &&
               !strcmp(json_string_value(json_object_get(old, "key")) ?: "", u->key);
    int same = mine && !strcmp(json_string_value(json_object_get(old, "sha256")) ?: "", sha) &&
               json_integer_value(json_object_get(old, "size")) == u->size &&
               json_integer_value(json_object_get(old, "part_size")) == u->ps;
    int kept = -1;
    if (same) {
        u->upload_id = id;
        kept = list_kept_parts(u, old);
        u->upload_id = NULL;
        if (kept == CLIPLINE_ERROR_INTERRUPTED || kept == AVERROR(ENOMEM)) {
            json_decref(old);
            return kept;
        }
    }
    if (kept >= 0) {
        snprintf(upload_id, idsize, "%s", id);
        u->done = kept;
        p->stats.parts_kept += kept;
        u->jn->doc = old;
        /* the journal keeps only the parts that checked out */
        json_t *parts = json_object();
        for (int i = 0; i < u->nparts; i++)
            if (u->etags[i]) {
                char n[16];
                snprintf(n, sizeof(n), "%d", i + 1);
                json_object_set_new(parts, n, json_string(u->etags[i]));
            }
        json_object_set_new(old, "parts", parts);
        journal_save(st, u->jn);
        cl_log(st->c, CLIPLINE_LOG_INFO, "s3://%s/%s: resuming an interrupted upload: %d of %d parts "
               "are already there", p->cfg.bucket, u->key, kept, u->nparts);
        return 0;
    }
    /* other bytes, or an upload the server no longer knows: give it up */
    if (mine)
        abort_multipart(st, u->key, id);
    json_decref(old);
    unlink(u->jn->path);
    return 0;
}

int cl_s3_put_multipart(cl_storage *st, const char *key, int fd, int64_t size, const char *sha,
                        const cl_s3_kv *h, int nh, const char *what, cl_s3_meter *meter)
{
    s3_priv *p = st->priv;
    int64_t ps = cl_s3_part_size(size, p->cfg.part_size);
    int nparts = (int)((size + ps - 1) / ps), ret = 0;
    char upload_id[512] = "";
    char **etags = calloc((size_t)nparts, sizeof(*etags));
    journal jn = { .path = journal_path(st, key) };
    mp_upload u = { .st = st, .key = key, .what = what, .fd = fd, .size = size, .ps = ps,
                    .nparts = nparts, .etags = etags, .jn = &jn, .meter = meter };
    s3_resp rs = { 0 };
    cl_s3_kv q[] = { { "uploads", NULL } };
    s3_req rq = { .method = "POST", .key = key, .query = q, .nb_query = 1, .headers = h,
                  .nb_headers = nh, .fd = -1, .mem = "", .mem_len = 0, .payload_hash = EMPTY_SHA256 };
    if (!etags) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    cl_log(st->c, CLIPLINE_LOG_VERBOSE, "s3: %s: multipart upload, %d parts of %lld bytes, %d at a time",
           what, nparts, (long long)ps, p->cfg.parallel);
    if ((ret = resume(&u, sha, upload_id, sizeof(upload_id))) < 0)
        goto end;
    if (!upload_id[0]) {
        if ((ret = cl_s3_call(st, &rq, &rs, what)) < 0)
            goto end;
        cl_s3_xml_tag(rs.body.p, "UploadId", upload_id, sizeof(upload_id));
        if (rs.status != 200 || !upload_id[0]) {
            ret = cl_s3_status_error(st, &rs, what);
            goto end;
        }
        jn.doc = json_pack("{s:i,s:s,s:s,s:s,s:s,s:I,s:I,s:{}}", "clipline_upload", 1, "bucket",
                           p->cfg.bucket, "key", key, "upload_id", upload_id, "sha256", sha, "size",
                           (json_int_t)size, "part_size", (json_int_t)ps, "parts");
        journal_save(st, &jn);
    }
    u.upload_id = upload_id;
    if ((ret = upload_parts(&u, p->cfg.parallel)) < 0 ||
        (ret = complete_multipart(st, key, upload_id, etags, nparts, what)) < 0) {
        if (ret == CLIPLINE_ERROR_INTERRUPTED && jn.path && jn.doc) {
            /* kept for the next run: it sends only what is missing */
            cl_log(st->c, CLIPLINE_LOG_INFO, "s3://%s/%s: upload interrupted with %d of %d parts "
                   "sent; the next run resumes it", p->cfg.bucket, key, u.done, nparts);
            json_decref(jn.doc);
            jn.doc = NULL;
        } else {
            abort_multipart(st, key, upload_id);
            journal_drop(&jn);
        }
    } else {
        journal_drop(&jn);
    }
end:
    for (int i = 0; etags && i < nparts; i++)
        free(etags[i]);
    free(etags);
    json_decref(jn.doc);
    free(jn.path);
    cl_s3_buf_free(&rs.body);
    return ret;
}
