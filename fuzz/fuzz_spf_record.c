/* fuzz_spf_record: libFuzzer harness for src/mailauth/spf_record.c, asserting properties, not
 * only survival. The input is a TXT record's text, copied into an exactly-sized buffer so ASan
 * catches any read past it. For every input:
 * - the result is one of the enum's values, and NOT_SPF exactly when spf_record_is_spf says no;
 * - an accepted record has at most SPF_RECORD_TERMS_MAX mechanisms, every slice inside the
 *   input, cidr lengths in range (RFC 7208 §5.6), every domain-spec, redirect= and exp= a
 *   valid domain-spec (§7.1), and only 7-bit visible ASCII or SP in the text (§3.1);
 * - a rejected record names a term inside the input (or none). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/spf_macro.h"
#include "mailauth/spf_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_spf_record: property failed at line %d: %s\n", __LINE__, #condition);    \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

static void require_inside(struct slice slice, const char *text, size_t size)
{
	REQUIRE(slice.length == 0 || (slice.data >= text && slice.data + slice.length <= text + size));
}

static void require_valid(const struct spf_record *record, const char *text, size_t size)
{
	REQUIRE(record->mechanism_count <= SPF_RECORD_TERMS_MAX);
	for (size_t i = 0; i < size; i++)
		REQUIRE(text[i] == ' ' || (text[i] >= 0x21 && text[i] <= 0x7e));
	for (size_t i = 0; i < record->mechanism_count; i++) {
		const struct spf_mechanism *mechanism = &record->mechanisms[i];
		require_inside(mechanism->term, text, size);
		require_inside(mechanism->domain_spec, text, size);
		REQUIRE(mechanism->term.length > 0);
		REQUIRE(mechanism->kind <= SPF_MECHANISM_EXISTS && mechanism->qualifier <= SPF_QUALIFIER_NEUTRAL);
		REQUIRE(mechanism->cidr4 <= SPF_RECORD_CIDR4_MAX && mechanism->cidr6 <= SPF_RECORD_CIDR6_MAX);
		if (mechanism->domain_spec.length > 0)
			REQUIRE(spf_macro_is_domain_spec(mechanism->domain_spec));
		if (mechanism->kind == SPF_MECHANISM_INCLUDE || mechanism->kind == SPF_MECHANISM_EXISTS)
			REQUIRE(mechanism->domain_spec.length > 0);
	}
	if (record->has_redirect) {
		require_inside(record->redirect, text, size);
		REQUIRE(spf_macro_is_domain_spec(record->redirect));
	}
	if (record->has_explanation) {
		require_inside(record->explanation, text, size);
		REQUIRE(spf_macro_is_domain_spec(record->explanation));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct spf_record *record = malloc(sizeof *record);
	enum spf_record_result result;

	if (size > 0)
		memcpy(text, data, size);
	result = spf_record_parse(slice_make(text, size), record);
	REQUIRE(result <= SPF_RECORD_NOT_SPF);
	REQUIRE((result == SPF_RECORD_NOT_SPF) == !spf_record_is_spf(slice_make(text, size)));
	if (result == SPF_RECORD_OK)
		require_valid(record, text, size);
	else
		require_inside(record->error_term, text, size);
	free(record);
	free(text);
	return 0;
}
