/* Every WebVTT file in ableplayer/ keeps every cue: the cue count must equal an
 * independent count of "-->" lines whose two timestamps are well formed.
 * Chromium's counts for the two tricky files are pinned. */
#include "clsub.h"
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [h+:]mm:ss.ttt with mm, ss < 60; returns characters consumed or 0. */
static size_t timestamp_len(const char *s)
{
    const char *p = s;
    int fields = 0;
    for (;;) {
        int n = 0;
        while (isdigit((unsigned char)p[n]))
            n++;
        if (n == 0)
            return 0;
        if (fields > 0 && (n != 2 || (p[0] - '0') > 5))
            return 0;
        p += n;
        fields++;
        if (*p == ':' && fields < 3) {
            p++;
            continue;
        }
        break;
    }
    if (fields < 2 || *p != '.' || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
        !isdigit((unsigned char)p[3]) || isdigit((unsigned char)p[4]))
        return 0;
    return (size_t)(p + 4 - s);
}

static int count_timing_lines(const char *data)
{
    int count = 0;
    const char *line = data;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), line);
        char *arrow = strstr(buf, "-->");
        if (arrow) {
            char *a = buf;
            while (*a == ' ' || *a == '\t')
                a++;
            size_t l1 = timestamp_len(a);
            char *b = arrow + 3;
            while (*b == ' ' || *b == '\t')
                b++;
            if (l1 && timestamp_len(b))
                count++;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TESTDATA/subtitles\n", argv[0]);
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ableplayer", argv[1]);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return th_finish("ableplayer");
    struct dirent *e;
    int files = 0, total = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".vtt"))
            continue;
        char path[8192];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data = th_read_file(path, &len);
        CHECK(data != NULL);
        if (!data)
            continue;
        clsub_track *t = NULL;
        int r = clsub_parse_vtt(data, len, &t);
        int want = count_timing_lines(data);
        CHECK(r >= 0);
        CHECK(want > 0);
        if (t) {
            if ((int)t->n_cues != want)
                fprintf(stderr, "%s: %zu cues, %d timing lines\n", e->d_name, t->n_cues, want);
            CHECK_INT(t->n_cues, want);
            CHECK_INT(t->cues_read, t->cues_kept + t->cues_dropped);
            if (!strcmp(e->d_name, "paulallen_de.vtt"))
                CHECK_INT(t->n_cues, 38);
            if (!strcmp(e->d_name, "paulallen_meta.vtt")) {
                CHECK_INT(t->n_cues, 6);
                CHECK_INT(t->cues_read, 7);
                CHECK_INT(t->cues_dropped, 1);
                int has_diag = 0;
                for (size_t i = 0; i < t->n_diags; i++)
                    if (!strcmp(t->diags[i].code, "vtt-bad-timing") && t->diags[i].line > 0)
                        has_diag = 1;
                CHECK(has_diag);
            } else {
                CHECK_INT(t->cues_dropped, 0);
            }
            total += (int)t->n_cues;
        }
        files++;
        clsub_track_free(&t);
        free(data);
    }
    closedir(d);
    printf("ableplayer: %d files, %d cues kept\n", files, total);
    CHECK_INT(files, 48);
    return th_finish("ableplayer");
}
