/*
 * main.c: the clipline command-line tool, a thin layer over libclipline.
 * One table of commands and one table of options drive parsing and --help
 * (DESIGN.md habit 12). Exit codes: 0 all outputs good; 1 some items failed;
 * 2 usage or configuration error, nothing was run; 75 the destination
 * failed (storage, network) and nothing else: the same command again may
 * pass (a cluster engine's retry policy keys on it); 130 interrupted.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clipline.h"
#include "cli.h"

static clipline_context *volatile g_ctx;

static void on_signal(int sig)
{
    (void)sig;
    if (g_ctx)
        clipline_interrupt(g_ctx);
}

static void log_to_stderr(void *opaque, int level, const char *origin, const char *msg)
{
    (void)opaque;
    const char *lvl = level <= CLIPLINE_LOG_ERROR     ? "error: "
                      : level <= CLIPLINE_LOG_WARNING ? "warning: "
                                                      : "";
    const char *from = strcmp(origin, "clipline") ? origin : NULL;
    cli_output_lock(1);
    cli_progress_clear();
    fprintf(stderr, "clipline: %s%s%s%s\n", lvl, from ? from : "", from ? ": " : "", msg);
    cli_output_lock(0);
}

int cli_exit_code(int ret)
{
    if (ret >= 0)
        return CLI_EXIT_OK;
    if (ret == CLIPLINE_ERROR_INTERRUPTED)
        return CLI_EXIT_INTERRUPTED;
    if (ret == CLIPLINE_ERROR_CONFIG || ret == CLIPLINE_ERROR_LIMIT)
        return CLI_EXIT_CONFIG;
    if (ret == CLIPLINE_ERROR_STORAGE) /* the batch stopped on the destination */
        return CLI_EXIT_TRANSIENT;
    return CLI_EXIT_FAILED;
}

int cli_open(const cli_args *a, clipline_context **ctx)
{
    clipline_settings s;
    clipline_default_settings(&s);
    s.log_cb = log_to_stderr;
    s.log_level = a->quiet ? CLIPLINE_LOG_ERROR
                  : a->verbose > 1 ? CLIPLINE_LOG_DEBUG
                  : a->verbose    ? CLIPLINE_LOG_VERBOSE
                                  : CLIPLINE_LOG_INFO;
    s.preset_dir = a->preset_dir;
    s.threads = a->threads;
    if (cli_progress_setup(a->progress, &s) < 0)
        return CLIPLINE_ERROR_CONFIG;
    int ret = clipline_open(ctx, &s);
    if (ret < 0) {
        fprintf(stderr, "clipline: error: cannot start: %s\n", clipline_strerror(ret));
        return ret;
    }
    g_ctx = *ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return 0;
}

void cli_close(clipline_context **ctx)
{
    g_ctx = NULL;
    clipline_close(ctx);
}

int cli_report_error(clipline_context *ctx, int ret)
{
    const char *d = clipline_error_detail(ctx);
    if (ret < 0 && ret != CLIPLINE_ERROR_ITEMS_FAILED)
        fprintf(stderr, "clipline: error: %s\n", d && *d ? d : clipline_strerror(ret));
    return cli_exit_code(ret);
}

int main(int argc, char **argv)
{
    cli_args a;
    /* SVT-AV1 (webm-av1) prints its banner straight to stderr, past our log
     * callback; errors only, unless the user asks for more. */
    setenv("SVT_LOG", "1", 0);
    /* AWS secrets in the environment are in this process's memory from exec
     * on: no core file of it, even of a crash before an s3 destination is
     * opened (the s3 backend does the same for a profile's secret it reads) */
    if (getenv("AWS_SECRET_ACCESS_KEY") || getenv("AWS_SESSION_TOKEN"))
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int ret = cli_parse(argc, argv, &a);
    if (ret != CLI_CONTINUE)
        return ret;
    return a.cmd->run(&a);
}
