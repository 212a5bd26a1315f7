/* scheduler: two lanes of message ids ready for delivery, and a list of deferred ids with one
 * timer for the earliest retry. Every attempt starts in the local lane (at most
 * SCHEDULER_LOCAL_SLOTS at once); one that needs other servers moves to the remote lane when
 * it has a slot there (max-outbound-connections), else it stores its local outcome and queues
 * for the remote lane. So servers that stall remote deliveries (RFC 5321 lets a reply take
 * 10 minutes) can fill the remote lane but never hold up delivery into local mailboxes.
 * Each job holds a reference to the config it started with: a reload never frees a config a
 * worker is reading. */
#include "queue/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config_current.h"
#include "deliver/delivery_job.h"
#include "util/log.h"
#include "util/xalloc.h"

struct queued_id {
	char id[SPOOL_ID_SIZE];
	bool never_attempted;
	time_t due;
	struct queued_id *next;
};

struct scheduler {
	const struct delivery_services *services;
	struct attempt *running; /* deliveries in flight */
	struct lane {
		struct queued_id *head, *tail;
		unsigned busy;
		unsigned slots;
	} local, remote;
	struct queued_id *deferred; /* unordered; few */
	struct event *retry_timer;
	struct event *kick; /* runs start_deliveries once per loop pass, however often asked */
	unsigned busy; /* attempts running, both lanes */
	bool stopped;
};

struct attempt {
	struct scheduler *scheduler;
	const struct config *config;
	char id[SPOOL_ID_SIZE];
	bool remote; /* holds a remote-lane slot */
	struct attempt *next;
};

static void push(struct lane *lane, struct queued_id *q)
{
	q->next = NULL;
	if (lane->tail)
		lane->tail->next = q;
	else
		lane->head = q;
	lane->tail = q;
}

static struct queued_id *pop(struct lane *lane)
{
	struct queued_id *q = lane->head;

	lane->head = q->next;
	if (lane->head == NULL)
		lane->tail = NULL;
	return q;
}

static void enqueue_in(struct scheduler *scheduler, const char *id, bool never_attempted, bool remote);

static void unlink_running(struct scheduler *scheduler, struct attempt *attempt)
{
	struct attempt **link = &scheduler->running;

	while (*link != attempt)
		link = &(*link)->next;
	*link = attempt->next;
}

static void kick(struct scheduler *scheduler);

static void arm_retry_timer(struct scheduler *scheduler)
{
	time_t earliest = 0;
	struct timeval delay = {0, 0};

	for (struct queued_id *q = scheduler->deferred; q; q = q->next)
		if (earliest == 0 || q->due < earliest)
			earliest = q->due;
	if (earliest == 0) {
		evtimer_del(scheduler->retry_timer);
		return;
	}
	delay.tv_sec = earliest > time(NULL) ? earliest - time(NULL) : 0;
	evtimer_add(scheduler->retry_timer, &delay);
}

static void defer(struct scheduler *scheduler, const char *id, time_t due)
{
	struct queued_id *q = xcalloc(1, sizeof *q);

	snprintf(q->id, sizeof q->id, "%s", id);
	q->due = due;
	q->next = scheduler->deferred;
	scheduler->deferred = q;
	arm_retry_timer(scheduler);
}

static void delivery_done(void *context, const struct delivery_outcome *outcome)
{
	struct attempt *attempt = context;
	struct scheduler *scheduler = attempt->scheduler;

	scheduler->busy--;
	(attempt->remote ? &scheduler->remote : &scheduler->local)->busy--;
	unlink_running(scheduler, attempt);
	config_current_release(attempt->config);
	for (size_t i = 0; i < outcome->bounce_count; i++)
		scheduler_enqueue(scheduler, outcome->bounces[i], true);
	if (outcome->remote_wanted)
		enqueue_in(scheduler, attempt->id, false, true);
	else if (outcome->remote_waiting)
		log_info("%s waiting status=queued (no outbound delivery configured)", attempt->id);
	else if (outcome->retry_at != 0)
		defer(scheduler, attempt->id, outcome->retry_at);
	free(attempt);
	kick(scheduler);
}

/* A local-lane attempt reached its remote phase: it may go on if the remote lane has room. */
static bool may_go_remote(void *context)
{
	struct attempt *attempt = context;
	struct scheduler *scheduler = attempt->scheduler;

	if (attempt->remote)
		return true;
	if (scheduler->remote.busy >= scheduler->remote.slots)
		return false;
	scheduler->local.busy--;
	scheduler->remote.busy++;
	attempt->remote = true;
	kick(scheduler); /* its local slot is free now */
	return true;
}

static void start_one(struct scheduler *scheduler, struct lane *lane, struct delivery_batch *batch)
{
	struct queued_id *q = pop(lane);
	struct attempt *attempt = xcalloc(1, sizeof *attempt);

	attempt->scheduler = scheduler;
	attempt->config = config_current_retain();
	attempt->remote = lane == &scheduler->remote;
	snprintf(attempt->id, sizeof attempt->id, "%s", q->id);
	scheduler->busy++;
	lane->busy++;
	attempt->next = scheduler->running;
	scheduler->running = attempt;
	delivery_batch_add(batch, attempt->config, attempt->id, !q->never_attempted, may_go_remote, delivery_done,
	                   attempt);
	free(q);
}

