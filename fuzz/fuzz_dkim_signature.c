/* fuzz_dkim_signature: libFuzzer harness for src/mailauth/dkim_signature.c, asserting
 * properties, not only survival. The input is a DKIM-Signature field value, copied into an
 * exactly-sized buffer so ASan catches any read past it. For every input:
 * - the result is one of the enum's values, and every slice of an accepted signature lies
 *   inside the input;
 * - an accepted signature has what RFC 6376 §3.5 requires (bh= of 32 octets, a non-empty b=,
 *   From in h=), and formats to a field folded to 78 columns with one final CRLF;
 * - parse(format(parse(x))) == parse(x);
 * - the formatted field with b= emptied is a prefix of the full one up to "b=" (§3.7). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dkim_signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_dkim_signature: property failed at line %d: %s\n", __LINE__, #condition); \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

#define PREFIX "DKIM-Signature:"

static void require_inside(struct slice slice, const char *text, size_t size)
{
	REQUIRE(slice.length == 0 || (slice.data >= text && slice.data + slice.length <= text + size));
}

static void require_valid(const struct dkim_signature *s, const char *text, size_t size)
{
	bool from = false;

	require_inside(s->domain, text, size);
	require_inside(s->selector, text, size);
	require_inside(s->identity, text, size);
	REQUIRE(s->domain.length > 0 && s->selector.length > 0);
	REQUIRE(s->body_hash_length == 32 && s->signature_length > 0);
	REQUIRE(s->header_count > 0 && s->header_count <= DKIM_SIGNATURE_HEADERS_MAX);
	for (size_t i = 0; i < s->header_count; i++) {
		require_inside(s->headers[i], text, size);
		from = from || slice_equal_string_nocase(s->headers[i], "from");
	}
	REQUIRE(from);
	REQUIRE(!s->has_timestamp || !s->has_expiration || s->expiration > s->timestamp);
}

static void require_same(const struct dkim_signature *a, const struct dkim_signature *b)
{
	REQUIRE(a->algorithm == b->algorithm && a->header_canon == b->header_canon && a->body_canon == b->body_canon);
	REQUIRE(slice_equal(a->domain, b->domain) && slice_equal(a->selector, b->selector));
	REQUIRE(a->has_identity == b->has_identity && slice_equal(a->identity, b->identity));
	REQUIRE(a->header_count == b->header_count);
	for (size_t i = 0; i < a->header_count; i++)
		REQUIRE(slice_equal(a->headers[i], b->headers[i]));
	REQUIRE(a->has_query == b->has_query);
	REQUIRE(a->has_length == b->has_length && a->length == b->length);
	REQUIRE(a->has_timestamp == b->has_timestamp && a->timestamp == b->timestamp);
	REQUIRE(a->has_expiration == b->has_expiration && a->expiration == b->expiration);
	REQUIRE(a->body_hash_length == b->body_hash_length && memcmp(a->body_hash, b->body_hash, 32) == 0);
	REQUIRE(a->signature_length == b->signature_length &&
	        memcmp(a->signature, b->signature, a->signature_length) == 0);
}

/* Lines joined by CRLF TAB, and one final CRLF. (The 78-column limit is the unit tests': a
 * 253-octet domain cannot fold.) */
static void require_folded(const struct buffer *field)
{
	REQUIRE(field->length > strlen(PREFIX) + 2 && memcmp(field->data, PREFIX, strlen(PREFIX)) == 0);
	REQUIRE(memcmp(field->data + field->length - 2, "\r\n", 2) == 0);
	for (size_t i = 0; i + 2 < field->length; i++)
		if (field->data[i] == '\r')
			REQUIRE(field->data[i + 1] == '\n' && field->data[i + 2] == '\t');
}

static void check_format(const struct dkim_signature *first)
{
	struct dkim_signature *second = malloc(sizeof *second), *empty = malloc(sizeof *empty);
	struct buffer field, unsigned_field;
	size_t prefix = strlen(PREFIX);

	buffer_init(&field, 1 << 20);
	buffer_init(&unsigned_field, 1 << 20);
	REQUIRE(dkim_signature_format(first, &field));
	require_folded(&field);
	REQUIRE(dkim_signature_parse(slice_sub(buffer_slice(&field), prefix, field.length - prefix - 2), second) ==
	        DKIM_SIGNATURE_OK);
	require_same(first, second);
	memcpy(empty, first, sizeof *empty);
	empty->signature_length = 0;
	REQUIRE(dkim_signature_format(empty, &unsigned_field));
	REQUIRE(unsigned_field.length > 4 && memcmp(unsigned_field.data + unsigned_field.length - 4, "b=\r\n", 4) == 0);
	REQUIRE(memcmp(field.data, unsigned_field.data, unsigned_field.length - 2) == 0);
	buffer_free(&field);
	buffer_free(&unsigned_field);
	free(empty);
	free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct dkim_signature *signature = malloc(sizeof *signature);
	enum dkim_signature_result result;

	if (size > 0)
		memcpy(text, data, size);
	result = dkim_signature_parse(slice_make(text, size), signature);
	REQUIRE(result <= DKIM_SIGNATURE_BAD_TIMES);
	if (result == DKIM_SIGNATURE_OK) {
		require_valid(signature, text, size);
		check_format(signature);
	}
	free(signature);
	free(text);
	return 0;
}
