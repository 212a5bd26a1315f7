/* fuzz_address_list: libFuzzer harness for src/mailauth/address_list.c, asserting properties,
 * not only survival. The input is copied into an exactly-sized buffer so ASan catches any read
 * past the slice, and parsed onto a list that already holds one address.
 * - a failure leaves the list as it was; NUL anywhere means ADDRESS_LIST_BAD_BYTES;
 * - every address added is a real mailbox (no null path, no bare postmaster, a domain) whose
 *   formatted form, alone or as "<f1>, <f2>, ...", parses back to the same addresses;
 * - CFWS around the list changes nothing; a default domain for unqualified names never turns
 *   an accepted list into a refused one nor changes its addresses;
 * - a maximum one below the count gives ADDRESS_LIST_TOO_MANY. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/address_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_address_list: property failed at line %d: %s\n", __LINE__, #condition);  \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

static bool same_address(const struct address *a, const struct address *b)
{
	return strcmp(a->local, b->local) == 0 && strcmp(a->domain, b->domain) == 0 &&
	       a->domain_kind == b->domain_kind && a->has_utf8 == b->has_utf8;
}

static void require_same_lists(const struct address_list *a, size_t a_from, const struct address_list *b, size_t b_from)
{
	REQUIRE(a->count - a_from == b->count - b_from);
	for (size_t i = 0; i < a->count - a_from; i++)
		REQUIRE(same_address(&a->addresses[a_from + i], &b->addresses[b_from + i]));
}

static void require_mailbox(const struct address *address)
{
	REQUIRE(memchr(address->local, '\0', sizeof address->local) != NULL);
	REQUIRE(memchr(address->domain, '\0', sizeof address->domain) != NULL);
	REQUIRE(!address->is_null && !address->is_postmaster);
	REQUIRE(address->domain_kind != ADDRESS_DOMAIN_NONE && address->domain[0] != '\0');
}

/* Each address formatted as "<f>", joined by ", ", parses back to the same list. */
static void require_round_trip(const struct address_list *list, size_t from)
{
	struct buffer joined;
	struct address_list again;

	buffer_init(&joined, (list->count + 1) * (ADDRESS_FORMAT_SIZE + 4));
	for (size_t i = from; i < list->count; i++) {
		char formatted[ADDRESS_FORMAT_SIZE];
		require_mailbox(&list->addresses[i]);
		REQUIRE(address_format(&list->addresses[i], formatted, sizeof formatted) < sizeof formatted);
		REQUIRE(buffer_printf(&joined, "%s<%s>", i > from ? ", " : "", formatted));
	}
	address_list_init(&again, ADDRESS_LIST_MAX);
	enum address_list_result result = address_list_parse(buffer_slice(&joined), NULL, &again);
	REQUIRE(result == (list->count > from ? ADDRESS_LIST_OK : ADDRESS_LIST_EMPTY));
	require_same_lists(list, from, &again, 0);
	address_list_free(&again);
	buffer_free(&joined);
}

/* Comments and folding white space around the whole list are CFWS (RFC 5322 §3.2.2). */
static void require_cfws_is_ignored(const char *text, size_t size, const struct address_list *list, size_t from)
{
	struct buffer wrapped;
	struct address_list again;

	buffer_init(&wrapped, size + 64);
	buffer_append_string(&wrapped, " (lead (nested)) \r\n\t");
	buffer_append(&wrapped, text, size);
	buffer_append_string(&wrapped, " (trail)");
	address_list_init(&again, ADDRESS_LIST_MAX);
	REQUIRE(address_list_parse(buffer_slice(&wrapped), NULL, &again) == ADDRESS_LIST_OK);
	require_same_lists(list, from, &again, 0);
	address_list_free(&again);
	buffer_free(&wrapped);
}

static void require_maximum(struct slice text, size_t added)
{
	struct address_list small;

	if (added == 0)
		return;
	address_list_init(&small, added - 1);
	REQUIRE(address_list_parse(text, NULL, &small) == ADDRESS_LIST_TOO_MANY);
	REQUIRE(small.count == 0);
	address_list_free(&small);
}

static void require_unqualified_compatible(struct slice text, enum address_list_result result,
                                           const struct address_list *list, size_t from)
{
	struct address_list other;
	enum address_list_result qualified;

	address_list_init(&other, ADDRESS_LIST_MAX);
	qualified = address_list_parse(text, "default.example", &other);
	if (result == ADDRESS_LIST_OK || result == ADDRESS_LIST_EMPTY) {
		REQUIRE(qualified == result);
		require_same_lists(list, from, &other, 0);
	}
	if (qualified == ADDRESS_LIST_OK)
		require_round_trip(&other, 0);
	address_list_free(&other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct address_list list;
	enum address_list_result result;

	if (size > 0)
		memcpy(text, data, size);
	address_list_init(&list, ADDRESS_LIST_MAX);
	REQUIRE(address_list_parse(slice_from_string("first@example.org"), NULL, &list) == ADDRESS_LIST_OK);
	result = address_list_parse(slice_make(text, size), NULL, &list);
	REQUIRE(result <= ADDRESS_LIST_TOO_MANY);
	REQUIRE(list.count >= 1 && strcmp(list.addresses[0].local, "first") == 0);
	if (memchr(text, '\0', size) != NULL)
		REQUIRE(result == ADDRESS_LIST_BAD_BYTES);
	if (result != ADDRESS_LIST_OK)
		REQUIRE(list.count == 1);
	if (result == ADDRESS_LIST_OK) {
		require_round_trip(&list, 1);
		require_cfws_is_ignored(text, size, &list, 1);
		require_maximum(slice_make(text, size), list.count - 1);
	}
	require_unqualified_compatible(slice_make(text, size), result, &list, 1);
	address_list_free(&list);
	free(text);
	return 0;
}
