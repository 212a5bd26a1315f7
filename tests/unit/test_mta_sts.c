/* test_mta_sts: the MTA-STS policy file (RFC 8461 §3.2), the _mta-sts TXT record (§3.1), mx
 * pattern matching (§4.1) and the TLS-RPT record (RFC 8460 §3), cases named after the rule
 * they check, including the RFC's own examples. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "check/mta_sts.h"

struct policy_case {
	const char *name;
	const char *text;
	enum mta_sts_result result;
};

#define GOOD "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 604800\n"

/* clang-format off */
static const struct policy_case policy_cases[] = {
	{"rfc8461_3_2_example_1", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
	 "mx: backupmx.example.com\r\nmax_age: 604800\r\n", MTA_STS_OK},
	{"rfc8461_3_2_example_lf", GOOD, MTA_STS_OK},
	{"rfc8461_3_2_no_final_newline", "version: STSv1\nmode: none\nmax_age: 1", MTA_STS_OK},
	{"rfc8461_3_2_order_free", "max_age: 86400\nmx: a.example\nmode: testing\nversion: STSv1\n", MTA_STS_OK},
	{"rfc8461_3_2_wsp_around_value", "version:STSv1\nmode:\tenforce \nmx:  mx.example.com\t\nmax_age: 5\n", MTA_STS_OK},
	{"rfc8461_3_2_unknown_key_ignored", GOOD "ext_field: whatever value\n", MTA_STS_OK},
	{"rfc8461_3_2_blank_line_ignored", GOOD "\n\n", MTA_STS_OK},
	{"rfc8461_3_2_version_required", "mode: enforce\nmx: a.example\nmax_age: 5\n", MTA_STS_BAD_VERSION},
	{"rfc8461_3_2_version_stsv1_only", "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 5\n", MTA_STS_BAD_VERSION},
	{"rfc8461_3_2_version_case_sensitive", "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 5\n", MTA_STS_BAD_VERSION},
	{"rfc8461_3_2_mode_required", "version: STSv1\nmx: a.example\nmax_age: 5\n", MTA_STS_BAD_MODE},
	{"rfc8461_3_2_mode_values", "version: STSv1\nmode: report\nmx: a.example\nmax_age: 5\n", MTA_STS_BAD_MODE},
	{"rfc8461_3_2_max_age_required", "version: STSv1\nmode: enforce\nmx: a.example\n", MTA_STS_BAD_MAX_AGE},
	{"rfc8461_3_2_max_age_digits", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1w\n", MTA_STS_BAD_MAX_AGE},
	{"rfc8461_3_2_max_age_empty", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n", MTA_STS_BAD_MAX_AGE},
	{"rfc8461_3_2_max_age_year", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n", MTA_STS_OK},
	{"rfc8461_3_2_max_age_over_year", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", MTA_STS_BAD_MAX_AGE},
	{"rfc8461_3_2_max_age_10_digits", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0000000001\n", MTA_STS_OK},
	{"rfc8461_3_2_max_age_11_digits", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 00000000001\n", MTA_STS_BAD_MAX_AGE},
	{"rfc8461_3_2_mx_required_unless_none", "version: STSv1\nmode: enforce\nmax_age: 5\n", MTA_STS_NO_MX},
	{"rfc8461_3_2_mx_required_testing", "version: STSv1\nmode: testing\nmax_age: 5\n", MTA_STS_NO_MX},
	{"rfc8461_3_2_mx_not_an_address", "version: STSv1\nmode: enforce\nmx: mx..example\nmax_age: 5\n", MTA_STS_BAD_MX},
	{"rfc8461_3_2_mx_wildcard_leftmost_only", "version: STSv1\nmode: enforce\nmx: mx.*.example\nmax_age: 5\n", MTA_STS_BAD_MX},
	{"rfc8461_3_2_mx_no_trailing_dot", "version: STSv1\nmode: enforce\nmx: mx.example.\nmax_age: 5\n", MTA_STS_BAD_MX},
	{"rfc8461_3_2_mx_hyphen_edges", "version: STSv1\nmode: enforce\nmx: -mx.example\nmax_age: 5\n", MTA_STS_BAD_MX},
	{"rfc8461_3_2_mx_empty", "version: STSv1\nmode: enforce\nmx:\nmax_age: 5\n", MTA_STS_BAD_MX},
	{"rfc8461_3_2_line_without_colon", GOOD "garbage\n", MTA_STS_MALFORMED},
	{"rfc8461_3_2_key_starts_line", GOOD " mx: b.example\n", MTA_STS_MALFORMED},
	{"bare_cr_refused", "version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 5\n", MTA_STS_MALFORMED},
	{"nul_refused", "version: STSv1\nmode: enforce\nmx: a.ex\0ample\nmax_age: 5\n", MTA_STS_MALFORMED},
	{"empty_body", "", MTA_STS_BAD_VERSION},
	{"html_body", "<html><body>version: STSv1</body></html>", MTA_STS_MALFORMED},
};
/* clang-format on */

static size_t case_length(const struct policy_case *c)
{
	/* The NUL case holds one NUL inside: measure to the real end. */
	return strcmp(c->name, "nul_refused") == 0 ? strlen(c->text) + 1 + strlen(c->text + strlen(c->text) + 1)
	                                           : strlen(c->text);
}

static void test_policy_cases(void)
{
	for (size_t i = 0; i < sizeof policy_cases / sizeof *policy_cases; i++) {
		struct mta_sts_policy policy;
		enum mta_sts_result result =
		    mta_sts_policy_parse(policy_cases[i].text, case_length(&policy_cases[i]), &policy);
		if (result != policy_cases[i].result)
			fprintf(stderr, "case %s: %d, expected %d\n", policy_cases[i].name, result,
			        policy_cases[i].result);
		CHECK_INT(result, policy_cases[i].result);
	}
}

static void test_rfc8461_3_2_example_fields(void)
{
	static const char text[] = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.NET\r\n"
	                           "mx: backupmx.example.com\r\nmax_age: 604800\r\n";
	struct mta_sts_policy policy;

	CHECK_INT(mta_sts_policy_parse(text, sizeof text - 1, &policy), MTA_STS_OK);
	CHECK_INT(policy.mode, MTA_STS_MODE_ENFORCE);
	CHECK_INT(policy.max_age, 604800);
	CHECK_INT(policy.mx_count, 3);
	CHECK_STR(policy.mx[1], "*.example.net");
	CHECK_STR(mta_sts_mode_name(policy.mode), "enforce");
}

static void test_rfc8461_4_1_matching(void)
{
	static const char text[] =
	    "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 5\n";
	struct mta_sts_policy policy;

	CHECK_INT(mta_sts_policy_parse(text, sizeof text - 1, &policy), MTA_STS_OK);
	CHECK(mta_sts_policy_matches(&policy, "mail.example.com"));
	CHECK(mta_sts_policy_matches(&policy, "MAIL.Example.com."));
	CHECK(!mta_sts_policy_matches(&policy, "mail2.example.com"));
	CHECK(!mta_sts_policy_matches(&policy, "example.com"));
	CHECK(mta_sts_policy_matches(&policy, "mx1.example.net"));  /* one label for the "*" */
	CHECK(!mta_sts_policy_matches(&policy, "a.b.example.net")); /* never two */
	CHECK(!mta_sts_policy_matches(&policy, "example.net"));     /* nor none */
	CHECK(!mta_sts_policy_matches(&policy, ".example.net"));
	CHECK(!mta_sts_policy_matches(&policy, "mx1.example.network"));
}

static void test_too_many_and_too_long(void)
{
	static char text[MTA_STS_POLICY_SIZE_MAX + 64];
	struct mta_sts_policy policy;
	size_t length = (size_t)snprintf(text, sizeof text, "version: STSv1\nmode: enforce\nmax_age: 5\n");

	for (int i = 0; i <= MTA_STS_MX_MAX; i++)
		length += (size_t)snprintf(text + length, sizeof text - length, "mx: mx%d.example\n", i);
	CHECK_INT(mta_sts_policy_parse(text, length, &policy), MTA_STS_TOO_MANY_MX);
	memset(text, '\n', sizeof text);
	CHECK_INT(mta_sts_policy_parse(text, MTA_STS_POLICY_SIZE_MAX + 1, &policy), MTA_STS_TOO_LONG);
}

struct record_case {
	const char *name;
	const char *text;
	enum mta_sts_record_result result;
	const char *id;
};

static const struct record_case record_cases[] = {
    {"rfc8461_3_1_example", "v=STSv1; id=20160831085700Z;", MTA_STS_RECORD_OK, "20160831085700Z"},
    {"rfc8461_3_1_no_final_delimiter", "v=STSv1; id=abc", MTA_STS_RECORD_OK, "abc"},
    {"rfc8461_3_1_extension_field", "v=STSv1; ext=1; id=X1 ;", MTA_STS_RECORD_OK, "X1"},
    {"rfc8461_3_1_other_record", "v=spf1 -all", MTA_STS_RECORD_OTHER, ""},
    {"rfc8461_3_1_version_prefix_only", "v=STSv10; id=1", MTA_STS_RECORD_OTHER, ""},
    {"rfc8461_3_1_id_required", "v=STSv1;", MTA_STS_RECORD_MALFORMED, ""},
    {"rfc8461_3_1_id_alnum", "v=STSv1; id=2016-08-31", MTA_STS_RECORD_MALFORMED, ""},
    {"rfc8461_3_1_id_32_max", "v=STSv1; id=0123456789abcdef0123456789abcdef", MTA_STS_RECORD_OK,
     "0123456789abcdef0123456789abcdef"},
    {"rfc8461_3_1_id_33_refused", "v=STSv1; id=0123456789abcdef0123456789abcdef0", MTA_STS_RECORD_MALFORMED, ""},
    {"rfc8461_3_1_id_empty", "v=STSv1; id=", MTA_STS_RECORD_MALFORMED, ""},
};

static void test_record_cases(void)
{
	for (size_t i = 0; i < sizeof record_cases / sizeof *record_cases; i++) {
		char id[MTA_STS_ID_MAX + 1];
		enum mta_sts_record_result result =
		    mta_sts_record_parse(record_cases[i].text, strlen(record_cases[i].text), id);
		if (result != record_cases[i].result)
			fprintf(stderr, "case %s: %d\n", record_cases[i].name, result);
		CHECK_INT(result, record_cases[i].result);
		if (result == MTA_STS_RECORD_OK)
			CHECK_STR(id, record_cases[i].id);
	}
}

static void test_rfc8460_3_tlsrpt(void)
{
	static const struct {
		const char *text;
		enum mta_sts_record_result result;
	} cases[] = {
	    {"v=TLSRPTv1; rua=mailto:reports@example.com", MTA_STS_RECORD_OK},
	    {"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", MTA_STS_RECORD_OK},
	    {"v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.com/x;", MTA_STS_RECORD_OK},
	    {"v=TLSRPTv1; rua=ftp://example.com", MTA_STS_RECORD_MALFORMED},
	    {"v=TLSRPTv1; rua=mailto:", MTA_STS_RECORD_MALFORMED},
	    {"v=TLSRPTv1; rua=mailto:a@example.com,", MTA_STS_RECORD_MALFORMED},
	    {"v=TLSRPTv1;", MTA_STS_RECORD_MALFORMED},
	    {"v=STSv1; id=1", MTA_STS_RECORD_OTHER},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		CHECK_INT(mta_sts_tlsrpt_parse(cases[i].text, strlen(cases[i].text)), cases[i].result);
}

int main(void)
{
	RUN(test_policy_cases);
	RUN(test_rfc8461_3_2_example_fields);
	RUN(test_rfc8461_4_1_matching);
	RUN(test_too_many_and_too_long);
	RUN(test_record_cases);
	RUN(test_rfc8460_3_tlsrpt);
	return check_summary("test_mta_sts");
}
