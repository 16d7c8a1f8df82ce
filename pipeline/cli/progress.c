/*
 * progress.c: the run's progress for people and machines. `--progress json`
 * writes one JSON object per event on stdout (NDJSON: event, item, output,
 * phase, percent, out_time_s, fps, speed, eta_s, bytes, status; a "summary"
 * event last); `tty` keeps live lines on stderr, one per item being built
 * (several with -j; auto: when stderr is a terminal); `none` prints nothing
 * but the logs.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

/* The live lines: one per item being built, drawn as a block below the
 * logs; a log line first erases the block, the next event draws it again. */
#define TTY_ROWS 8
static struct {
    char item[160];
    char text[320];
} rows[TTY_ROWS];
static int nb_rows;
static int tty_line; /* lines of the block now on the terminal */
/* items built side by side (-j) report from their threads: one line at a time */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void cli_output_lock(int take)
{
    (take ? pthread_mutex_lock : pthread_mutex_unlock)(&out_lock);
}

void cli_progress_clear(void)
{
    if (!tty_line)
        return;
    fputs("\r\033[K", stderr);
    for (int i = 1; i < tty_line; i++)
        fputs("\033[A\r\033[K", stderr);
    tty_line = 0;
}

static int row_of(const char *item, int add)
{
    for (int i = 0; i < nb_rows; i++)
        if (!strcmp(rows[i].item, item))
            return i;
    if (!add || nb_rows == TTY_ROWS)
        return -1;
    snprintf(rows[nb_rows].item, sizeof(rows[0].item), "%s", item);
    rows[nb_rows].text[0] = '\0';
    return nb_rows++;
}

static void drop_row(int i)
{
    memmove(&rows[i], &rows[i + 1], (size_t)(nb_rows - i - 1) * sizeof(rows[0]));
    nb_rows--;
}

static void set_num(json_t *o, const char *key, double v)
{
    if (v >= 0)
        json_object_set_new(o, key, json_real(v));
}

static void to_json_locked(void *opaque, const clipline_progress *p);
static void to_json(void *opaque, const clipline_progress *p)
{
    cli_output_lock(1);
    to_json_locked(opaque, p);
    cli_output_lock(0);
}

static void to_json_locked(void *opaque, const clipline_progress *p)
{
    (void)opaque;
    json_t *o = json_pack("{s:s}", "event", p->event);
    if (!o)
        return;
    if (p->item)
        json_object_set_new(o, "item", json_string(p->item));
    if (p->output)
        json_object_set_new(o, "output", json_string(p->output));
    if (p->phase)
        json_object_set_new(o, "phase", json_string(p->phase));
    set_num(o, "percent", p->percent);
    set_num(o, "out_time_s", p->out_time_s);
    set_num(o, "fps", p->fps);
    set_num(o, "speed", p->speed);
    set_num(o, "eta_s", p->eta_s);
    if (p->bytes >= 0)
        json_object_set_new(o, "bytes", json_integer(p->bytes));
    if (p->bytes_done >= 0)
        json_object_set_new(o, "bytes_done", json_integer(p->bytes_done));
    set_num(o, "bytes_per_s", p->bytes_per_s);
    if (p->status)
        json_object_set_new(o, "status", json_string(p->status));
    if (!strcmp(p->event, "summary")) {
        json_object_set_new(o, "items", json_integer(p->items));
        json_object_set_new(o, "items_ok", json_integer(p->items_ok));
        json_object_set_new(o, "items_failed", json_integer(p->items_failed));
        json_object_set_new(o, "outputs_built", json_integer(p->outputs_built));
        json_object_set_new(o, "outputs_up_to_date", json_integer(p->outputs_up_to_date));
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (line) {
        puts(line);
        fflush(stdout);
    }
    free(line);
    json_decref(o);
}

static void to_tty_locked(void *opaque, const clipline_progress *p);
static void to_tty(void *opaque, const clipline_progress *p)
{
    cli_output_lock(1);
    to_tty_locked(opaque, p);
    cli_output_lock(0);
}

static void to_tty_locked(void *opaque, const clipline_progress *p)
{
    (void)opaque;
    int r;
    if (!strcmp(p->event, "item")) { /* a new item: the recordings' probe lines go */
        for (int i = nb_rows - 1; i >= 0; i--)
            if (!strchr(rows[i].item, '/'))
                drop_row(i);
        row_of(p->item ? p->item : "", 1);
    } else if (!strcmp(p->event, "done") && p->item && (r = row_of(p->item, 0)) >= 0) {
        drop_row(r);
    } else if (!strcmp(p->event, "progress") && p->item) {
        if (p->output && p->phase && !strcmp(p->phase, "encode"))
            return; /* the clip's own event says how far its slowest rendition is */
        if ((r = row_of(p->item, 1)) < 0)
            return;
        char pct[16] = "", eta[32] = "", speed[32] = "";
        if (p->percent >= 0)
            snprintf(pct, sizeof(pct), " %3.0f%%", p->percent);
        if (p->speed > 0)
            snprintf(speed, sizeof(speed), " %.2fx", p->speed);
        else if (p->bytes_per_s >= 0)
            snprintf(speed, sizeof(speed), " %.1f MiB/s", p->bytes_per_s / 1048576.0);
        if (p->eta_s >= 0)
            snprintf(eta, sizeof(eta), " ETA %d:%02d", (int)p->eta_s / 60, (int)p->eta_s % 60);
        snprintf(rows[r].text, sizeof(rows[r].text), "%s%s%s%s%s%s", p->phase ? p->phase : "",
                 p->output ? " " : "", p->output ? p->output : "", pct, speed, eta);
    } else if (!strcmp(p->event, "summary")) {
        nb_rows = 0;
    }
    cli_progress_clear();
    for (int i = 0; i < nb_rows; i++)
        fprintf(stderr, "%sclipline: %s: %s", i ? "\n" : "", rows[i].item, rows[i].text);
    fflush(stderr);
    tty_line = nb_rows;
}

int cli_progress_setup(const char *mode, clipline_settings *s)
{
    if (!mode || !strcmp(mode, "auto"))
        mode = isatty(STDERR_FILENO) ? "tty" : "none";
    if (!strcmp(mode, "json"))
        s->progress_cb = to_json;
    else if (!strcmp(mode, "tty"))
        s->progress_cb = to_tty;
    else if (strcmp(mode, "none")) {
        fprintf(stderr, "clipline: error: --progress takes auto, tty, json or none, not \"%s\"\n", mode);
        return -1;
    }
    return 0;
}
