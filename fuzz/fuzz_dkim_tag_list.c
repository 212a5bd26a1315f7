/* fuzz_dkim_tag_list: libFuzzer harness for src/mailauth/dkim_tag_list.c, asserting
 * properties, not only survival. The input is a tag-list, copied into an exactly-sized buffer
 * so ASan catches any read past it. For every input:
 * - the result is one of the enum's values; every name and value given lies inside the input,
 *   has no FWS at either end, and names are distinct and at most DKIM_TAG_LIST_TAGS_MAX;
 * - an accepted list, written again as "name=value;" per tag, is accepted again with the same
 *   tags in the same order (RFC 6376 §3.2: FWS around names and values means nothing). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dkim_tag_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_dkim_tag_list: property failed at line %d: %s\n", __LINE__, #condition); \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

struct tags {
	const char *text; /* the input, to check views against */
	size_t size;
	size_t count;
	struct slice names[DKIM_TAG_LIST_TAGS_MAX], values[DKIM_TAG_LIST_TAGS_MAX];
};

static void require_view(struct slice s, const struct tags *tags)
{
	REQUIRE(s.length == 0 || (s.data >= tags->text && s.data + s.length <= tags->text + tags->size));
	REQUIRE(s.length == 0 || (!dkim_tag_list_is_fws(s.data[0]) && !dkim_tag_list_is_fws(s.data[s.length - 1])));
}

static bool keep(struct slice name, struct slice value, void *context)
{
	struct tags *tags = context;

	REQUIRE(tags->count < DKIM_TAG_LIST_TAGS_MAX && name.length > 0);
	require_view(name, tags);
	require_view(value, tags);
	for (size_t i = 0; i < tags->count; i++)
		REQUIRE(!slice_equal(tags->names[i], name));
	tags->names[tags->count] = name;
	tags->values[tags->count++] = value;
	return true;
}

static void check_rewritten(const struct tags *first)
{
	struct buffer text;
	struct tags *again = malloc(sizeof *again);
	struct slice error_tag;

	buffer_init(&text, first->size * 2 + 2);
	for (size_t i = 0; i < first->count; i++) {
		buffer_append_slice(&text, first->names[i]);
		buffer_append(&text, "=", 1);
		buffer_append_slice(&text, first->values[i]);
		buffer_append(&text, ";", 1);
	}
	again->text = text.data;
	again->size = text.length;
	again->count = 0;
	REQUIRE(dkim_tag_list_parse(buffer_slice(&text), keep, again, &error_tag) == DKIM_TAG_LIST_OK);
	REQUIRE(again->count == first->count);
	for (size_t i = 0; i < first->count; i++)
		REQUIRE(slice_equal(again->names[i], first->names[i]) &&
		        slice_equal(again->values[i], first->values[i]));
	buffer_free(&text);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct tags *tags = malloc(sizeof *tags);
	struct slice error_tag = slice_make(NULL, 0);
	enum dkim_tag_list_result result;

	if (size > 0)
		memcpy(text, data, size);
	tags->text = text;
	tags->size = size;
	tags->count = 0;
	result = dkim_tag_list_parse(slice_make(text, size), keep, tags, &error_tag);
	REQUIRE(result <= DKIM_TAG_LIST_DUPLICATE); /* keep never refuses */
	require_view(error_tag, tags);
	if (result == DKIM_TAG_LIST_OK)
		check_rewritten(tags);
	free(tags);
	free(text);
	return 0;
}
