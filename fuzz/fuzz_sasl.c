/* fuzz_sasl: libFuzzer harness for src/smtp/sasl.c and src/util/base64.c, asserting properties,
 * not only survival. The input is copied into an exactly-sized buffer so ASan catches any read
 * past the slice. For each input:
 * - base64: decode(encode(x)) == x, and text that decodes re-encodes to itself (canonical only);
 * - PLAIN: on the raw input (as base64) SASL_OK means NUL-terminated fields within their arrays,
 *   the length limits, and re-encoding authzid NUL user NUL password decodes to the same fields;
 *   on the input encoded, the result matches a direct model of RFC 4616 §2 and our limits;
 * - LOGIN lines: the same model for one value;
 * - AUTH argument: SASL_OK only for a valid mechanism name, initial a view into the argument,
 *   and swapping ASCII case changes neither result nor mechanism. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/sasl.h"
#include "util/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_sasl: property failed at line %d: %s\n", __LINE__, #condition);          \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

#define BIG (1u << 20)

static void check_base64(struct slice input)
{
	struct buffer text, bytes;

	buffer_init(&text, BIG);
	buffer_init(&bytes, BIG);
	base64_encode(input, &text);
	REQUIRE(text.length == base64_encoded_length(input.length));
	REQUIRE(base64_decode(buffer_slice(&text), &bytes));
	REQUIRE(slice_equal(buffer_slice(&bytes), input));
	buffer_clear(&text);
	buffer_clear(&bytes);
	if (base64_decode(input, &bytes)) {
		REQUIRE(input.length % 4 == 0 && bytes.length <= input.length / 4 * 3);
		base64_encode(buffer_slice(&bytes), &text);
		REQUIRE(slice_equal(buffer_slice(&text), input));
	} else {
		REQUIRE(bytes.length == 0);
	}
	buffer_free(&text);
	buffer_free(&bytes);
}

/* A NUL inside the array, at most maximum bytes before it, none of them CR or LF. */
static size_t require_field(const char *field, size_t array_size, size_t minimum)
{
	const char *end = memchr(field, '\0', array_size);

	REQUIRE(end != NULL);
	REQUIRE((size_t)(end - field) >= minimum);
	REQUIRE(memchr(field, '\r', (size_t)(end - field)) == NULL &&
	        memchr(field, '\n', (size_t)(end - field)) == NULL);
	return (size_t)(end - field);
}

static void encode_credentials(const struct sasl_credentials *credentials, struct buffer *text)
{
	struct buffer message;

	buffer_init(&message, BIG);
	buffer_append_string(&message, credentials->authzid);
	buffer_append(&message, "", 1);
	buffer_append_string(&message, credentials->user);
	buffer_append(&message, "", 1);
	buffer_append_string(&message, credentials->password);
	base64_encode(buffer_slice(&message), text);
	buffer_free(&message);
}

static void check_plain_raw(struct slice input)
{
	struct sasl_credentials credentials, again;
	struct buffer text;
	enum sasl_result result = sasl_decode_plain(input, &credentials);

	REQUIRE(result <= SASL_TOO_LONG);
	if (result != SASL_OK) {
		REQUIRE(credentials.authzid[0] == '\0' && credentials.user[0] == '\0' &&
		        credentials.password[0] == '\0');
		return;
	}
	require_field(credentials.authzid, sizeof credentials.authzid, 0);
	require_field(credentials.user, sizeof credentials.user, 1);
	require_field(credentials.password, sizeof credentials.password, 1);
	buffer_init(&text, BIG);
	encode_credentials(&credentials, &text);
	REQUIRE(slice_equal(buffer_slice(&text), input)); /* strict base64 is canonical */
	REQUIRE(sasl_decode_plain(buffer_slice(&text), &again) == SASL_OK);
	REQUIRE(strcmp(again.authzid, credentials.authzid) == 0 && strcmp(again.user, credentials.user) == 0 &&
	        strcmp(again.password, credentials.password) == 0);
	buffer_free(&text);
}

static size_t count_byte(struct slice slice, char c)
{
	size_t count = 0;

	for (size_t i = 0; i < slice.length; i++)
		count += slice.data[i] == c;
	return count;
}

/* RFC 4616 §2 and our limits, stated directly: exactly two NULs, no CR or LF, non-empty user and
 * password, each field shorter than its array. */
static enum sasl_result model_plain(struct slice message)
{
	const char *first, *second;
	size_t authzid, user, password;

