/* scheduler: decides when each spooled message is delivered. It keeps the ids of messages
 * ready for an attempt, starts attempts in batches, once per loop pass, as many as the lanes
 * have room for (deliver/delivery_job.c), and retries deferred messages at the time their
 * attempt asked for. Event-loop thread only. */
#ifndef TERN_SCHEDULER_H
#define TERN_SCHEDULER_H

#include <event2/event.h>

#include "deliver/delivery_job.h"
#include "queue/spool.h"

struct scheduler;

#define SCHEDULER_LOCAL_SLOTS 64  /* attempts loading, delivering locally, storing (each holds
                                     its message in memory meanwhile, as remote ones do) */
#define SCHEDULER_REMOTE_SLOTS 64 /* attempts talking to other servers (mostly waiting); the
                                     default of max-outbound-connections */

/* services must outlive the scheduler. */
struct scheduler *scheduler_create(const struct delivery_services *services);
/* Sets the remote lane's slots (max-outbound-connections; at start and on reload). Attempts
 * already running keep theirs; waiting ones start if there is new room. */
void scheduler_set_remote_slots(struct scheduler *scheduler, unsigned slots);
/* Frees the scheduler; deliveries in flight must have finished (see scheduler_busy). */
void scheduler_free(struct scheduler *scheduler);

/* Schedules a committed message for delivery now. never_attempted: committed by this process
 * and not tried yet, so no copy can be in a mailbox already (saves looking for one). */
void scheduler_enqueue(struct scheduler *scheduler, const char *id, bool never_attempted);
/* Schedules every complete message in the spool (at start-up). Returns the count or -1. */
int scheduler_load(struct scheduler *scheduler);
/* Admin operations (tern queue). Moves the deferred message id (or, for NULL, every deferred
 * message) to the front of the queue; returns how many were moved. */
unsigned scheduler_flush(struct scheduler *scheduler, const char *id);
/* Whether a delivery of id is running now (then it cannot be held or deleted). */
bool scheduler_running(const struct scheduler *scheduler, const char *id);
/* Drops id from the ready and deferred lists (held or deleted). */
void scheduler_forget(struct scheduler *scheduler, const char *id);
/* Stops starting new deliveries (shutdown). */
void scheduler_stop(struct scheduler *scheduler);
/* Deliveries in flight. */
unsigned scheduler_busy(const struct scheduler *scheduler);

#endif
