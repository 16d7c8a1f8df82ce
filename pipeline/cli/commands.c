/*
 * commands.c: one function per command; each opens a context, calls the
 * library, prints the result to stdout and returns the exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* The run options given on the command line; those a command does not take
 * (the option table refuses them) stay unset. */
static void run_options(const cli_args *a, clipline_run_options *o)
{
    clipline_default_run_options(o);
    o->dest = a->dest;
    o->force = a->force;
    o->dry_run = a->dry_run;
    o->fail_fast = a->fail_fast;
    o->explain = a->explain;
    o->jobs = a->jobs;
    o->cache_dir = a->cache_dir;
    o->report_path = a->report;
    o->junit_path = a->junit;
}

/* --shard I/N or auto/N. */
static int parse_shard(clipline_context *ctx, const char *text, clipline_run_options *o)
{
    const char *slash = strchr(text, '/');
    char *end;
    long n = slash ? strtol(slash + 1, &end, 10) : 0;
    if (!slash || slash == text || !slash[1] || *end || n < 1 || n > 100000) {
        fprintf(stderr, "clipline: error: --shard takes I/N or auto/N (N from 1 to 100000), not \"%s\"\n", text);
        return -1;
    }
    o->shard_count = (int)n;
    if (!strncmp(text, "auto/", 5)) {
        if (clipline_shard_from_env(ctx, o->shard_count, &o->shard_index) < 0) {
            fprintf(stderr, "clipline: error: %s\n", clipline_error_detail(ctx));
            return -1;
        }
        return 0;
    }
    long i = strtol(text, &end, 10);
    if (end != slash || i < 0 || i >= n) {
        fprintf(stderr, "clipline: error: --shard %s: the index must be a whole number from 0 to %ld\n", text, n - 1);
        return -1;
    }
    o->shard_index = (int)i;
    return 0;
}

static int run_or_plan(const cli_args *a, int dry_run)
{
    clipline_context *ctx = NULL;
    cli_leaks start;
    cli_leak_begin(&start);
    int ret = cli_open(a, &ctx);
    if (ret < 0)
        return CLI_EXIT_CONFIG;
    clipline_run_options o;
    run_options(a, &o);
    o.dry_run |= dry_run;
    if (a->shard && parse_shard(ctx, a->shard, &o) < 0) {
        cli_close(&ctx);
        return CLI_EXIT_CONFIG;
    }
    clipline_run_summary sum;
    ret = clipline_run(ctx, a->pos[0], &o, &sum);
    if (ret >= 0 || ret == CLIPLINE_ERROR_ITEMS_FAILED) {
        if (o.dry_run)
            fprintf(stderr, "clipline: plan: %d item%s, %d output%s to build, %d up to date\n",
                    sum.items, sum.items == 1 ? "" : "s", sum.outputs_planned,
                    sum.outputs_planned == 1 ? "" : "s", sum.outputs_skipped);
        else
            fprintf(stderr, "clipline: %d item%s: %d ok, %d failed; %d output%s built, %d up to date\n",
                    sum.items, sum.items == 1 ? "" : "s", sum.items_ok, sum.items_failed,
                    sum.outputs_built, sum.outputs_built == 1 ? "" : "s", sum.outputs_skipped);
    }
    int code = cli_report_error(ctx, ret);
    if (ret == CLIPLINE_ERROR_ITEMS_FAILED && sum.items_failed_transient > 0) {
        fprintf(stderr, "clipline: %d of the failed items failed on the destination; running the same "
                        "command again builds what is missing (exit status 75)\n", sum.items_failed_transient);
        code = CLI_EXIT_TRANSIENT;
    }
    cli_close(&ctx);
    return cli_leak_end(&start, code);
}

int cli_cmd_publish(const cli_args *a)
{
    clipline_context *ctx = NULL;
    if (cli_open(a, &ctx) < 0)
        return CLI_EXIT_CONFIG;
    clipline_run_options o;
    run_options(a, &o);
    int merged = 0;
    int code = cli_report_error(ctx, clipline_publish(ctx, a->pos[0], &o, &merged));
    cli_close(&ctx);
    return code;
}

