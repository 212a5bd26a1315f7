/* spool_bench: spool_commit throughput alone. THREADS threads each commit COUNT/THREADS
 * messages of SIZE bytes into a fresh spool directory; prints commits/s and CPU per commit.
 * With "remove" as a fifth argument each message is removed right after its commit, as
 * delivery does: the steady state of a busy server (files retired and reused, or, without
 * recycling, inodes freed and allocated: on ext4 without a journal that is the dominant cost).
 *   build: cc -O2 -D_GNU_SOURCE -Isrc bench/spool_bench.c src/queue/spool.c src/queue/envelope.c
 *          src/util/*.c ... (see bench/spool-bench.sh)
 *   run:   spool_bench DIRECTORY THREADS COUNT SIZE [remove] */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "queue/envelope.h"
#include "queue/spool.h"
#include "util/xalloc.h"

static struct spool *spool;
static int per_thread;
static char *body;
static size_t body_length;
static bool remove_each;

static void *committer(void *unused)
{
	for (int i = 0; i < per_thread; i++) {
		struct envelope envelope = {0};
		char id[SPOOL_ID_SIZE];

		spool_new_id(spool, id);
		envelope.id = xstrdup(id);
		envelope.sender = xstrdup("sender@remote.test");
		envelope.created = envelope.next_attempt = time(NULL);
		envelope.client = xstrdup("127.0.0.1 bench");
		envelope_add_recipient(&envelope, "bob@bench.test", "bob");
		if (spool_commit(spool, &envelope, slice_make(body, body_length)) != 0) {
			perror("spool_commit");
			exit(1);
		}
		if (remove_each && spool_remove(spool, id) != 0) {
			perror("spool_remove");
			exit(1);
		}
		envelope_free(&envelope);
	}
	return NULL;
}

static double seconds(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

int main(int argc, char **argv)
{
	struct timespec start, end;
	struct rusage usage;
	int threads;
	pthread_t *ids;

	if (argc != 5 && !(argc == 6 && strcmp(argv[5], "remove") == 0))
		return 2;
	remove_each = argc == 6;
	spool = spool_open(argv[1]);
	threads = atoi(argv[2]);
	per_thread = atoi(argv[3]) / threads;
	body_length = (size_t)atol(argv[4]);
	body = xmalloc(body_length);
	memset(body, 'x', body_length);
	ids = xcalloc((size_t)threads, sizeof *ids);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < threads; i++)
		pthread_create(&ids[i], NULL, committer, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(ids[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &end);
	getrusage(RUSAGE_SELF, &usage);
	double elapsed = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
	int total = per_thread * threads;
	printf("threads %3d: %7.0f commits/s  cpu %5.0f us/commit\n", threads, total / elapsed,
	       (seconds(usage.ru_utime) + seconds(usage.ru_stime)) * 1e6 / total);
	spool_close(spool);
	return 0;
}
