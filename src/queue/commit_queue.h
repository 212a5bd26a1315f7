/* commit_queue: spool commits asked for on the event loop, run in batches on the work pool.
 * Loop thread only. */
#ifndef TERN_COMMIT_QUEUE_H
#define TERN_COMMIT_QUEUE_H

#include "queue/spool.h"
#include "util/workpool.h"

struct commit_queue;

struct commit_queue *commit_queue_create(struct spool *spool, struct workpool *pool);
/* Only once nothing is queued or committing (the work pool stopped). */
void commit_queue_free(struct commit_queue *queue);

/* Commits message with envelope (both must stay unchanged until done runs) and calls
 * done(context, result, error) on the loop: result 0 once durable, else -1 with error an
 * errno value. */
void commit_queue_add(struct commit_queue *queue, const struct envelope *envelope, struct slice message,
                      void (*done)(void *context, int result, int error), void *context);

#endif
