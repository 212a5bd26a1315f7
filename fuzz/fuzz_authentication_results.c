/* fuzz_authentication_results: libFuzzer harness for the reading half of
 * src/mailauth/authentication_results.c, asserting properties, not only survival. The input
 * is used twice, each time from an exactly-sized copy so ASan catches any read past it:
 * - as a field body: the result is one of the enum's values; an accepted authserv-id is
 *   non-empty and within AUTHENTICATION_RESULTS_ID_MAX; one without controls, written back by
 *   authentication_results_format, reads back the same (and the field is one CRLF-ended line
 *   or folds);
 * - as a header section: every field authentication_results_to_remove names is an
 *   Authentication-Results field, in increasing order, and it names the same ones for the
 *   same id in another case (§5 compares ASCII case-insensitively). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/authentication_results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_authentication_results: property failed at line %d: %s\n", __LINE__,     \
			        #condition);                                                                           \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

#define NAME "Authentication-Results:"

static bool has_control(const char *id)
{
	for (; *id != '\0'; id++)
		if ((unsigned char)*id < 0x20 || *id == 0x7f)
			return true;
	return false;
}

static void check_round_trip(const char *id)
{
	struct buffer field;
	char again[AUTHENTICATION_RESULTS_ID_MAX + 1];
	size_t name = strlen(NAME);

	buffer_init(&field, 1 << 16);
	REQUIRE(authentication_results_format(id, NULL, 0, &field));
	REQUIRE(field.length > name + 2 && memcmp(field.data + field.length - 2, "\r\n", 2) == 0);
	if (strlen(id) <= AUTHENTICATION_RESULTS_ID_MAX / 2) { /* quoting may double it */
		REQUIRE(authentication_results_parse_id(slice_sub(buffer_slice(&field), name, field.length - name - 2),
		                                        again) == AUTHENTICATION_RESULTS_OK);
		REQUIRE(strcmp(id, again) == 0);
	}
	buffer_free(&field);
}

static void check_field(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	char id[AUTHENTICATION_RESULTS_ID_MAX + 1];
	enum authentication_results_result result;

	if (size > 0)
		memcpy(text, data, size);
	result = authentication_results_parse_id(slice_make(text, size), id);
	REQUIRE(result <= AUTHENTICATION_RESULTS_TOO_LONG);
	if (result == AUTHENTICATION_RESULTS_OK) {
		REQUIRE(id[0] != '\0' && strlen(id) <= AUTHENTICATION_RESULTS_ID_MAX);
		if (!has_control(id))
			check_round_trip(id);
	}
	free(text);
}

static void check_header(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct header_fields *fields = malloc(sizeof *fields);
	size_t *drop = malloc(sizeof *drop * HEADER_FIELDS_MAX), *again = malloc(sizeof *again * HEADER_FIELDS_MAX);

	if (size > 0)
		memcpy(text, data, size);
	if (header_fields_parse(slice_make(text, size), fields) == HEADER_FIELDS_OK) {
		size_t count = authentication_results_to_remove(fields, "mx.example.org", drop);
		REQUIRE(count <= fields->count);
		for (size_t i = 0; i < count; i++) {
			REQUIRE(drop[i] < fields->count && (i == 0 || drop[i] > drop[i - 1]));
			REQUIRE(slice_equal_string_nocase(fields->fields[drop[i]].name, "Authentication-Results"));
		}
		REQUIRE(authentication_results_to_remove(fields, "MX.Example.ORG", again) == count);
		REQUIRE(count == 0 || memcmp(drop, again, count * sizeof *drop) == 0);
	}
	free(again);
	free(drop);
	free(fields);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_field(data, size);
	check_header(data, size);
	return 0;
}
