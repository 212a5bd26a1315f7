/* spool: durable storage of messages in one directory, as "<id>.msg" (the message, never
 * changed once written) and "<id>.env" (the envelope, replaced via "<id>.env.tmp" + rename).
 * Commit order (DESIGN.md "The spool"): message and temporary envelope written and synced
 * (fdatasync), envelope renamed, directory fsync'd; only then does commit return 0. Concurrent
 * commits are batched (batch_commit): one thread writes all their files, syncs them together,
 * renames, and runs one directory fsync. Directory fsyncs are also group-committed between
 * commits, updates and removes (spool_sync_directory, util/group_sync.c).
 * Files are reused: a removed message's files become free files that later commits and
 * updates overwrite (spool_recycle.c), because on ext4 without a journal creating an inode
 * cost more CPU than everything else in a commit (perf: 50% of ternd in recently_deleted).
 * Syncing: one fdatasync per file after starting the writeback of all (batch_sync_files),
 * not one syncfs per batch. Measured with spool_bench (4 KiB, 1/16/64 threads, interleaved,
 * this no-journal VM disk): syncfs was within the noise (fdatasync costs ~30 us here), while
 * syncfs also waits for every other writer of the file system and reports any writeback
 * error on it; so no reason to switch.
 * The start-up scan is spool_scan.c's.
 * It does not schedule, lock messages against concurrent updates, or know about sessions. */
#include "queue/spool.h"
#include "queue/spool_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/files.h"
#include "util/xalloc.h"

#define SPOOL_FILE_MODE 0600
#define SPOOL_DIRECTORY_MODE 0700

/* One spool_commit waiting for a batch; lives on the committing caller's stack. */
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

/* Queue ids name files, so they must be plain: [0-9A-Za-z], not empty, bounded. */
bool spool_id_valid(const char *id)
{
	size_t length = strlen(id);

	if (length == 0 || length >= SPOOL_ID_SIZE)
		return false;
	for (size_t i = 0; i < length; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= 'a' && id[i] <= 'z')))
			return false;
	return true;
}

void spool_file_name(char name[SPOOL_FILE_NAME_SIZE], const char *id, const char *suffix)
{
	snprintf(name, SPOOL_FILE_NAME_SIZE, "%s%s", id, suffix);
}

struct spool *spool_open(const char *directory)
{
	struct spool *spool;
	int fd;

	if (files_make_directories(directory, SPOOL_DIRECTORY_MODE) != 0)
		return NULL;
	fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	spool = xcalloc(1, sizeof *spool);
	spool->directory = xstrdup(directory);
	spool->directory_fd = fd;
	pthread_mutex_init(&spool->id_lock, NULL);
	group_sync_init(&spool->directory_sync);
	pthread_mutex_init(&spool->free_lock, NULL);
	spool->free_names = xcalloc(SPOOL_FREE_MAX, sizeof *spool->free_names);
	pthread_mutex_init(&spool->commit_lock, NULL);
	pthread_cond_init(&spool->commit_done, NULL);
	return spool;
}

void spool_close(struct spool *spool)
{
	if (spool == NULL)
		return;
	close(spool->directory_fd);
	pthread_mutex_destroy(&spool->id_lock);
	group_sync_destroy(&spool->directory_sync);
	pthread_mutex_destroy(&spool->commit_lock);
	pthread_cond_destroy(&spool->commit_done);
	pthread_mutex_destroy(&spool->free_lock);
	free(spool->free_names);
	free(spool->directory);
	free(spool);
}

const char *spool_directory(const struct spool *spool)
{
	return spool->directory;
}

/* Records that an id (maybe from an earlier run) exists, so new ids sort after it. */
void spool_note_existing_id(struct spool *spool, const char *id)
{
	char *end;
	uint64_t value;

	if (strlen(id) != SPOOL_ID_DIGITS)
		return;
	errno = 0;
	value = strtoull(id, &end, 16);
	if (errno != 0 || *end != '\0')
		return;
	pthread_mutex_lock(&spool->id_lock);
	if (value > spool->last_id)
		spool->last_id = value;
	pthread_mutex_unlock(&spool->id_lock);
}

void spool_new_id(struct spool *spool, char id[SPOOL_ID_SIZE])
{
	struct timespec now;
	uint64_t value;

	clock_gettime(CLOCK_REALTIME, &now);
	value = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	pthread_mutex_lock(&spool->id_lock);
	/* Same microsecond, or the clock went backwards: stay strictly increasing. */
	if (value <= spool->last_id)
		value = spool->last_id + 1;
	spool->last_id = value;
	pthread_mutex_unlock(&spool->id_lock);
	/* Fixed width, so string order is time order. */
	snprintf(id, SPOOL_ID_SIZE, "%0*" PRIX64, SPOOL_ID_DIGITS, value);
}

/* The directory fsync, group-committed between commits, updates and removes. */
int spool_sync_directory(struct spool *spool)
{
	return group_sync_run(&spool->directory_sync, spool->directory_fd);
}

static int encode(const struct envelope *envelope, struct buffer *text)
{
	buffer_init(text, ENVELOPE_MAX_SIZE);
	if (!spool_id_valid(envelope->id)) {
		errno = EINVAL;
		return -1;
	}
	if (!envelope_encode(envelope, text)) {
		buffer_free(text);
		errno = EFBIG;
		return -1;
	}
	return 0;
}

/* The envelope half of commit and update: temporary file, fsync, rename. The directory
 * fsync is the caller's. On failure the temporary file is gone. */
