/* maildir: delivers messages into Maildirs (https://cr.yp.to/proto/maildir.html), one or a
 * batch at a time (maildir_deliver_all, below: shared opens and fsyncs).
 * Creates path/{tmp,new,cur} when missing; skips the delivery when unique_name is already
 * in new/ or cur/ (an earlier attempt got there before a crash), unless the caller knows no
 * earlier attempt exists; otherwise writes tmp/unique_name ("Return-Path:" line, then the
 * message with CRLF turned into LF), fsyncs it, renames it into new/ and fsyncs new/.
 * Maildirs it has made or found whole are remembered (a small table), so later deliveries
 * only open them: no mkdir of each component and of tmp/new/cur per message, which also took
 * the parent directories' locks. A remembered Maildir that fails to open with ENOENT, or a
 * delivery into it that fails with ENOENT, is forgotten, so a deleted one is made again (at
 * once, or on the retry). The fsync of new/ is shared by concurrent deliveries into the same
 * new/ (util/group_sync.c, keyed by device and inode, so a re-made Maildir is another one).
 * It does not pick the unique name, expand ~ or %u, lock, or know about quotas; the
 * file-system steps (mkdir -p, write-all, create-and-fsync, listing) are util/files.c's. */
#include "deliver/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/files.h"
#include "util/group_sync.h"
#include "util/xalloc.h"

#define MAILDIR_WRITE_CHUNK (256 * 1024) /* bytes converted per write(2) */
#define MAILDIR_DIRECTORY_MODE 0700
#define MAILDIR_FILE_MODE 0600
#define MAILDIR_KNOWN_MAX 256 /* Maildirs remembered as complete; beyond, the oldest is forgotten */
#define MAILDIR_SYNC_MAX 256  /* new/ directories with a shared fsync; beyond, each fsyncs alone */

/* The shared fsync of one new/ directory. Kept for the process's life: a waiter may be
 * inside it at any time. */
struct new_sync {
	dev_t device;
	ino_t inode;
	struct group_sync sync;
};

/* The paths of Maildirs known to exist whole (durably: made or found by maildir_open's full
 * path). Shared by the delivery threads. */
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;
static char *known[MAILDIR_KNOWN_MAX];
static size_t known_next; /* the slot to fill next, round robin */
static struct new_sync *new_syncs[MAILDIR_SYNC_MAX]; /* under known_lock */
static size_t new_sync_count;

/* The open directories of one Maildir. */
struct maildir {
	int top, tmp, new, cur;
};

/* What goes into the file: write_message's context. */
struct message_text {
	const char *return_path;
	struct slice message;
};

