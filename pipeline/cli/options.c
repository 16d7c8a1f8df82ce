/*
 * options.c: the command and option tables, the parser and the --help and
 * --version texts generated from them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    { "run", "JOB.json", "build every output of a job, skipping what is up to date", 1, 1, cli_cmd_run },
    { "plan", "JOB.json", "show what a run would build and why; does no work", 1, 1, cli_cmd_plan },
    { "watch", "JOB.json", "run the job, then again whenever a subtitle file (or the job) changes; Ctrl-C ends",
      1, 1, cli_cmd_watch },
    { "publish", "JOB.json", "merge what the shards of a job published into manifest.json and index.html", 1, 1,
      cli_cmd_publish },
    { "upload", "FOLDER URL", "send a folder a run wrote to a destination (s3://...) in publish order, "
      "skipping what is there", 2, 2, cli_cmd_upload },
    { "init", "DIR", "write DIR/job.json for the recordings in DIR (never overwrites)", 1, 1, cli_cmd_init },
    { "probe", "FILE", "describe a recording: container, streams, frame rate, colour, audio", 1, 1,
      cli_cmd_probe },
    { "presets", "list | show NAME | check FILE", "list, show or check presets", 1, 2, cli_cmd_presets },
    { "subs", "check FILE|DIR", "check subtitle files: encoding, cues, problems by line, glyphs", 2, 2,
      cli_cmd_subs },
};
#define NB_COMMANDS (sizeof(commands) / sizeof(commands[0]))

enum opt_kind { OPT_FLAG, OPT_COUNT, OPT_STRING, OPT_INT };

typedef struct cli_option {
    const char *lng;
    char shrt;
    enum opt_kind kind;
    size_t offset;
    const char *arg;
    const char *commands; /* space-separated commands it applies to; NULL: all */
    const char *help;
} cli_option;

#define OFF(f) offsetof(cli_args, f)
static const cli_option options[] = {
    { "dest", 0, OPT_STRING, OFF(dest), "URL", "run plan watch publish",
      "destination folder (or null:) instead of the job's \"destination\"" },
    { "force", 0, OPT_FLAG, OFF(force), NULL, "run plan", "rebuild outputs even when up to date" },
    { "dry-run", 0, OPT_FLAG, OFF(dry_run), NULL, "run", "plan only: print what would be built" },
    { "fail-fast", 0, OPT_FLAG, OFF(fail_fast), NULL, "run", "stop at the first failed item" },
    { "jobs", 'j', OPT_INT, OFF(jobs), "N", "run watch upload",
      "build N items at once, the cores shared out between them (default 1); upload: files sent at "
      "once (default 4)" },
    { "shard", 0, OPT_STRING, OFF(shard), "I/N", "run plan",
      "only shard I (0-based) of N: item k of the job goes to shard k % N; auto/N takes I from "
      "SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX" },
    { "explain", 0, OPT_FLAG, OFF(explain), NULL, "plan", "also each clip's timeline: in, out, intro, outro, module length, and per language the cues kept and the first and last" },
    { "progress", 0, OPT_STRING, OFF(progress), "MODE", "run plan watch upload",
      "auto (a live line on a terminal), tty, json (NDJSON events on stdout) or none" },
    { "report", 0, OPT_STRING, OFF(report), "FILE", "run plan",
      "write a JSON report: per item its status, outputs, seconds, error class and message" },
    { "junit", 0, OPT_STRING, OFF(junit), "FILE", "run plan",
      "write a JUnit XML report for CI: a test case per clip output" },
    { "cache-dir", 0, OPT_STRING, OFF(cache_dir), "DIR", "run plan watch upload",
      "cache of the recordings' content hashes (default: $CLIPLINE_CACHE_DIR, $XDG_CACHE_HOME/clipline or ~/.cache/clipline)" },
    { "json", 0, OPT_FLAG, OFF(json), NULL, "probe subs", "print JSON instead of text" },
    { "lang", 0, OPT_STRING, OFF(lang), "BCP47", "subs",
      "language of the file (default: from its name, <lang>.<ext>)" },
    { "presets-dir", 0, OPT_STRING, OFF(preset_dir), "DIR", NULL,
      "read presets from DIR (default: $CLIPLINE_PRESETS or the built-in folder)" },
    { "threads", 0, OPT_INT, OFF(threads), "N", NULL, "threads for decoding and encoding (0: all cores)" },
    { "verbose", 'v', OPT_COUNT, OFF(verbose), NULL, NULL, "more messages (twice: debug)" },
    { "quiet", 'q', OPT_FLAG, OFF(quiet), NULL, NULL, "errors only" },
};
#define NB_OPTIONS (sizeof(options) / sizeof(options[0]))

