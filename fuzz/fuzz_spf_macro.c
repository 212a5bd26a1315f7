/* fuzz_spf_macro: libFuzzer harness for src/mailauth/spf_macro.c. The first byte picks the
 * kind (domain-spec, unknown-modifier value, explanation); the rest is the macro-string, in an
 * exactly-sized buffer. For every input:
 * - expansion fails with SYNTAX exactly when spf_macro_is_valid says no (the values are short,
 *   so TOO_LONG cannot happen... except by a long run of escapes, which is allowed);
 * - a domain-spec is a valid macro-string; its expansion as a name has at most 253 characters
 *   and no trailing dot (RFC 7208 §7.3);
 * - a string without "%" expands to itself; expansion is deterministic. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/spf_macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_spf_macro: property failed at line %d: %s\n", __LINE__, #condition);     \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_macro_values values = {.sender = "strong-bad@email.example.com", .local_part = "strong-bad",
	                                  .sender_domain = "email.example.com", .domain = "email.example.com",
	                                  .helo = "mx.example.org", .now = 1700000000, .ipv6 = size % 2 == 0};
	enum spf_macro_kind kind;
	char *text, name[SPF_MACRO_DOMAIN_MAX + 1];
	struct buffer first, second;
	enum spf_macro_result result;
	struct slice macro;

	if (size == 0)
		return 0;
	kind = (enum spf_macro_kind)(data[0] % 3);
	inet_pton(values.ipv6 ? AF_INET6 : AF_INET, values.ipv6 ? "2001:db8::cb01" : "192.0.2.3", values.address);
	text = malloc(size - 1 ? size - 1 : 1);
	memcpy(text, data + 1, size - 1);
	macro = slice_make(text, size - 1);
	buffer_init(&first, SPF_MACRO_OUTPUT_MAX);
	buffer_init(&second, SPF_MACRO_OUTPUT_MAX);
	result = spf_macro_expand(macro, kind, &values, &first);
	REQUIRE(result <= SPF_MACRO_TOO_LONG);
	REQUIRE((result == SPF_MACRO_SYNTAX) == !spf_macro_is_valid(macro, kind));
	REQUIRE(spf_macro_expand(macro, kind, &values, &second) == result);
	REQUIRE(first.length == second.length && (first.length == 0 || memcmp(first.data, second.data, first.length) == 0));
	if (result == SPF_MACRO_OK && memchr(text, '%', size - 1) == NULL)
		REQUIRE(first.length == size - 1 && (size == 1 || memcmp(first.data, text, size - 1) == 0));
	if (spf_macro_is_domain_spec(macro)) {
		REQUIRE(spf_macro_is_valid(macro, SPF_MACRO_DOMAIN));
		if (spf_macro_expand_domain(macro, &values, name) == SPF_MACRO_OK) {
			size_t length = strlen(name);
			REQUIRE(length <= SPF_MACRO_DOMAIN_MAX);
			REQUIRE(length == 0 || name[length - 1] != '.' || (length >= 2 && name[length - 2] == '.'));
		}
	}
	buffer_free(&first);
	buffer_free(&second);
	free(text);
	return 0;
}
