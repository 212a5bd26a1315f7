/* spool: durable storage of messages in one directory, as "<id>.msg" (the message, never
 * changed once written) and "<id>.env" (the envelope, replaced via "<id>.env.tmp" + rename).
 * Here: ids, envelope updates, removals, reads. Commits (message and temporary envelope
 * synced, envelope renamed, directory fsync'd, in batches) are spool_commit.c's, the start-up
 * scan spool_scan.c's. Directory fsyncs are group-committed between commits, updates and
 * removes (spool_sync_directory, util/group_sync.c).
 * Files are reused: a removed message's files become free files that later commits and
 * updates overwrite (spool_recycle.c), because on ext4 without a journal creating an inode
 * cost more CPU than everything else in a commit (perf: 50% of ternd in recently_deleted).
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

#define SPOOL_DIRECTORY_MODE 0700

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

int spool_encode(const struct envelope *envelope, struct buffer *text)
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

/* An update's new envelope when no free file serves: temporary file, fsync, rename. The directory
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

int spool_update(struct spool *spool, const struct envelope *envelope)
{
	char message_name[SPOOL_FILE_NAME_SIZE], free_name[SPOOL_FILE_NAME_SIZE] = "";
	struct buffer text;
	int result = -1, installed, error;

	if (spool_encode(envelope, &text) != 0)
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
