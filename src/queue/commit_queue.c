/* commit_queue: messages finishing DATA while a batch is being committed wait for the next
 * batch, which takes them all (up to COMMIT_BATCH_MAX) in one worker job and one
 * spool_commit_all. One hand-off to a worker and one back per batch, where a worker per
 * message parked on the spool's batch lock: with deliveries batched too, context switches per
 * message went 26 -> 12 and CPU 729 -> 536 us (bench/README.md). One batch at a time: two in
 * flight measured no better (smaller batches, more syncs). */
#include "queue/commit_queue.h"

#include <stdlib.h>

#include "util/xalloc.h"

#define COMMIT_BATCH_MAX 128 /* bounds a batch's open files (two per message) */

struct commit_entry {
	struct spool_commit commit;
	void (*done)(void *context, int result, int error);
	void *context;
	struct commit_entry *next;
};

struct commit_queue {
	struct spool *spool;
	struct workpool *pool;
	struct commit_entry *head, *tail; /* waiting for the next batch */
	bool committing;                  /* a batch is on a worker */
};

struct batch {
	struct commit_queue *queue;
	struct commit_entry *entries; /* in arrival order */
	size_t count;
	struct spool_commit *commits;
};

struct commit_queue *commit_queue_create(struct spool *spool, struct workpool *pool)
{
	struct commit_queue *queue = xcalloc(1, sizeof *queue);

	queue->spool = spool;
	queue->pool = pool;
	return queue;
}

void commit_queue_free(struct commit_queue *queue) { free(queue); }

static void batch_work(void *context)
{
	struct batch *batch = context;

	spool_commit_all(batch->queue->spool, batch->commits, batch->count);
}

static void start_batch(struct commit_queue *queue);

static void batch_done(void *context)
{
	struct batch *batch = context;
	struct commit_queue *queue = batch->queue;
	struct commit_entry *entry = batch->entries;

	queue->committing = false;
	start_batch(queue); /* the disk goes on with the next while these are answered */
	for (size_t i = 0; entry != NULL; i++) {
		struct commit_entry *next = entry->next;

		entry->done(entry->context, batch->commits[i].result, batch->commits[i].error);
		free(entry);
		entry = next;
	}
	free(batch->commits);
	free(batch);
}

static void start_batch(struct commit_queue *queue)
{
	struct batch *batch;
	struct commit_entry *last = NULL;

	if (queue->committing || queue->head == NULL)
		return;
	batch = xcalloc(1, sizeof *batch);
	batch->queue = queue;
	batch->entries = queue->head;
	batch->commits = xcalloc(COMMIT_BATCH_MAX, sizeof *batch->commits);
	while (queue->head != NULL && batch->count < COMMIT_BATCH_MAX) {
		last = queue->head;
		batch->commits[batch->count++] = last->commit;
		queue->head = last->next;
	}
	last->next = NULL;
	if (queue->head == NULL)
		queue->tail = NULL;
	queue->committing = true;
	workpool_submit(queue->pool, batch_work, batch_done, batch);
}

void commit_queue_add(struct commit_queue *queue, const struct envelope *envelope, struct slice message,
                      void (*done)(void *context, int result, int error), void *context)
{
	struct commit_entry *entry = xcalloc(1, sizeof *entry);

	entry->commit = (struct spool_commit){.envelope = envelope, .message = message};
	entry->done = done;
	entry->context = context;
	if (queue->tail != NULL)
		queue->tail->next = entry;
	else
		queue->head = entry;
	queue->tail = entry;
	start_batch(queue);
}
