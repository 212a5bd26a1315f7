/* test_dmarc_record: the DMARC record parser, cases named after the rule they check (RFC 7489
 * §6.3 tags and defaults, §6.4 grammar, RFC 6376 §3.2 tag-list), the RFC's own example records
 * (§6.5, appendix B.2), and the values a record parses into. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "mailauth/dmarc_record.h"

struct parse_case {
	const char *name;
	const char *text;
	enum dmarc_record_result result;
	const char *error_tag; /* on failure, when a tag is at fault */
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	{"rfc7489_6_3_minimal", "v=DMARC1; p=none", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_trailing_separator", "v=DMARC1; p=none;", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_trailing_separator_wsp", "v=DMARC1;p=reject; ", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_wsp_around_everything", "v = DMARC1 ;\tp = quarantine ; sp= reject ;pct =50", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_keywords_any_case", "v=DMARC1; P=Reject; ADKIM=S; aspf=R", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_3_v_exact_case", "v=dmarc1; p=none", DMARC_RECORD_NOT_DMARC, "v"},
	{"rfc7489_6_3_v_first", "p=none; v=DMARC1", DMARC_RECORD_NOT_DMARC, "v"},
	{"rfc7489_6_3_v_other_version", "v=DMARC2; p=none", DMARC_RECORD_NOT_DMARC, "v"},
	{"rfc7489_6_3_v_prefix_only", "v=DMARC10; p=none", DMARC_RECORD_NOT_DMARC, "v"},
	{"rfc7489_6_3_v_leading_space", " v=DMARC1; p=none", DMARC_RECORD_NOT_DMARC, "v"},
	{"rfc7489_6_3_spf_record_is_not", "v=spf1 -all", DMARC_RECORD_NOT_DMARC, "v"},
	{"rfc7489_6_3_empty", "", DMARC_RECORD_NOT_DMARC, "v"},
	{"rfc7489_6_3_p_required", "v=DMARC1", DMARC_RECORD_MISSING_POLICY, "p"},
	{"rfc7489_6_3_p_required_with_rua", "v=DMARC1; rua=mailto:r@example.com", DMARC_RECORD_MISSING_POLICY, "p"},
	{"rfc7489_6_3_p_bad_value", "v=DMARC1; p=block", DMARC_RECORD_BAD_POLICY, "p"},
	{"rfc7489_6_3_p_empty", "v=DMARC1; p=", DMARC_RECORD_BAD_POLICY, "p"},
	{"rfc7489_6_3_sp_bad_value", "v=DMARC1; p=none; sp=maybe", DMARC_RECORD_BAD_POLICY, "sp"},
	{"rfc7489_6_3_bad_policy_rest_still_read", "v=DMARC1; p=x; pct=101", DMARC_RECORD_BAD_VALUE, "pct"},
	{"rfc7489_6_3_unknown_tag_ignored", "v=DMARC1; p=none; np=reject; x_y=anything!at,all", DMARC_RECORD_OK, NULL},
	{"rfc6376_3_2_duplicate_tag", "v=DMARC1; p=none; p=reject", DMARC_RECORD_DUPLICATE_TAG, "p"},
	{"rfc6376_3_2_duplicate_any_case", "v=DMARC1; p=none; P=none", DMARC_RECORD_DUPLICATE_TAG, "P"},
	{"rfc6376_3_2_duplicate_v", "v=DMARC1; p=none; v=DMARC1", DMARC_RECORD_DUPLICATE_TAG, "v"},
	{"rfc6376_3_2_duplicate_unknown", "v=DMARC1; p=none; z=1; z=2", DMARC_RECORD_DUPLICATE_TAG, "z"},
	{"rfc6376_3_2_tag_name_alpha_first", "v=DMARC1; p=none; 1x=2", DMARC_RECORD_BAD_SYNTAX, "1x"},
	{"rfc6376_3_2_no_equals", "v=DMARC1; p=none; junk", DMARC_RECORD_BAD_SYNTAX, NULL},
	{"rfc7489_6_4_empty_spec", "v=DMARC1;; p=none", DMARC_RECORD_BAD_SYNTAX, NULL},
	{"rfc7489_6_4_crlf_refused", "v=DMARC1;\r\n p=none", DMARC_RECORD_BAD_SYNTAX, NULL},
	{"rfc7489_6_4_8bit_refused", "v=DMARC1; p=none; z=caf\xc3\xa9", DMARC_RECORD_BAD_SYNTAX, NULL},
	{"rfc7489_6_3_adkim_bad", "v=DMARC1; p=none; adkim=strict", DMARC_RECORD_BAD_VALUE, "adkim"},
	{"rfc7489_6_3_aspf_bad", "v=DMARC1; p=none; aspf=", DMARC_RECORD_BAD_VALUE, "aspf"},
	{"rfc7489_6_3_pct_0", "v=DMARC1; p=reject; pct=0", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_3_pct_100", "v=DMARC1; p=reject; pct=100", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_3_pct_over_100", "v=DMARC1; p=reject; pct=101", DMARC_RECORD_BAD_VALUE, "pct"},
	{"rfc7489_6_4_pct_four_digits", "v=DMARC1; p=reject; pct=0100", DMARC_RECORD_BAD_VALUE, "pct"},
	{"rfc7489_6_4_pct_negative", "v=DMARC1; p=reject; pct=-1", DMARC_RECORD_BAD_VALUE, "pct"},
	{"rfc7489_6_4_ri_digits", "v=DMARC1; p=none; ri=3600", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_ri_not_digits", "v=DMARC1; p=none; ri=1h", DMARC_RECORD_BAD_VALUE, "ri"},
	{"rfc7489_6_4_ri_too_long", "v=DMARC1; p=none; ri=1234567890", DMARC_RECORD_BAD_VALUE, "ri"},
	{"rfc7489_6_4_fo_list", "v=DMARC1; p=none; fo=1 : d:s", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_fo_bad", "v=DMARC1; p=none; fo=2", DMARC_RECORD_BAD_VALUE, "fo"},
	{"rfc7489_6_4_fo_empty_item", "v=DMARC1; p=none; fo=1::d", DMARC_RECORD_BAD_VALUE, "fo"},
	{"rfc7489_6_4_rf_keyword", "v=DMARC1; p=none; rf=afrf:iodef", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_rf_bad_keyword", "v=DMARC1; p=none; rf=a/b", DMARC_RECORD_BAD_VALUE, "rf"},
	{"rfc7489_6_4_rua_two", "v=DMARC1; p=none; rua=mailto:a@example.com , mailto:b@example.net!10m", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_rua_size_no_unit", "v=DMARC1; p=none; rua=mailto:a@example.com!50", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_rua_size_bad_unit", "v=DMARC1; p=none; rua=mailto:a@example.com!10x", DMARC_RECORD_BAD_VALUE, "rua"},
	{"rfc7489_6_4_rua_size_empty", "v=DMARC1; p=none; rua=mailto:a@example.com!", DMARC_RECORD_BAD_VALUE, "rua"},
	{"rfc7489_6_4_rua_no_scheme", "v=DMARC1; p=none; rua=a@example.com", DMARC_RECORD_BAD_VALUE, "rua"},
	{"rfc7489_6_4_rua_empty_element", "v=DMARC1; p=none; rua=mailto:a@example.com,", DMARC_RECORD_BAD_VALUE, "rua"},
	{"rfc7489_6_4_rua_space_in_uri", "v=DMARC1; p=none; rua=mailto:a b@example.com", DMARC_RECORD_BAD_VALUE, "rua"},
	{"rfc7489_6_3_rua_percent_encoded_comma", "v=DMARC1; p=none; rua=mailto:a%2cb@example.com", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_ruf", "v=DMARC1; p=none; ruf=mailto:f@example.com", DMARC_RECORD_OK, NULL},
	{"rfc7489_6_4_ruf_bad", "v=DMARC1; p=none; ruf=:x", DMARC_RECORD_BAD_VALUE, "ruf"},
};
/* clang-format on */

static bool slice_is(struct slice s, const char *text) { return slice_equal(s, slice_from_string(text)); }

static void test_parse_cases(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct dmarc_record record;
		enum dmarc_record_result result = dmarc_record_parse(slice_from_string(c->text), &record);

		CHECK_INT(result, c->result);
		if (c->error_tag != NULL)
			CHECK(slice_is(record.error_tag, c->error_tag));
		if (check_failures_in_test) {
			fprintf(stderr, "  in parse case %s\n", c->name);
			return;
		}
	}
}

static void test_nul(void)
{
	static const char text[] = "v=DMARC1; p=none\0; sp=reject";
	struct dmarc_record record;

	CHECK_INT(dmarc_record_parse(slice_make(text, sizeof text - 1), &record), DMARC_RECORD_BAD_SYNTAX);
}

static void test_defaults(void)
{
	struct dmarc_record r;

	CHECK_INT(dmarc_record_parse(slice_from_string("v=DMARC1; p=quarantine"), &r), DMARC_RECORD_OK);
	CHECK(r.has_policy && r.policy == DMARC_POLICY_QUARANTINE);
	CHECK(!r.has_subdomain_policy);
	CHECK_INT(r.dkim_alignment, DMARC_ALIGNMENT_RELAXED); /* §6.3 adkim default */
	CHECK_INT(r.spf_alignment, DMARC_ALIGNMENT_RELAXED);  /* §6.3 aspf default */
	CHECK_INT(r.percent, 100);
	CHECK_INT(r.report_interval, 86400);
	CHECK_INT(r.failure_options, DMARC_RECORD_FO_ALL);
	CHECK(r.report_format_afrf);
	CHECK_INT(r.aggregate_uri_count, 0);
	CHECK_INT(r.failure_uri_count, 0);
}

static void test_every_tag(void)
{
	struct dmarc_record r;
	const char *text = "v=DMARC1; p=reject; sp=none; adkim=s; aspf=s; pct=20; ri=3600; fo=d:S; rf=iodef;"
	                   " rua=mailto:a@example.com,mailto:b@example.com!1g; ruf=mailto:f@example.com";

	CHECK_INT(dmarc_record_parse(slice_from_string(text), &r), DMARC_RECORD_OK);
	CHECK(r.policy == DMARC_POLICY_REJECT && r.has_subdomain_policy && r.subdomain_policy == DMARC_POLICY_NONE);
	CHECK(r.dkim_alignment == DMARC_ALIGNMENT_STRICT && r.spf_alignment == DMARC_ALIGNMENT_STRICT);
	CHECK_INT(r.percent, 20);
	CHECK_INT(r.report_interval, 3600);
	CHECK_INT(r.failure_options, DMARC_RECORD_FO_DKIM | DMARC_RECORD_FO_SPF);
	CHECK(!r.report_format_afrf);
	CHECK_INT(r.aggregate_uri_count, 2);
	CHECK(slice_is(r.aggregate_uris, "mailto:a@example.com,mailto:b@example.com!1g"));
	CHECK_INT(r.failure_uri_count, 1);
}

/* §6.6.3 step 6: a record without a valid p= still tells its rua=, so the caller can act as if
 * p=none were there. */
static void test_missing_policy_keeps_rua(void)
{
	struct dmarc_record r;

	CHECK_INT(dmarc_record_parse(slice_from_string("v=DMARC1; rua=mailto:r@example.com; pct=10"), &r),
	          DMARC_RECORD_MISSING_POLICY);
	CHECK_INT(r.aggregate_uri_count, 1);
	CHECK_INT(r.percent, 10);
	CHECK_INT(dmarc_record_parse(slice_from_string("v=DMARC1; p=bogus; rua=mailto:r@example.com"), &r),
	          DMARC_RECORD_BAD_POLICY);
	CHECK_INT(r.aggregate_uri_count, 1);
	CHECK(!r.has_policy);
}

/* RFC 7489 §6.5's examples and appendix B.2.1. */
static void test_rfc7489_examples(void)
{
	struct dmarc_record r;

	CHECK_INT(dmarc_record_parse(slice_from_string("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com"), &r),
	          DMARC_RECORD_OK);
	CHECK_INT(dmarc_record_parse(slice_from_string("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
	                                               "ruf=mailto:auth-reports@thirdparty.example.net"),
	                             &r),
	          DMARC_RECORD_OK);
	CHECK_INT(dmarc_record_parse(slice_from_string("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
	                                               "mailto:tld-test@thirdparty.example.net!10m; pct=25"),
	                             &r),
	          DMARC_RECORD_OK);
	CHECK_INT(r.percent, 25);
	CHECK_INT(r.aggregate_uri_count, 2);
	CHECK_INT(dmarc_record_parse(slice_from_string("v=DMARC1; p=none"), &r), DMARC_RECORD_OK);
}

static void test_is_dmarc(void)
{
	CHECK(dmarc_record_is_dmarc(slice_from_string("v=DMARC1")));
	CHECK(dmarc_record_is_dmarc(slice_from_string("v=DMARC1;")));
	CHECK(dmarc_record_is_dmarc(slice_from_string("V = DMARC1 ; p=none")));
	CHECK(!dmarc_record_is_dmarc(slice_from_string("v=DMARC1p=none")));
	CHECK(!dmarc_record_is_dmarc(slice_from_string("v=DMARC")));
	CHECK(!dmarc_record_is_dmarc(slice_from_string("p=none; v=DMARC1")));
	CHECK(!dmarc_record_is_dmarc(slice_from_string("")));
}

static void test_names(void)
{
	CHECK_STR(dmarc_record_policy_name(DMARC_POLICY_NONE), "none");
	CHECK_STR(dmarc_record_policy_name(DMARC_POLICY_QUARANTINE), "quarantine");
	CHECK_STR(dmarc_record_policy_name(DMARC_POLICY_REJECT), "reject");
	CHECK_STR(dmarc_record_result_name(DMARC_RECORD_MISSING_POLICY), "missing p= tag");
}

int main(void)
{
	RUN(test_parse_cases);
	RUN(test_nul);
	RUN(test_defaults);
	RUN(test_every_tag);
	RUN(test_missing_policy_keeps_rua);
	RUN(test_rfc7489_examples);
	RUN(test_is_dmarc);
	RUN(test_names);
	return check_summary("test_dmarc_record");
}
