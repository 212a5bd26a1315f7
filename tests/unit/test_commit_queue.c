/* Unit tests for queue/commit_queue.c on a real event loop, work pool and spool: every commit
 * asked for is answered exactly once on the loop, in batches, with its own result (a refused
 * one fails alone), and what was answered 0 reads back. */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "temporary_directory.h"
#include "queue/commit_queue.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "util/workpool.h"
#include "util/xalloc.h"

#define COMMITS 300

struct pending {
	struct envelope envelope;
	char *message;
	int calls, result, error;
	size_t *answered;
	struct event_base *base;
};

static void answered(void *context, int result, int error)
{
	struct pending *pending = context;

	pending->calls++;
	pending->result = result;
	pending->error = error;
	if (++*pending->answered == COMMITS)
		event_base_loopbreak(pending->base);
}

static void test_every_commit_is_answered_once(void)
{
	char *directory = temporary_directory_create("commit-queue");
	struct event_base *base = event_base_new();
	struct workpool *pool = workpool_create(base, 4);
	struct spool *spool = spool_open(directory);
	struct commit_queue *queue = commit_queue_create(spool, pool);
	struct pending *pending = xcalloc(COMMITS, sizeof *pending);
	size_t count = 0;
	char id[SPOOL_ID_SIZE];
	int good = 0, once = 0;

	for (int i = 0; i < COMMITS; i++) {
		spool_new_id(spool, id);
		if (i == 7)
			snprintf(id, sizeof id, "not/valid"); /* refused: EINVAL */
		memset(&pending[i].envelope, 0, sizeof pending[i].envelope);
		pending[i].envelope.id = xstrdup(id);
		pending[i].envelope.sender = xstrdup("alice@example.org");
		pending[i].envelope.client = xstrdup("192.0.2.1 client.example.org");
		envelope_add_recipient(&pending[i].envelope, "bob@example.net", NULL);
		pending[i].message = xasprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i);
		pending[i].answered = &count;
		pending[i].base = base;
		commit_queue_add(queue, &pending[i].envelope, slice_from_string(pending[i].message), answered, &pending[i]);
	}
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY); /* until the last answer breaks it */
	CHECK_INT(count, COMMITS);
	for (int i = 0; i < COMMITS; i++) {
		struct buffer text;

		once += pending[i].calls == 1;
		if (i == 7) {
			CHECK_INT(pending[i].result, -1);
			CHECK_INT(pending[i].error, EINVAL);
			continue;
		}
		buffer_init(&text, 4096);
		if (pending[i].result == 0 && spool_read_message(spool, pending[i].envelope.id, &text) == 0 &&
		    buffer_slice(&text).length == strlen(pending[i].message) &&
		    memcmp(text.data, pending[i].message, text.length) == 0)
			good++;
		buffer_free(&text);
	}
	CHECK_INT(once, COMMITS);
	CHECK_INT(good, COMMITS - 1);
	CHECK_INT(temporary_directory_count_entries(directory), 2 * (COMMITS - 1)); /* no leftovers */
	for (int i = 0; i < COMMITS; i++) {
		envelope_free(&pending[i].envelope);
		free(pending[i].message);
	}
	free(pending);
	workpool_destroy(pool);
	commit_queue_free(queue);
	spool_close(spool);
	event_base_free(base);
	temporary_directory_remove(directory);
}

int main(void)
{
	evthread_use_pthreads();
	RUN(test_every_commit_is_answered_once);
	return check_summary("test_commit_queue");
}