/* Starts what the lanes have room for, as one batch. Only from the kick: ids queued and
 * slots freed during one loop pass (a commit batch's messages, a delivery batch's ends) start
 * together. */
static void start_deliveries(evutil_socket_t fd, short events, void *context)
{
	struct scheduler *scheduler = context;
	struct delivery_batch *batch = delivery_batch_new(scheduler->services);

	while (!scheduler->stopped && scheduler->local.head && scheduler->local.busy < scheduler->local.slots)
		start_one(scheduler, &scheduler->local, batch);
	while (!scheduler->stopped && scheduler->remote.head && scheduler->remote.busy < scheduler->remote.slots)
		start_one(scheduler, &scheduler->remote, batch);
	delivery_batch_start(batch);
}

static void kick(struct scheduler *scheduler)
{
	event_active(scheduler->kick, 0, 0);
}

static void on_retry_timer(evutil_socket_t fd, short events, void *context)
{
	struct scheduler *scheduler = context;
	struct queued_id **link = &scheduler->deferred;
	time_t now = time(NULL);

	while (*link) {
		struct queued_id *q = *link;
		if (q->due > now) {
			link = &q->next;
			continue;
		}
		*link = q->next;
		scheduler_enqueue(scheduler, q->id, false);
		free(q);
	}
	arm_retry_timer(scheduler);
}

struct scheduler *scheduler_create(const struct delivery_services *services)
{
	struct scheduler *scheduler = xcalloc(1, sizeof *scheduler);

	scheduler->services = services;
	scheduler->local.slots = SCHEDULER_LOCAL_SLOTS;
	scheduler->remote.slots = SCHEDULER_REMOTE_SLOTS;
	scheduler->retry_timer = evtimer_new(services->base, on_retry_timer, scheduler);
	scheduler->kick = event_new(services->base, -1, 0, start_deliveries, scheduler);
	return scheduler;
}

void scheduler_set_remote_slots(struct scheduler *scheduler, unsigned slots)
{
	scheduler->remote.slots = slots ? slots : SCHEDULER_REMOTE_SLOTS;
	kick(scheduler);
}

static void free_list(struct queued_id *q)
{
	while (q) {
		struct queued_id *next = q->next;
		free(q);
		q = next;
	}
}

void scheduler_free(struct scheduler *scheduler)
{
	if (scheduler == NULL)
		return;
	free_list(scheduler->local.head);
	free_list(scheduler->remote.head);
	free_list(scheduler->deferred);
	event_free(scheduler->retry_timer);
	event_free(scheduler->kick);
	free(scheduler);
}

static void enqueue_in(struct scheduler *scheduler, const char *id, bool never_attempted, bool remote)
{
	struct queued_id *q = xcalloc(1, sizeof *q);

	q->never_attempted = never_attempted;
	snprintf(q->id, sizeof q->id, "%s", id);
	push(remote ? &scheduler->remote : &scheduler->local, q);
	kick(scheduler);
}

void scheduler_enqueue(struct scheduler *scheduler, const char *id, bool never_attempted)
{
	enqueue_in(scheduler, id, never_attempted, false);
}

/* Found at start-up: an earlier run may have delivered it before recording that. */
static void found_in_spool(const char *id, void *context) { scheduler_enqueue(context, id, false); }

int scheduler_load(struct scheduler *scheduler)
{
	return spool_scan(scheduler->services->spool, found_in_spool, scheduler);
}

void scheduler_stop(struct scheduler *scheduler) { scheduler->stopped = true; }

unsigned scheduler_flush(struct scheduler *scheduler, const char *id)
{
	struct queued_id **link = &scheduler->deferred;
	unsigned moved = 0;

	while (*link) {
		struct queued_id *q = *link;
		if (id != NULL && strcmp(q->id, id) != 0) {
			link = &q->next;
			continue;
		}
		*link = q->next;
		scheduler_enqueue(scheduler, q->id, false);
		free(q);
		moved++;
	}
	arm_retry_timer(scheduler);
	return moved;
}

bool scheduler_running(const struct scheduler *scheduler, const char *id)
{
	for (const struct attempt *attempt = scheduler->running; attempt; attempt = attempt->next)
		if (strcmp(attempt->id, id) == 0)
			return true;
	return false;
}

static void forget_in(struct queued_id **link, struct queued_id **tail, const char *id)
{
	struct queued_id *previous = NULL;

	while (*link) {
		struct queued_id *q = *link;
		if (strcmp(q->id, id) != 0) {
			previous = q;
			link = &q->next;
			continue;
		}
		*link = q->next;
		if (tail && *tail == q)
			*tail = previous;
		free(q);
	}
}

void scheduler_forget(struct scheduler *scheduler, const char *id)
{
	forget_in(&scheduler->local.head, &scheduler->local.tail, id);
	forget_in(&scheduler->remote.head, &scheduler->remote.tail, id);
	forget_in(&scheduler->deferred, NULL, id);
	arm_retry_timer(scheduler);
}

unsigned scheduler_busy(const struct scheduler *scheduler) { return scheduler->busy; }
