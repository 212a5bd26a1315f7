/* spool_recycle: the spool's free files. A removed message's two files are renamed to
 * "<name>.free" instead of unlinked, and later commits and updates overwrite them in place
 * and rename them to their new names. Why: on ext4 without a journal (this kind of VM disk),
 * allocating an inode scans past every inode freed in the last minute or more, and at a few
 * hundred messages per second that scan was half of ternd's CPU (perf: recently_deleted). A
 * rename costs no allocation; the spool then creates and frees (almost) no inodes.
 * Why it stays correct: a free name is handed out only after the directory fsync that made
 * its retirement durable (spool_recycle_put is called after it), so a crash can never bring
 * back an old envelope or message name pointing at a file since rewritten for another
 * message. A file being rewritten keeps its free name until its data is synced, so a crash
 * meanwhile leaves only a free file. The pool is bounded; beyond it removed files are
 * unlinked as before. spool_scan hands the free files it finds back to the pool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "queue/spool_internal.h"
#include "util/files.h"

bool spool_recycle_take(struct spool *spool, char name[SPOOL_FILE_NAME_SIZE])
{
	bool taken = false;

	pthread_mutex_lock(&spool->free_lock);
	if (spool->free_count > 0) {
		memcpy(name, spool->free_names[--spool->free_count], SPOOL_FILE_NAME_SIZE);
		taken = true;
	}
	pthread_mutex_unlock(&spool->free_lock);
	return taken;
}

void spool_recycle_put(struct spool *spool, const char *name)
{
	bool kept = false;

	if (strlen(name) < SPOOL_FILE_NAME_SIZE) {
		pthread_mutex_lock(&spool->free_lock);
		if (spool->free_count < SPOOL_FREE_MAX) {
			snprintf(spool->free_names[spool->free_count++], SPOOL_FILE_NAME_SIZE, "%s", name);
			kept = true;
		}
		pthread_mutex_unlock(&spool->free_lock);
	}
	if (!kept)
		files_remove_quietly(spool->directory_fd, name);
}

/* Whether the pool has room; only a hint (others may fill it), spool_recycle_put decides. */
static bool pool_has_room(struct spool *spool)
{
	bool room;

	pthread_mutex_lock(&spool->free_lock);
	room = spool->free_count < SPOOL_FREE_MAX;
	pthread_mutex_unlock(&spool->free_lock);
	return room;
}

int spool_recycle_retire(struct spool *spool, const char *name, char retired[SPOOL_FILE_NAME_SIZE])
{
	retired[0] = '\0';
	if (pool_has_room(spool) && strlen(name) + strlen(SPOOL_FREE_SUFFIX) < SPOOL_FILE_NAME_SIZE) {
		snprintf(retired, SPOOL_FILE_NAME_SIZE, "%s%s", name, SPOOL_FREE_SUFFIX);
		/* Never over another free file: each free name must stay one pool entry. */
		if (renameat2(spool->directory_fd, name, spool->directory_fd, retired, RENAME_NOREPLACE) == 0)
			return 0;
		retired[0] = '\0';
		if (errno != EEXIST && errno != EINVAL)
			return -1;
	}
	return unlinkat(spool->directory_fd, name, 0);
}

/* spool_update's install_envelope into a free file: overwrites it, syncs it, and swaps it with the
 * envelope (RENAME_EXCHANGE), so the old envelope becomes the free file (free_name), to be
 * given back once the directory fsync made the swap durable; free_name is emptied when there
 * was no old envelope. 0, -1 with errno, or 1 when no free file was usable. */
int spool_recycle_install_envelope(struct spool *spool, const char *id, struct buffer *text,
                                   char free_name[SPOOL_FILE_NAME_SIZE])
{
	char final[SPOOL_FILE_NAME_SIZE];
	int fd, result;

	if (!spool_recycle_take(spool, free_name))
		return 1;
	fd = files_overwrite_unsynced(spool->directory_fd, free_name, buffer_slice(text));
	if (fd < 0) {
		files_remove_quietly(spool->directory_fd, free_name);
		return 1;
	}
	if (fdatasync(fd) != 0)
		goto fail;
	/* close must succeed for the data to count (e.g. on NFS). */
	result = close(fd);
	fd = -1;
	if (result != 0)
		goto fail;
	spool_file_name(final, id, ".env");
	if (renameat2(spool->directory_fd, free_name, spool->directory_fd, final, RENAME_EXCHANGE) == 0)
		return 0;
	/* No envelope to swap with (ENOENT), or no RENAME_EXCHANGE here (EINVAL): plain rename. */
	if ((errno == ENOENT || errno == EINVAL) &&
	    renameat(spool->directory_fd, free_name, spool->directory_fd, final) == 0) {
		free_name[0] = '\0';
		return 0;
	}
fail:
	if (fd >= 0) {
		int error = errno;
		close(fd);
		errno = error;
	}
	files_remove_quietly(spool->directory_fd, free_name);
	return -1;
}
