/* fuzz_dkim_check: libFuzzer harness for src/mailauth/dkim_check.c, the verifier's work on a
 * hostile message. The input is a whole message, copied into an exactly-sized buffer so ASan
 * catches any read past it. Each of its first DKIM-Signature fields is prepared (parse, times,
 * body hash with l=, the header hash input with b= deleted, RFC 6376 §3.7, §6.1) and, when a
 * key is wanted, checked against the RFC 8463 appendix A key its selector names. Properties:
 * - the status is one of RFC 8601's, with a reason; the strings of the result are terminated;
 * - a signature that needs a key has parsed: d=, s= and a= are set, header.b has 12 characters
 *   or all of b=, and the key name is "s._domainkey.d";
 * - a field that did not parse is neutral and asks for no key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dkim_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                       \
	do {                                                                                                     \
		if (!(condition)) {                                                                              \
			fprintf(stderr, "fuzz_dkim_check: property failed at line %d: %s\n", __LINE__, #condition); \
			abort();                                                                                 \
		}                                                                                                \
	} while (0)

#define SIGNATURES_TRIED 3
#define NOW              1528637909u /* the RFC 8463 example's t= */

static const char ed25519_record[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char rsa_record[] =
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
	"J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIK"
	"T+l/K4w3QIDAQAB";

static void require_terminated(const char *text, size_t size) { REQUIRE(memchr(text, '\0', size) != NULL); }

static void require_result(const struct dkim_check_result *result)
{
	REQUIRE(result->status <= DKIM_CHECK_PERMERROR);
	REQUIRE(result->reason[0] != '\0' && result->algorithm != NULL);
	require_terminated(result->reason, sizeof result->reason);
	require_terminated(result->domain, sizeof result->domain);
	require_terminated(result->selector, sizeof result->selector);
	require_terminated(result->identity, sizeof result->identity);
	require_terminated(result->header_b, sizeof result->header_b);
	REQUIRE(strlen(dkim_check_status_name(result->status)) > 0);
}

static void check_one(struct slice message, const struct header_fields *fields, size_t index)
{
	struct dkim_check *check = malloc(sizeof *check);
	char name[600], expected[600];

	if (dkim_check_prepare(check, message, fields, index, NOW)) {
		REQUIRE(check->result.domain[0] != '\0' && check->result.selector[0] != '\0');
		REQUIRE(check->result.algorithm[0] != '\0' && strlen(check->result.header_b) > 0);
		dkim_check_key_name(check, name, sizeof name);
		snprintf(expected, sizeof expected, "%s._domainkey.%s", check->result.selector, check->result.domain);
		REQUIRE(strcmp(name, expected) == 0);
		dkim_check_key(check, slice_from_string(strcmp(check->result.selector, "brisbane") == 0 ? ed25519_record
		                                                                                         : rsa_record));
	} else if (check->result.domain[0] == '\0') {
		REQUIRE(check->result.status == DKIM_CHECK_NEUTRAL);
	}
	require_result(&check->result);
	dkim_check_free(check);
	free(check);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct header_fields *fields = malloc(sizeof *fields);
	struct slice message;
	size_t tried = 0;

	if (size > 0)
		memcpy(text, data, size);
	message = slice_make(text, size);
	if (header_fields_parse(message, fields) == HEADER_FIELDS_OK)
		for (size_t i = 0; i < fields->count && tried < SIGNATURES_TRIED; i++)
			if (slice_equal_string_nocase(fields->fields[i].name, "DKIM-Signature")) {
				check_one(message, fields, i);
				tried++;
			}
	free(fields);
	free(text);
	return 0;
}
