/* fuzz_mta_sts: libFuzzer harness for src/check/mta_sts.c, asserting properties, not only
 * survival. The input, copied into an exactly-sized buffer so ASan catches any read past it,
 * goes to all three parsers (policy, _mta-sts record, TLS-RPT record). For every input:
 * - an accepted policy has a mode, max_age within RFC 8461 §3.2's year, at most
 *   MTA_STS_MX_MAX lower-case mx patterns, at least one unless mode is none, and each pattern
 *   covers a host it names (itself, or one label in place of "*");
 * - CRLF and LF line ends mean the same: the policy with every CRLF made LF parses alike;
 * - an accepted record's id is 1-32 letters and digits (§3.1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/mta_sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_mta_sts: property failed at line %d: %s\n", __LINE__, #condition);       \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

static void require_valid(const struct mta_sts_policy *policy)
{
	char host[DNS_NAME_MAX + 2];

	REQUIRE(policy->mode <= MTA_STS_MODE_ENFORCE);
	REQUIRE(policy->max_age <= MTA_STS_MAX_AGE_MAX);
	REQUIRE(policy->mx_count <= MTA_STS_MX_MAX);
	REQUIRE(policy->mx_count > 0 || policy->mode == MTA_STS_MODE_NONE);
	for (size_t i = 0; i < policy->mx_count; i++) {
		const char *pattern = policy->mx[i];
		for (const char *p = pattern; *p; p++)
			REQUIRE(!(*p >= 'A' && *p <= 'Z'));
		if (pattern[0] == '*')
			snprintf(host, sizeof host, "x%s", pattern + 1);
		else
			snprintf(host, sizeof host, "%s", pattern);
		REQUIRE(mta_sts_policy_matches(policy, host));
	}
}

static void require_same(const struct mta_sts_policy *a, const struct mta_sts_policy *b)
{
	REQUIRE(a->mode == b->mode && a->max_age == b->max_age && a->mx_count == b->mx_count);
	for (size_t i = 0; i < a->mx_count; i++)
		REQUIRE(strcmp(a->mx[i], b->mx[i]) == 0);
}

/* The input with every CRLF made LF, into out (size bytes at least); returns its length. */
static size_t to_lf(const char *text, size_t size, char *out)
{
	size_t length = 0;

	for (size_t i = 0; i < size; i++)
		if (!(text[i] == '\r' && i + 1 < size && text[i + 1] == '\n'))
			out[length++] = text[i];
	return length;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	char *lf = malloc(size ? size : 1);
	static struct mta_sts_policy policy, again;
	char id[MTA_STS_ID_MAX + 1];
	enum mta_sts_result result;
	size_t lf_length;

	memcpy(text, data, size);
	result = mta_sts_policy_parse(text, size, &policy);
	REQUIRE(result <= MTA_STS_TOO_LONG);
	if (result == MTA_STS_OK)
		require_valid(&policy);
	lf_length = to_lf(text, size, lf);
	if (result == MTA_STS_OK) {
		REQUIRE(mta_sts_policy_parse(lf, lf_length, &again) == MTA_STS_OK);
		require_same(&policy, &again);
	}
	if (mta_sts_record_parse(text, size, id) == MTA_STS_RECORD_OK) {
		size_t length = strlen(id);
		REQUIRE(length >= 1 && length <= MTA_STS_ID_MAX);
		for (size_t i = 0; i < length; i++)
			REQUIRE((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
			        (id[i] >= 'A' && id[i] <= 'Z'));
	}
	REQUIRE(mta_sts_tlsrpt_parse(text, size) <= MTA_STS_RECORD_MALFORMED);
	free(lf);
	free(text);
	return 0;
}
