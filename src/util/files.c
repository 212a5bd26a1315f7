/* files: file-system helpers for durable storage (spool, Maildir). A new directory counts only
 * once its parent is fsync'd; a new file only once it is complete, fsync'd and closed, and a
 * failure removes it. Every failure keeps the errno of the step that failed.
 * It does not fsync the directory a new file is in (the caller decides when: the spool shares
 * one fsync between threads), rename, lock, or know about queue ids or Maildir names. */
#include "util/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

#define FILES_READ_CHUNK 16384

int files_sync_directory(const char *path)
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

/* fsyncs the directory that holds path, so a newly made entry survives a crash. */
static int sync_parent(const char *path)
{
	char *parent = xasprintf("%s/..", path);
	int result = files_sync_directory(parent), error = errno;

	free(parent);
	errno = error;
	return result;
}

/* Creates the parent of path (everything before its last component). */
static int make_parent(const char *path, mode_t mode)
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
	result = files_make_directories(parent, mode);
	free(parent);
	return result;
}

int files_make_directories(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0)
		return sync_parent(path);
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT || make_parent(path, mode) != 0)
		return -1;
	if (mkdir(path, mode) == 0)
		return sync_parent(path);
	return errno == EEXIST ? 0 : -1;
}

int files_write_all(int fd, const char *data, size_t length)
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

int files_write_new_unsynced_with(int directory_fd, const char *name, mode_t mode, files_fill_function *fill,
                                  void *context)
{
	int fd, error;

	fd = openat(directory_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fill(fd, context) == 0)
		return fd;
	error = errno;
	close(fd);
	files_remove_quietly(directory_fd, name);
	errno = error;
	return -1;
}

int files_write_new_with(int directory_fd, const char *name, mode_t mode, files_fill_function *fill, void *context)
{
	int fd = files_write_new_unsynced_with(directory_fd, name, mode, fill, context), error;

	if (fd < 0)
		return -1;
	if (fsync(fd) == 0) {
		if (close(fd) == 0)
			return 0;
		fd = -1;
	}
	error = errno;
	if (fd >= 0)
		close(fd);
	files_remove_quietly(directory_fd, name);
	errno = error;
	return -1;
}

static int write_slice(int fd, void *context)
{
	const struct slice *data = context;

	return files_write_all(fd, data->data, data->length);
}

int files_write_new(int directory_fd, const char *name, mode_t mode, struct slice data)
{
	return files_write_new_with(directory_fd, name, mode, write_slice, &data);
}

int files_write_new_unsynced(int directory_fd, const char *name, mode_t mode, struct slice data)
{
	return files_write_new_unsynced_with(directory_fd, name, mode, write_slice, &data);
}

int files_overwrite_unsynced(int directory_fd, const char *name, struct slice data)
{
	int fd, error;

	/* O_NOFOLLOW: the name is ours, a symlink there is not. */
	fd = openat(directory_fd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (files_write_all(fd, data.data, data.length) == 0 && ftruncate(fd, (off_t)data.length) == 0)
		return fd;
	error = errno;
	close(fd);
	errno = error;
	return -1;
}

void files_start_writeback(int fd)
{
	int error = errno;

	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	errno = error;
}

/* Appends everything left to read from fd to out; EFBIG when out's maximum is reached. */
static int read_rest(int fd, struct buffer *out)
{
	char chunk[FILES_READ_CHUNK];
	ssize_t got;

	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (!buffer_append(out, chunk, (size_t)got)) {
			errno = EFBIG;
			return -1;
		}
	}
	return 0;
}

int files_read_all(int directory_fd, const char *name, struct buffer *out)
{
	struct stat status;
	int fd, result = -1, error;

	fd = openat(directory_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &status) != 0)
		goto done;
	if ((uint64_t)status.st_size > out->maximum) {
		errno = EFBIG;
		goto done;
	}
	buffer_clear(out);
	result = read_rest(fd, out);
done:
	error = errno;
	close(fd);
	errno = error;
	return result;
}

/* Calls visit for each entry of the open directory but "." and ".."; files_list's result. */
static int visit_entries(DIR *directory, files_entry_function *visit, void *context)
{
	struct dirent *entry;
	int result;

	for (errno = 0; (entry = readdir(directory)) != NULL; errno = 0) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if ((result = visit(entry->d_name, context)) != 0)
			return result;
	}
	return errno != 0 ? -1 : 0;
}

int files_list(int directory_fd, files_entry_function *visit, void *context)
{
	DIR *directory;
	int fd, result, error;

	/* A fresh open of the directory: its own read position, and no path lookup. */
	fd = openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	directory = fdopendir(fd);
	if (directory == NULL) {
		error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	result = visit_entries(directory, visit, context);
	error = errno;
	closedir(directory);
	errno = error;
	return result;
}

void files_remove_quietly(int directory_fd, const char *name)
{
	int error = errno;

	unlinkat(directory_fd, name, 0);
	errno = error;
}