int cli_cmd_upload(const cli_args *a)
{
    cli_leaks start;
    cli_leak_begin(&start);
    clipline_context *ctx = NULL;
    if (cli_open(a, &ctx) < 0)
        return CLI_EXIT_CONFIG;
    clipline_upload_options o;
    clipline_default_upload_options(&o);
    o.dest = a->pos[1];
    o.cache_dir = a->cache_dir;
    if (a->jobs > 0)
        o.jobs = a->jobs;
    clipline_upload_summary sum;
    int ret = clipline_upload(ctx, a->pos[0], &o, &sum);
    int code = cli_report_error(ctx, ret);
    if (ret == CLIPLINE_ERROR_STORAGE)
        code = CLI_EXIT_TRANSIENT; /* only the destination failed: the same command again may pass */
    cli_close(&ctx);
    return cli_leak_end(&start, code);
}

int cli_cmd_watch(const cli_args *a)
{
    clipline_context *ctx = NULL;
    if (cli_open(a, &ctx) < 0)
        return CLI_EXIT_CONFIG;
    clipline_run_options o;
    run_options(a, &o);
    int code = cli_report_error(ctx, clipline_watch(ctx, a->pos[0], &o, 2000, 0));
    cli_close(&ctx);
    return code;
}

int cli_cmd_run(const cli_args *a)
{
    return run_or_plan(a, 0);
}

int cli_cmd_plan(const cli_args *a)
{
    return run_or_plan(a, 1);
}

static void print_stream(const clipline_stream_info *s)
{
    printf("  #%d %s: %s", s->index, s->type, s->codec);
    if (s->profile[0])
        printf(" (%s)", s->profile);
    if (!strcmp(s->type, "video")) {
        printf(", %dx%d, SAR %d:%d, DAR %d:%d, %.3f fps%s, %s (%d-bit)", s->width, s->height,
               s->sar_num, s->sar_den, s->dar_num, s->dar_den, s->frame_rate,
               s->variable_frame_rate ? " (variable)" : "", s->pix_fmt, s->bit_depth);
        printf(", %s", s->field_order);
        if (s->rotation != 0)
            printf(", rotated %g°", s->rotation);
        printf(", colour %s/%s/%s/%s", s->color_primaries, s->color_transfer, s->color_space,
               s->color_range);
    } else if (!strcmp(s->type, "audio")) {
        printf(", %d Hz, %d channel%s (%s)", s->sample_rate, s->channels, s->channels == 1 ? "" : "s",
               s->channel_layout);
    }
    if (s->language[0])
        printf(", language %s", s->language);
    if (s->bit_rate > 0)
        printf(", %lld kb/s", (long long)(s->bit_rate / 1000));
    printf("\n");
}

int cli_cmd_probe(const cli_args *a)
{
    clipline_context *ctx = NULL;
    if (cli_open(a, &ctx) < 0)
        return CLI_EXIT_CONFIG;
    clipline_media_info *info = NULL;
    int ret = clipline_probe(ctx, a->pos[0], &info);
    if (ret < 0) {
        int code = cli_report_error(ctx, ret);
        cli_close(&ctx);
        return code;
    }
    if (a->json) {
        char *j = clipline_media_info_json(info);
        printf("%s\n", j ? j : "{}");
        free(j);
    } else {
        printf("%s\n  container %s, %.3f s, %lld bytes, %lld kb/s\n", info->path, info->container,
               info->duration_s, (long long)info->size_bytes, (long long)(info->bit_rate / 1000));
        for (int i = 0; i < info->nb_streams; i++)
            print_stream(&info->streams[i]);
    }
    clipline_media_info_free(&info);
    cli_close(&ctx);
    return CLI_EXIT_OK;
}

