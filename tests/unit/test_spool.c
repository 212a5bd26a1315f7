/* Unit tests for queue/spool.c: commit, read back, update, remove, the scan that cleans up
 * after interrupted commits, queue ids, concurrent (group-committed) commits, and failed
 * commits that must leave nothing behind, also when they share a batch with good ones.
 * Each test works in its own mkdtemp directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "temporary_directory.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "util/xalloc.h"

#define THREADS 8
#define COMMITS_PER_THREAD 200

static bool file_exists(const char *directory, const char *name)
{
	char *path = xasprintf("%s/%s", directory, name);
	bool exists = access(path, F_OK) == 0;

	free(path);
	return exists;
}

static void make_envelope(struct envelope *envelope, const char *id)
{
	memset(envelope, 0, sizeof *envelope);
	envelope->id = xstrdup(id);
	envelope->sender = xstrdup("alice@example.org");
	envelope->created = 1700000000;
	envelope->next_attempt = 1700000000;
	envelope->client = xstrdup("192.0.2.1 mail.example.org");
	envelope_add_recipient(envelope, "bob@example.net", NULL);
	envelope_add_recipient(envelope, "carol@example.org", "carol");
}

static char *message_for(const char *id)
{
	return xasprintf("Message-ID: <%s@example.org>\r\nSubject: test\r\n\r\nBody of %s.\r\n", id, id);
}

/* Makes an id, an envelope and a message, and commits them. Returns commit's result. */
static int commit_new(struct spool *spool, char id[SPOOL_ID_SIZE])
{
	struct envelope envelope;
	char *message;
	int result;

	spool_new_id(spool, id);
	make_envelope(&envelope, id);
	message = message_for(id);
	result = spool_commit(spool, &envelope, slice_from_string(message));
	free(message);
	envelope_free(&envelope);
	return result;
}

/* Whether the message and envelope of id read back as commit_new wrote them. */
static bool reads_back(struct spool *spool, const char *id)
{
	struct buffer text;
	struct envelope envelope;
	char *expected = message_for(id);
	bool same;

	buffer_init(&text, 1024 * 1024);
	same = spool_read_message(spool, id, &text) == 0 && strcmp(text.data, expected) == 0 &&
	       spool_read_envelope(spool, id, &envelope) == 0;
	if (same) {
		same = strcmp(envelope.id, id) == 0 && strcmp(envelope.sender, "alice@example.org") == 0 &&
		       envelope.recipient_count == 2 &&
		       strcmp(envelope.recipients[1].address, "carol@example.org") == 0;
		envelope_free(&envelope);
	}
	buffer_free(&text);
	free(expected);
	return same;
}

