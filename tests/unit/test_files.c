/* Unit tests for util/files: mkdir -p (modes, existing paths, a file in the way), directory
 * fsync, writing everything despite signals and short writes, new files that are complete or
 * absent (a failing writer, a full disk, an existing name), whole-file reads against a
 * buffer's maximum, and directory listing. Each test works in its own mkdtemp directory. */
#include "util/files.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "temporary_directory.h"
#include "util/xalloc.h"

#define PIPE_TEST_SIZE (1024 * 1024)

static bool has_mode(const char *directory, const char *name, mode_t type, mode_t mode)
{
	char *path = xasprintf("%s/%s", directory, name);
	struct stat status;
	bool ok = stat(path, &status) == 0 && (status.st_mode & S_IFMT) == type && (status.st_mode & 0777) == mode;

	free(path);
	return ok;
}

static int open_directory(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

/* Makes writes past 4 KiB fail with EFBIG, like a full disk (RLIMIT_FSIZE binds root too). */
static void limit_file_size(struct rlimit *saved)
{
	struct rlimit small = {4096, 4096};

	getrlimit(RLIMIT_FSIZE, saved);
	small.rlim_max = saved->rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
}

static void restore_file_size(const struct rlimit *saved)
{
	setrlimit(RLIMIT_FSIZE, saved);
	signal(SIGXFSZ, SIG_DFL);
}

static void make_directories_creates_parents_with_mode(void)
{
	char *top = temporary_directory_create("files");
	char *nested = xasprintf("%s/a/b/c/", top);

	CHECK_INT(files_make_directories(nested, 0700), 0);
	CHECK(has_mode(top, "a", S_IFDIR, 0700));
	CHECK(has_mode(top, "a/b", S_IFDIR, 0700));
	CHECK(has_mode(top, "a/b/c", S_IFDIR, 0700));
	CHECK_INT(files_make_directories(nested, 0700), 0); /* it exists: nothing to do */
	CHECK_INT(files_make_directories(top, 0700), 0);
	free(nested);
	temporary_directory_remove(top);
}

static void make_directories_fails_under_a_file(void)
{
	char *top = temporary_directory_create("files");
	char *path = xasprintf("%s/file/sub", top);

	temporary_directory_write(top, "file", "x", 1);
	errno = 0;
	CHECK_INT(files_make_directories(path, 0700), -1);
	CHECK_INT(errno, ENOTDIR);
	free(path);
	temporary_directory_remove(top);
}

static void sync_directory_needs_a_directory(void)
{
	char *top = temporary_directory_create("files");
	char *file = xasprintf("%s/file", top), *missing = xasprintf("%s/missing", top);

	CHECK_INT(files_sync_directory(top), 0);
	temporary_directory_write(top, "file", "x", 1);
	CHECK_INT(files_sync_directory(file), -1);
	CHECK_INT(errno, ENOTDIR);
	CHECK_INT(files_sync_directory(missing), -1);
	CHECK_INT(errno, ENOENT);
	free(file);
	free(missing);
	temporary_directory_remove(top);
}

static void on_alarm(int signal_number) {}

struct pipe_reader {
	int fd;
	struct buffer received;
};

/* Reads the pipe in small, slow steps, so the writer blocks and signals cut its writes short. */
static void *read_slowly(void *argument)
{
	struct pipe_reader *reader = argument;
	char chunk[4096];
	ssize_t got;

	while ((got = read(reader->fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		buffer_append(&reader->received, chunk, (size_t)got);
		usleep(200);
	}
	return NULL;
}

static void write_all_survives_signals_and_short_writes(void)
{
	struct sigaction action = {.sa_handler = on_alarm}, saved; /* no SA_RESTART: writes are cut */
	struct itimerval every_millisecond = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	struct pipe_reader reader;
	char *data = xmalloc(PIPE_TEST_SIZE);
	pthread_t thread;
	int ends[2];

	for (size_t i = 0; i < PIPE_TEST_SIZE; i++)
		data[i] = (char)(i * 7 + i / 4096);
	CHECK_INT(pipe(ends), 0);
	reader.fd = ends[0];
	buffer_init(&reader.received, PIPE_TEST_SIZE);
	CHECK_INT(pthread_create(&thread, NULL, read_slowly, &reader), 0);
	sigaction(SIGALRM, &action, &saved);
	setitimer(ITIMER_REAL, &every_millisecond, NULL);
	CHECK_INT(files_write_all(ends[1], data, PIPE_TEST_SIZE), 0);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &saved, NULL);
	close(ends[1]);
	pthread_join(thread, NULL);
	close(ends[0]);
	CHECK_INT(reader.received.length, PIPE_TEST_SIZE);
	CHECK(memcmp(reader.received.data, data, PIPE_TEST_SIZE) == 0);
	buffer_free(&reader.received);
	free(data);
}

static void write_all_reports_a_full_disk(void)
{
	char *top = temporary_directory_create("files");
	char *path = xasprintf("%s/big", top);
	struct rlimit saved;
	char data[8192] = {0};
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), result, error;

	limit_file_size(&saved);
	result = files_write_all(fd, data, sizeof data);
	error = errno;
	restore_file_size(&saved);
	CHECK_INT(result, -1);
	CHECK_INT(error, EFBIG);
	close(fd);
	free(path);
	temporary_directory_remove(top);
}

static void write_new_creates_complete_file(void)
{
	char *top = temporary_directory_create("files");
	int fd = open_directory(top);
	mode_t mask = umask(0);
	struct buffer text;

	umask(mask); /* umask(2) only reads by setting: put it back */
	buffer_init(&text, 1024);
	CHECK_INT(files_write_new(fd, "new", 0640, slice_from_string("hello\r\n")), 0);
	CHECK(has_mode(top, "new", S_IFREG, 0640 & ~mask));
	CHECK_INT(files_read_all(fd, "new", &text), 0);
	CHECK_STR(text.data, "hello\r\n");
	CHECK_INT(files_write_new(fd, "empty", 0600, slice_make("", 0)), 0);
	CHECK_INT(files_read_all(fd, "empty", &text), 0);
	CHECK_INT(text.length, 0);
	buffer_free(&text);
	close(fd);
	temporary_directory_remove(top);
}

static void write_new_leaves_an_existing_file_alone(void)
{
	char *top = temporary_directory_create("files");
	int fd = open_directory(top);
	struct buffer text;

	buffer_init(&text, 1024);
	CHECK_INT(files_write_new(fd, "kept", 0600, slice_from_string("first")), 0);
	errno = 0;
	CHECK_INT(files_write_new(fd, "kept", 0600, slice_from_string("second")), -1);
	CHECK_INT(errno, EEXIST);
	CHECK_INT(files_read_all(fd, "kept", &text), 0);
	CHECK_STR(text.data, "first");
	buffer_free(&text);
	close(fd);
	temporary_directory_remove(top);
}

/* Writes a little, then fails as a writer may: the file must not survive. */
static int fail_after_writing(int fd, void *context)
{
	if (files_write_all(fd, "partial", 7) != 0)
		return -1;
	errno = *(const int *)context;
	return -1;
}

static void write_new_removes_the_file_on_failure(void)
{
	char *top = temporary_directory_create("files");
	int fd = open_directory(top), error = ENOSPC;
	struct rlimit saved;
	char *big = xcalloc(1, 100000);

	errno = 0;
	CHECK_INT(files_write_new_with(fd, "failed", 0600, fail_after_writing, &error), -1);
	CHECK_INT(errno, ENOSPC);
	CHECK_INT(temporary_directory_count_entries(top), 0);
	limit_file_size(&saved);
	error = files_write_new(fd, "too-big", 0600, slice_make(big, 100000)) == 0 ? 0 : errno;
	restore_file_size(&saved);
	CHECK_INT(error, EFBIG);
	CHECK_INT(temporary_directory_count_entries(top), 0);
	free(big);
	close(fd);
	temporary_directory_remove(top);
}

static void read_all_respects_the_maximum(void)
{
	char *top = temporary_directory_create("files");
	int fd = open_directory(top);
	char *path = xasprintf("%s/twelve", top);
	struct buffer text;

	buffer_init(&text, 11);
	buffer_append_string(&text, "before");
	temporary_directory_write(top, "twelve", "0123456789AB", 12);
	errno = 0;
	CHECK_INT(files_read_all(fd, "twelve", &text), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_STR(text.data, "before"); /* unchanged */
	text.maximum = 12;
	CHECK_INT(files_read_all(AT_FDCWD, path, &text), 0); /* a path, and content replaced */
	CHECK_STR(text.data, "0123456789AB");
	CHECK_INT(files_read_all(fd, "missing", &text), -1);
	CHECK_INT(errno, ENOENT);
	buffer_free(&text);
	free(path);
	close(fd);
	temporary_directory_remove(top);
}

struct listing {
	int count;
	bool saw_dot, saw_b;
	int stop_at; /* the count at which to stop with 7, or 0 */
};

static int note_entry(const char *name, void *context)
{
	struct listing *listing = context;

	listing->count++;
	listing->saw_dot |= strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	listing->saw_b |= strcmp(name, "b") == 0;
	return listing->count == listing->stop_at ? 7 : 0;
}

static void list_visits_entries_but_dots(void)
{
	char *top = temporary_directory_create("files");
	int fd = open_directory(top), file;
	struct listing all = {0}, stopped = {.stop_at = 2}, none = {0};

	CHECK_INT(files_list(fd, note_entry, &none), 0);
	CHECK_INT(none.count, 0);
	temporary_directory_write(top, "a", "a", 1);
	temporary_directory_write(top, "b", "b", 1);
	temporary_directory_write(top, ".hidden", "h", 1);
	CHECK_INT(files_list(fd, note_entry, &all), 0);
	CHECK_INT(all.count, 3);
	CHECK(all.saw_b && !all.saw_dot);
	CHECK_INT(files_list(fd, note_entry, &stopped), 7);
	CHECK_INT(stopped.count, 2);
	CHECK_INT(files_list(fd, note_entry, &all), 0); /* fd's own position was not used up */
	CHECK_INT(all.count, 6);
	file = openat(fd, "a", O_RDONLY | O_CLOEXEC);
	CHECK_INT(files_list(file, note_entry, &none), -1);
	CHECK_INT(errno, ENOTDIR);
	close(file);
	close(fd);
	temporary_directory_remove(top);
}

static void remove_quietly_keeps_errno(void)
{
	char *top = temporary_directory_create("files");
	int fd = open_directory(top);

	temporary_directory_write(top, "gone", "x", 1);
	errno = EIO;
	files_remove_quietly(fd, "gone");
	CHECK_INT(errno, EIO);
	CHECK_INT(temporary_directory_count_entries(top), 0);
	errno = EIO;
	files_remove_quietly(fd, "never-there"); /* fails with ENOENT, quietly */
	CHECK_INT(errno, EIO);
	close(fd);
	temporary_directory_remove(top);
}

int main(void)
{
	RUN(make_directories_creates_parents_with_mode);
	RUN(make_directories_fails_under_a_file);
	RUN(sync_directory_needs_a_directory);
	RUN(write_all_survives_signals_and_short_writes);
	RUN(write_all_reports_a_full_disk);
	RUN(write_new_creates_complete_file);
	RUN(write_new_leaves_an_existing_file_alone);
	RUN(write_new_removes_the_file_on_failure);
	RUN(read_all_respects_the_maximum);
	RUN(list_visits_entries_but_dots);
	RUN(remove_quietly_keeps_errno);
	return check_summary("files");
}
