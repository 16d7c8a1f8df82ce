/*
 * clipline.h: the public contract of libclipline.
 *
 * libclipline turns interview recordings into web-ready clips: it reads a job
 * file, plans the outputs, decodes each clip once, encodes its renditions,
 * verifies them and publishes them to a storage backend with a manifest.
 *
 * Conventions (stated once, true for every function below):
 * - Return values: 0 or a positive count on success, a negative error code on
 *   failure. Error codes share FFmpeg's AVERROR space: a code is either one of
 *   the CLIPLINE_ERROR_* tags below or an AVERROR from FFmpeg/libc.
 *   clipline_strerror() names any of them; clipline_error_detail() gives the
 *   sentence that explains the last failure on a context (file, line, key).
 * - Ownership: a pointer returned through an out-parameter belongs to the
 *   caller and is released with the matching *_free/close function. Those
 *   take a T ** and set it to NULL; passing NULL or a pointer to NULL is fine.
 *   On failure no out-parameter is left pointing at anything.
 * - The library never reads argv, never writes to stdout and never calls
 *   exit(). Messages go through the log callback of the settings (FFmpeg's
 *   and libass's own messages are bridged into it).
 * - A context is used by one thread at a time.
 *
 * Usage:
 *     clipline_settings s;
 *     clipline_default_settings(&s);
 *     s.log_cb = my_log;
 *     clipline_context *c = NULL;
 *     if (clipline_open(&c, &s) < 0) ...;
 *     clipline_run_options o;
 *     clipline_default_run_options(&o);
 *     clipline_run_summary sum;
 *     int r = clipline_run(c, "job.json", &o, &sum);
 *     if (r < 0) fprintf(stderr, "%s\n", clipline_error_detail(c));
 *     clipline_close(&c);
 */
#ifndef CLIPLINE_H
#define CLIPLINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLIPLINE_API __attribute__((visibility("default")))

/* ---- Errors: AVERROR-compatible tags (negative four-character codes). ---- */
#define CLIPLINE_MKTAG(a, b, c, d) \
    ((int)((unsigned)(a) | ((unsigned)(b) << 8) | ((unsigned)(c) << 16) | ((unsigned)(d) << 24)))
#define CLIPLINE_ERRTAG(a, b, c, d) (-CLIPLINE_MKTAG(a, b, c, d))

/** Usage or configuration error: bad job file, unknown key, unknown preset. */
#define CLIPLINE_ERROR_CONFIG CLIPLINE_ERRTAG('C', 'L', 'c', 'f')
/** A source recording cannot be read or has no usable stream. */
#define CLIPLINE_ERROR_INPUT CLIPLINE_ERRTAG('C', 'L', 'i', 'n')
/** A subtitle file cannot be decoded or parsed. */
#define CLIPLINE_ERROR_SUBTITLE CLIPLINE_ERRTAG('C', 'L', 's', 'b')
/** Encoding or muxing failed. */
#define CLIPLINE_ERROR_ENCODE CLIPLINE_ERRTAG('C', 'L', 'e', 'n')
/** A finished output failed its verification against the web contract. */
#define CLIPLINE_ERROR_VERIFY CLIPLINE_ERRTAG('C', 'L', 'v', 'f')
/** Storage could not be written (local folder or object store). */
#define CLIPLINE_ERROR_STORAGE CLIPLINE_ERRTAG('C', 'L', 's', 't')
/** Some items of a batch failed; the others were built. */
#define CLIPLINE_ERROR_ITEMS_FAILED CLIPLINE_ERRTAG('C', 'L', 'i', 'f')
/** The run was interrupted (clipline_interrupt()). */
#define CLIPLINE_ERROR_INTERRUPTED CLIPLINE_ERRTAG('C', 'L', 'i', 'r')
/** An input exceeded one of the library's caps (file size, count, length). */
#define CLIPLINE_ERROR_LIMIT CLIPLINE_ERRTAG('C', 'L', 'l', 'm')

/** Name of an error code (ours, FFmpeg's or errno's). Never NULL. */
CLIPLINE_API const char *clipline_strerror(int err);

/** Short class of an error for reports: "config", "input", "subtitle",
 *  "encode", "verify", "storage", "interrupted" or "internal". */
