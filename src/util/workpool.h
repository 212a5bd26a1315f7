/* workpool: a small pool of threads for blocking work (fsync, file delivery), so that one
 * slow disk never stalls the event loop. A job runs on a worker; its completion callback
 * then runs on the event-loop thread. Requires evthread_use_pthreads() before the base. */
#ifndef TERN_WORKPOOL_H
#define TERN_WORKPOOL_H

#include <event2/event.h>

struct workpool;

/* Starts threads workers whose completions are delivered on base. Aborts if threads cannot
 * be created (only called before serving). */
struct workpool *workpool_create(struct event_base *base, unsigned threads);

/* Queues work(argument) for a worker thread; when it returns, done(argument) runs on the loop
 * thread. Jobs start in submission order. done may be NULL. */
void workpool_submit(struct workpool *pool, void (*work)(void *), void (*done)(void *), void *argument);

/* Jobs submitted and not yet completed (their done callback not yet run). */
unsigned workpool_pending(const struct workpool *pool);

/* Waits for queued jobs to finish, stops the threads and frees the pool. Completion callbacks
 * of jobs that finish during the wait are not run. NULL is a no-op. */
void workpool_destroy(struct workpool *pool);

#endif
