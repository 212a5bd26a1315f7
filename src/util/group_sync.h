/* group_sync: group commit of fsync for one file (in practice a directory whose new entries
 * must be durable before a reply: the spool's, a Maildir's new/). Threads that need an fsync
 * covering what they did before calling share one: whoever finds none running runs it for
 * everyone who asked so far; the others wait for it, or for the next one when theirs came
 * too late for the running one. POSIX fsync (IEEE 1003.1, fsync()): after it returns, what
 * was written through the file before the call is on stable storage. Thread-safe; blocking. */
#ifndef TERN_GROUP_SYNC_H
#define TERN_GROUP_SYNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct group_sync {
	pthread_mutex_t lock;
	pthread_cond_t done;
	uint64_t requested; /* tickets handed out */
	uint64_t completed; /* every ticket <= this is covered by a finished fsync */
	bool running;
	uint64_t failed_low, failed_high; /* tickets of failed fsyncs (0, 0: none) */
	int failed_errno;
};

void group_sync_init(struct group_sync *sync);
void group_sync_destroy(struct group_sync *sync);

/* Returns once an fsync of fd (any descriptor of the file, the same file for every caller of
 * this group_sync) that started after this call began has finished: 0, or -1 with errno of
 * the failed fsync. */
int group_sync_run(struct group_sync *sync, int fd);

#endif
