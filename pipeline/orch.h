/*
 * orch.h: what the job orchestrator's files share (run.c: items, the
 * destination and its manifest; plan.c: a clip's outputs and why each is
 * built or skipped; build.c: encoding, verifying and publishing them;
 * report.c: the JSON and JUnit reports of a run).
 * The orchestrator is the one part of libclipline that knows every stage.
 */
#ifndef CL_ORCH_H
#define CL_ORCH_H

#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "job/identity.h"
#include "job/spec.h"
#include "media/media.h"
#include "storage/storage.h"
#include "subs/subs.h"

typedef struct run_state {
    clipline_context *c;
    const clipline_run_options *o;
    cl_job_spec job;
    cl_storage *st;
    json_t *manifest;
    clipline_run_summary sum;
    char versions[512];
    json_t *report; /* items for --report / --junit, or NULL */
    /* items built side by side (-j): the manifest, the report and the
     * counts of `sum` are shared; `lock` (recursive) guards the first two */
    pthread_mutex_t lock;
    int next_item, stop, failed;
    int stop_err; /* what stopped the batch: interrupted, or the manifest not written */
    cl_identities *ids; /* the recordings' content hashes */
    int parts_marked;   /* a shard: the parts' marker is written */
} run_state;

#define RS_COUNT(rs, field, n) __atomic_fetch_add(&(rs)->sum.field, (n), __ATOMIC_RELAXED)
static inline void rs_lock(run_state *rs) { pthread_mutex_lock(&rs->lock); }
static inline void rs_unlock(run_state *rs) { pthread_mutex_unlock(&rs->lock); }

typedef cl_span clip_times;

typedef enum out_kind { OUT_MP4, OUT_HLS, OUT_POSTER, OUT_SUBS, OUT_BURN } out_kind;

/* One planned output of a clip. For HLS the output is the whole ladder:
 * `rel` names its master playlist, `staging` is a folder. */
typedef struct planned {
    out_kind kind;
    const cl_preset *preset; /* MP4, burned: its preset; HLS: the HLS preset */
    const cl_sub_input *sub; /* subtitles, burned: the language's file */
    char rel[1024];
    char fingerprint[65];
    json_t *inputs;  /* what the fingerprint hashes, as digests (kept in the manifest entry) */
    int build, published;
    int remux;       /* brought up to date from what was published: an MP4 whose soft subtitles
                        alone changed gets its packets copied; an HLS ladder re-encodes only
                        its stale rungs (bits of stale_rungs, by the HLS preset's rung order),
                        keeps the others and rewrites its subtitle renditions and master */
    unsigned stale_rungs;
    const char *reason;
    char why[256];   /* the reason, when it names what changed */
    char *staging;
    const char *item; /* the clip's "interview/clip", for progress events */
} planned;

/* A clip being built: its plan and what the media stage reported. */
typedef struct clip_job {
    const cl_interview_spec *iv;
    const cl_clip_spec *clip;
    clip_times t;
    planned *pl;
    int n;
    cl_clip_report report;
    int has_report;
    json_t *trimmed; /* what trim_silence / trim_black changed, or NULL */
    const cl_part_spec *part[2]; /* intro, outro (their lengths: t.lead_us, t.tail_us) */
    char source_id[96], part_id[2][96]; /* their identities (cl_identity_of) */
    struct stat source_stat; /* the recording before it was hashed (source_seen: stat worked) */
    int source_seen;
    char label[512];
} clip_job;

/* plan.c */
int plan_clip(run_state *rs, clip_job *cj, const cl_sub_input *subs, int nb_subs, json_t *outputs);
/* Outputs a clip can have at most. */
int plan_capacity(const cl_job_spec *job, int nb_subs);
/* The presets encoded per clip: the job's MP4 presets, then the HLS rungs it does not list. */
int plan_encodings(const cl_job_spec *job, const cl_preset **out, int max);
void plan_versions(run_state *rs);
/* Adds the outputs already published under `prefix` (a skipped ladder's
 * files); takes the lock. */
void plan_keep_outputs(run_state *rs, const char *prefix, json_t *outputs);

/* build.c */
int build_media(run_state *rs, clip_job *cj, int has_audio, json_t *outputs);
int build_sidecars(run_state *rs, clip_job *cj, json_t *outputs);
int publish_text(run_state *rs, const char *rel, const char *text, const char *mime);

/* shard.c: a shard's items and its parts of the manifest */
/* Whether item k (job order) belongs to the run's shard (every item without shards). */
int shard_has(const run_state *rs, int k);
/* Merges the parts shards left (of this shard's items, or `all` the job's);
 * returns the items merged. */
int shard_merge_parts(run_state *rs, int all);
/* The item's part, from rs->manifest, published (the marker first). */
int shard_write_part(run_state *rs, const char *interview, const char *clip);
/* Removes the parts of every item of the job, then the marker. */
int shard_remove_parts(run_state *rs);

/* review.c: the destination's index.html from its manifest (caller frees). */
char *review_page(const json_t *manifest);

/* report.c */
void report_item(run_state *rs, const clip_job *cj, int ret, double seconds);
int report_write(run_state *rs, int ret, double seconds);

#endif
