/* maildir: delivers one message into a Maildir (https://cr.yp.to/proto/maildir.html).
 * Creates path/{tmp,new,cur} when missing; skips the delivery when unique_name is already
 * in new/ or cur/ (an earlier attempt got there before a crash); otherwise writes
 * tmp/unique_name ("Return-Path:" line, then the message with CRLF turned into LF), fsyncs
 * it, renames it into new/ and fsyncs new/.
 * It does not pick the unique name, expand ~ or %u, lock, or know about quotas. */
#include "deliver/maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

#define MAILDIR_WRITE_CHUNK (256 * 1024) /* bytes converted per write(2) */

/* The open directories of one Maildir. */
struct maildir {
	int top, tmp, new, cur;
};

static int write_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t written = write(fd, data, length);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return -1;
		data += written;
		length -= (size_t)written;
	}
	return 0;
}

static int sync_directory_path(const char *path)
{
	int fd, result, error;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	result = fsync(fd);
	error = errno;
	close(fd);
	errno = error;
	return result;
}

static int make_directories(const char *path);

/* Creates the parent of path (everything before its last component). */
static int make_parent(const char *path)
{
	char *parent = xstrdup(path);
	size_t length = strlen(parent);
	char *slash;
	int result;

	while (length > 1 && parent[length - 1] == '/')
		parent[--length] = '\0';
	slash = strrchr(parent, '/');
	if (slash == NULL || slash == parent) { /* the parent is "." or "/": it exists */
		free(parent);
		errno = ENOENT;
		return -1;
	}
	*slash = '\0';
	result = make_directories(parent);
	free(parent);
	return result;
}

/* mkdir -p with mode 0700, fsyncing the parent of each directory it creates, so the
 * Maildir's own entry is durable before mail is promised to be in it. */
static int make_directories(const char *path)
{
	char *parent;
	int result;

	if (mkdir(path, 0700) != 0) {
		if (errno == EEXIST)
			return 0;
		if (errno != ENOENT || make_parent(path) != 0)
			return -1;
		if (mkdir(path, 0700) != 0)
			return errno == EEXIST ? 0 : -1;
	}
	parent = xasprintf("%s/..", path);
	result = sync_directory_path(parent);
	free(parent);
	return result;
}

/* Opens (creating when missing) the subdirectory name; *created tells whether it was. */
static int open_subdirectory(int top, const char *name, bool *created)
{
	if (mkdirat(top, name, 0700) == 0)
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

/* Opens path and its tmp/, new/ and cur/, creating whatever is missing. */
static int maildir_open(struct maildir *maildir, const char *path)
{
	bool created = false;

	maildir->top = maildir->tmp = maildir->new = maildir->cur = -1;
	if (make_directories(path) != 0)
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
	return 0;
fail:
	maildir_close(maildir);
	return -1;
}

/* Whether cur/ holds unique_name itself or unique_name followed by ':' and flags. */
static int cur_contains(int cur, const char *unique_name)
{
	size_t length = strlen(unique_name);
	struct dirent *entry;
	DIR *directory;
	int fd, found = 0, error;

	fd = openat(cur, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	directory = fdopendir(fd);
	if (directory == NULL) {
		error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	for (errno = 0; !found && (entry = readdir(directory)) != NULL; errno = 0)
		found = strncmp(entry->d_name, unique_name, length) == 0 &&
		        (entry->d_name[length] == '\0' || entry->d_name[length] == ':');
	error = errno;
	closedir(directory);
	errno = error;
	return found ? 1 : error ? -1 : 0;
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

/* Writes the Return-Path line and message (every CRLF as LF) to fd, a chunk at a time. */
static int write_message(int fd, const char *return_path, struct slice message)
{
	char *chunk = xmalloc(MAILDIR_WRITE_CHUNK);
	const char *data = message.data;
	size_t used, at = 0, length = message.length;
	int result = -1;

	used = (size_t)snprintf(chunk, MAILDIR_WRITE_CHUNK, "Return-Path: <%s>\n", return_path);
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
			if (write_all(fd, chunk, used) != 0)
				goto done;
			used = 0;
		}
	}
	result = write_all(fd, chunk, used);
done:
	free(chunk);
	return result;
}

/* Writes tmp/unique_name and fsyncs it. On failure the file is removed. */
static int write_temporary(const struct maildir *maildir, const char *unique_name, const char *return_path,
                           struct slice message)
{
	int fd, error;

	/* A file left here by a crashed attempt was never renamed into new/: replace it. */
	if (unlinkat(maildir->tmp, unique_name, 0) != 0 && errno != ENOENT)
		return -1;
	fd = openat(maildir->tmp, unique_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_message(fd, return_path, message) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	error = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(maildir->tmp, unique_name, 0);
	errno = error;
	return -1;
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

/* Writes, moves into new/ and makes it durable; the result, with errno on failure. */
static enum maildir_result deliver_into(const struct maildir *maildir, const char *unique_name,
                                        const char *return_path, struct slice message)
{
	int moved;

	if (write_temporary(maildir, unique_name, return_path, message) != 0)
		return MAILDIR_FAILED;
	moved = move_to_new(maildir, unique_name);
	if (moved != 0) {
		int error = errno;

		unlinkat(maildir->tmp, unique_name, 0);
		errno = error;
		return moved > 0 ? MAILDIR_ALREADY_DELIVERED : MAILDIR_FAILED;
	}
	if (fsync(maildir->new) != 0) {
		/* Not durable: take it back, so the retry delivers again instead of finding it. */
		int error = errno;

		unlinkat(maildir->new, unique_name, 0);
		errno = error;
		return MAILDIR_FAILED;
	}
	return MAILDIR_DELIVERED;
}

enum maildir_result maildir_deliver(const char *path, const char *unique_name, const char *return_path,
                                    struct slice message)
{
	struct maildir maildir;
	enum maildir_result result;
	int found;

	/* A CR or LF in the return path would start a header of the sender's choosing. */
	if (!name_safe(unique_name) || strpbrk(return_path, "\r\n") != NULL) {
		errno = EINVAL;
		return MAILDIR_FAILED;
	}
	if (maildir_open(&maildir, path) != 0)
		return MAILDIR_FAILED;
	found = already_delivered(&maildir, unique_name);
	if (found != 0)
		result = found > 0 ? MAILDIR_ALREADY_DELIVERED : MAILDIR_FAILED;
	else
		result = deliver_into(&maildir, unique_name, return_path, message);
	maildir_close(&maildir);
	return result;
}