CLIPLINE_API const char *clipline_error_class(int err);

/* ---- Logging ---- */
enum clipline_log_level {
    CLIPLINE_LOG_ERROR = 16, /* same values as AV_LOG_* */
    CLIPLINE_LOG_WARNING = 24,
    CLIPLINE_LOG_INFO = 32,
    CLIPLINE_LOG_VERBOSE = 40,
    CLIPLINE_LOG_DEBUG = 48,
};

/** Receives one complete message (no trailing newline). `origin` is
 *  "clipline", "ffmpeg" or "libass". Called from any of the library's threads. */
typedef void (*clipline_log_cb)(void *opaque, int level, const char *origin, const char *msg);

/* ---- Context ---- */
typedef struct clipline_context clipline_context;

/* ---- Progress ---- */
/** One progress event. Strings are valid during the callback only. */
typedef struct clipline_progress {
    const char *event;  /* "item" (an item starts), "progress", "done" (an output or
                           item finished), "summary" (the run's end) */
    const char *item;   /* "interview/clip"; NULL for "summary" */
    const char *output; /* the output's path at the destination, or NULL for the item */
    const char *phase;  /* "probe", "encode", "verify", "publish", "upload" (bytes going to
                           object storage); NULL when none */
    double percent;     /* 0-100 of the phase, < 0 when unknown */
    double out_time_s;  /* encode: media time done so far */
    double fps;         /* encode: frames per second, so far */
    double speed;       /* encode: media seconds per wall second */
    double eta_s;       /* seconds left in the phase, < 0 when unknown */
    int64_t bytes;      /* publish: bytes of the output */
    const char *status; /* "done": "ok" or "failed"; else NULL */
    /* "summary" only */
    int items, items_ok, items_failed, outputs_built, outputs_up_to_date;
    /* "upload": bytes of the output sent so far, and the rate (bytes per
     * second, since the output's upload began); else -1 */
    int64_t bytes_done;
    double bytes_per_s;
} clipline_progress;
typedef void (*clipline_progress_cb)(void *opaque, const clipline_progress *p);

typedef struct clipline_settings {
    int log_level;          /* messages above this level are dropped; default INFO */
    clipline_log_cb log_cb; /* NULL: messages are dropped */
    void *log_opaque;
    clipline_progress_cb progress_cb; /* NULL: no progress events; called from the
                                         thread running clipline_run() */
    void *progress_opaque;
    const char *preset_dir; /* folder of preset JSON files; NULL: built-in folder */
    int threads;            /* worker threads to use in total; 0: all cores */
} clipline_settings;

CLIPLINE_API void clipline_default_settings(clipline_settings *s);

/** Opens a context. On failure *ctx is NULL. */
CLIPLINE_API int clipline_open(clipline_context **ctx, const clipline_settings *s);
/** Closes a context and sets *ctx to NULL. */
CLIPLINE_API void clipline_close(clipline_context **ctx);

/** The sentence explaining the last failure on this context ("" if none). */
CLIPLINE_API const char *clipline_error_detail(const clipline_context *ctx);

/** Asks a running operation to stop as soon as it safely can (signal-safe). */
CLIPLINE_API void clipline_interrupt(clipline_context *ctx);

/* ---- Versions ---- */
typedef struct clipline_versions {
    const char *clipline;
    char libavcodec[32], libavformat[32], libavfilter[32], libavutil[32];
    char libass[32], libcurl[32], x264[48];
} clipline_versions;

CLIPLINE_API void clipline_get_versions(clipline_versions *v);

/* ---- Probe ---- */
typedef struct clipline_stream_info {
    int index;
    char type[16];  /* "video", "audio", "subtitle", "data" */
    char codec[32]; /* e.g. "h264" */
    char profile[32];
    int64_t bit_rate;
    /* video */
    int width, height;
    int sar_num, sar_den;
    int dar_num, dar_den;
    double rotation; /* degrees, counter-clockwise, from the display matrix */
    char field_order[16]; /* "progressive", "tt", "bb", "tb", "bt", "unknown" */
    double frame_rate;
    int variable_frame_rate; /* 1 when frame durations differ in the probed part */
    char pix_fmt[32];
    int bit_depth;
    char color_range[16], color_primaries[16], color_transfer[16], color_space[16];
    /* audio */
    int sample_rate, channels;
    char channel_layout[64];
    char language[16];
    double duration_s;
} clipline_stream_info;

