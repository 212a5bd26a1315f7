/* workpool: fixed threads taking jobs from one FIFO; finished jobs go to a done list and one
 * libevent event, activated from the worker (safe with evthread pthreads), drains it on the
 * loop thread. Many threads matter for a spool: concurrent fsyncs share journal commits. */
#include "util/workpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/xalloc.h"

struct job {
	void (*work)(void *);
	void (*done)(void *);
	void *argument;
	struct job *next;
};

struct job_list {
	struct job *head;
	struct job *tail;
};

struct workpool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job_list todo;
	struct job_list finished;
	bool stopping;
	unsigned pending;
	unsigned thread_count;
	pthread_t *threads;
	struct event *completion;
};

static void list_push(struct job_list *list, struct job *job)
{
	job->next = NULL;
	if (list->tail)
		list->tail->next = job;
	else
		list->head = job;
	list->tail = job;
}

static struct job *list_take_all(struct job_list *list)
{
	struct job *head = list->head;
	list->head = list->tail = NULL;
	return head;
}

static void *worker_main(void *context)
{
	struct workpool *pool = context;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct job *job = pool->todo.head;
		if (job == NULL) {
			if (pool->stopping)
				break;
			pthread_cond_wait(&pool->wake, &pool->lock);
			continue;
		}
		pool->todo.head = job->next;
		if (pool->todo.head == NULL)
			pool->todo.tail = NULL;
		pthread_mutex_unlock(&pool->lock);
		job->work(job->argument);
		pthread_mutex_lock(&pool->lock);
		list_push(&pool->finished, job);
		event_active(pool->completion, EV_READ, 0);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static void on_completion(evutil_socket_t fd, short events, void *context)
{
	struct workpool *pool = context;
	struct job *job;

	pthread_mutex_lock(&pool->lock);
	job = list_take_all(&pool->finished);
	pthread_mutex_unlock(&pool->lock);
	while (job != NULL) {
		struct job *next = job->next;
		pool->pending--;
		if (job->done)
			job->done(job->argument);
		free(job);
		job = next;
	}
}

struct workpool *workpool_create(struct event_base *base, unsigned threads)
{
	struct workpool *pool = xcalloc(1, sizeof *pool);

	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pool->completion = event_new(base, -1, 0, on_completion, pool);
	pool->thread_count = threads;
	pool->threads = xcalloc(threads, sizeof *pool->threads);
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0)
			abort();
		else
			pthread_setname_np(pool->threads[i], "ternd-worker"); /* for top -H, perf */
	return pool;
}

void workpool_submit(struct workpool *pool, void (*work)(void *), void (*done)(void *), void *argument)
{
	struct job *job = xcalloc(1, sizeof *job);

	job->work = work;
	job->done = done;
	job->argument = argument;
	pool->pending++;
	pthread_mutex_lock(&pool->lock);
	list_push(&pool->todo, job);
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
}

unsigned workpool_pending(const struct workpool *pool) { return pool->pending; }

void workpool_destroy(struct workpool *pool)
{
	struct job *job;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	job = list_take_all(&pool->finished);
	while (job != NULL) {
		struct job *next = job->next;
		free(job);
		job = next;
	}
	event_free(pool->completion);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	free(pool->threads);
	free(pool);
}
