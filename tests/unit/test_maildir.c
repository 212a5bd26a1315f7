/* Unit tests for deliver/maildir.c: creating the Maildir, the exact bytes written (golden),
 * CRLF-to-LF conversion across write-chunk boundaries, not delivering twice (new/ or cur/),
 * what skipping that check (check_earlier_copy false) still guarantees, replacing a stale
 * tmp/ file, re-making a deleted Maildir, concurrent deliveries, and failures that leave
 * nothing behind. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "temporary_directory.h"
#include "deliver/maildir.h"
#include "util/buffer.h"
#include "util/xalloc.h"

#define MESSAGE "Subject: hello\r\nTo: <bob@example.org>\r\n\r\nline one\r\n.line two\r\n\r\n"
#define GOLDEN                                                                                   \
	"Return-Path: <alice@example.org>\n"                                                     \
	"Subject: hello\nTo: <bob@example.org>\n\nline one\n.line two\n\n"

/* The whole content of directory/name as a NUL-terminated string, or NULL. */
static char *read_whole(const char *directory, const char *name)
{
	char *path = xasprintf("%s/%s", directory, name);
	FILE *file = fopen(path, "rb");
	struct buffer text;
	char chunk[4096];
	size_t got;
	char *content;

	free(path);
	if (file == NULL)
		return NULL;
	buffer_init(&text, 64 * 1024 * 1024);
	while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
		buffer_append(&text, chunk, got);
	fclose(file);
	content = slice_to_string(buffer_slice(&text));
	buffer_free(&text);
	return content;
}

static void write_file(const char *directory, const char *name, const char *content)
{
	temporary_directory_write(directory, name, content, strlen(content));
}

static int count_entries(const char *directory, const char *sub)
{
	char *path = xasprintf("%s/%s", directory, sub);
	int count = temporary_directory_count_entries(path);

	free(path);
	return count;
}

static bool is_private_directory(const char *directory, const char *sub)
{
	char *path = xasprintf("%s/%s", directory, sub);
	struct stat status;
	bool ok = stat(path, &status) == 0 && S_ISDIR(status.st_mode) && (status.st_mode & 0777) == 0700;

	free(path);
	return ok;
}

static enum maildir_result deliver_with(const char *path, const char *unique_name, const char *message,
                                        bool check_earlier_copy)
{
	return maildir_deliver(path, unique_name, "alice@example.org", slice_from_string(message), check_earlier_copy);
}

static enum maildir_result deliver(const char *path, const char *unique_name, const char *message)
{
	return deliver_with(path, unique_name, message, true);
}

