/* scheduler: a FIFO of message ids ready for delivery, at most SCHEDULER_CONCURRENCY
 * deliveries on the work pool at once, and a list of deferred ids with one timer for the
 * earliest retry. Each job holds a reference to the config it started with, so a reload
 * never frees a config a worker is reading. */
#include "queue/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config_current.h"
#include "deliver/local_delivery.h"
#include "util/log.h"
#include "util/xalloc.h"

struct queued_id {
	char id[SPOOL_ID_SIZE];
	bool never_attempted;
	time_t due;
	struct queued_id *next;
};

struct scheduler {
	struct event_base *base;
	struct workpool *pool;
	struct spool *spool;
	struct queued_id *ready_head, *ready_tail;
	struct queued_id *deferred; /* unordered; few */
	struct event *retry_timer;
	unsigned busy;
	bool stopped;
};

struct delivery_job {
	struct scheduler *scheduler;
	const struct config *config;
	char id[SPOOL_ID_SIZE];
	bool never_attempted;
	struct local_delivery_result result;
};

static void start_deliveries(struct scheduler *scheduler);

static void delivery_work(void *context)
{
	struct delivery_job *job = context;
	local_delivery_run(job->config, job->scheduler->spool, job->id, !job->never_attempted, &job->result);
}

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

static void delivery_done(void *context)
{
	struct delivery_job *job = context;
	struct scheduler *scheduler = job->scheduler;

	scheduler->busy--;
	config_current_release(job->config);
	if (job->result.retry_at != 0)
		defer(scheduler, job->id, job->result.retry_at);
	else if (job->result.remote_left)
		log_info("%s waiting status=queued (remote recipients wait for outbound delivery)", job->id);
	free(job);
	start_deliveries(scheduler);
}

static void start_deliveries(struct scheduler *scheduler)
{
	while (!scheduler->stopped && scheduler->busy < SCHEDULER_CONCURRENCY && scheduler->ready_head) {
		struct queued_id *q = scheduler->ready_head;
		struct delivery_job *job = xcalloc(1, sizeof *job);

		scheduler->ready_head = q->next;
		if (scheduler->ready_head == NULL)
			scheduler->ready_tail = NULL;
		job->scheduler = scheduler;
		job->config = config_current_retain();
		snprintf(job->id, sizeof job->id, "%s", q->id);
		job->never_attempted = q->never_attempted;
		free(q);
		scheduler->busy++;
		workpool_submit(scheduler->pool, delivery_work, delivery_done, job);
	}
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

struct scheduler *scheduler_create(struct event_base *base, struct workpool *pool, struct spool *spool)
{
	struct scheduler *scheduler = xcalloc(1, sizeof *scheduler);

	scheduler->base = base;
	scheduler->pool = pool;
	scheduler->spool = spool;
	scheduler->retry_timer = evtimer_new(base, on_retry_timer, scheduler);
	return scheduler;
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
	free_list(scheduler->ready_head);
	free_list(scheduler->deferred);
	event_free(scheduler->retry_timer);
	free(scheduler);
}

void scheduler_enqueue(struct scheduler *scheduler, const char *id, bool never_attempted)
{
	struct queued_id *q = xcalloc(1, sizeof *q);

	q->never_attempted = never_attempted;
	snprintf(q->id, sizeof q->id, "%s", id);
	if (scheduler->ready_tail)
		scheduler->ready_tail->next = q;
	else
		scheduler->ready_head = q;
	scheduler->ready_tail = q;
	start_deliveries(scheduler);
}

/* Found at start-up: an earlier run may have delivered it before recording that. */
static void found_in_spool(const char *id, void *context) { scheduler_enqueue(context, id, false); }

int scheduler_load(struct scheduler *scheduler) { return spool_scan(scheduler->spool, found_in_spool, scheduler); }

void scheduler_stop(struct scheduler *scheduler) { scheduler->stopped = true; }

unsigned scheduler_busy(const struct scheduler *scheduler) { return scheduler->busy; }
