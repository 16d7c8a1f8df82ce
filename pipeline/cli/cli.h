/* cli.h: what the parts of the command-line tool share. */
#ifndef CLIPLINE_CLI_H
#define CLIPLINE_CLI_H

#include "clipline.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,
    CLI_EXIT_CONFIG = 2,
    CLI_EXIT_LEAKED = 70,    /* EX_SOFTWARE: CLIPLINE_CHECK_LEAKS found descriptors or threads left */
    CLI_EXIT_TRANSIENT = 75, /* EX_TEMPFAIL: the destination failed; the same command again may pass */
    CLI_EXIT_INTERRUPTED = 130,
    CLI_CONTINUE = -1,
};

#define CLI_MAX_POSITIONAL 4

struct cli_command;

typedef struct cli_args {
    const struct cli_command *cmd;
    const char *pos[CLI_MAX_POSITIONAL];
    int nb_pos;
    /* options (see the table in options.c) */
    const char *dest, *preset_dir, *lang, *report, *junit, *progress, *cache_dir, *shard;
    int threads, force, dry_run, fail_fast, json, verbose, quiet, explain, jobs;
} cli_args;

typedef struct cli_command {
    const char *name;
    const char *usage; /* arguments after the name */
    const char *help;
    int min_pos, max_pos;
    int (*run)(const cli_args *a);
} cli_command;

/* options.c */
int cli_parse(int argc, char **argv, cli_args *a);

/* main.c */
int cli_open(const cli_args *a, clipline_context **ctx);
void cli_close(clipline_context **ctx);
int cli_exit_code(int ret);
int cli_report_error(clipline_context *ctx, int ret);

/* commands.c */
int cli_cmd_run(const cli_args *a);
int cli_cmd_plan(const cli_args *a);
int cli_cmd_publish(const cli_args *a);
int cli_cmd_upload(const cli_args *a);
int cli_cmd_watch(const cli_args *a);
int cli_cmd_probe(const cli_args *a);
int cli_cmd_presets(const cli_args *a);
int cli_cmd_subs(const cli_args *a);
int cli_cmd_init(const cli_args *a);

/* leaks.c: CLIPLINE_CHECK_LEAKS=1 (a diagnostic for tests) */
#define CLI_LEAK_MAX 1024
typedef struct cli_leaks {
    int wanted;             /* CLIPLINE_CHECK_LEAKS is set */
    int nb_fds, nb_threads; /* -1: /proc/self not readable */
    int fds[CLI_LEAK_MAX], threads[CLI_LEAK_MAX];
} cli_leaks;
/* Before the context is opened: notes what is open, if the check is wanted. */
void cli_leak_begin(cli_leaks *start);
/* After it is closed: `code` when the check is not wanted; otherwise prints
 * both figures and returns `code`, or CLI_EXIT_LEAKED with each new fd and
 * thread listed. */
int cli_leak_end(const cli_leaks *start, int code);

/* progress.c */
int cli_progress_setup(const char *mode, clipline_settings *s); /* -1: bad mode */
void cli_progress_clear(void); /* before a log line, on a terminal */
void cli_output_lock(int take);  /* 1: take, 0: give back; around every line written */

#endif