static int install_envelope(struct spool *spool, const char *id, struct buffer *text)
{
	char temporary[SPOOL_FILE_NAME_SIZE], final[SPOOL_FILE_NAME_SIZE];

	spool_file_name(temporary, id, ".env.tmp");
	spool_file_name(final, id, ".env");
	if (files_write_new(spool->directory_fd, temporary, SPOOL_FILE_MODE, buffer_slice(text)) != 0)
		return -1;
	if (renameat(spool->directory_fd, temporary, spool->directory_fd, final) != 0) {
		files_remove_quietly(spool->directory_fd, temporary);
		return -1;
	}
	return 0;
}

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
		if (encode(commits[i].envelope, &requests[i].text) != 0) {
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

int spool_update(struct spool *spool, const struct envelope *envelope)
{
	char message_name[SPOOL_FILE_NAME_SIZE], free_name[SPOOL_FILE_NAME_SIZE] = "";
	struct buffer text;
	int result = -1, installed, error;

	if (encode(envelope, &text) != 0)
		return -1;
	spool_file_name(message_name, envelope->id, ".msg");
	/* Never create an envelope for a message that is gone. */
	if (faccessat(spool->directory_fd, message_name, F_OK, 0) == 0) {
		installed = spool_recycle_install_envelope(spool, envelope->id, &text, free_name);
		if (installed == 1) {
			free_name[0] = '\0';
			installed = install_envelope(spool, envelope->id, &text);
		}
		if (installed == 0)
			result = spool_sync_directory(spool);
		/* After a failed fsync the swap may not be durable: the free file waits for scan. */
		if (result == 0 && free_name[0] != '\0')
			spool_recycle_put(spool, free_name);
	}
	error = errno;
	buffer_free(&text);
	errno = error;
	return result;
}

/* The files of one removal, retired (renamed to free names) but not yet free for reuse. */
struct retired_files {
	char envelope[SPOOL_FILE_NAME_SIZE], message[SPOOL_FILE_NAME_SIZE];
};

/* Retires removal's envelope, then its message. A missing file is what an earlier,
 * interrupted remove leaves: carry on. Returns whether anything was retired (result 0). */
static bool retire(struct spool *spool, struct spool_removal *removal, struct retired_files *retired)
{
	char envelope_name[SPOOL_FILE_NAME_SIZE], message_name[SPOOL_FILE_NAME_SIZE];
	int removed = 0;

	removal->result = -1;
	retired->envelope[0] = retired->message[0] = '\0';
	if (!spool_id_valid(removal->id)) {
		removal->error = EINVAL;
		return false;
	}
	spool_file_name(envelope_name, removal->id, ".env");
	spool_file_name(message_name, removal->id, ".msg");
	/* Retired files not given to the pool (an error below) stay on disk for the next scan. */
	if (spool_recycle_retire(spool, envelope_name, retired->envelope) == 0)
		removed++;
	else if (errno != ENOENT)
		goto fail;
	if (spool_recycle_retire(spool, message_name, retired->message) == 0)
		removed++;
	else if (errno != ENOENT)
		goto fail;
	if (removed == 0) {
		errno = ENOENT;
		goto fail;
	}
	removal->result = 0;
	return true;
fail:
	removal->error = errno;
	return false;
}

void spool_remove_all(struct spool *spool, struct spool_removal *removals, size_t count)
{
	struct retired_files *retired = xcalloc(count, sizeof *retired);
	bool any = false;

	for (size_t i = 0; i < count; i++)
		any |= retire(spool, &removals[i], &retired[i]);
	if (any && spool_sync_directory(spool) != 0) {
		int error = errno;

		for (size_t i = 0; i < count; i++)
			if (removals[i].result == 0) {
				removals[i].result = -1;
				removals[i].error = error;
			}
	}
	/* Only now may they be rewritten: their old names can no longer come back. */
	for (size_t i = 0; i < count; i++)
		if (removals[i].result == 0) {
			if (retired[i].envelope[0] != '\0')
				spool_recycle_put(spool, retired[i].envelope);
			if (retired[i].message[0] != '\0')
				spool_recycle_put(spool, retired[i].message);
		}
	free(retired);
}

int spool_remove(struct spool *spool, const char *id)
{
	struct spool_removal removal = {.id = id};

	spool_remove_all(spool, &removal, 1);
	if (removal.result != 0)
		errno = removal.error;
	return removal.result;
}

int spool_read_message(struct spool *spool, const char *id, struct buffer *out)
{
	char name[SPOOL_FILE_NAME_SIZE];

	if (!spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	spool_file_name(name, id, ".msg");
	return files_read_all(spool->directory_fd, name, out);
}

/* Reads and decodes name; the result of decoding, or -1 with errno on a read error. */
int spool_read_envelope_file(struct spool *spool, const char *name, struct envelope *envelope,
                              enum envelope_result *result)
{
	struct buffer text;
	int error;

	memset(envelope, 0, sizeof *envelope);
	buffer_init(&text, ENVELOPE_MAX_SIZE);
	if (files_read_all(spool->directory_fd, name, &text) != 0) {
		error = errno;
		buffer_free(&text);
		errno = error;
		return -1;
	}
	*result = envelope_decode(buffer_slice(&text), envelope);
	buffer_free(&text);
	return 0;
}

int spool_read_envelope(struct spool *spool, const char *id, struct envelope *envelope)
{
	char name[SPOOL_FILE_NAME_SIZE];
	enum envelope_result result;

	memset(envelope, 0, sizeof *envelope);
	if (!spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	spool_file_name(name, id, ".env");
	if (spool_read_envelope_file(spool, name, envelope, &result) != 0)
		return -1;
	if (result != ENVELOPE_OK) {
		envelope_free(envelope);
		errno = EINVAL;
		return -1;
	}
	return 0;
}
