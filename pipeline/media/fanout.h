/*
 * fanout.h: the bounded queues of the decode-once fan-out. The decode
 * thread pushes decoded video frames and encoded audio packets into one
 * queue per rendition; each rendition's thread pops them. A full queue
 * blocks the producer, so memory stays bounded whatever the clip length.
 */
#ifndef CL_FANOUT_H
#define CL_FANOUT_H

#include <pthread.h>
#include <stdint.h>

#include <libavcodec/packet.h>
#include <libavutil/frame.h>

enum cl_qkind { CL_Q_VIDEO, CL_Q_AUDIO, CL_Q_END };

typedef struct cl_qitem {
    enum cl_qkind kind;
    AVFrame *frame;  /* CL_Q_VIDEO: owned by the item */
    AVPacket *pkt;   /* CL_Q_AUDIO: owned by the item */
    int64_t end_pts; /* CL_Q_END: the clip's end, in the video input time base */
} cl_qitem;

typedef struct cl_queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    cl_qitem *items;
    int cap, head, count;
    int aborted;
} cl_queue;

int cl_queue_init(cl_queue *q, int cap);
/* Blocks while full. Takes ownership of the item's frame/packet, also on
 * failure (AVERROR_EXIT once the queue was aborted). */
int cl_queue_push(cl_queue *q, cl_qitem *it);
/* Blocks while empty; AVERROR_EXIT once aborted. */
int cl_queue_pop(cl_queue *q, cl_qitem *it);
/* Wakes everyone; later pushes and pops fail. */
void cl_queue_abort(cl_queue *q);
/* Frees what is still queued and the queue itself. */
void cl_queue_uninit(cl_queue *q);
void cl_qitem_clear(cl_qitem *it);

#endif