typedef struct clipline_media_info {
    char *path;
    char container[64];
    double duration_s;
    double start_time_s;
    int64_t bit_rate, size_bytes;
    int nb_streams;
    clipline_stream_info *streams;
} clipline_media_info;

/** Reads a media file's properties. */
CLIPLINE_API int clipline_probe(clipline_context *ctx, const char *path, clipline_media_info **info);
/** The same properties as a JSON document (caller frees with free()). */
CLIPLINE_API char *clipline_media_info_json(const clipline_media_info *info);
CLIPLINE_API void clipline_media_info_free(clipline_media_info **info);

/* ---- Presets ---- */
/** Lists the names of the available presets (caller frees with clipline_strv_free). */
CLIPLINE_API int clipline_presets_list(clipline_context *ctx, char ***names);
/** The fully layered preset (defaults + preset file) as JSON text, caller frees. */
CLIPLINE_API int clipline_preset_show(clipline_context *ctx, const char *name, char **json);
/** Checks one preset file; 0 when valid, CLIPLINE_ERROR_CONFIG with detail if not. */
CLIPLINE_API int clipline_preset_check(clipline_context *ctx, const char *path);
CLIPLINE_API void clipline_strv_free(char ***v);

/* ---- Subtitle files ---- */
/** Checks a subtitle file, or every .srt/.vtt/.ass/.ssa of a folder (the translators'
 *  drop folder): encoding and how it was decided, cues read/kept/dropped,
 *  problems with line numbers, glyph coverage of the fonts for the language
 *  (`lang`, or NULL: from the file name "<lang>.<ext>"). `*json` is the
 *  report (caller frees with free()), also on CLIPLINE_ERROR_SUBTITLE, which
 *  means some file has an error. */
CLIPLINE_API int clipline_subs_check(clipline_context *ctx, const char *path, const char *lang,
                                     char **json);

/* ---- Starting a job ---- */
/** Writes DIR/job.json for the recordings found in DIR (one interview each,
 *  the whole recording as one clip, subtitle folders when found). Never
 *  overwrites. Returns the number of recordings; *path is the job file's
 *  path (caller frees with free()). */
CLIPLINE_API int clipline_init_job(clipline_context *ctx, const char *dir, char **path);

/* ---- Running a job ---- */
typedef struct clipline_run_options {
    const char *dest; /* overrides the job's destination; NULL: the job's. An s3:// destination
                         makes the process not dumpable (PR_SET_DUMPABLE 0) once it has loaded
                         the credentials, for the rest of the process's life: no core file
                         holds the secret */
    int force;        /* rebuild outputs even when their fingerprint matches */
    int dry_run;      /* plan only, build nothing */
    int fail_fast;    /* stop at the first failed item */
    int explain;      /* log why each output is built or skipped, and each clip's span */
    const char *report_path; /* write a JSON report of the run here (per item: status,
                                outputs, seconds, error class and message), or NULL */
    const char *junit_path;  /* write a JUnit XML report here (a test case per clip
                                output), or NULL */
    int jobs;         /* items built at once, each in its thread (0 or 1: one at a time);
                         the encoders' threads are shared out between them */
    const char *cache_dir; /* where the recordings' content hashes are cached (sources.json);
                              NULL: $CLIPLINE_CACHE_DIR, $XDG_CACHE_HOME/clipline or
                              ~/.cache/clipline */
    int shard_index, shard_count; /* shard_count > 0: build only shard shard_index (0-based)
                                     of shard_count: item k of the job (interviews in order,
                                     their clips in order) belongs to shard k % shard_count.
                                     A shard writes its items' parts of the manifest instead
                                     of manifest.json and index.html; clipline_publish()
                                     merges them. */
} clipline_run_options;

typedef struct clipline_run_summary {
    int items, items_ok, items_failed;
    int outputs_planned; /* outputs that needed building (built, failed or, in a dry run, not) */
    int outputs_built, outputs_skipped;
    int items_failed_transient; /* of items_failed: those the destination failed (storage,
                                   network) after every retry; the same run again may pass */
} clipline_run_summary;

CLIPLINE_API void clipline_default_run_options(clipline_run_options *o);

