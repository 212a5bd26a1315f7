/* files: the file-system steps that durable storage repeats: mkdir -p that fsyncs what it
 * creates, writing every byte despite EINTR and short writes, creating a file that is either
 * complete and fsync'd or not there at all, reading a whole file into a buffer, and listing a
 * directory. Blocking: call from worker threads or before serving, never from the event loop.
 * Every function that can fail returns 0 or -1 with errno set by the step that failed. */
#ifndef TERN_FILES_H
#define TERN_FILES_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buffer.h"

/* Creates path and its missing parents (like mkdir -p) with mode less the umask, fsyncing the
 * parent of each directory it creates, so the new entry survives a crash. A path that already
 * exists counts as success even when it is not a directory: opening it as one then fails with
 * ENOTDIR.
 * Returns 0, or -1 with errno (e.g. ENOTDIR when a parent is a file). */
int files_make_directories(const char *path, mode_t mode);

/* fsyncs the directory at path, so entries made in it are durable. Returns 0 or -1 with errno. */
int files_sync_directory(const char *path);

/* Writes all length bytes of data (the caller's) to fd, retrying after EINTR and short writes.
 * Returns 0, or -1 with errno (e.g. ENOSPC, EFBIG); some bytes may have been written then. */
int files_write_all(int fd, const char *data, size_t length);

/* Writes the content of a file files_write_new_with has just created: 0, or -1 with errno. */
typedef int files_fill_function(int fd, void *context);

/* Creates name in directory_fd (an open directory, or AT_FDCWD) with mode less the umask,
 * failing with EEXIST if it exists; calls fill(fd, context) to write it; fsyncs and closes it.
 * On failure the file this call created is removed (an existing file is left alone).
 * Returns 0 or -1 with errno. */
int files_write_new_with(int directory_fd, const char *name, mode_t mode, files_fill_function *fill, void *context);

/* files_write_new_with without the fsync and close: returns the open file descriptor (the
 * caller's to sync and close), or -1 with errno, the file this call created removed. */
int files_write_new_unsynced_with(int directory_fd, const char *name, mode_t mode, files_fill_function *fill,
                                  void *context);

/* files_write_new_with, writing data (the caller's) as the whole content. */
int files_write_new(int directory_fd, const char *name, mode_t mode, struct slice data);

/* Creates name in directory_fd like files_write_new and writes data, but neither syncs nor
 * closes it: for callers that sync many files together (start them all with
 * files_start_writeback, then fdatasync each). Returns the open file descriptor (the caller's
 * to sync and close), or -1 with errno, the file this call created removed. */
int files_write_new_unsynced(int directory_fd, const char *name, mode_t mode, struct slice data);

/* Overwrites the existing regular file name in directory_fd with data (the caller's) and
 * cuts it to data's length, unsynced, like files_write_new_unsynced: for reusing a file
 * rather than creating one (see spool_recycle.c: on ext4 without a journal, allocating an
 * inode scans past every recently deleted one). Returns the open file descriptor (the
 * caller's to sync and close), or -1 with errno; on failure the file holds unknown content. */
int files_overwrite_unsynced(int directory_fd, const char *name, struct slice data);

/* Starts writing fd's dirty pages to the device without waiting (sync_file_range), so that
 * fdatasyncs issued afterwards for several files find their I/O already in flight. Only a
 * hint: it never fails; the fdatasync that follows reports any error. */
void files_start_writeback(int fd);

/* Replaces out's content (out stays the caller's) with the whole of name in directory_fd (an
 * open directory, or AT_FDCWD). Fails with EFBIG, out unchanged, when the file is larger than
 * out's maximum. Returns 0, or -1 with errno; after a read error out holds part of the file. */
int files_read_all(int directory_fd, const char *name, struct buffer *out);

/* Called with the name of one directory entry: 0 goes on; anything else stops the listing
 * and is what files_list returns (a -1 with errno set, by convention). */
typedef int files_entry_function(const char *name, void *context);

/* Calls visit(name, context) for each entry of directory_fd other than "." and "..", in
 * readdir order, through a fresh open of the directory (directory_fd's position is left alone).
 * Returns 0 once every entry was seen, the first nonzero result of visit, or -1 with errno
 * when the directory cannot be opened or read. */
int files_list(int directory_fd, files_entry_function *visit, void *context);

/* Unlinks name in directory_fd, ignoring failure and keeping errno: cleanup after a failure. */
void files_remove_quietly(int directory_fd, const char *name);

#endif