int cli_cmd_presets(const cli_args *a)
{
    const char *sub = a->pos[0];
    int want = !strcmp(sub, "list") ? 1 : 2;
    if ((strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "check")) || a->nb_pos != want) {
        fprintf(stderr, "clipline: usage: clipline presets list | show NAME | check FILE\n");
        return CLI_EXIT_CONFIG;
    }
    clipline_context *ctx = NULL;
    if (cli_open(a, &ctx) < 0)
        return CLI_EXIT_CONFIG;
    int ret;
    if (!strcmp(sub, "list")) {
        char **names = NULL;
        ret = clipline_presets_list(ctx, &names);
        for (int i = 0; ret >= 0 && names[i]; i++)
            printf("%s\n", names[i]);
        clipline_strv_free(&names);
    } else if (!strcmp(sub, "show")) {
        char *json = NULL;
        ret = clipline_preset_show(ctx, a->pos[1], &json);
        if (ret >= 0)
            printf("%s\n", json);
        free(json);
    } else {
        ret = clipline_preset_check(ctx, a->pos[1]);
        if (ret >= 0)
            printf("%s: ok\n", a->pos[1]);
    }
    int code = cli_report_error(ctx, ret);
    cli_close(&ctx);
    return code;
}

/* Prints one file of a `subs check` report in plain words. */
static void print_subs_file(json_t *f)
{
    const char *err = json_string_value(json_object_get(f, "error"));
    const char *lang = json_string_value(json_object_get(f, "language"));
    json_t *cues = json_object_get(f, "cues");
    printf("%s (%s): %s\n", json_string_value(json_object_get(f, "file")), lang ? lang : "no language",
           json_is_true(json_object_get(f, "ok")) ? "ok" : "has problems");
    if (json_object_get(f, "encoding"))
        printf("  encoding %s (decided by: %s)\n", json_string_value(json_object_get(f, "encoding")),
               json_string_value(json_object_get(f, "encoding_decided_by")));
    if (cues)
        printf("  %s: %lld cues read, %lld kept, %lld dropped\n",
               json_string_value(json_object_get(f, "format")),
               (long long)json_integer_value(json_object_get(cues, "read")),
               (long long)json_integer_value(json_object_get(cues, "kept")),
               (long long)json_integer_value(json_object_get(cues, "dropped")));
    if (err)
        printf("  error: %s\n", err);
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(f, "problems"), i, d)
        printf("  %s: %s\n", json_string_value(json_object_get(d, "severity")),
               json_string_value(json_object_get(d, "message"))); /* the message names its line */
    json_t *g = json_object_get(f, "glyphs");
    if (g)
        printf("  glyphs: %s\n", json_string_value(json_object_get(g, "message")));
}

int cli_cmd_subs(const cli_args *a)
{
    if (strcmp(a->pos[0], "check")) {
        fprintf(stderr, "clipline: usage: clipline subs check FILE|DIR [--lang BCP47] [--json]\n");
        return CLI_EXIT_CONFIG;
    }
    clipline_context *ctx = NULL;
    if (cli_open(a, &ctx) < 0)
        return CLI_EXIT_CONFIG;
    char *report = NULL;
    int ret = clipline_subs_check(ctx, a->pos[1], a->lang, &report);
    json_t *r = report ? json_loads(report, 0, NULL) : NULL;
    if (a->json && report) {
        printf("%s\n", report);
    } else if (r) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(r, "files"), i, f)
            print_subs_file(f);
        printf("%lld file(s) checked, %lld with problems\n",
               (long long)json_integer_value(json_object_get(r, "checked")),
               (long long)json_integer_value(json_object_get(r, "with_problems")));
    }
    json_decref(r);
    free(report);
    int code = ret == CLIPLINE_ERROR_SUBTITLE ? CLI_EXIT_FAILED : cli_report_error(ctx, ret);
    cli_close(&ctx);
    return code;
}

int cli_cmd_init(const cli_args *a)
{
    clipline_context *ctx = NULL;
    if (cli_open(a, &ctx) < 0)
        return CLI_EXIT_CONFIG;
    char *path = NULL;
    int ret = clipline_init_job(ctx, a->pos[0], &path);
    if (ret >= 0)
        printf("%s\n", path);
    free(path);
    int code = cli_report_error(ctx, ret);
    cli_close(&ctx);
    return code;
}