/**
 * Runs the job file at `job_path`. Returns 0 when every item was built or
 * was already up to date, CLIPLINE_ERROR_ITEMS_FAILED when some items failed
 * (the others are built and published), CLIPLINE_ERROR_CONFIG when the job
 * could not be used (nothing was run), CLIPLINE_ERROR_INTERRUPTED after
 * clipline_interrupt(). `summary` may be NULL.
 */
CLIPLINE_API int clipline_run(clipline_context *ctx, const char *job_path,
                              const clipline_run_options *o, clipline_run_summary *summary);

/**
 * The shard index a cluster engine gives the task running this process:
 * SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (or minus
 * CLIPLINE_SHARD_BASE when set), JOB_COMPLETION_INDEX (Kubernetes Indexed
 * Job) or AWS_BATCH_JOB_ARRAY_INDEX. `count` is the number of shards, always
 * given (a resubmitted part of an array changes the engine's own count).
 * CLIPLINE_ERROR_CONFIG naming the variable when none is set or the index is
 * not in 0..count-1.
 */
CLIPLINE_API int clipline_shard_from_env(clipline_context *ctx, int count, int *index);

/**
 * Merges what shards of the job published (their parts of the manifest)
 * into the destination's manifest.json, writes index.html and removes the
 * parts. Uses o->dest and o->cache_dir only. `merged` (may be NULL) gets the
 * number of items merged. 0, CLIPLINE_ERROR_CONFIG (job), or
 * CLIPLINE_ERROR_STORAGE (destination).
 */
CLIPLINE_API int clipline_publish(clipline_context *ctx, const char *job_path,
                                  const clipline_run_options *o, int *merged);

typedef struct clipline_upload_options {
    const char *dest;      /* where to: s3://bucket/prefix, a folder, null: */
    int jobs;              /* files sent at once (1..16; default 4) */
    const char *cache_dir; /* upload journals, for resuming (see clipline_run_options) */
} clipline_upload_options;

typedef struct clipline_upload_summary {
    int files;     /* found in the folder */
    int sent;      /* now at the destination (sent, or already there) */
    int skipped;   /* of sent: already there with the same sha256 */
    int failed;
    int held;      /* not sent because an earlier file of their clip failed */
    int64_t bytes; /* of the files now at the destination */
} clipline_upload_summary;

CLIPLINE_API void clipline_default_upload_options(clipline_upload_options *o);

/**
 * Sends a folder a run wrote (its outputs, manifests, review page) to
 * o->dest in publish order: media, segments, posters and sidecars; media
 * playlists; master playlists; each clip's manifest.json; the destination's
 * manifest.json, then index.html. A clip whose file failed gets none of its
 * later files, and the destination's manifest is sent only when every file
 * went. Skips what is there with the same sha256 and resumes interrupted
 * multipart uploads; a file whose bytes differ from the sha256 that the
 * folder's manifest.json records is an error. Hidden names (.clipline-*)
 * and what symbolic links point to are not sent. 0, CLIPLINE_ERROR_CONFIG
 * (folder, destination), CLIPLINE_ERROR_STORAGE (some files failed) or
 * CLIPLINE_ERROR_INTERRUPTED. `summary` may be NULL.
 */
CLIPLINE_API int clipline_upload(clipline_context *ctx, const char *folder,
                                 const clipline_upload_options *o, clipline_upload_summary *summary);

/**
 * Watches a job for the translators: runs it, then runs it again each time
 * the job file or a file in its interviews' subtitle folders appears,
 * changes or goes, once the change has stayed the same for `settle_ms`
 * (a file still being copied is not taken half-written). Each run builds only
 * what the changes affect. Ends at clipline_interrupt() (returns 0; a run it
 * interrupts returns CLIPLINE_ERROR_INTERRUPTED), after `max_runs` runs when
 * max_runs > 0, or at once with CLIPLINE_ERROR_CONFIG when the job cannot be
 * used at the start. Failed items and later job errors are logged and the
 * watch goes on.
 */
CLIPLINE_API int clipline_watch(clipline_context *ctx, const char *job_path,
                                const clipline_run_options *o, int settle_ms, int max_runs);

#ifdef __cplusplus
}
#endif
#endif /* CLIPLINE_H */