	if (base64_encoded_length(message.length) > SASL_RESPONSE_MAX)
		return SASL_TOO_LONG;
	if (count_byte(message, '\0') != 2 || count_byte(message, '\r') || count_byte(message, '\n'))
		return SASL_SYNTAX;
	first = memchr(message.data, '\0', message.length);
	second = memchr(first + 1, '\0', message.length - (size_t)(first + 1 - message.data));
	authzid = (size_t)(first - message.data);
	user = (size_t)(second - first - 1);
	password = message.length - authzid - user - 2;
	if (user == 0 || password == 0 || authzid >= 256 || user >= 256 || password >= 1024)
		return SASL_SYNTAX;
	return SASL_OK;
}

static void check_plain_encoded(struct slice input)
{
	struct sasl_credentials credentials;
	struct buffer text;
	enum sasl_result result;

	buffer_init(&text, BIG);
	base64_encode(input, &text);
	result = sasl_decode_plain(buffer_slice(&text), &credentials);
	REQUIRE(result == model_plain(input));
	if (result == SASL_OK) {
		size_t a = strlen(credentials.authzid), u = strlen(credentials.user);
		REQUIRE(memcmp(input.data, credentials.authzid, a) == 0);
		REQUIRE(memcmp(input.data + a + 1, credentials.user, u) == 0);
		REQUIRE(strlen(credentials.password) == input.length - a - u - 2);
		REQUIRE(memcmp(input.data + a + u + 2, credentials.password, input.length - a - u - 2) == 0);
	}
	buffer_free(&text);
}

static void check_line(struct slice input)
{
	char out[256];
	struct buffer text;
	enum sasl_result result, expected = SASL_OK;

	buffer_init(&text, BIG);
	base64_encode(input, &text);
	result = sasl_decode_line(buffer_slice(&text), out, sizeof out);
	if (text.length > SASL_RESPONSE_MAX)
		expected = SASL_TOO_LONG;
	else if (input.length == 0 || input.length >= sizeof out || count_byte(input, '\0') ||
	         count_byte(input, '\r') || count_byte(input, '\n'))
		expected = SASL_SYNTAX;
	REQUIRE(result == expected);
	if (result == SASL_OK)
		REQUIRE(strlen(out) == input.length && memcmp(out, input.data, input.length) == 0);
	else
		REQUIRE(out[0] == '\0');
	result = sasl_decode_line(input, out, sizeof out);
	REQUIRE(result <= SASL_TOO_LONG);
	if (result == SASL_OK)
		require_field(out, sizeof out, 1);
	buffer_free(&text);
}

static char *swap_case(const char *text, size_t size)
{
	char *copy = malloc(size ? size : 1);

	for (size_t i = 0; i < size; i++) {
		char c = text[i];
		copy[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ? (char)(c ^ 0x20) : c;
	}
	return copy;
}

static void check_auth(struct slice input)
{
	enum sasl_mechanism mechanism, other_mechanism;
	bool has_initial, other_has_initial;
	struct slice initial, other_initial;
	enum sasl_result result = sasl_parse_auth(input, &mechanism, &has_initial, &initial);
	char *swapped = swap_case(input.data, input.length);

	REQUIRE(result <= SASL_TOO_LONG && result != SASL_BAD_BASE64 && result != SASL_CANCELLED);
	REQUIRE(sasl_parse_auth(slice_make(swapped, input.length), &other_mechanism, &other_has_initial,
	                        &other_initial) == result);
	REQUIRE(other_mechanism == mechanism && other_has_initial == has_initial &&
	        other_initial.length == initial.length);
	if (result != SASL_OK) {
		REQUIRE(mechanism == SASL_UNKNOWN && !has_initial && initial.length == 0);
	} else {
		REQUIRE(input.length > 0 && input.data[0] != ' ');
		REQUIRE(initial.length == 0 ||
		        (initial.data > input.data && initial.data + initial.length == input.data + input.length));
		REQUIRE(initial.length <= SASL_RESPONSE_MAX && memchr(initial.data, ' ', initial.length) == NULL);
		REQUIRE(has_initial || initial.length == 0);
		if (has_initial && initial.length == 0)
			REQUIRE(input.length >= 2 && memcmp(input.data + input.length - 2, " =", 2) == 0);
		if (mechanism == SASL_PLAIN)
			REQUIRE(input.length >= 5 && strncasecmp(input.data, "plain", 5) == 0);
	}
	free(swapped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct slice input;

	if (size > 0)
		memcpy(text, data, size);
	input = slice_make(text, size);
	check_base64(input);
	check_plain_raw(input);
	check_plain_encoded(input);
	check_line(input);
	check_auth(input);
	free(text);
	return 0;
}