/* Opens (creating when missing) the subdirectory name; *created tells whether it was. */
static int open_subdirectory(int top, const char *name, bool *created)
{
	if (mkdirat(top, name, MAILDIR_DIRECTORY_MODE) == 0)
		*created = true;
	else if (errno != EEXIST)
		return -1;
	return openat(top, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void maildir_close(struct maildir *maildir)
{
	int error = errno;

	if (maildir->top >= 0)
		close(maildir->top);
	if (maildir->tmp >= 0)
		close(maildir->tmp);
	if (maildir->new >= 0)
		close(maildir->new);
	if (maildir->cur >= 0)
		close(maildir->cur);
	errno = error;
}

/* The slot of path in known, or -1. Under known_lock. */
static int known_find(const char *path)
{
	for (size_t i = 0; i < MAILDIR_KNOWN_MAX; i++)
		if (known[i] != NULL && strcmp(known[i], path) == 0)
			return (int)i;
	return -1;
}

static bool known_contains(const char *path)
{
	bool found;

	pthread_mutex_lock(&known_lock);
	found = known_find(path) >= 0;
	pthread_mutex_unlock(&known_lock);
	return found;
}

static void known_add(const char *path)
{
	pthread_mutex_lock(&known_lock);
	if (known_find(path) < 0) {
		free(known[known_next]);
		known[known_next] = xstrdup(path);
		known_next = (known_next + 1) % MAILDIR_KNOWN_MAX;
	}
	pthread_mutex_unlock(&known_lock);
}

/* Keeps errno. */
static void known_forget(const char *path)
{
	int slot;

	pthread_mutex_lock(&known_lock);
	slot = known_find(path);
	if (slot >= 0) {
		free(known[slot]);
		known[slot] = NULL;
	}
	pthread_mutex_unlock(&known_lock);
}

/* The shared fsync of the directory open as fd, or NULL (the table is full, or fstat failed). */
static struct group_sync *sync_of(int fd)
{
	struct group_sync *found = NULL;
	struct stat status;

	if (fstat(fd, &status) != 0)
		return NULL;
	pthread_mutex_lock(&known_lock);
	for (size_t i = 0; i < new_sync_count && found == NULL; i++)
		if (new_syncs[i]->device == status.st_dev && new_syncs[i]->inode == status.st_ino)
			found = &new_syncs[i]->sync;
	if (found == NULL && new_sync_count < MAILDIR_SYNC_MAX) {
		struct new_sync *entry = xcalloc(1, sizeof *entry);

		entry->device = status.st_dev;
		entry->inode = status.st_ino;
		group_sync_init(&entry->sync);
		new_syncs[new_sync_count++] = entry;
		found = &entry->sync;
	}
	pthread_mutex_unlock(&known_lock);
	return found;
}

/* fsyncs new/, sharing the fsync with concurrent deliveries into it. */
static int sync_new(const struct maildir *maildir)
{
	struct group_sync *sync = sync_of(maildir->new);

	return sync != NULL ? group_sync_run(sync, maildir->new) : fsync(maildir->new);
}

/* Opens path and its tmp/, new/ and cur/, all of which must exist. */
static int open_existing(struct maildir *maildir, const char *path)
{
	maildir->top = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (maildir->top < 0)
		return -1;
	maildir->tmp = openat(maildir->top, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	maildir->new = openat(maildir->top, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	maildir->cur = openat(maildir->top, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (maildir->tmp < 0 || maildir->new < 0 || maildir->cur < 0) {
		maildir_close(maildir);
		maildir->top = maildir->tmp = maildir->new = maildir->cur = -1;
		return -1;
	}
	return 0;
}

/* Opens path and its tmp/, new/ and cur/, creating whatever is missing. */
static int maildir_open(struct maildir *maildir, const char *path)
{
	bool created = false;

	maildir->top = maildir->tmp = maildir->new = maildir->cur = -1;
	if (known_contains(path)) {
		if (open_existing(maildir, path) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		known_forget(path); /* deleted since: make it again */
	}
	/* Its parents are fsync'd too: the Maildir's own entry is durable before mail is promised. */
	if (files_make_directories(path, MAILDIR_DIRECTORY_MODE) != 0)
		goto fail;
	maildir->top = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (maildir->top < 0)
		goto fail;
	maildir->tmp = open_subdirectory(maildir->top, "tmp", &created);
	maildir->new = open_subdirectory(maildir->top, "new", &created);
	maildir->cur = open_subdirectory(maildir->top, "cur", &created);
	if (maildir->tmp < 0 || maildir->new < 0 || maildir->cur < 0)
		goto fail;
	if (created && fsync(maildir->top) != 0)
		goto fail;
	known_add(path);
	return 0;
fail:
	maildir_close(maildir);
	return -1;
}

/* Whether name, an entry of cur/, is the unique name (*context) itself or it followed by ':'
 * and flags. */
static int is_earlier_copy(const char *name, void *context)
{
	const char *unique_name = *(const char **)context;
	size_t length = strlen(unique_name);

	return strncmp(name, unique_name, length) == 0 && (name[length] == '\0' || name[length] == ':');
}

/* 1 when cur/ holds a copy of unique_name (with or without flags), 0 if not, -1 on error. */
static int cur_contains(int cur, const char *unique_name)
{
	return files_list(cur, is_earlier_copy, &unique_name);
}

/* 1 when an earlier delivery of unique_name is in new/ or cur/, 0 if not, -1 on error. */
static int already_delivered(const struct maildir *maildir, const char *unique_name)
{
	struct stat status;

	if (fstatat(maildir->new, unique_name, &status, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno != ENOENT)
		return -1;
	return cur_contains(maildir->cur, unique_name);
}

/* Writes the Return-Path line and message (every CRLF as LF) of context, a struct
 * message_text, to fd, a chunk at a time. */
static int write_message(int fd, void *context)
{
	const struct message_text *text = context;
	char *chunk = xmalloc(MAILDIR_WRITE_CHUNK);
	const char *data = text->message.data;
	size_t used, at = 0, length = text->message.length;
	int result = -1;

	used = (size_t)snprintf(chunk, MAILDIR_WRITE_CHUNK, "Return-Path: <%s>\n", text->return_path);
	if (used >= MAILDIR_WRITE_CHUNK) {
		errno = EINVAL;
		goto done;
	}
	while (at < length) {
		/* Copy up to the next CR, but never more than chunk has room for. */
		size_t span = length - at < MAILDIR_WRITE_CHUNK - used ? length - at : MAILDIR_WRITE_CHUNK - used;
		const char *cr = memchr(data + at, '\r', span);

		if (cr != NULL)
			span = (size_t)(cr - (data + at));
		memcpy(chunk + used, data + at, span);
		used += span;
		at += span;
		if (at + 1 < length && data[at] == '\r' && data[at + 1] == '\n')
			at++; /* drop the CR of a CRLF; the LF is copied next */
		else if (at < length && data[at] == '\r' && used < MAILDIR_WRITE_CHUNK)
			chunk[used++] = data[at++]; /* a lone CR (never in a spooled message) is kept */
		if (used == MAILDIR_WRITE_CHUNK) {
			if (files_write_all(fd, chunk, used) != 0)
				goto done;
			used = 0;
		}
	}
	result = files_write_all(fd, chunk, used);
done:
	free(chunk);
	return result;
}

/* Writes tmp/unique_name, unsynced, and returns it open; -1 on failure, the file removed. */
static int write_temporary(const struct maildir *maildir, const char *unique_name, const char *return_path,
                           struct slice message)
{
	struct message_text text = {return_path, message};
	int fd = files_write_new_unsynced_with(maildir->tmp, unique_name, MAILDIR_FILE_MODE, write_message, &text);

	if (fd >= 0 || errno != EEXIST)
		return fd;
	/* A file left here by a crashed attempt was never renamed into new/: replace it. (Only
	 * then: an unlink up front cost every delivery a call holding tmp/'s lock.) */
	if (unlinkat(maildir->tmp, unique_name, 0) != 0 && errno != ENOENT)
		return -1;
	return files_write_new_unsynced_with(maildir->tmp, unique_name, MAILDIR_FILE_MODE, write_message, &text);
}

/* Moves tmp/unique_name to new/unique_name, never replacing a file already there.
 * Returns 0, 1 when new/ already had it (a concurrent delivery won), or -1. */
static int move_to_new(const struct maildir *maildir, const char *unique_name)
{
	if (renameat2(maildir->tmp, unique_name, maildir->new, unique_name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return 1;
	if (errno != EINVAL) /* EINVAL: the filesystem lacks RENAME_NOREPLACE */
		return -1;
	return renameat(maildir->tmp, unique_name, maildir->new, unique_name);
}

static bool name_safe(const char *unique_name)
{
	return unique_name[0] != '\0' && strcmp(unique_name, ".") != 0 && strcmp(unique_name, "..") != 0 &&
	       strpbrk(unique_name, "/:") == NULL;
}

/* --- many deliveries at once ----------------------------------------------------------
 * maildir_deliver_all goes step by step over all deliveries, so that they share what can be
 * shared: each Maildir is opened once, every file's writeback starts before the first fsync
 * waits (the waits overlap), and each new/ is fsync'd once. In one thread, a handful of I/O
 * waits per batch rather than per message. */

/* maildir_deliver_all's record of one delivery. */
struct step {
	struct maildir maildir; /* open: this delivery's own, or an earlier one's with the same path */
	bool owns_maildir;
	int fd;                 /* tmp/unique_name, written, until synced and closed; else -1 */
	bool in_new;            /* renamed into new/: durable once new/ is fsync'd */
	int sync_result, sync_error; /* of new/'s fsync, run by the first delivery into it */
};

static void failed(struct maildir_delivery *delivery)
{
	delivery->result = MAILDIR_FAILED;
	delivery->error = errno;
}

/* Opens the Maildir (or shares an earlier delivery's), looks for an earlier copy and writes
 * tmp/unique_name, starting its writeback. */
static void start_one(struct maildir_delivery *deliveries, struct step *steps, size_t i)
{
	struct maildir_delivery *delivery = &deliveries[i];
	struct step *step = &steps[i];
	int found;

	step->maildir = (struct maildir){-1, -1, -1, -1};
	step->fd = -1;
	delivery->result = MAILDIR_DELIVERED;
	delivery->error = 0;
	/* A CR or LF in the return path would start a header of the sender's choosing. */
	if (!name_safe(delivery->unique_name) || strpbrk(delivery->return_path, "\r\n") != NULL) {
		errno = EINVAL;
		failed(delivery);
		return;
	}
	for (size_t j = 0; j < i && !step->owns_maildir && step->maildir.top < 0; j++)
		if (steps[j].maildir.top >= 0 && strcmp(deliveries[j].path, delivery->path) == 0)
			step->maildir = steps[j].maildir;
	if (step->maildir.top < 0) {
		if (maildir_open(&step->maildir, delivery->path) != 0) {
			failed(delivery);
			return;
		}
		step->owns_maildir = true;
	}
	found = delivery->check_earlier_copy ? already_delivered(&step->maildir, delivery->unique_name) : 0;
	if (found != 0) {
		if (found > 0)
			delivery->result = MAILDIR_ALREADY_DELIVERED;
		else
			failed(delivery);
		return;
	}
	step->fd = write_temporary(&step->maildir, delivery->unique_name, delivery->return_path, delivery->message);
	if (step->fd < 0) {
		failed(delivery);
		return;
	}
	files_start_writeback(step->fd);
}

/* Syncs and closes tmp/unique_name and moves it into new/. */
static void move_one(struct maildir_delivery *delivery, struct step *step)
{
	int synced = fsync(step->fd), moved;

	if (close(step->fd) != 0)
		synced = -1;
	step->fd = -1;
	moved = synced == 0 ? move_to_new(&step->maildir, delivery->unique_name) : -1;
	if (moved == 0) {
		step->in_new = true;
		return;
	}
	if (moved < 0)
		failed(delivery);
	else
		delivery->result = MAILDIR_ALREADY_DELIVERED;
	files_remove_quietly(step->maildir.tmp, delivery->unique_name);
}

/* Makes the move into new/ durable: one fsync of each new/ for the whole batch. */
static void sync_one(struct maildir_delivery *deliveries, struct step *steps, size_t i)
{
	struct step *step = &steps[i];
	size_t j = 0;

	while (j < i && !(steps[j].in_new && strcmp(deliveries[j].path, deliveries[i].path) == 0))
		j++;
	if (j == i) {
		step->sync_result = sync_new(&step->maildir);
		step->sync_error = errno;
	}
	if (steps[j].sync_result == 0)
		return;
	/* Not durable: take it back, so the retry delivers again instead of finding it. */
	errno = steps[j].sync_error;
	failed(&deliveries[i]);
	files_remove_quietly(step->maildir.new, deliveries[i].unique_name);
}

void maildir_deliver_all(struct maildir_delivery *deliveries, size_t count)
{
	struct step *steps = xcalloc(count, sizeof *steps);

	for (size_t i = 0; i < count; i++)
		start_one(deliveries, steps, i);
	for (size_t i = 0; i < count; i++)
		if (steps[i].fd >= 0)
			move_one(&deliveries[i], &steps[i]);
	for (size_t i = 0; i < count; i++)
		if (steps[i].in_new)
			sync_one(deliveries, steps, i);
	for (size_t i = 0; i < count; i++) {
		/* E.g. tmp/ deleted while open: the retry makes the Maildir again. */
		if (deliveries[i].result == MAILDIR_FAILED && deliveries[i].error == ENOENT)
			known_forget(deliveries[i].path);
		if (steps[i].owns_maildir)
			maildir_close(&steps[i].maildir);
	}
	free(steps);
}

enum maildir_result maildir_deliver(const char *path, const char *unique_name, const char *return_path,
                                    struct slice message, bool check_earlier_copy)
{
	struct maildir_delivery delivery = {.path = path, .unique_name = unique_name, .return_path = return_path,
	                                    .message = message, .check_earlier_copy = check_earlier_copy};

	maildir_deliver_all(&delivery, 1);
	if (delivery.result == MAILDIR_FAILED)
		errno = delivery.error;
	return delivery.result;
}
