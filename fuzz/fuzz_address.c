/* fuzz_address: libFuzzer harness for src/smtp/address.c, asserting properties, not only
 * survival. The input is copied into an exactly-sized buffer so ASan catches any read past
 * the slice. For every combination of flags:
 * - ADDRESS_OK means consumed <= size, the path starts with "<" and ends with ">", local and
 *   domain are NUL-terminated inside their arrays with no control byte, the limits of
 *   RFC 5321 §4.5.3.1 hold, and is_null / is_postmaster / has_utf8 agree with the flags;
 * - address_format's output, wrapped in <>, parses back to the same local part and domain;
 * - allowing more never rejects what was accepted; swapping ASCII case changes no result;
 * - a bare mailbox that parses also parses as a path, and a valid domain parses in a mailbox. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALL_FLAGS (ADDRESS_ALLOW_NULL | ADDRESS_ALLOW_POSTMASTER | ADDRESS_ALLOW_UTF8)

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_address: property failed at line %d: %s\n", __LINE__, #condition);       \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* A NUL inside the array, and before it neither controls nor DEL. */
static void require_clean_string(const char *string, size_t array_size, size_t maximum)
{
	const char *end = memchr(string, '\0', array_size);

	REQUIRE(end != NULL);
	REQUIRE((size_t)(end - string) <= maximum);
	for (const char *p = string; p < end; p++)
		REQUIRE((unsigned char)*p >= 0x20 && *p != 0x7F);
}

static bool has_8bit(const char *string, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)string[i] >= 0x80)
			return true;
	return false;
}

static void require_valid_address(const struct address *address, unsigned flags)
{
	require_clean_string(address->local, sizeof address->local, ADDRESS_LOCAL_MAX);
	require_clean_string(address->domain, sizeof address->domain, ADDRESS_DOMAIN_MAX);
	REQUIRE(!address->is_null || (flags & ADDRESS_ALLOW_NULL));
	REQUIRE(!address->is_postmaster || (flags & ADDRESS_ALLOW_POSTMASTER));
	REQUIRE(!(address->is_null && address->is_postmaster));
	REQUIRE(!address->has_utf8 || (flags & ADDRESS_ALLOW_UTF8));
	REQUIRE(address->has_utf8 == (has_8bit(address->local, strlen(address->local)) ||
	                              has_8bit(address->domain, strlen(address->domain))));
	REQUIRE((address->domain_kind == ADDRESS_DOMAIN_NONE) == (address->is_null || address->is_postmaster));
	if (address->is_null)
		REQUIRE(address->local[0] == '\0' && address->domain[0] == '\0');
	if (address->domain_kind == ADDRESS_DOMAIN_NAME)
		REQUIRE(address_domain_is_valid(slice_from_string(address->domain), address->has_utf8));
	if (address->domain_kind >= ADDRESS_DOMAIN_IPV4)
		REQUIRE(address->domain[0] == '[' && address->domain[strlen(address->domain) - 1] == ']');
}

static void require_same(const struct address *a, const struct address *b)
{
	REQUIRE(strcmp(a->local, b->local) == 0);
	REQUIRE(strcmp(a->domain, b->domain) == 0);
	REQUIRE(a->domain_kind == b->domain_kind);
	REQUIRE(a->is_null == b->is_null);
	REQUIRE(a->is_postmaster == b->is_postmaster);
	REQUIRE(a->has_utf8 == b->has_utf8);
}

/* Formats, checks the snprintf-like contract, and parses "<formatted>" back. */
static void require_round_trip(const struct address *address, unsigned flags)
{
	char formatted[ADDRESS_FORMAT_SIZE], small[8], wrapped[ADDRESS_FORMAT_SIZE + 2];
	struct address again;
	size_t length = address_format(address, formatted, sizeof formatted), consumed = 0;

	REQUIRE(length < sizeof formatted && strlen(formatted) == length);
	REQUIRE(address_format(address, small, sizeof small) == length);
	REQUIRE(strlen(small) == (length < sizeof small ? length : sizeof small - 1));
	REQUIRE(strncmp(small, formatted, strlen(small)) == 0);
	snprintf(wrapped, sizeof wrapped, "<%s>", formatted);
	REQUIRE(address_parse_path(slice_from_string(wrapped), flags, &again, &consumed) == ADDRESS_OK);
	REQUIRE(consumed == length + 2);
	require_same(address, &again);
	REQUIRE(address_parse_mailbox(slice_from_string(formatted), flags, &again) == ADDRESS_OK);
	require_same(address, &again);
}

