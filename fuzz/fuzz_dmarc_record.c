/* fuzz_dmarc_record: libFuzzer harness for src/mailauth/dmarc_record.c, asserting properties,
 * not only survival. The input is a TXT record's text, copied into an exactly-sized buffer so
 * ASan catches any read past it. For every input:
 * - the result is one of the enum's values, and the URI lists and error tag lie inside the input;
 * - a record that parses has a policy, pct within 0..100 and fo= options set;
 * - a record refused as NOT_DMARC is one dmarc_record_is_dmarc refuses, and a record accepted
 *   is one it accepts (§6.6.3 discovery and the parser agree on what a DMARC record is);
 * - parsing is deterministic: a second parse of the same bytes gives the same result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dmarc_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_dmarc_record: property failed at line %d: %s\n", __LINE__, #condition);  \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

static void require_inside(struct slice slice, const char *text, size_t size)
{
	REQUIRE(slice.length == 0 || (slice.data >= text && slice.data + slice.length <= text + size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct dmarc_record record, again;
	enum dmarc_record_result result;

	if (size > 0)
		memcpy(text, data, size);
	result = dmarc_record_parse(slice_make(text, size), &record);
	REQUIRE(result <= DMARC_RECORD_BAD_VALUE);
	require_inside(record.aggregate_uris, text, size);
	require_inside(record.failure_uris, text, size);
	if (!slice_equal(record.error_tag, slice_from_string("v")) &&
	    !slice_equal(record.error_tag, slice_from_string("p")))
		require_inside(record.error_tag, text, size); /* else the parser's own name of a missing tag */
	REQUIRE(record.percent <= DMARC_RECORD_PERCENT_MAX || result == DMARC_RECORD_BAD_VALUE);
	if (result == DMARC_RECORD_OK) {
		REQUIRE(record.has_policy && record.failure_options != 0);
		REQUIRE(record.aggregate_uri_count > 0 || record.aggregate_uris.length == 0);
		REQUIRE(dmarc_record_is_dmarc(slice_make(text, size)));
	}
	if (result == DMARC_RECORD_NOT_DMARC)
		REQUIRE(!dmarc_record_is_dmarc(slice_make(text, size)));
	REQUIRE(dmarc_record_parse(slice_make(text, size), &again) == result);
	free(text);
	return 0;
}