static void test_commit_then_read_back(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char id[SPOOL_ID_SIZE], *name;
	struct stat status;

	CHECK(spool != NULL);
	CHECK_STR(spool_directory(spool), directory);
	CHECK_INT(commit_new(spool, id), 0);
	CHECK(reads_back(spool, id));
	name = xasprintf("%s/%s.msg", directory, id);
	CHECK(stat(name, &status) == 0 && (status.st_mode & 0777) == 0600);
	free(name);
	name = xasprintf("%s/%s.env", directory, id);
	CHECK(stat(name, &status) == 0 && (status.st_mode & 0777) == 0600);
	free(name);
	CHECK_INT(temporary_directory_count_entries(directory), 2); /* no temporary left over */
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_open_creates_parents_with_mode_0700(void)
{
	char *directory = temporary_directory_create("spool");
	char *nested = xasprintf("%s/a/b/spool/", directory);
	struct spool *spool = spool_open(nested);
	struct stat status;
	char *middle = xasprintf("%s/a/b", directory);

	CHECK(spool != NULL);
	CHECK(stat(nested, &status) == 0 && S_ISDIR(status.st_mode) && (status.st_mode & 0777) == 0700);
	CHECK(stat(middle, &status) == 0 && (status.st_mode & 0777) == 0700);
	spool_close(spool);
	free(nested);
	free(middle);
	temporary_directory_remove(directory);
}

static void test_open_fails_under_a_file(void)
{
	char *directory = temporary_directory_create("spool");
	char *path = xasprintf("%s/file/spool", directory);

	temporary_directory_write(directory, "file", "x", 1);
	errno = 0;
	CHECK(spool_open(path) == NULL);
	CHECK_INT(errno, ENOTDIR);
	free(path);
	temporary_directory_remove(directory);
}

static void test_update_replaces_envelope(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct envelope envelope, read;
	char id[SPOOL_ID_SIZE];

	CHECK_INT(commit_new(spool, id), 0);
	CHECK_INT(spool_read_envelope(spool, id, &envelope), 0);
	envelope.recipients[0].state = RECIPIENT_DELIVERED;
	envelope.recipients[1].attempts = 3;
	envelope.recipients[1].last_error = xstrdup("451 4.3.0 try later");
	envelope.next_attempt = 1700000600;
	CHECK_INT(spool_update(spool, &envelope), 0);
	CHECK_INT(spool_read_envelope(spool, id, &read), 0);
	CHECK_INT(read.recipients[0].state, RECIPIENT_DELIVERED);
	CHECK_INT(read.recipients[1].attempts, 3);
	CHECK_STR(read.recipients[1].last_error, "451 4.3.0 try later");
	CHECK_INT(read.next_attempt, 1700000600);
	CHECK_INT(temporary_directory_count_entries(directory), 2);
	envelope_free(&read);
	envelope_free(&envelope);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_update_of_missing_message_fails(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct envelope envelope;

	make_envelope(&envelope, "0000000000000001");
	CHECK_INT(spool_update(spool, &envelope), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(temporary_directory_count_entries(directory), 0);
	envelope_free(&envelope);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_remove_deletes_both_files(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct buffer text;
	char id[SPOOL_ID_SIZE];

	buffer_init(&text, 1024);
	CHECK_INT(commit_new(spool, id), 0);
	CHECK_INT(spool_remove(spool, id), 0);
	/* Both kept as free files for later commits (spool_recycle.c), under names scan skips. */
	CHECK_INT(temporary_directory_count_entries(directory), 2);
	{
		char *name = xasprintf("%s.env.free", id);
		CHECK(file_exists(directory, name));
		free(name);
	}
	CHECK_INT(spool_read_message(spool, id, &text), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(spool_remove(spool, id), -1);
	CHECK_INT(errno, ENOENT);
	buffer_free(&text);
	spool_close(spool);
	temporary_directory_remove(directory);
}

/* spool_remove_all: each removal its own result; the removed ones' files are free files the
 * next commits reuse. */
static void test_remove_all_reports_each_result(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char ids[3][SPOOL_ID_SIZE], missing[SPOOL_ID_SIZE];
	struct spool_removal removals[5];

	for (int i = 0; i < 3; i++)
		CHECK_INT(commit_new(spool, ids[i]), 0);
	spool_new_id(spool, missing);
	removals[0] = (struct spool_removal){.id = ids[0]};
	removals[1] = (struct spool_removal){.id = missing};
	removals[2] = (struct spool_removal){.id = "../x"};
	removals[3] = (struct spool_removal){.id = ids[2]};
	removals[4] = (struct spool_removal){.id = ids[0]}; /* again: its files are gone by then */
	spool_remove_all(spool, removals, 5);
	CHECK_INT(removals[0].result, 0);
	CHECK_INT(removals[1].result, -1);
	CHECK_INT(removals[1].error, ENOENT);
	CHECK_INT(removals[2].result, -1);
	CHECK_INT(removals[2].error, EINVAL);
	CHECK_INT(removals[3].result, 0);
	CHECK_INT(removals[4].result, -1);
	CHECK_INT(removals[4].error, ENOENT);
	CHECK(reads_back(spool, ids[1]));
	CHECK_INT(temporary_directory_count_entries(directory), 6); /* ids[1]'s two, four free files */
	CHECK_INT(commit_new(spool, ids[0]), 0);                   /* takes two of them */
	CHECK_INT(temporary_directory_count_entries(directory), 6);
	CHECK(reads_back(spool, ids[0]));
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_read_refuses_what_does_not_fit(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct buffer text;
	struct envelope envelope;
	char id[SPOOL_ID_SIZE];

	buffer_init(&text, 16);
	CHECK_INT(commit_new(spool, id), 0);
	CHECK_INT(spool_read_message(spool, id, &text), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_INT(spool_read_message(spool, "../etc", &text), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(spool_read_envelope(spool, "nonexistent", &envelope), -1);
	CHECK_INT(errno, ENOENT);
	envelope_free(&envelope);
	buffer_free(&text);
	spool_close(spool);
	temporary_directory_remove(directory);
}

/* The text of an envelope without its last line (the "end" line). */
static void incomplete_envelope_text(const char *id, struct buffer *text)
{
	struct envelope envelope;

	make_envelope(&envelope, id);
	buffer_init(text, ENVELOPE_MAX_SIZE);
	CHECK(envelope_encode(&envelope, text));
	envelope_free(&envelope);
	if (text->length > 0)
		text->length--; /* the final newline */
	while (text->length > 0 && text->data[text->length - 1] != '\n')
		text->length--;
}

struct found_ids {
	char ids[8][SPOOL_ID_SIZE];
	int count;
};

static void collect(const char *id, void *context)
{
	struct found_ids *found = context;

	if (found->count < 8)
		snprintf(found->ids[found->count], SPOOL_ID_SIZE, "%s", id);
	found->count++;
}

static void test_scan_cleans_up_and_lists_in_order(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char first[SPOOL_ID_SIZE], second[SPOOL_ID_SIZE], *name;
	struct found_ids found = {0};
	struct buffer text;
	struct envelope envelope;

	CHECK_INT(commit_new(spool, first), 0);
	CHECK_INT(commit_new(spool, second), 0);
	temporary_directory_write(directory, "00000000000000AA.env.tmp", "sender: half", 12);  /* interrupted commit */
	temporary_directory_write(directory, "00000000000000BB.msg", "Subject: x\r\n\r\n", 14); /* message, no envelope */
	incomplete_envelope_text("00000000000000CC", &text);
	CHECK(envelope_decode(buffer_slice(&text), &envelope) == ENVELOPE_INCOMPLETE);
	envelope_free(&envelope);
	temporary_directory_write(directory, "00000000000000CC.env", text.data, text.length);
	temporary_directory_write(directory, "00000000000000CC.msg", "Subject: y\r\n\r\n", 14);
	CHECK_INT(spool_scan(spool, collect, &found), 2);
	CHECK_INT(found.count, 2);
	CHECK_STR(found.ids[0], first);
	CHECK_STR(found.ids[1], second);
	CHECK(!file_exists(directory, "00000000000000AA.env.tmp"));
	CHECK(!file_exists(directory, "00000000000000BB.msg"));
	CHECK(!file_exists(directory, "00000000000000CC.env"));
	CHECK(!file_exists(directory, "00000000000000CC.msg"));
	CHECK_INT(temporary_directory_count_entries(directory), 4);
	CHECK(reads_back(spool, first));
	name = xasprintf("%s.env", second);
	CHECK(file_exists(directory, name));
	free(name);
	buffer_free(&text);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_scan_of_empty_spool(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct found_ids found = {0};

	CHECK_INT(spool_scan(spool, collect, &found), 0);
	CHECK_INT(found.count, 0);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_ids_are_unique_and_increasing(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char previous[SPOOL_ID_SIZE] = "", id[SPOOL_ID_SIZE];
	int bad_order = 0, bad_form = 0;

	for (int i = 0; i < 10000; i++) {
		spool_new_id(spool, id);
		if (strlen(id) != 16 || strspn(id, "0123456789ABCDEF") != 16)
			bad_form++;
		if (strcmp(id, previous) <= 0)
			bad_order++;
		memcpy(previous, id, sizeof id);
	}
	CHECK_INT(bad_form, 0);
	CHECK_INT(bad_order, 0);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_ids_follow_those_found_by_scan(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct envelope envelope;
	char id[SPOOL_ID_SIZE];

	/* As if an earlier run, with the clock ahead, had left a message in the far future. */
	make_envelope(&envelope, "7FFFFFFFFFFFFF00");
	CHECK_INT(spool_commit(spool, &envelope, slice_from_string("Subject: z\r\n\r\n")), 0);
	envelope_free(&envelope);
	spool_close(spool);
	spool = spool_open(directory);
	CHECK_INT(spool_scan(spool, collect, &(struct found_ids){0}), 1);
	spool_new_id(spool, id);
	CHECK_STR(id, "7FFFFFFFFFFFFF01");
	spool_close(spool);
	temporary_directory_remove(directory);
}

struct worker {
	struct spool *spool;
	int count;
	int failures;
	char (*ids)[SPOOL_ID_SIZE];
};

static void *commit_many(void *argument)
{
	struct worker *worker = argument;

	for (int i = 0; i < worker->count; i++)
		if (commit_new(worker->spool, worker->ids[i]) != 0)
			worker->failures++;
	return NULL;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Commits threads x COMMITS_PER_THREAD messages; checks every one; returns commits/s. */
static double commit_concurrently(int threads)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct worker workers[THREADS];
	pthread_t handles[THREADS];
	struct timespec start;
	double elapsed;
	int unreadable = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int t = 0; t < threads; t++) {
		workers[t] = (struct worker){spool, COMMITS_PER_THREAD, 0, xcalloc(COMMITS_PER_THREAD, SPOOL_ID_SIZE)};
		CHECK_INT(pthread_create(&handles[t], NULL, commit_many, &workers[t]), 0);
	}
	for (int t = 0; t < threads; t++)
		pthread_join(handles[t], NULL);
	elapsed = seconds_since(&start);
	for (int t = 0; t < threads; t++) {
		CHECK_INT(workers[t].failures, 0);
		for (int i = 0; i < COMMITS_PER_THREAD; i++)
			unreadable += !reads_back(spool, workers[t].ids[i]);
		free(workers[t].ids);
	}
	CHECK_INT(unreadable, 0);
	CHECK_INT(spool_scan(spool, collect, &(struct found_ids){0}), threads * COMMITS_PER_THREAD);
	spool_close(spool);
	temporary_directory_remove(directory);
	return threads * COMMITS_PER_THREAD / elapsed;
}

static void test_concurrent_commits_are_all_readable(void)
{
	double one = commit_concurrently(1);
	double many = commit_concurrently(THREADS);

	printf("spool: %.0f commits/s with 1 thread, %.0f commits/s with %d threads\n", one, many, THREADS);
}

/* A commit the file system refuses; returns commit's result and errno. */
static int commit_fixed(struct spool *spool, const char *id, struct slice message, int *error)
{
	struct envelope envelope;
	int result;

	make_envelope(&envelope, id);
	result = spool_commit(spool, &envelope, message);
	*error = errno;
	envelope_free(&envelope);
	return result;
}

static void test_commit_into_unwritable_directory_fails(void)
{
	/* Root ignores permissions, but nobody can create files in /proc/self/fdinfo. */
	struct spool *spool = spool_open("/proc/self/fdinfo");
	int error;

	CHECK(spool != NULL);
	if (spool == NULL)
		return;
	CHECK_INT(commit_fixed(spool, "00000000000000D0", slice_from_string("Subject: d\r\n\r\n"), &error), -1);
	CHECK(error != 0);
	CHECK(!file_exists("/proc/self/fdinfo", "00000000000000D0.msg"));
	spool_close(spool);
}

static void test_full_disk_leaves_nothing(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	struct rlimit saved, small = {4096, 4096};
	size_t length = 100000;
	char *message = xmalloc(length);
	int result, error;

	/* RLIMIT_FSIZE binds root too: writes past it fail with EFBIG, like a full disk. */
	memset(message, 'x', length);
	getrlimit(RLIMIT_FSIZE, &saved);
	small.rlim_max = saved.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	result = commit_fixed(spool, "00000000000000E0", slice_make(message, length), &error);
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_INT(result, -1);
	CHECK_INT(error, EFBIG);
	CHECK_INT(temporary_directory_count_entries(directory), 0);
	free(message);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_failed_rename_leaves_no_message(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char *blocker = xasprintf("%s/00000000000000F0.env", directory);
	int error;

	/* A non-empty directory where the envelope should go: rename(2) cannot replace it. */
	CHECK_INT(mkdir(blocker, 0700), 0);
	temporary_directory_write(blocker, "inside", "x", 1);
	CHECK_INT(commit_fixed(spool, "00000000000000F0", slice_from_string("Subject: f\r\n\r\n"), &error), -1);
	CHECK(error != 0);
	CHECK_INT(temporary_directory_count_entries(directory), 1); /* only the blocker */
	free(blocker);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_existing_id_is_refused_and_kept(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char id[SPOOL_ID_SIZE];
	int error;

	CHECK_INT(commit_new(spool, id), 0);
	CHECK_INT(commit_fixed(spool, id, slice_from_string("Subject: other\r\n\r\n"), &error), -1);
	CHECK_INT(error, EEXIST);
	CHECK(reads_back(spool, id));
	CHECK_INT(commit_fixed(spool, "bad/id", slice_from_string("x"), &error), -1);
	CHECK_INT(error, EINVAL);
	spool_close(spool);
	temporary_directory_remove(directory);
}

/* Batches: refused commits (an id whose message exists) among good ones, from many threads at
 * once, so that they share batches. Each refusal fails alone and keeps the existing files;
 * every other commit of the same batches is whole; nothing is left over. */
static int count_entries(const char *directory)
{
	DIR *listing = opendir(directory);
	struct dirent *entry;
	int count = 0;

	while (listing != NULL && (entry = readdir(listing)) != NULL)
		count += entry->d_name[0] != '.';
	if (listing != NULL)
		closedir(listing);
	return count;
}

struct mixed_worker {
	struct spool *spool;
	char (*taken)[SPOOL_ID_SIZE]; /* ids already committed, to commit again */
	char ids[COMMITS_PER_THREAD][SPOOL_ID_SIZE];
	int good_failures, refusals_wrong;
};

static void *commit_mixed(void *context)
{
	struct mixed_worker *worker = context;
	int error;

	for (int i = 0; i < COMMITS_PER_THREAD; i++) {
		if (i % 4 == 0) {
			if (commit_fixed(worker->spool, worker->taken[i / 4], slice_from_string("x\r\n"), &error) != -1 ||
			    error != EEXIST)
				worker->refusals_wrong++;
		} else if (commit_new(worker->spool, worker->ids[i]) != 0) {
			worker->good_failures++;
		}
	}
	return NULL;
}

static void test_refused_commits_fail_alone_in_a_batch(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char taken[COMMITS_PER_THREAD / 4][SPOOL_ID_SIZE];
	struct mixed_worker *workers = xcalloc(THREADS, sizeof *workers);
	pthread_t handles[THREADS];
	int unreadable = 0, expected = COMMITS_PER_THREAD / 4;

	for (int i = 0; i < COMMITS_PER_THREAD / 4; i++)
		CHECK_INT(commit_new(spool, taken[i]), 0);
	for (int t = 0; t < THREADS; t++) {
		workers[t].spool = spool;
		workers[t].taken = taken;
		CHECK_INT(pthread_create(&handles[t], NULL, commit_mixed, &workers[t]), 0);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(handles[t], NULL);
	for (int t = 0; t < THREADS; t++) {
		CHECK_INT(workers[t].good_failures, 0);
		CHECK_INT(workers[t].refusals_wrong, 0);
		for (int i = 0; i < COMMITS_PER_THREAD; i++)
			if (i % 4 != 0) {
				unreadable += !reads_back(spool, workers[t].ids[i]);
				expected++;
			}
	}
	for (int i = 0; i < COMMITS_PER_THREAD / 4; i++)
		unreadable += !reads_back(spool, taken[i]);
	CHECK_INT(unreadable, 0);
	CHECK_INT(count_entries(directory), 2 * expected); /* a .msg and a .env each, no temporaries */
	CHECK_INT(spool_scan(spool, collect, &(struct found_ids){0}), expected);
	free(workers);
	spool_close(spool);
	temporary_directory_remove(directory);
}

/* spool_commit_all: one call, one batch; a taken id and an invalid one fail alone. */
static void test_commit_all_reports_each_result(void)
{
	char *directory = temporary_directory_create("spool");
	struct spool *spool = spool_open(directory);
	char ids[4][SPOOL_ID_SIZE];
	struct envelope envelopes[4];
	char *messages[4];
	struct spool_commit commits[4];

	CHECK_INT(commit_new(spool, ids[1]), 0); /* commits[1] repeats it */
	spool_new_id(spool, ids[0]);
	spool_new_id(spool, ids[3]);
	snprintf(ids[2], sizeof ids[2], "bad.id");
	for (int i = 0; i < 4; i++) {
		make_envelope(&envelopes[i], ids[i]);
		messages[i] = message_for(ids[i]);
		commits[i] = (struct spool_commit){.envelope = &envelopes[i], .message = slice_from_string(messages[i])};
	}
	spool_commit_all(spool, commits, 4);
	CHECK_INT(commits[0].result, 0);
	CHECK_INT(commits[1].result, -1);
	CHECK_INT(commits[1].error, EEXIST);
	CHECK_INT(commits[2].result, -1);
	CHECK_INT(commits[2].error, EINVAL);
	CHECK_INT(commits[3].result, 0);
	CHECK(reads_back(spool, ids[0]));
	CHECK(reads_back(spool, ids[1]));
	CHECK(reads_back(spool, ids[3]));
	CHECK_INT(count_entries(directory), 6);
	for (int i = 0; i < 4; i++) {
		envelope_free(&envelopes[i]);
		free(messages[i]);
	}
	spool_close(spool);
	temporary_directory_remove(directory);
}

int main(void)
{
	RUN(test_commit_then_read_back);
	RUN(test_open_creates_parents_with_mode_0700);
	RUN(test_open_fails_under_a_file);
	RUN(test_update_replaces_envelope);
	RUN(test_update_of_missing_message_fails);
	RUN(test_remove_deletes_both_files);
	RUN(test_remove_all_reports_each_result);
	RUN(test_read_refuses_what_does_not_fit);
	RUN(test_scan_cleans_up_and_lists_in_order);
	RUN(test_scan_of_empty_spool);
	RUN(test_ids_are_unique_and_increasing);
	RUN(test_ids_follow_those_found_by_scan);
	RUN(test_concurrent_commits_are_all_readable);
	RUN(test_commit_into_unwritable_directory_fails);
	RUN(test_full_disk_leaves_nothing);
	RUN(test_failed_rename_leaves_no_message);
	RUN(test_existing_id_is_refused_and_kept);
	RUN(test_refused_commits_fail_alone_in_a_batch);
	RUN(test_commit_all_reports_each_result);
	return check_summary("test_spool");
}