static void test_delivery_creates_maildir_and_writes_golden(void)
{
	char *top = temporary_directory_create("maildir");
	char *path = xasprintf("%s/home/bob/Maildir", top);
	char *content;
	struct stat status;
	char *file;

	CHECK_INT(deliver(path, "Q1.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK(is_private_directory(path, "."));
	CHECK(is_private_directory(path, "tmp"));
	CHECK(is_private_directory(path, "new"));
	CHECK(is_private_directory(path, "cur"));
	CHECK(is_private_directory(top, "home/bob"));
	content = read_whole(path, "new/Q1.bob");
	CHECK_STR(content, GOLDEN);
	free(content);
	file = xasprintf("%s/new/Q1.bob", path);
	CHECK(stat(file, &status) == 0 && (status.st_mode & 0777) == 0600);
	free(file);
	CHECK_INT(count_entries(path, "tmp"), 0);
	CHECK_INT(count_entries(path, "cur"), 0);
	free(path);
	temporary_directory_remove(top);
}

static void test_null_return_path(void)
{
	char *top = temporary_directory_create("maildir");
	char *content;

	CHECK_INT(maildir_deliver(top, "Q2.bob", "", slice_from_string("Subject: bounce\r\n\r\nx\r\n"), true),
	          MAILDIR_DELIVERED);
	content = read_whole(top, "new/Q2.bob");
	CHECK_STR(content, "Return-Path: <>\nSubject: bounce\n\nx\n");
	free(content);
	temporary_directory_remove(top);
}

/* What the file must hold: the Return-Path line and message with each CRLF as LF. */
static char *expected_content(const char *message)
{
	size_t length = strlen(message), used;
	char *out = xmalloc(length + 64);

	used = (size_t)sprintf(out, "Return-Path: <alice@example.org>\n");
	for (size_t i = 0; i < length; i++)
		if (!(message[i] == '\r' && message[i + 1] == '\n'))
			out[used++] = message[i];
	out[used] = '\0';
	return out;
}

/* Puts CRLFs just before, at and after every power-of-two output size from 4 KiB to
 * 1 MiB, so whatever the write chunk size is, a CRLF straddles a chunk boundary. */
static void test_crlf_across_chunk_boundaries(void)
{
	char *top = temporary_directory_create("maildir");
	size_t header = strlen("Return-Path: <alice@example.org>\n");
	int wrong = 0, count = 0;

	for (size_t boundary = 4096; boundary <= 1024 * 1024; boundary *= 2) {
		for (size_t shift = 0; shift < 6; shift++) {
			size_t pad = boundary - header - 3 + shift; /* first CR at boundary-3+shift */
			char *message = xmalloc(pad + 64), *name, *file, *content, *expected;

			memcpy(message, "X-Pad: ", 7);
			memset(message + 7, 'a', pad - 7);
			strcpy(message + pad, "\r\n\r\n\r\nbody\r\n");
			name = xasprintf("B%zuS%zu", boundary, shift);
			CHECK_INT(deliver(top, name, message), MAILDIR_DELIVERED);
			file = xasprintf("new/%s", name);
			content = read_whole(top, file);
			expected = expected_content(message);
			wrong += content == NULL || strcmp(content, expected) != 0;
			count++;
			free(message);
			free(name);
			free(file);
			free(content);
			free(expected);
		}
	}
	CHECK_INT(wrong, 0);
	CHECK_INT(count_entries(top, "new"), count);
	temporary_directory_remove(top);
}

static void test_second_delivery_is_already_delivered(void)
{
	char *top = temporary_directory_create("maildir");
	char *content;

	CHECK_INT(deliver(top, "Q3.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK_INT(deliver(top, "Q3.bob", "Subject: different\r\n\r\n"), MAILDIR_ALREADY_DELIVERED);
	content = read_whole(top, "new/Q3.bob");
	CHECK_STR(content, GOLDEN);
	free(content);
	CHECK_INT(count_entries(top, "new"), 1);
	CHECK_INT(count_entries(top, "tmp"), 0);
	temporary_directory_remove(top);
}

static void test_moved_to_cur_is_already_delivered(void)
{
	char *top = temporary_directory_create("maildir");
	char *from = xasprintf("%s/new/Q4.bob", top), *to = xasprintf("%s/cur/Q4.bob:2,S", top);

	CHECK_INT(deliver(top, "Q4.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK_INT(rename(from, to), 0);
	CHECK_INT(deliver(top, "Q4.bob", MESSAGE), MAILDIR_ALREADY_DELIVERED);
	CHECK_INT(count_entries(top, "new"), 0);
	/* A reader may also move it to cur/ without flags. */
	write_file(top, "cur/Q5.bob", "Subject: read\n\n");
	CHECK_INT(deliver(top, "Q5.bob", MESSAGE), MAILDIR_ALREADY_DELIVERED);
	CHECK_INT(count_entries(top, "new"), 0);
	free(from);
	free(to);
	temporary_directory_remove(top);
}

static void test_unchecked_delivery_writes_golden(void)
{
	char *top = temporary_directory_create("maildir");
	char *path = xasprintf("%s/home/carol/Maildir", top);
	char *content;

	CHECK_INT(deliver_with(path, "Q13.carol", MESSAGE, false), MAILDIR_DELIVERED);
	CHECK(is_private_directory(path, "cur"));
	content = read_whole(path, "new/Q13.carol");
	CHECK_STR(content, GOLDEN);
	free(content);
	CHECK_INT(count_entries(path, "tmp"), 0);
	free(path);
	temporary_directory_remove(top);
}

/* Without the check, a copy in new/ is still never replaced (the rename refuses to), but a
 * copy a reader moved to cur/ goes unnoticed: the caller promised there is none. */
static void test_unchecked_delivery_skips_the_look_in_cur(void)
{
	char *top = temporary_directory_create("maildir");
	char *from = xasprintf("%s/new/Q14.bob", top), *to = xasprintf("%s/cur/Q14.bob:2,S", top);
	char *content;

	CHECK_INT(deliver(top, "Q14.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK_INT(deliver_with(top, "Q14.bob", "Subject: different\r\n\r\n", false), MAILDIR_ALREADY_DELIVERED);
	content = read_whole(top, "new/Q14.bob");
	CHECK_STR(content, GOLDEN);
	free(content);
	CHECK_INT(count_entries(top, "tmp"), 0);
	CHECK_INT(rename(from, to), 0);
	CHECK_INT(deliver_with(top, "Q14.bob", MESSAGE, false), MAILDIR_DELIVERED);
	CHECK_INT(count_entries(top, "new"), 1);
	CHECK_INT(count_entries(top, "cur"), 1);
	CHECK_INT(count_entries(top, "tmp"), 0);
	CHECK_INT(deliver(top, "Q14.bob", MESSAGE), MAILDIR_ALREADY_DELIVERED);
	free(from);
	free(to);
	temporary_directory_remove(top);
}

static void test_name_prefix_is_not_a_match(void)
{
	char *top = temporary_directory_create("maildir");

	CHECK_INT(deliver(top, "Q6.bob", MESSAGE), MAILDIR_DELIVERED);
	write_file(top, "cur/Q7.bobby:2,S", "Subject: other\n\n");
	write_file(top, "cur/Q7.bo:2,S", "Subject: other\n\n");
	CHECK_INT(deliver(top, "Q7.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK_INT(count_entries(top, "new"), 2);
	temporary_directory_remove(top);
}

static void test_stale_temporary_file_is_replaced(void)
{
	char *top = temporary_directory_create("maildir");
	char *content;

	CHECK_INT(deliver(top, "Q8.bob", MESSAGE), MAILDIR_DELIVERED);
	write_file(top, "tmp/Q9.bob", "half a message from a crashed attempt");
	CHECK_INT(deliver(top, "Q9.bob", MESSAGE), MAILDIR_DELIVERED);
	content = read_whole(top, "new/Q9.bob");
	CHECK_STR(content, GOLDEN);
	free(content);
	CHECK_INT(count_entries(top, "tmp"), 0);
	temporary_directory_remove(top);
}

static void remove_directory(const char *path, const char *sub)
{
	char *command = xasprintf("rm -rf '%s/%s'", path, sub);

	CHECK_INT(system(command), 0);
	free(command);
}

/* The Maildir is remembered after the first delivery; deleting it (or part of it) must not
 * stop later deliveries: it is made again, at once or on the retry. */
static void test_deleted_maildir_is_made_again(void)
{
	char *top = temporary_directory_create("maildir");
	char *path = xasprintf("%s/home/bob/Maildir", top);
	enum maildir_result result;

	CHECK_INT(deliver(path, "Q20.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK_INT(deliver(path, "Q21.bob", MESSAGE), MAILDIR_DELIVERED);
	remove_directory(top, "home");
	CHECK_INT(deliver(path, "Q22.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK(is_private_directory(path, "new"));
	remove_directory(path, "cur");
	CHECK_INT(deliver(path, "Q23.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK(is_private_directory(path, "cur"));
	remove_directory(path, "new");
	result = deliver(path, "Q24.bob", MESSAGE);
	if (result == MAILDIR_FAILED)
		result = deliver(path, "Q24.bob", MESSAGE);
	CHECK_INT(result, MAILDIR_DELIVERED);
	CHECK_INT(count_entries(path, "new"), 1);
	free(path);
	temporary_directory_remove(top);
}

#define DELIVERY_THREADS 8
#define DELIVERIES_PER_THREAD 25

static char *concurrent_path;

static void *deliver_many(void *number)
{
	for (int i = 0; i < DELIVERIES_PER_THREAD; i++) {
		char *name = xasprintf("Q%ld.%d.bob", (long)(intptr_t)number, i);

		CHECK_INT(deliver(concurrent_path, name, MESSAGE), MAILDIR_DELIVERED);
		free(name);
	}
	return NULL;
}

/* Concurrent deliveries into one Maildir share the fsyncs of new/ and all arrive. */
static void test_concurrent_deliveries_all_arrive(void)
{
	char *top = temporary_directory_create("maildir");
	pthread_t threads[DELIVERY_THREADS];

	concurrent_path = xasprintf("%s/Maildir", top);
	for (long i = 0; i < DELIVERY_THREADS; i++)
		pthread_create(&threads[i], NULL, deliver_many, (void *)(intptr_t)i);
	for (int i = 0; i < DELIVERY_THREADS; i++)
		pthread_join(threads[i], NULL);
	CHECK_INT(count_entries(concurrent_path, "new"), DELIVERY_THREADS * DELIVERIES_PER_THREAD);
	CHECK_INT(count_entries(concurrent_path, "tmp"), 0);
	free(concurrent_path);
	temporary_directory_remove(top);
}

static void test_unwritable_path_fails(void)
{
	char *top = temporary_directory_create("maildir");
	char *path = xasprintf("%s/file/Maildir", top);

	/* Tests run as root, which ignores permissions; a file in the way stops root too. */
	write_file(top, "file", "not a directory");
	errno = 0;
	CHECK_INT(deliver(path, "Q10.bob", MESSAGE), MAILDIR_FAILED);
	CHECK_INT(errno, ENOTDIR);
	errno = 0;
	CHECK_INT(deliver("/proc/self/Maildir", "Q10.bob", MESSAGE), MAILDIR_FAILED);
	CHECK(errno != 0);
	free(path);
	temporary_directory_remove(top);
}

static void test_full_disk_leaves_nothing(void)
{
	char *top = temporary_directory_create("maildir");
	struct rlimit saved, small = {4096, 4096};
	size_t length = 100000;
	char *message = xmalloc(length + 1);
	enum maildir_result result;
	int error;

	/* RLIMIT_FSIZE binds root too: writes past it fail with EFBIG, like a full disk. */
	memset(message, 'x', length);
	memcpy(message + length - 2, "\r\n", 3);
	getrlimit(RLIMIT_FSIZE, &saved);
	small.rlim_max = saved.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	result = deliver(top, "Q11.bob", message);
	error = errno;
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_INT(result, MAILDIR_FAILED);
	CHECK_INT(error, EFBIG);
	CHECK_INT(count_entries(top, "tmp"), 0);
	CHECK_INT(count_entries(top, "new"), 0);
	free(message);
	temporary_directory_remove(top);
}

static void test_unsafe_names_are_refused(void)
{
	char *top = temporary_directory_create("maildir");
	const char *names[] = {"", ".", "..", "a/b", "Q12:2,S"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		errno = 0;
		CHECK_INT(deliver(top, names[i], MESSAGE), MAILDIR_FAILED);
		CHECK_INT(errno, EINVAL);
	}
	errno = 0;
	CHECK_INT(maildir_deliver(top, "Q12", "a@b\r\nX-Injected: 1", slice_from_string(MESSAGE), true),
	          MAILDIR_FAILED);
	CHECK_INT(errno, EINVAL);
	errno = 0;
	CHECK_INT(deliver_with(top, "a/b", MESSAGE, false), MAILDIR_FAILED);
	CHECK_INT(errno, EINVAL);
	temporary_directory_remove(top);
}

/* maildir_deliver_all: each delivery gets its own result in one batch: two Maildirs, one of
 * them shared by several deliveries, a refused name, and earlier copies (one found by the
 * look, one, unchecked, by the move into new/). */
static void test_batch_reports_each_result(void)
{
	char *top = temporary_directory_create("maildir");
	char *bob = xasprintf("%s/bob/Maildir", top), *carol = xasprintf("%s/carol/Maildir", top);
	struct maildir_delivery batch[6];
	const char *names[6] = {"Q1.bob", "Q2.bob", "Q1.carol", "bad/name", "Q0.bob", "Q3.bob"};
	const char *paths[6] = {bob, bob, carol, bob, bob, bob};
	char *content;

	CHECK_INT(deliver(bob, "Q0.bob", MESSAGE), MAILDIR_DELIVERED);
	CHECK_INT(deliver(bob, "Q3.bob", MESSAGE), MAILDIR_DELIVERED);
	for (int i = 0; i < 6; i++)
		batch[i] = (struct maildir_delivery){.path = paths[i], .unique_name = names[i],
		                                     .return_path = "alice@example.org",
		                                     .message = slice_from_string(MESSAGE), .check_earlier_copy = i != 5};
	maildir_deliver_all(batch, 6);
	CHECK_INT(batch[0].result, MAILDIR_DELIVERED);
	CHECK_INT(batch[1].result, MAILDIR_DELIVERED);
	CHECK_INT(batch[2].result, MAILDIR_DELIVERED);
	CHECK_INT(batch[3].result, MAILDIR_FAILED);
	CHECK_INT(batch[3].error, EINVAL);
	CHECK_INT(batch[4].result, MAILDIR_ALREADY_DELIVERED);
	CHECK_INT(batch[5].result, MAILDIR_ALREADY_DELIVERED); /* not looked for, but never replaced */
	content = read_whole(bob, "new/Q2.bob");
	CHECK_STR(content, GOLDEN);
	free(content);
	content = read_whole(carol, "new/Q1.carol");
	CHECK_STR(content, GOLDEN);
	free(content);
	CHECK_INT(count_entries(bob, "new"), 4);
	CHECK_INT(count_entries(bob, "tmp"), 0);
	CHECK_INT(count_entries(carol, "new"), 1);
	free(bob);
	free(carol);
	temporary_directory_remove(top);
}

int main(void)
{
	RUN(test_delivery_creates_maildir_and_writes_golden);
	RUN(test_null_return_path);
	RUN(test_crlf_across_chunk_boundaries);
	RUN(test_second_delivery_is_already_delivered);
	RUN(test_moved_to_cur_is_already_delivered);
	RUN(test_unchecked_delivery_writes_golden);
	RUN(test_unchecked_delivery_skips_the_look_in_cur);
	RUN(test_name_prefix_is_not_a_match);
	RUN(test_stale_temporary_file_is_replaced);
	RUN(test_deleted_maildir_is_made_again);
	RUN(test_concurrent_deliveries_all_arrive);
	RUN(test_unwritable_path_fails);
	RUN(test_full_disk_leaves_nothing);
	RUN(test_unsafe_names_are_refused);
	RUN(test_batch_reports_each_result);
	return check_summary("test_maildir");
}
