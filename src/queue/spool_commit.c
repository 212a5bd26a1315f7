/* spool_commit: durable commits of new messages, in batches (DESIGN.md "The spool"): message
 * and temporary envelope written and synced (fdatasync), envelope renamed, directory fsync'd;
 * only then does a commit return 0. spool_commit_all commits a caller's batch; concurrent
 * callers' requests join the batch that runs next.
 * Syncing: one fdatasync per file after starting the writeback of all (batch_sync_files),
 * not one syncfs per batch. Measured on this no-journal VM disk: syncfs per batch made ternd
 * ~27% faster (A/B, bench/README.md), but it also waits for every other writer of the file
 * system, so a log or a copy on the same disk would stall every commit; not taken. */
#include "queue/spool.h"
#include "queue/spool_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/files.h"
#include "util/xalloc.h"

/* One message waiting for a batch; lives in its spool_commit_all caller's array. */
struct commit_request {
	const struct envelope *envelope;
	struct slice message;
	struct buffer text; /* the encoded envelope */
	int message_fd, envelope_fd; /* open until the batch's data sync; -1 when closed */
	/* The files' names until renamed into place: recycled free files or new ones. */
	char message_name[SPOOL_FILE_NAME_SIZE], envelope_name[SPOOL_FILE_NAME_SIZE];
	bool recycled_message; /* message_name is a free file, renamed to "<id>.msg" after the sync */
	bool created_message, created_temporary, renamed;
	int result, error;
	bool finished; /* under commit_lock */
	struct commit_request *next;
};

/* --- batched commits ---------------------------------------------------------------
 * Concurrent spool_commit calls share every sync. The first caller to find no batch running
 * becomes the committer: it takes every request queued so far and, for all of them at once,
 * writes the message and the temporary envelope, starts their writeback, fdatasyncs each
 * (the I/O is already in flight, so these mostly wait), renames each envelope into place,
 * and runs one (group-committed) directory fsync; then it wakes them all. Requests arriving
 * meanwhile form the next batch. Creating the files in one thread also spares the directory
 * lock from a crowd of threads contending for it.
 * Why it stays durable: an envelope gets its final name only after its message and its own
 * content passed fdatasync (which includes the size and block map: what reading the data
 * back needs), and a caller returns 0 only after the directory fsync that covers both names.
 * A crash before leaves at most a message file and a temporary, which spool_scan removes. */

/* Undoes what this request made (envelope first: a lone message file is a leftover scan
 * removes) and records the failure. Keeps errno. */
static void request_fail(struct spool *spool, struct commit_request *request, int error)
{
	char name[SPOOL_FILE_NAME_SIZE];

	if (request->result != 0)
		return;
	if (request->message_fd >= 0)
		close(request->message_fd);
	if (request->envelope_fd >= 0)
		close(request->envelope_fd);
	request->message_fd = request->envelope_fd = -1;
	if (request->renamed) {
		spool_file_name(name, request->envelope->id, ".env");
		files_remove_quietly(spool->directory_fd, name);
	} else if (request->created_temporary) {
		files_remove_quietly(spool->directory_fd, request->envelope_name);
	}
	if (request->created_message)
		files_remove_quietly(spool->directory_fd, request->message_name);
	request->result = -1;
	request->error = error;
}

/* Writes data, unsynced, into a free file (its name left in name; *recycled set) or, with
 * none free or usable, into a new file named fresh. The open descriptor, or -1 with errno. */
static int write_file(struct spool *spool, char name[SPOOL_FILE_NAME_SIZE], bool *recycled, const char *fresh,
                      struct slice data)
{
	int fd;

	while (spool_recycle_take(spool, name)) {
		fd = files_overwrite_unsynced(spool->directory_fd, name, data);
		if (fd >= 0) {
			*recycled = true;
			return fd;
		}
		/* Gone, or unwritable (e.g. ENOSPC): not worth keeping; a new file reports the error. */
		files_remove_quietly(spool->directory_fd, name);
	}
	*recycled = false;
	snprintf(name, SPOOL_FILE_NAME_SIZE, "%s", fresh);
	return files_write_new_unsynced(spool->directory_fd, name, SPOOL_FILE_MODE, data);
}

/* Writes both files of a request, unsynced. */
static void request_write(struct spool *spool, struct commit_request *request)
{
	char fresh[SPOOL_FILE_NAME_SIZE];
	bool recycled;

	spool_file_name(fresh, request->envelope->id, ".msg");
	request->message_fd = write_file(spool, request->message_name, &request->recycled_message, fresh, request->message);
	if (request->message_fd < 0) {
		request_fail(spool, request, errno);
		return;
	}
	request->created_message = true;
	spool_file_name(fresh, request->envelope->id, ".env.tmp");
	request->envelope_fd =
		write_file(spool, request->envelope_name, &recycled, fresh, buffer_slice(&request->text));
	if (request->envelope_fd < 0) {
		request_fail(spool, request, errno);
		return;
	}
	request->created_temporary = true;
}

