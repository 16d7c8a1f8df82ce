/*
 * leaks.c: CLIPLINE_CHECK_LEAKS=1, a diagnostic for tests: `run`, `plan` and `upload`
 * note the process's open file descriptors (/proc/self/fd) and threads
 * (/proc/self/task) before the context is opened, and again after it is
 * closed, when every item's thread and every encoder's have been joined.
 * More at the end than at the start is an error: the new descriptors (with
 * what they point to) and threads (with their names) are listed and the exit
 * status is 70. Both figures are printed either way.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The numbered entries of a /proc folder (fds or thread ids), without the
 * descriptor that reads it; the first `max` are kept in `ids`. */
static int proc_entries(const char *dir, int *ids, int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0, self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        int id = atoi(e->d_name);
        if (!strcmp(dir, "/proc/self/fd") && id == self)
            continue;
        if (n < max)
            ids[n] = id;
        n++;
    }
    closedir(d);
    return n;
}

static void snapshot(cli_leaks *l)
{
    l->nb_fds = proc_entries("/proc/self/fd", l->fds, CLI_LEAK_MAX);
    l->nb_threads = proc_entries("/proc/self/task", l->threads, CLI_LEAK_MAX);
}

static int known(const int *ids, int n, int id)
{
    for (int i = 0; i < n && i < CLI_LEAK_MAX; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* What a descriptor or thread is, for the error: the fd's target, the thread's name. */
static void describe(int id, int link, char *out, size_t outsz)
{
    char path[64];
    snprintf(path, sizeof(path), link ? "/proc/self/fd/%d" : "/proc/self/task/%d/comm", id);
    out[0] = '\0';
    if (link) {
        ssize_t n = readlink(path, out, outsz - 1);
        out[n > 0 ? n : 0] = '\0';
        return;
    }
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(out, (int)outsz, f))
            out[0] = '\0';
        fclose(f);
    }
    out[strcspn(out, "\n")] = '\0';
}

void cli_leak_begin(cli_leaks *start)
{
    const char *v = getenv("CLIPLINE_CHECK_LEAKS");
    start->wanted = v && *v && strcmp(v, "0");
    if (start->wanted)
        snapshot(start);
}

int cli_leak_end(const cli_leaks *start, int code)
{
    if (!start->wanted)
        return code;
    cli_leaks end;
    snapshot(&end);
    fprintf(stderr, "clipline: leak check: %d file descriptors and %d threads at the start, %d and %d at the end\n",
            start->nb_fds, start->nb_threads, end.nb_fds, end.nb_threads);
    if (start->nb_fds < 0 || end.nb_fds < 0 || start->nb_threads < 0 || end.nb_threads < 0) {
        fprintf(stderr, "clipline: error: leak check: /proc/self cannot be read\n");
        return CLI_EXIT_LEAKED;
    }
    if (end.nb_fds <= start->nb_fds && end.nb_threads <= start->nb_threads)
        return code;
    char what[512];
    for (int i = 0; i < end.nb_fds && i < CLI_LEAK_MAX; i++)
        if (!known(start->fds, start->nb_fds, end.fds[i])) {
            describe(end.fds[i], 1, what, sizeof(what));
            fprintf(stderr, "clipline: error: leak check: file descriptor %d (%s) left open\n", end.fds[i], what);
        }
    for (int i = 0; i < end.nb_threads && i < CLI_LEAK_MAX; i++)
        if (!known(start->threads, start->nb_threads, end.threads[i])) {
            describe(end.threads[i], 0, what, sizeof(what));
            fprintf(stderr, "clipline: error: leak check: thread %d (%s) still running\n", end.threads[i], what);
        }
    return CLI_EXIT_LEAKED;
}
