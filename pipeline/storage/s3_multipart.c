/*
 * s3_multipart.c: multipart upload for the s3 backend: CreateMultipartUpload,
 * the parts sent several at a time through one curl multi handle (each part
 * streamed from the staged file with pread, so memory is bounded by the
 * parts in flight times curl's upload buffer, never by the file size), each
 * part retried on its own with exponential backoff and jitter, then
 * CompleteMultipartUpload. An upload that fails is aborted so that no
 * orphan parts stay stored (and billed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/error.h>

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

typedef struct mp_upload {
    cl_storage *st;
    const char *key, *upload_id, *what;
    int fd;
    int64_t size, ps;
    int nparts, next_part, done;
    char **etags;
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

int cl_s3_put_multipart(cl_storage *st, const char *key, int fd, int64_t size,
                        const cl_s3_kv *h, int nh, const char *what)
{
    s3_priv *p = st->priv;
    int64_t ps = cl_s3_part_size(size, p->cfg.part_size);
    int nparts = (int)((size + ps - 1) / ps), ret = 0;
    char upload_id[512] = "";
    char **etags = calloc((size_t)nparts, sizeof(*etags));
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
    if ((ret = cl_s3_call(st, &rq, &rs, what)) < 0)
        goto end;
    cl_s3_xml_tag(rs.body.p, "UploadId", upload_id, sizeof(upload_id));
    if (rs.status != 200 || !upload_id[0]) {
        ret = cl_s3_status_error(st, &rs, what);
        goto end;
    }
    mp_upload u = { .st = st, .key = key, .upload_id = upload_id, .what = what, .fd = fd,
                    .size = size, .ps = ps, .nparts = nparts, .etags = etags };
    if ((ret = upload_parts(&u, p->cfg.parallel)) < 0 ||
        (ret = complete_multipart(st, key, upload_id, etags, nparts, what)) < 0)
        abort_multipart(st, key, upload_id);
end:
    for (int i = 0; etags && i < nparts; i++)
        free(etags[i]);
    free(etags);
    cl_s3_buf_free(&rs.body);
    return ret;
}
