/* spool_scan: the start-up scan of the spool directory (spool_scan in spool.h). It lists the
 * complete messages (an envelope ending in "end" and its message file), deletes what an
 * interrupted commit left (temporaries, incomplete envelopes, messages without envelope),
 * hands free files back to the pool (spool_recycle.c) and leaves corrupt envelopes for a
 * person. Not safe while commits run. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue/spool.h"
#include "queue/spool_internal.h"
#include "util/files.h"
#include "util/xalloc.h"

/* A growable array of ids. */
struct id_list {
	char **ids;
	size_t count, capacity;
};

/* What scan saw: ids of envelopes and of message files (owned), and the complete ones
 * (borrowed from envelopes). */
struct scan_lists {
	struct spool *spool; /* the one being scanned */
	struct id_list envelopes, messages, complete;
	bool removed; /* a leftover was deleted: the directory needs an fsync */
};

static void list_add(struct id_list *list, char *id)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 64;
		list->ids = xrealloc(list->ids, list->capacity * sizeof *list->ids);
	}
	list->ids[list->count++] = id;
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_sort(struct id_list *list)
{
	if (list->count > 0)
		qsort(list->ids, list->count, sizeof *list->ids, compare_ids);
}

static bool list_contains(const struct id_list *list, const char *id)
{
	return list->count > 0 && bsearch(&id, list->ids, list->count, sizeof *list->ids, compare_ids) != NULL;
}

/* If name is "<id><suffix>" for a valid id, a copy of that id; else NULL. */
static char *id_with_suffix(const char *name, const char *suffix)
{
	size_t length = strlen(name), suffix_length = strlen(suffix);
	char *id;

	if (length <= suffix_length || strcmp(name + length - suffix_length, suffix) != 0)
		return NULL;
	id = xstrndup(name, length - suffix_length);
	if (!spool_id_valid(id)) {
		free(id);
		return NULL;
	}
	return id;
}

/* A free file (spool_recycle.c) goes back to the pool; its id counts as used, so no new
 * message can be retired onto its name. */
static void note_free_file(struct spool *spool, const char *name)
{
	char id[SPOOL_ID_SIZE];
	size_t length = strcspn(name, ".");

	if (length < sizeof id) {
		memcpy(id, name, length);
		id[length] = '\0';
		spool_note_existing_id(spool, id);
	}
	spool_recycle_put(spool, name);
}

/* Sorts one directory entry: removes temporaries, lists envelopes and messages. */
static int scan_entry(const char *name, void *context)
{
	struct scan_lists *lists = context;
	size_t length = strlen(name);
	char *id;

	if (name[0] == '.')
		return 0;
	if (length > strlen(SPOOL_FREE_SUFFIX) &&
	    strcmp(name + length - strlen(SPOOL_FREE_SUFFIX), SPOOL_FREE_SUFFIX) == 0) {
		note_free_file(lists->spool, name);
	} else if (length > 4 && strcmp(name + length - 4, ".tmp") == 0) {
		if (unlinkat(lists->spool->directory_fd, name, 0) != 0 && errno != ENOENT)
			return -1;
		lists->removed = true;
	} else if ((id = id_with_suffix(name, ".env")) != NULL) {
		list_add(&lists->envelopes, id);
	} else if ((id = id_with_suffix(name, ".msg")) != NULL) {
		list_add(&lists->messages, id);
	}
	return 0;
}

/* Keeps complete envelopes that have a message; removes incomplete ones (their message
 * goes in remove_orphan_messages). A corrupt or oversized envelope is left, unlisted, for
 * a person to look at; so is an envelope whose message is missing. */
static int filter_envelopes(struct spool *spool, struct scan_lists *lists)
{
	char name[SPOOL_FILE_NAME_SIZE];
	struct envelope envelope;
	enum envelope_result result;

	for (size_t i = 0; i < lists->envelopes.count; i++) {
		char *id = lists->envelopes.ids[i];

		spool_note_existing_id(spool, id);
		spool_file_name(name, id, ".env");
		if (spool_read_envelope_file(spool, name, &envelope, &result) != 0) {
			if (errno == ENOENT || errno == EFBIG) /* gone, or too big: not ours to list */
				continue;
			return -1;
		}
		envelope_free(&envelope);
		if (result == ENVELOPE_INCOMPLETE) {
			if (unlinkat(spool->directory_fd, name, 0) != 0 && errno != ENOENT)
				return -1;
			lists->removed = true;
		} else if (result == ENVELOPE_OK && list_contains(&lists->messages, id)) {
			list_add(&lists->complete, id);
		}
	}
	return 0;
}

/* Removes message files whose envelope is missing or was just removed as incomplete. */
static int remove_orphan_messages(struct spool *spool, struct scan_lists *lists)
{
	char name[SPOOL_FILE_NAME_SIZE];

	for (size_t i = 0; i < lists->messages.count; i++) {
		const char *id = lists->messages.ids[i];

		spool_note_existing_id(spool, id);
		if (list_contains(&lists->complete, id))
			continue;
		spool_file_name(name, id, ".env");
		if (faccessat(spool->directory_fd, name, F_OK, 0) == 0)
			continue; /* a corrupt envelope: keep both for a person */
		if (errno != ENOENT)
			return -1;
		spool_file_name(name, id, ".msg");
		if (unlinkat(spool->directory_fd, name, 0) != 0 && errno != ENOENT)
			return -1;
		lists->removed = true;
	}
	return 0;
}

static void free_lists(struct scan_lists *lists)
{
	for (size_t i = 0; i < lists->envelopes.count; i++)
		free(lists->envelopes.ids[i]);
	for (size_t i = 0; i < lists->messages.count; i++)
		free(lists->messages.ids[i]);
	free(lists->envelopes.ids);
	free(lists->messages.ids);
	free(lists->complete.ids);
}

int spool_scan(struct spool *spool, void (*found)(const char *id, void *context), void *context)
{
	struct scan_lists lists = {.spool = spool};
	int result = -1, error;

	if (files_list(spool->directory_fd, scan_entry, &lists) != 0)
		goto done;
	list_sort(&lists.envelopes);
	list_sort(&lists.messages);
	/* complete is built in envelope order, so it is sorted too. */
	if (filter_envelopes(spool, &lists) != 0 || remove_orphan_messages(spool, &lists) != 0)
		goto done;
	if (lists.removed && spool_sync_directory(spool) != 0)
		goto done;
	if (lists.complete.count > INT_MAX) {
		errno = EOVERFLOW;
		goto done;
	}
	for (size_t i = 0; i < lists.complete.count; i++)
		found(lists.complete.ids[i], context);
	result = (int)lists.complete.count;
done:
	error = errno;
	free_lists(&lists);
	errno = error;
	return result;
}
