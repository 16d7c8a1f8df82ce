/* Retiming: shift and clip a track to a clip's [in, out). */
#include "clsub_internal.h"

#include <string.h>

int clsub_track_clip(clsub_track *t, int64_t in_ms, int64_t out_ms, clsub_clip_stats *stats)
{
    clsub_clip_stats st = {0, 0, 0, 0, -1, -1};
    if (!t || in_ms < 0 || out_ms <= in_ms)
        return CLSUB_ERR_INVAL;
    int64_t len = out_ms - in_ms;
    size_t w = 0;
    for (size_t i = 0; i < t->n_cues; i++) {
        clsub_cue *c = &t->cues[i];
        if (c->end_ms <= in_ms && !(c->start_ms == c->end_ms && c->start_ms == in_ms)) {
            st.dropped_before++;
            clsub_cue_clear(c);
            continue;
        }
        if (c->start_ms >= out_ms) {
            st.dropped_after++;
            clsub_cue_clear(c);
            continue;
        }
        int64_t s = c->start_ms - in_ms, e = c->end_ms - in_ms;
        if (s < 0 || e > len) {
            st.clipped++;
            s = s < 0 ? 0 : s;
            e = e > len ? len : e;
        }
        c->start_ms = s;
        c->end_ms = e;
        if (st.first_ms < 0 || s < st.first_ms)
            st.first_ms = s;
        if (e > st.last_ms)
            st.last_ms = e;
        t->cues[w++] = *c;
    }
    t->n_cues = w;
    st.kept = w;
    if (stats)
        *stats = st;
    return (int)w;
}

int clsub_track_shift(clsub_track *t, int64_t delta_ms)
{
    if (!t)
        return CLSUB_ERR_INVAL;
    size_t w = 0;
    for (size_t i = 0; i < t->n_cues; i++) {
        clsub_cue *c = &t->cues[i];
        int64_t s = c->start_ms + delta_ms, e = c->end_ms + delta_ms;
        if (e < 0 || (e == 0 && s < 0)) {
            clsub_cue_clear(c);
            continue;
        }
        c->start_ms = s < 0 ? 0 : s;
        c->end_ms = e;
        t->cues[w++] = *c;
    }
    t->n_cues = w;
    return (int)w;
}
