/* fanout.c: bounded queues between the decode thread and the renditions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "fanout.h"

int cl_queue_init(cl_queue *q, int cap)
{
    memset(q, 0, sizeof(*q));
    q->items = calloc((size_t)cap, sizeof(*q->items));
    if (!q->items)
        return AVERROR(ENOMEM);
    q->cap = cap;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->cond, NULL);
    return 0;
}

void cl_qitem_clear(cl_qitem *it)
{
    av_frame_free(&it->frame);
    av_packet_free(&it->pkt);
}

int cl_queue_push(cl_queue *q, cl_qitem *it)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == q->cap && !q->aborted)
        pthread_cond_wait(&q->cond, &q->lock);
    if (q->aborted) {
        pthread_mutex_unlock(&q->lock);
        cl_qitem_clear(it);
        return AVERROR_EXIT;
    }
    q->items[(q->head + q->count) % q->cap] = *it;
    q->count++;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

int cl_queue_pop(cl_queue *q, cl_qitem *it)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->aborted)
        pthread_cond_wait(&q->cond, &q->lock);
    if (q->aborted) {
        pthread_mutex_unlock(&q->lock);
        return AVERROR_EXIT;
    }
    *it = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

void cl_queue_abort(cl_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->aborted = 1;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

void cl_queue_uninit(cl_queue *q)
{
    if (!q->items)
        return;
    for (int i = 0; i < q->count; i++)
        cl_qitem_clear(&q->items[(q->head + i) % q->cap]);
    free(q->items);
    q->items = NULL;
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
}
