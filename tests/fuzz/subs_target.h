/*
 * subs_target.h: the properties every subtitle parser keeps, checked on
 * whatever track a fuzz input gives (fuzz_srt.c, fuzz_vtt.c).
 */
#ifndef CL_FUZZ_SUBS_TARGET_H
#define CL_FUZZ_SUBS_TARGET_H

#include <clsub.h>

#include "fuzz.h"

static inline void check_track(const clsub_track *t, int kept)
{
    FUZZ_CHECK(t != NULL);
    FUZZ_CHECK((size_t)kept == t->n_cues);
    FUZZ_CHECK(t->cues_read == t->cues_kept + t->cues_dropped);
    FUZZ_CHECK(t->cues_kept == t->n_cues);
    for (size_t i = 0; i < t->n_cues; i++) {
        const clsub_cue *q = &t->cues[i];
        FUZZ_CHECK(q->id != NULL && q->text != NULL);
        /* a cue that ends before it starts is kept, with an error diagnostic */
        FUZZ_CHECK(q->start_ms >= 0 && q->end_ms >= 0);
    }
}

/* Parses with `parse`, then writes the track as WebVTT and SRT, reads each
 * back (same number of cues, same times), cuts it to a window and lints it. */
static inline void fuzz_subtitles(const uint8_t *data, size_t size,
                                  int (*parse)(const char *, size_t, clsub_track **))
{
    clsub_track *t = NULL;
    int kept = parse((const char *)data, size, &t);
    if (kept < 0) {
        FUZZ_CHECK(kept == CLSUB_ERR_INVALIDDATA || kept == CLSUB_ERR_TOOBIG || kept == CLSUB_ERR_NOMEM ||
                   kept == CLSUB_ERR_INVAL);
        clsub_track_free(&t);
        return;
    }
    check_track(t, kept);
    for (size_t i = 0; i < t->n_cues; i++) {
        char *plain = NULL;
        if (clsub_cue_plain_text(&t->cues[i], &plain) == 0)
            FUZZ_CHECK(plain != NULL);
        free(plain);
    }
    int (*writers[2])(const clsub_track *, char **, size_t *) = { clsub_write_vtt, clsub_write_srt };
    int (*readers[2])(const char *, size_t, clsub_track **) = { clsub_parse_vtt, clsub_parse_srt };
    for (int w = 0; w < 2; w++) {
        char *out = NULL;
        size_t len = 0;
        if (writers[w](t, &out, &len) == 0) {
            clsub_track *back = NULL;
            int n = readers[w](out, len, &back);
            if (n < 0 || (size_t)n != t->n_cues)
                fprintf(stderr, "%s of %zu cues read back as %d cues:\n%.*s\n", w ? "SRT" : "WebVTT",
                        t->n_cues, n, (int)len, out);
            FUZZ_CHECK(n >= 0);
            check_track(back, n);
            FUZZ_CHECK((size_t)n == t->n_cues);
            for (size_t i = 0; i < back->n_cues; i++)
                FUZZ_CHECK(back->cues[i].start_ms == t->cues[i].start_ms &&
                           back->cues[i].end_ms == t->cues[i].end_ms);
            clsub_track_free(&back);
        }
        free(out);
    }
    clsub_lint_settings ls;
    clsub_lint_default_settings(&ls);
    clsub_lint(t, &ls);
    clsub_clip_stats cs;
    int left = clsub_track_clip(t, 1000, 61000, &cs);
    FUZZ_CHECK(left >= 0 && (size_t)left == t->n_cues);
    for (size_t i = 0; i < t->n_cues; i++)
        FUZZ_CHECK(t->cues[i].start_ms >= 0 && t->cues[i].start_ms <= 60000 &&
                   t->cues[i].end_ms >= 0 && t->cues[i].end_ms <= 60000);
    clsub_track_free(&t);
}

#endif
