/* group_sync: one fsync for many waiters (group_sync.h). Each caller, after its own change
 * (a rename, say) has returned, takes a ticket under the lock. Whoever finds no fsync running
 * becomes the runner: it reads target = requested, drops the lock, fsyncs, and marks every
 * ticket <= target done.
 * Why this is correct: a ticket <= target was taken before the runner read target, and
 * tickets are taken only after the caller's change completed, so that change completed before
 * this fsync started, and the fsync covers it. A caller whose ticket arrives while an fsync is
 * running (maybe started before its change) waits for it and then runs or joins the next.
 * A failed fsync marks its tickets failed; failed_low..high is the hull of all failed ranges,
 * which can only turn a success into a (harmless, retried) failure, never the reverse. */
#include "util/group_sync.h"

#include <errno.h>
#include <unistd.h>

void group_sync_init(struct group_sync *sync)
{
	pthread_mutex_init(&sync->lock, NULL);
	pthread_cond_init(&sync->done, NULL);
	sync->requested = sync->completed = 0;
	sync->running = false;
	sync->failed_low = sync->failed_high = 0;
	sync->failed_errno = 0;
}

void group_sync_destroy(struct group_sync *sync)
{
	pthread_mutex_destroy(&sync->lock);
	pthread_cond_destroy(&sync->done);
}

int group_sync_run(struct group_sync *sync, int fd)
{
	uint64_t ticket, target;
	int result, error = 0;

	pthread_mutex_lock(&sync->lock);
	ticket = ++sync->requested;
	while (sync->completed < ticket) {
		if (sync->running) {
			pthread_cond_wait(&sync->done, &sync->lock);
			continue;
		}
		sync->running = true;
		target = sync->requested;
		pthread_mutex_unlock(&sync->lock);
		result = fsync(fd);
		error = errno;
		pthread_mutex_lock(&sync->lock);
		if (result != 0) {
			if (sync->failed_high == 0)
				sync->failed_low = sync->completed + 1;
			sync->failed_high = target;
			sync->failed_errno = error;
		}
		sync->completed = target;
		sync->running = false;
		pthread_cond_broadcast(&sync->done);
	}
	result = 0;
	if (sync->failed_high != 0 && ticket >= sync->failed_low && ticket <= sync->failed_high) {
		error = sync->failed_errno;
		result = -1;
	}
	pthread_mutex_unlock(&sync->lock);
	if (result != 0)
		errno = error;
	return result;
}