/* ASCII letters swapped: verbs of the grammar are case-insensitive and data is kept as is. */
static char *swap_case(const char *text, size_t size)
{
	char *copy = malloc(size ? size : 1);

	for (size_t i = 0; i < size; i++) {
		char c = text[i];
		copy[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ? (char)(c ^ 0x20) : c;
	}
	return copy;
}

static void check_path(const char *text, size_t size, const char *swapped, unsigned flags)
{
	struct address address, other;
	size_t consumed = 0, other_consumed = 0;
	enum address_result result = address_parse_path(slice_make(text, size), flags, &address, &consumed);

	REQUIRE(result <= ADDRESS_UTF8_NOT_ALLOWED);
	REQUIRE(address_parse_path(slice_make(swapped, size), flags, &other, &other_consumed) == result);
	if (result == ADDRESS_UTF8_NOT_ALLOWED)
		REQUIRE(!(flags & ADDRESS_ALLOW_UTF8) &&
		        address_parse_path(slice_make(text, size), flags | ADDRESS_ALLOW_UTF8, &other,
		                           &other_consumed) == ADDRESS_OK);
	if (result != ADDRESS_OK)
		return;
	REQUIRE(consumed >= 2 && consumed <= size && consumed <= ADDRESS_PATH_MAX);
	REQUIRE(text[0] == '<' && text[consumed - 1] == '>');
	require_valid_address(&address, flags);
	require_round_trip(&address, flags);
	REQUIRE(address_parse_path(slice_make(text, size), ALL_FLAGS, &other, &other_consumed) == ADDRESS_OK);
	REQUIRE(other_consumed == consumed);
	require_same(&address, &other);
	if (!has_8bit(text, consumed))
		REQUIRE(address_parse_path(slice_make(text, size), flags & ~ADDRESS_ALLOW_UTF8, &other,
		                           &other_consumed) == ADDRESS_OK);
}

/* A mailbox that parses also parses as "<mailbox>" to the same address. */
static void check_mailbox(const char *text, size_t size, unsigned flags)
{
	struct address address, other;
	char *wrapped;
	size_t consumed = 0;

	if (address_parse_mailbox(slice_make(text, size), flags, &address) != ADDRESS_OK)
		return;
	REQUIRE(size <= ADDRESS_PATH_MAX - 2);
	require_valid_address(&address, flags);
	require_round_trip(&address, flags);
	wrapped = malloc(size + 2);
	wrapped[0] = '<';
	memcpy(wrapped + 1, text, size);
	wrapped[size + 1] = '>';
	REQUIRE(address_parse_path(slice_make(wrapped, size + 2), flags, &other, &consumed) == ADDRESS_OK);
	REQUIRE(consumed == size + 2);
	require_same(&address, &other);
	free(wrapped);
}

/* A valid domain is valid with UTF-8 allowed too, and parses as the domain of a mailbox. */
static void check_domain(const char *text, size_t size)
{
	bool ascii = address_domain_is_valid(slice_make(text, size), false);
	bool utf8 = address_domain_is_valid(slice_make(text, size), true);
	struct address address;
	char *mailbox;

	REQUIRE(!ascii || utf8);
	if (!utf8)
		return;
	REQUIRE(size > 0 && size <= ADDRESS_DOMAIN_MAX && ascii == !has_8bit(text, size));
	if (size > ADDRESS_PATH_MAX - 4)
		return;
	mailbox = malloc(size + 2);
	memcpy(mailbox, "a@", 2);
	memcpy(mailbox + 2, text, size);
	REQUIRE(address_parse_mailbox(slice_make(mailbox, size + 2), ADDRESS_ALLOW_UTF8, &address) == ADDRESS_OK);
	REQUIRE(address.domain_kind == ADDRESS_DOMAIN_NAME && strlen(address.domain) == size);
	REQUIRE(memcmp(address.domain, text, size) == 0);
	free(mailbox);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	char *swapped;

	if (size > 0)
		memcpy(text, data, size);
	swapped = swap_case(text, size);
	for (unsigned flags = 0; flags <= ALL_FLAGS; flags++) {
		check_path(text, size, swapped, flags);
		check_mailbox(text, size, flags);
	}
	check_domain(text, size);
	free(swapped);
	free(text);
	return 0;
}