static int applies(const cli_option *o, const char *cmd)
{
    if (!o->commands)
        return 1;
    size_t l = strlen(cmd);
    for (const char *p = o->commands; (p = strstr(p, cmd)); p += l)
        if ((p == o->commands || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0'))
            return 1;
    return 0;
}

static void print_help(FILE *f)
{
    fprintf(f, "clipline: interview recordings into web-ready clips\n\nUsage:\n");
    for (size_t i = 0; i < NB_COMMANDS; i++)
        fprintf(f, "  clipline %s %s\n      %s\n", commands[i].name, commands[i].usage, commands[i].help);
    fprintf(f, "  clipline --version\n      clipline and library versions\n\nOptions:\n");
    for (size_t i = 0; i < NB_OPTIONS; i++) {
        const cli_option *o = &options[i];
        char left[64];
        snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->shrt ? "-" : "", o->shrt ? o->shrt : ' ',
                 o->shrt ? ", " : "  ", o->lng, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-26s %s%s%s%s\n", o->shrt ? left : left + 1, o->help,
                o->commands ? " [" : "", o->commands ? o->commands : "", o->commands ? "]" : "");
    }
    fprintf(f, "\nExit status: 0 all outputs good; 1 some items failed, the others were built;\n"
               "2 usage or configuration error, nothing was run; 75 the destination failed (storage,\n"
               "network): the same command again may pass; 130 interrupted.\n");
}

static void print_version(void)
{
    clipline_versions v;
    clipline_get_versions(&v);
    printf("clipline %s\nlibavcodec %s\nlibavformat %s\nlibavfilter %s\nlibavutil %s\n"
           "libass %s\nlibcurl %s\nx264 %s\n",
           v.clipline, v.libavcodec, v.libavformat, v.libavfilter, v.libavutil, v.libass, v.libcurl,
           v.x264);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clipline: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see clipline --help)\n");
    va_end(ap);
    return CLI_EXIT_CONFIG;
}

static int set_option(const cli_option *o, const char *value, cli_args *a)
{
    char *field = (char *)a + o->offset;
    switch (o->kind) {
    case OPT_FLAG: *(int *)field = 1; return 0;
    case OPT_COUNT: (*(int *)field)++; return 0;
    case OPT_STRING: *(const char **)field = value; return 0;
    case OPT_INT: {
        char *end;
        long v = strtol(value, &end, 10);
        if (end == value || *end || v < 0 || v > 1024)
            return usage_error("--%s needs a number from 0 to 1024", o->lng);
        *(int *)field = (int)v;
        return 0;
    }
    }
    return 0;
}

/* Finds the option for argv[i]; returns the index of the last argv used. */
static int parse_option(int argc, char **argv, int i, const char *cmd, cli_args *a)
{
    const char *arg = argv[i];
    const cli_option *o = NULL;
    const char *value = NULL;
    char name[64];
    if (arg[1] == '-') {
        snprintf(name, sizeof(name), "%s", arg + 2);
        char *eq = strchr(name, '=');
        if (eq) {
            *eq = '\0';
            value = arg + 2 + (eq - name) + 1;
        }
        for (size_t k = 0; k < NB_OPTIONS; k++)
            if (!strcmp(options[k].lng, name))
                o = &options[k];
    } else {
        for (size_t k = 0; k < NB_OPTIONS && arg[1] && !arg[2]; k++)
            if (options[k].shrt == arg[1])
                o = &options[k];
    }
    if (!o)
        return -usage_error("unknown option %s", arg);
    if (cmd && !applies(o, cmd))
        return -usage_error("option %s does not apply to this command", arg);
    if ((o->kind == OPT_STRING || o->kind == OPT_INT) && !value) {
        if (i + 1 >= argc)
            return -usage_error("option %s needs a value", arg);
        value = argv[++i];
    }
    int ret = set_option(o, value, a);
    return ret ? -ret : i;
}

int cli_parse(int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_help(stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(arg, "--version")) {
            print_version();
            return CLI_EXIT_OK;
        }
        if (arg[0] == '-' && arg[1] && strcmp(arg, "--")) {
            int r = parse_option(argc, argv, i, a->cmd ? a->cmd->name : NULL, a);
            if (r < 0)
                return -r;
            i = r;
            continue;
        }
        if (!strcmp(arg, "--") && i + 1 < argc)
            arg = argv[++i];
        if (!a->cmd) {
            for (size_t k = 0; k < NB_COMMANDS; k++)
                if (!strcmp(commands[k].name, arg))
                    a->cmd = &commands[k];
            if (!a->cmd)
                return usage_error("unknown command \"%s\"", arg);
            continue;
        }
        if (a->nb_pos == CLI_MAX_POSITIONAL || a->nb_pos >= a->cmd->max_pos)
            return usage_error("unexpected argument \"%s\"", arg);
        a->pos[a->nb_pos++] = arg;
    }
    if (!a->cmd) {
        print_help(stderr);
        return CLI_EXIT_CONFIG;
    }
    if (a->nb_pos < a->cmd->min_pos) {
        fprintf(stderr, "clipline: usage: clipline %s %s\n", a->cmd->name, a->cmd->usage);
        return CLI_EXIT_CONFIG;
    }
    for (size_t k = 0; k < NB_OPTIONS; k++) /* options given before the command */
        if (options[k].commands && !applies(&options[k], a->cmd->name)) {
            const char *f = (const char *)a + options[k].offset;
            int set = options[k].kind == OPT_STRING ? *(const char *const *)f != NULL : *(const int *)f != 0;
            if (set)
                return usage_error("option --%s does not apply to this command", options[k].lng);
        }
    return CLI_CONTINUE;
}
