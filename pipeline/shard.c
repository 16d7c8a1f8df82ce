/*
 * shard.c: a batch cut into shards run as the tasks of a cluster engine's
 * array job (Slurm, Kubernetes Indexed Jobs, AWS Batch), sharing nothing
 * but the destination.
 *
 * Items are dealt in job order: item k (interviews in order, their clips in
 * order) belongs to shard k % N, so shards are disjoint, together they are
 * the whole batch, the cut depends on the job alone, and a clip's outputs
 * stay together (decoded once). A shard publishes its outputs and clip
 * manifests as a whole run does, but instead of the destination's
 * manifest.json it writes, after each item, that item's part of it:
 * .clipline-parts/<interview>/<clip>.json, after a marker
 * .clipline-parts/unpublished. clipline publish (or the next whole run)
 * merges the parts into manifest.json, writes index.html, and removes the
 * parts, the marker last. A shard run again reads its items' parts, so what
 * a failed task published is not built again.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "core/util.h"
#include "job/manifest.h"
#include "orch.h"

#define PARTS_DIR ".clipline-parts"
#define PARTS_MARK PARTS_DIR "/unpublished"

int shard_has(const run_state *rs, int k)
{
    return rs->o->shard_count <= 0 || k % rs->o->shard_count == rs->o->shard_index;
}

static void part_rel(char *buf, size_t n, const char *interview, const char *clip)
{
    snprintf(buf, n, PARTS_DIR "/%s/%s.json", interview, clip);
}

/* Calls fn for every item of the job that is in scope (this shard's, or
 * all of them), with its index in job order. Stops at fn's first error. */
static int each_item(run_state *rs, int all, int (*fn)(run_state *rs, const char *iv, const char *clip))
{
    int k = 0, ret, n = 0;
    for (int i = 0; i < rs->job.nb_interviews; i++)
        for (int j = 0; j < rs->job.interviews[i].nb_clips; j++, k++) {
            if (!all && !shard_has(rs, k))
                continue;
            if ((ret = fn(rs, rs->job.interviews[i].id, rs->job.interviews[i].clips[j].name)) < 0)
                return ret;
            n += ret;
        }
    return n;
}

static int merge_one(run_state *rs, const char *iv, const char *clip)
{
    char rel[PATH_MAX], where[PATH_MAX + 64];
    char *text = NULL;
    part_rel(rel, sizeof(rel), iv, clip);
    int ret = cl_storage_read(rs->st, rel, CL_MANIFEST_CAP, &text, NULL);
    if (ret == AVERROR(ENOENT)) {
        free(text);
        return 0;
    }
    snprintf(where, sizeof(where), "%s at the destination", rel);
    if (ret < 0) {
        free(text);
        return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "%s: cannot read: %s", where, clipline_strerror(ret));
    }
    json_t *part = NULL;
    ret = cl_manifest_parse(rs->c, text, where, &part);
    free(text);
    if (ret >= 0)
        ret = cl_manifest_merge(rs->c, rs->manifest, part, where);
    json_decref(part);
    return ret < 0 ? ret : 1;
}

int shard_merge_parts(run_state *rs, int all)
{
    char *mark = NULL;
    int ret = cl_storage_read(rs->st, PARTS_MARK, 4096, &mark, NULL);
    free(mark);
    if (ret == AVERROR(ENOENT))
        return 0; /* no shard has written anything since the last publish */
    if (ret < 0)
        return cl_fail(rs->c, CLIPLINE_ERROR_STORAGE, "%s: cannot read %s: %s", rs->st->location, PARTS_MARK,
                       clipline_strerror(ret));
    rs_lock(rs);
    ret = each_item(rs, all, merge_one);
    rs_unlock(rs);
    return ret;
}

int shard_write_part(run_state *rs, const char *iv, const char *clip)
{
    int ret = 0;
    rs_lock(rs);
    if (!rs->parts_marked) {
        ret = publish_text(rs, PARTS_MARK,
                           "{ \"note\": \"manifest parts of shards, for clipline publish to merge\" }\n",
                           "application/json");
        rs->parts_marked = ret >= 0;
    }
    json_t *part = ret >= 0 ? cl_manifest_item_part(rs->manifest, iv, clip) : NULL;
    char *text = part ? cl_manifest_dump(part) : NULL;
    rs_unlock(rs);
    if (ret >= 0 && !text)
        ret = AVERROR(ENOMEM);
    if (ret >= 0) {
        char rel[PATH_MAX];
        part_rel(rel, sizeof(rel), iv, clip);
        ret = publish_text(rs, rel, text, "application/json");
    }
    free(text);
    json_decref(part);
    return ret;
}

static int remove_one(run_state *rs, const char *iv, const char *clip)
{
    char rel[PATH_MAX];
    part_rel(rel, sizeof(rel), iv, clip);
    return cl_storage_remove(rs->st, rel);
}

int shard_remove_parts(run_state *rs)
{
    int ret = each_item(rs, 1, remove_one);
    return ret < 0 ? ret : cl_storage_remove(rs->st, PARTS_MARK);
}

/* The engines' array index variables, in the order they are looked for. */
static const struct {
    const char *var, *base_var, *engine;
} engines[] = {
    { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "Slurm array job" },
    { "JOB_COMPLETION_INDEX", NULL, "Kubernetes Indexed Job" },
    { "AWS_BATCH_JOB_ARRAY_INDEX", NULL, "AWS Batch array job" },
};

static int env_int(const char *name, long *v)
{
    const char *s = getenv(name);
    char *end;
    if (!s || !*s)
        return 0;
    errno = 0;
    *v = strtol(s, &end, 10);
    return *end || errno ? -1 : 1;
}

int clipline_shard_from_env(clipline_context *c, int count, int *index)
{
    CL_CHECK_ARG(c, index && count > 0);
    for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
        long id, base = 0;
        int r = env_int(engines[i].var, &id);
        if (r == 0)
            continue;
        if (r < 0)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "--shard auto: %s=\"%s\" is not a whole number", engines[i].var,
                           getenv(engines[i].var));
        const char *bv = engines[i].base_var;
        /* CLIPLINE_SHARD_BASE pins the base (scripts/slurm-submit sets 0), so
         * that a resubmitted task (--array=4 alone: its minimum is 4) keeps its index */
        if ((r = env_int("CLIPLINE_SHARD_BASE", &base)) != 0)
            bv = "CLIPLINE_SHARD_BASE";
        else if (bv && (r = env_int(bv, &base)) == 0)
            base = 0;
        if (r < 0)
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "--shard auto: %s=\"%s\" is not a whole number", bv, getenv(bv));
        if (id - base < 0 || id - base >= count) {
            char minus[128] = "";
            if (r > 0)
                snprintf(minus, sizeof(minus), " minus %s=%ld", bv, base);
            return cl_fail(c, CLIPLINE_ERROR_CONFIG, "--shard auto/%d: %s=%ld%s gives shard %ld, not in 0..%d (%s)",
                           count, engines[i].var, id, minus, id - base, count - 1, engines[i].engine);
        }
        *index = (int)(id - base);
        cl_log(c, CLIPLINE_LOG_VERBOSE, "shard %d of %d, from %s=%ld (%s)", *index, count, engines[i].var, id,
               engines[i].engine);
        return 0;
    }
    return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                   "--shard auto/%d: none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX "
                   "is set; give the index: --shard I/%d",
                   count, count);
}
