/* fuzz_dkim_key: libFuzzer harness for src/mailauth/dkim_key.c, asserting properties, not only
 * survival. The input is a key record's text, copied into an exactly-sized buffer so ASan
 * catches any read past it. For every input:
 * - the result is one of the enum's values; error_tag lies inside the input;
 * - an accepted key is revoked exactly when it has no key octets, and has at most 3/4 as many
 *   key octets as the input has bytes (base64, RFC 4648 §4);
 * - parsing is deterministic, and a record accepted with "v=DKIM1; " put first is accepted
 *   again alike, unless it already names v= (RFC 6376 §3.6.1) or is at the cap of tags. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dkim_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_dkim_key: property failed at line %d: %s\n", __LINE__, #condition);      \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

#define VERSION "v=DKIM1; "

static void require_same(const struct dkim_key *a, const struct dkim_key *b)
{
	REQUIRE(a->type == b->type && a->sha256_acceptable == b->sha256_acceptable);
	REQUIRE(a->email_service == b->email_service && a->testing == b->testing);
	REQUIRE(a->strict_identity == b->strict_identity && a->revoked == b->revoked);
	REQUIRE(a->public_key_length == b->public_key_length &&
	        memcmp(a->public_key, b->public_key, a->public_key_length) == 0);
}

/* A second v= breaks a record; so does one tag more past the parser's cap of tags (32). */
#define TAGS_NEAR_CAP 31

static size_t count_byte(const char *text, size_t size, char byte)
{
	size_t count = 0;

	for (size_t i = 0; i < size; i++)
		count += text[i] == byte;
	return count;
}

static void check_with_version(const char *text, size_t size, const struct dkim_key *first)
{
	char *versioned = malloc(size + strlen(VERSION));
	struct dkim_key *again = malloc(sizeof *again);

	memcpy(versioned, VERSION, strlen(VERSION));
	memcpy(versioned + strlen(VERSION), text, size);
	if (dkim_key_parse(slice_make(versioned, size + strlen(VERSION)), again) == DKIM_KEY_OK)
		require_same(first, again);
	else
		REQUIRE(memchr(text, 'v', size) != NULL || count_byte(text, size, '=') >= TAGS_NEAR_CAP);
	free(again);
	free(versioned);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct dkim_key *key = malloc(sizeof *key), *again = malloc(sizeof *again);
	enum dkim_key_result result;

	if (size > 0)
		memcpy(text, data, size);
	result = dkim_key_parse(slice_make(text, size), key);
	REQUIRE(result <= DKIM_KEY_BAD_VALUE);
	REQUIRE(dkim_key_result_text(result) != NULL);
	REQUIRE(key->error_tag.length == 0 || slice_equal(key->error_tag, slice_from_string("p")) ||
	        (key->error_tag.data >= text && key->error_tag.data + key->error_tag.length <= text + size));
	REQUIRE(dkim_key_parse(slice_make(text, size), again) == result);
	if (result == DKIM_KEY_OK) {
		require_same(key, again);
		REQUIRE(key->revoked == (key->public_key_length == 0));
		REQUIRE(key->public_key_length <= DKIM_KEY_PUBLIC_MAX && key->public_key_length * 4 <= size * 3);
		if (size + strlen(VERSION) <= DKIM_KEY_RECORD_MAX)
			check_with_version(text, size, key);
	}
	free(again);
	free(key);
	free(text);
	return 0;
}
