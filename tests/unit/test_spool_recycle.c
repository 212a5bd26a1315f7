/* Unit tests for queue/spool_recycle.c through the spool's interface: removed messages'
 * files are reused by later commits and updates (no growth of the directory, right content
 * even when the new data is shorter than the old), and the start-up scan hands free files
 * back without listing them, and makes new ids sort after theirs.
 * Each test works in its own mkdtemp directory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "temporary_directory.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "util/xalloc.h"

#define ROUNDS 50

/* Commits a message of body (with one recipient) under a new id, left in id. */
static int commit_body(struct spool *spool, char id[SPOOL_ID_SIZE], const char *body)
{
	struct envelope envelope = {0};
	int result;

	spool_new_id(spool, id);
	envelope.id = xstrdup(id);
	envelope.sender = xstrdup("alice@example.org");
	envelope.created = envelope.next_attempt = 1700000000;
	envelope.client = xstrdup("192.0.2.1 mail.example.org");
	envelope_add_recipient(&envelope, "bob@example.net", NULL);
	result = spool_commit(spool, &envelope, slice_from_string(body));
	envelope_free(&envelope);
	return result;
}

static void check_message(struct spool *spool, const char *id, const char *body)
{
	struct buffer text;

	buffer_init(&text, 1 << 20);
	CHECK_INT(spool_read_message(spool, id, &text), 0);
	CHECK_INT((int)text.length, (int)strlen(body));
	CHECK(text.length == strlen(body) && memcmp(text.data, body, text.length) == 0);
	buffer_free(&text);
}

static void count_found(const char *id, void *context)
{
	(*(int *)context)++;
}

static void test_commits_reuse_removed_files(void)
{
	char *directory = temporary_directory_create("recycle");
	struct spool *spool = spool_open(directory);
	char *long_body = xmalloc(20000);
	char id[SPOOL_ID_SIZE];

	memset(long_body, 'x', 19999);
	long_body[19999] = '\0';
	CHECK_INT(commit_body(spool, id, long_body), 0);
	CHECK_INT(spool_remove(spool, id), 0);
	CHECK_INT(temporary_directory_count_entries(directory), 2);
	for (int i = 0; i < ROUNDS; i++) {
		CHECK_INT(commit_body(spool, id, i % 2 ? long_body : "short\r\n"), 0);
		/* The free files were reused: nothing new beside them. */
		CHECK_INT(temporary_directory_count_entries(directory), 2);
		check_message(spool, id, i % 2 ? long_body : "short\r\n");
		CHECK_INT(spool_remove(spool, id), 0);
	}
	free(long_body);
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_update_swaps_with_a_free_file(void)
{
	char *directory = temporary_directory_create("recycle");
	struct spool *spool = spool_open(directory);
	char id[SPOOL_ID_SIZE], old[SPOOL_ID_SIZE];
	struct envelope envelope;

	CHECK_INT(commit_body(spool, old, "old\r\n"), 0);
	CHECK_INT(spool_remove(spool, old), 0);
	CHECK_INT(commit_body(spool, id, "kept\r\n"), 0);
	CHECK_INT(commit_body(spool, old, "spare\r\n"), 0);
	CHECK_INT(spool_remove(spool, old), 0); /* two free files again */
	for (int i = 0; i < ROUNDS; i++) {
		CHECK_INT(spool_read_envelope(spool, id, &envelope), 0);
		envelope.recipients[0].attempts = i + 1;
		CHECK_INT(spool_update(spool, &envelope), 0);
		envelope_free(&envelope);
		CHECK_INT(temporary_directory_count_entries(directory), 4);
	}
	CHECK_INT(spool_read_envelope(spool, id, &envelope), 0);
	CHECK_INT(envelope.recipients[0].attempts, ROUNDS);
	envelope_free(&envelope);
	check_message(spool, id, "kept\r\n");
	spool_close(spool);
	temporary_directory_remove(directory);
}

static void test_scan_returns_free_files_to_the_pool(void)
{
	char *directory = temporary_directory_create("recycle");
	struct spool *spool = spool_open(directory);
	char id[SPOOL_ID_SIZE], kept[SPOOL_ID_SIZE], fresh[SPOOL_ID_SIZE];
	int found = 0;

	CHECK_INT(commit_body(spool, kept, "kept\r\n"), 0);
	CHECK_INT(commit_body(spool, id, "gone\r\n"), 0);
	CHECK_INT(spool_remove(spool, id), 0);
	spool_close(spool);
	/* A free file under an id later than any message: new ids must still sort after it. */
	temporary_directory_write(directory, "FFFFFFFFFFFFFFF0.msg.free", "old\r\n", 5);
	spool = spool_open(directory);
	CHECK_INT(spool_scan(spool, count_found, &found), 1);
	CHECK_INT(found, 1);
	CHECK_INT(temporary_directory_count_entries(directory), 5);
	spool_new_id(spool, fresh);
	CHECK(strcmp(fresh, "FFFFFFFFFFFFFFF0") > 0);
	/* Three free files for two commits' four: one new file, none left free. */
	CHECK_INT(commit_body(spool, id, "one\r\n"), 0);
	CHECK_INT(commit_body(spool, fresh, "two\r\n"), 0);
	CHECK_INT(temporary_directory_count_entries(directory), 6);
	check_message(spool, id, "one\r\n");
	check_message(spool, fresh, "two\r\n");
	check_message(spool, kept, "kept\r\n");
	spool_close(spool);
	temporary_directory_remove(directory);
}

int main(void)
{
	RUN(test_commits_reuse_removed_files);
	RUN(test_update_swaps_with_a_free_file);
	RUN(test_scan_returns_free_files_to_the_pool);
	return check_summary("test_spool_recycle");
}
