/* test_dmarc_from: the Author Domain of RFC 7489 §6.6.1 from a header section, one row per
 * rule: exactly one From field (RFC 5322 §3.6) with exactly one mailbox, its domain lower-cased. */
#include <stddef.h>

#include "check.h"
#include "mailauth/dmarc_from.h"

struct from_case {
	const char *name;
	const char *header;
	enum dmarc_from_result result;
	const char *domain;
};

/* clang-format off */
static const struct from_case cases[] = {
	{"rfc5322_3_6_2_addr_spec", "From: alice@example.com\r\n\r\n", DMARC_FROM_OK, "example.com"},
	{"rfc5322_3_6_2_name_addr", "From: \"Alice\" <alice@Mail.EXAMPLE.com>\r\nTo: b@x.test\r\n\r\nbody", DMARC_FROM_OK,
	 "mail.example.com"},
	{"rfc5322_3_6_2_folded_comment", "Subject: x\r\nfrom: (c) Alice\r\n <alice@example.com> (d)\r\n\r\n", DMARC_FROM_OK,
	 "example.com"},
	{"rfc5322_3_6_no_body", "From: a@example.com\r\n", DMARC_FROM_OK, "example.com"},
	{"rfc5322_3_6_missing", "To: a@example.com\r\n\r\n", DMARC_FROM_MISSING, ""},
	{"rfc7489_6_6_1_several_fields", "From: a@example.com\r\nFrom: b@evil.test\r\n\r\n", DMARC_FROM_SEVERAL_FIELDS, ""},
	{"rfc7489_6_6_1_several_fields_any_case", "From: a@example.com\r\nFROM: a@example.com\r\n\r\n",
	 DMARC_FROM_SEVERAL_FIELDS, ""},
	{"rfc7489_6_6_1_several_addresses", "From: a@example.com, b@evil.test\r\n\r\n", DMARC_FROM_SEVERAL_ADDRESSES, ""},
	{"rfc7489_6_6_1_group", "From: team: a@example.com, b@example.com;\r\n\r\n", DMARC_FROM_SEVERAL_ADDRESSES, ""},
	{"rfc7489_6_6_1_empty_group", "From: undisclosed:;\r\n\r\n", DMARC_FROM_UNUSABLE, ""},
	{"rfc7489_6_6_1_empty", "From: \r\n\r\n", DMARC_FROM_UNUSABLE, ""},
	{"rfc7489_6_6_1_no_domain", "From: alice\r\n\r\n", DMARC_FROM_UNUSABLE, ""},
	{"rfc7489_6_6_1_address_literal", "From: a@[192.0.2.1]\r\n\r\n", DMARC_FROM_UNUSABLE, ""},
	{"rfc7489_6_6_1_garbage", "From: <<<\r\n\r\n", DMARC_FROM_UNUSABLE, ""},
	{"rfc5322_2_2_bare_lf_header", "From: a@example.com\nTo: b\r\n\r\n", DMARC_FROM_UNUSABLE, ""},
};
/* clang-format on */

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char domain[DMARC_FROM_DOMAIN_SIZE];
		CHECK_INT(dmarc_from_domain(slice_from_string(cases[i].header), domain), cases[i].result);
		CHECK_STR(domain, cases[i].domain);
		if (check_failures_in_test) {
			fprintf(stderr, "  in case %s\n", cases[i].name);
			return;
		}
	}
}

static void test_names(void)
{
	CHECK_STR(dmarc_from_result_name(DMARC_FROM_SEVERAL_FIELDS), "several From fields");
	CHECK_STR(dmarc_from_result_name(DMARC_FROM_MISSING), "no From field");
}

int main(void)
{
	RUN(test_cases);
	RUN(test_names);
	return check_summary("test_dmarc_from");
}
