/* scheduler: decides when each spooled message is delivered. It keeps the ids of messages
 * with pending local recipients, runs deliveries on the work pool (a few at a time), records
 * each result in the envelope, and retries failures with growing delays. Messages whose only
 * pending recipients are remote stay spooled for outbound delivery. Event-loop thread only. */
#ifndef TERN_SCHEDULER_H
#define TERN_SCHEDULER_H

#include <event2/event.h>

#include "queue/spool.h"
#include "util/workpool.h"

struct scheduler;

#define SCHEDULER_CONCURRENCY 8 /* deliveries in flight at once */

struct scheduler *scheduler_create(struct event_base *base, struct workpool *pool, struct spool *spool);
/* Frees the scheduler; deliveries in flight must have finished (see scheduler_busy). */
void scheduler_free(struct scheduler *scheduler);

/* Schedules a committed message for delivery now. never_attempted: committed by this process
 * and not tried yet, so no copy can be in a mailbox already (saves looking for one). */
void scheduler_enqueue(struct scheduler *scheduler, const char *id, bool never_attempted);
/* Schedules every complete message in the spool (at start-up). Returns the count or -1. */
int scheduler_load(struct scheduler *scheduler);
/* Stops starting new deliveries (shutdown). */
void scheduler_stop(struct scheduler *scheduler);
/* Deliveries in flight. */
unsigned scheduler_busy(const struct scheduler *scheduler);

#endif