/* Closes fd, which must succeed for the data to count (e.g. on NFS). */
static int close_synced(int *fd)
{
	int result = close(*fd);

	*fd = -1;
	return result;
}

/* Makes the data of every request's files durable, then closes them. One fdatasync per file
 * rather than one syncfs: it reports errors per file and never waits for other writers of the
 * file system; with the writeback started for all first, the waits overlap. */
static void batch_sync_files(struct spool *spool, struct commit_request *batch)
{
	struct commit_request *request;

	for (request = batch; request != NULL; request = request->next)
		if (request->result == 0) {
			files_start_writeback(request->message_fd);
			files_start_writeback(request->envelope_fd);
		}
	for (request = batch; request != NULL; request = request->next)
		if (request->result == 0 &&
		    (fdatasync(request->message_fd) != 0 || fdatasync(request->envelope_fd) != 0 ||
		     close_synced(&request->message_fd) != 0 || close_synced(&request->envelope_fd) != 0))
			request_fail(spool, request, errno);
}

/* Commits every request of batch, setting each one's result and error. */
static void batch_commit(struct spool *spool, struct commit_request *batch)
{
	char final[SPOOL_FILE_NAME_SIZE];
	struct commit_request *request;
	bool any = false;

	for (request = batch; request != NULL; request = request->next)
		request_write(spool, request);
	batch_sync_files(spool, batch);
	for (request = batch; request != NULL; request = request->next) {
		if (request->result != 0)
			continue;
		/* The message gets its name first: an envelope is never without its message. */
		if (request->recycled_message) {
			spool_file_name(final, request->envelope->id, ".msg");
			if (renameat(spool->directory_fd, request->message_name, spool->directory_fd, final) != 0) {
				request_fail(spool, request, errno);
				continue;
			}
			memcpy(request->message_name, final, sizeof final);
		}
		spool_file_name(final, request->envelope->id, ".env");
		if (renameat(spool->directory_fd, request->envelope_name, spool->directory_fd, final) != 0) {
			request_fail(spool, request, errno);
			continue;
		}
		request->renamed = true;
		any = true;
	}
	if (any && spool_sync_directory(spool) != 0) {
		int error = errno;
		for (request = batch; request != NULL; request = request->next)
			request_fail(spool, request, error);
	}
}

/* Whether every request from first to last (linked in that order) is finished. Beyond last
 * come other callers' requests, which may be gone. */
static bool all_finished(const struct commit_request *first, const struct commit_request *last)
{
	for (const struct commit_request *request = first;; request = request->next) {
		if (!request->finished)
			return false;
		if (request == last)
			return true;
	}
}

/* Queues the requests of list and returns once batches (maybe run by this caller) have
 * committed them all. */
static void commit_in_batch(struct spool *spool, struct commit_request *list)
{
	struct commit_request *last = list;

	while (last->next != NULL)
		last = last->next;
	pthread_mutex_lock(&spool->commit_lock);
	last->next = spool->commit_queue;
	spool->commit_queue = list;
	while (!all_finished(list, last)) {
		struct commit_request *batch;

		if (spool->committing) {
			pthread_cond_wait(&spool->commit_done, &spool->commit_lock);
			continue;
		}
		spool->committing = true;
		batch = spool->commit_queue;
		spool->commit_queue = NULL;
		pthread_mutex_unlock(&spool->commit_lock);
		batch_commit(spool, batch);
		pthread_mutex_lock(&spool->commit_lock);
		/* Waiters read their request only after this lock is released. */
		for (struct commit_request *done = batch; done != NULL; done = done->next)
			done->finished = true;
		spool->committing = false;
		pthread_cond_broadcast(&spool->commit_done);
	}
	pthread_mutex_unlock(&spool->commit_lock);
}

void spool_commit_all(struct spool *spool, struct spool_commit *commits, size_t count)
{
	struct commit_request *requests = xcalloc(count, sizeof *requests), *list = NULL;

	/* Built back to front, so the batch writes them in the caller's order. */
	for (size_t i = count; i-- > 0;) {
		requests[i] = (struct commit_request){.envelope = commits[i].envelope, .message = commits[i].message,
		                                      .message_fd = -1, .envelope_fd = -1};
		if (spool_encode(commits[i].envelope, &requests[i].text) != 0) {
			requests[i].result = -1;
			requests[i].error = errno;
			continue;
		}
		requests[i].next = list;
		list = &requests[i];
	}
	if (list != NULL)
		commit_in_batch(spool, list);
	for (size_t i = 0; i < count; i++) {
		commits[i].result = requests[i].result;
		commits[i].error = requests[i].error;
		buffer_free(&requests[i].text);
	}
	free(requests);
}

int spool_commit(struct spool *spool, const struct envelope *envelope, struct slice message)
{
	struct spool_commit commit = {.envelope = envelope, .message = message};

	spool_commit_all(spool, &commit, 1);
	if (commit.result != 0)
		errno = commit.error;
	return commit.result;
}

