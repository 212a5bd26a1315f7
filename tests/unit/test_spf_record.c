/* test_spf_record: the SPF record grammar, cases named after the rule they check (RFC 7208
 * §4.5 version, §4.6.1 term separation, §5.x each mechanism's arguments, §5.6 cidr and
 * ip4-network/ip6-network, §6 modifiers, §7.1 domain-spec, §3.1 7-bit ASCII, §12 ABNF), most
 * of them the records of the RFC 7208 conformance suite; then what a parse yields. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "mailauth/spf_record.h"

struct parse_case {
	const char *name;
	const char *text;
	size_t length; /* 0: strlen(text) */
	enum spf_record_result result;
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	{"rfc7208_4_5_version_only", "v=spf1", 0, SPF_RECORD_OK},
	{"rfc7208_4_5_version_any_case", "V=sPf1 ~all", 0, SPF_RECORD_OK},
	{"rfc7208_4_5_version_then_space", "v=spf10", 0, SPF_RECORD_NOT_SPF},
	{"rfc7208_4_5_version_joined", "v=spf1mx", 0, SPF_RECORD_NOT_SPF},
	{"rfc7208_4_5_not_spf", "v=spf3 !a:yahoo.com -all", 0, SPF_RECORD_NOT_SPF},
	{"rfc7208_4_5_empty", "", 0, SPF_RECORD_NOT_SPF},
	{"rfc7208_4_5_trailing_space", "v=spf1 a -all ", 0, SPF_RECORD_OK},
	{"rfc7208_4_6_1_two_spaces", "v=spf1 a  -all", 0, SPF_RECORD_OK},
	{"rfc7208_4_6_1_cr_is_no_separator", "v=spf1 a:ctrl.example.com\rptr -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_4_6_1_lf_is_no_separator", "v=spf1 ip4:192.0.2.5\n include:spf.example.com ~all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_4_6_1_tab_is_no_separator", "v=spf1\ta -all", 0, SPF_RECORD_NOT_SPF},
	{"rfc7208_3_1_non_ascii_in_domain", "v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_3_1_non_ascii_mechanism", "v=spf1 \x80" "a:example.net -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_3_1_nul", "v=spf1 a:foo.example.com\0", 25, SPF_RECORD_BAD_TERM},
	{"rfc7208_4_6_error_anywhere", "v=spf1 ip4:1.2.3.4 -all moo", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_12_modifier_charset", "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", 0, SPF_RECORD_OK},
	{"rfc7208_12_modifier_slash_in_name", "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_12_modifier_colon_in_name", "v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_12_modifier_name_alpha_first", "v=spf1 1up=foo", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_12_modifier_name_empty", "v=spf1 =all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_6_unknown_modifier_macro", "v=spf1 -all foo=%abc", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_6_unknown_modifier_ignored", "v=spf1 default=pass", 0, SPF_RECORD_OK},
	{"rfc7208_6_unknown_modifier_empty", "v=spf1 default=", 0, SPF_RECORD_OK},
	{"rfc7208_6_redirect_is_modifier", "v=spf1 ip4:1.2.3.4 redirect:t2.example.com", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_6_redirect_twice", "v=spf1 redirect=a.example.com -all redirect=a.example.com", 0, SPF_RECORD_DUPLICATE},
	{"rfc7208_6_exp_twice", "v=spf1 exp=a.example.com -all exp=b.example.com", 0, SPF_RECORD_DUPLICATE},
	{"rfc7208_6_modifier_names_any_case", "v=spf1 Redirect=a.example.com REDIRECT=b.example.com", 0, SPF_RECORD_DUPLICATE},
	{"rfc7208_6_1_redirect_empty", "v=spf1 ?all redirect=", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_6_1_redirect_not_domain", "v=spf1 redirect=-all ?all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_6_2_exp_empty", "v=spf1 exp= -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_6_2_exp_not_domain", "v=spf1 exp=-all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_2_exp_no_r", "v=spf1 -all exp=%{r}.example.com", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_bad_macro", "v=spf1 exists:foo%(ir).sbl.example.com ?all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_trailing_percent", "v=spf1 exists:foo%.sbl.example.com ?all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_macro_letters", "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all", 0, SPF_RECORD_OK},
	{"rfc7208_7_1_undefined_letter", "v=spf1 a:%{a}.example.com -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_1_all_dot", "v=spf1 -all.", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_1_all_argument", "v=spf1 -all:foobar", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_1_all_cidr", "v=spf1 -all/8", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_1_all_twice", "v=spf1 all -all", 0, SPF_RECORD_OK},
	{"rfc7208_5_2_include_needs_domain", "v=spf1 include +all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_2_include_empty", "v=spf1 include: -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_2_include_no_cidr", "v=spf1 include:ip5.example.com/24 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_3_a_cidr6", "v=spf1 a//33 -all", 0, SPF_RECORD_OK},
	{"rfc7208_5_3_a_cidr4_33", "v=spf1 a/33 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_3_a_cidr6_129", "v=spf1 a//129 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_3_a_dual_cidr", "v=spf1 a/24//64 -all", 0, SPF_RECORD_OK},
	{"rfc7208_5_3_a_dual_cidr_single_slash", "v=spf1 a/24/64 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_3_a_domain_cidr", "v=spf1 a:foo.example.com/24", 0, SPF_RECORD_OK},
	{"rfc7208_5_3_a_colon_domain", "v=spf1 a:foo:bar/baz.example.com", 0, SPF_RECORD_OK},
	{"rfc7208_5_3_a_port", "v=spf1 a:example.com:8080", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_3_a_empty", "v=spf1 a:", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_a_numeric_toplabel", "v=spf1 a:abc.123", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_a_ip_address", "v=spf1 a:111.222.33.44", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_a_only_toplabel", "v=spf1 a:museum", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_a_only_toplabel_dot", "v=spf1 a:museum.", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_a_dash_toplabel", "v=spf1 a:example.-com", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_a_idn_toplabel", "v=spf1 a:foo.example.xn--zckzah -all", 0, SPF_RECORD_OK},
	{"rfc7208_7_1_a_no_toplabel", "v=spf1 a:foo-bar -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_7_1_empty_labels_are_syntax", "v=spf1 a:mail.example...com -all", 0, SPF_RECORD_OK},
	{"rfc7208_5_4_mx_cidr", "v=spf1 mx/0 -all", 0, SPF_RECORD_OK},
	{"rfc7208_5_4_mx_empty", "v=spf1 mx: -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_5_ptr_cidr", "v=spf1 ptr/0 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_5_ptr_empty", "v=spf1 ptr:", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_5_ptr_domain", "v=spf1 ptr:example.com -all", 0, SPF_RECORD_OK},
	{"rfc7208_5_6_ip4_cidr_0", "v=spf1 ip4:1.1.1.1/0 -all", 0, SPF_RECORD_OK},
	{"rfc7208_5_6_ip4_cidr_33", "v=spf1 ip4:1.2.3.4/33 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip4_cidr_leading_zero", "v=spf1 ip4:1.2.3.4/032 -all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip4_bare", "v=spf1 ip4", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip4_dual_cidr", "v=spf1 ip4:1.2.3.4//32", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip4_port", "v=spf1 ip4:1.2.3.4:8080", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip4_short", "v=spf1 ip4:1.2.3", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_12_qnum_leading_zero", "v=spf1 ip4:1.2.03.4", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_12_qnum_over_255", "v=spf1 ip4:1.2.256.4", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip6_bare", "v=spf1 -all ip6", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip6_v4_tail", "v=spf1 ip6:::1.1.1.1/0", 0, SPF_RECORD_OK},
	{"rfc7208_5_6_ip6_cidr_129", "v=spf1 ip6:::1.1.1.1/129", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip6_dual_cidr", "v=spf1 ip6:::1.1.1.1//33", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip6_bad", "v=spf1 ip6::CAFE::BABE", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_6_ip6_mapped", "v=spf1 -ip4:1.2.3.4 ip6:::FFFF:1.2.3.4", 0, SPF_RECORD_OK},
	{"rfc7208_5_7_exists_empty", "v=spf1 exists:", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_7_exists_bare", "v=spf1 exists", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_7_exists_cidr", "v=spf1 exists:mail.example.com/24", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_5_mechanism_names_any_case", "v=spf1 A MX:example.com Include:a.example.com ALL", 0, SPF_RECORD_OK},
	{"rfc7208_4_6_2_qualifiers", "v=spf1 +a -mx ~ptr ?exists:%{i}.example.com", 0, SPF_RECORD_OK},
	{"rfc7208_4_6_2_double_qualifier", "v=spf1 +-all", 0, SPF_RECORD_BAD_TERM},
	{"rfc7208_12_unknown_mechanism", "v=spf1 ip5:1.2.3.4", 0, SPF_RECORD_BAD_TERM},
};
/* clang-format on */

static void test_parse_cases(void)
{
	struct spf_record record;

	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t length = c->length ? c->length : strlen(c->text);
		enum spf_record_result result = spf_record_parse(slice_make(c->text, length), &record);
		if (result != c->result)
			fprintf(stderr, "case %s\n", c->name);
		CHECK_INT(result, c->result);
	}
}

static void test_rfc7208_4_5_is_spf(void)
{
	CHECK(spf_record_is_spf(slice_from_string("v=spf1")));
	CHECK(spf_record_is_spf(slice_from_string("V=SPF1 -all")));
	CHECK(!spf_record_is_spf(slice_from_string("v=spf1\t-all")));
	CHECK(!spf_record_is_spf(slice_from_string("v=spf")));
	CHECK(!spf_record_is_spf(slice_from_string(" v=spf1")));
}

/* What the parse yields: qualifiers, kinds, arguments, defaults (§4.6.2: "+" when none;
 * §5.3: cidr 32 and 128 when none), modifiers. */
static void test_parse_fields(void)
{
	static const char text[] = "v=spf1 a mx:mail.example.com/24//64 -ip4:192.0.2.0/24 ~ip6:2001:db8::/32 "
	                           "?include:_spf.example.net ptr exists:%{i}.bl.example.org redirect=other.example.org "
	                           "exp=why.%{d} x-unknown=%{s}";
	struct spf_record record;
	unsigned char address[16];

	CHECK_INT(spf_record_parse(slice_from_string(text), &record), SPF_RECORD_OK);
	CHECK_INT(record.mechanism_count, 7);
	CHECK_INT(record.mechanisms[0].kind, SPF_MECHANISM_A);
	CHECK_INT(record.mechanisms[0].qualifier, SPF_QUALIFIER_PASS);
	CHECK_INT(record.mechanisms[0].domain_spec.length, 0);
	CHECK_INT(record.mechanisms[0].cidr4, 32);
	CHECK_INT(record.mechanisms[0].cidr6, 128);
	CHECK_INT(record.mechanisms[1].kind, SPF_MECHANISM_MX);
	CHECK(slice_equal(record.mechanisms[1].domain_spec, slice_from_string("mail.example.com")));
	CHECK_INT(record.mechanisms[1].cidr4, 24);
	CHECK_INT(record.mechanisms[1].cidr6, 64);
	CHECK_INT(record.mechanisms[2].kind, SPF_MECHANISM_IP4);
	CHECK_INT(record.mechanisms[2].qualifier, SPF_QUALIFIER_FAIL);
	CHECK(memcmp(record.mechanisms[2].address, "\xc0\x00\x02\x00", 4) == 0);
	CHECK_INT(record.mechanisms[2].cidr4, 24);
	CHECK_INT(record.mechanisms[3].kind, SPF_MECHANISM_IP6);
	CHECK_INT(record.mechanisms[3].qualifier, SPF_QUALIFIER_SOFTFAIL);
	inet_pton(AF_INET6, "2001:db8::", address);
	CHECK(memcmp(record.mechanisms[3].address, address, 16) == 0);
	CHECK_INT(record.mechanisms[3].cidr6, 32);
	CHECK_INT(record.mechanisms[4].kind, SPF_MECHANISM_INCLUDE);
	CHECK_INT(record.mechanisms[4].qualifier, SPF_QUALIFIER_NEUTRAL);
	CHECK(slice_equal(record.mechanisms[4].domain_spec, slice_from_string("_spf.example.net")));
	CHECK(slice_equal(record.mechanisms[4].term, slice_from_string("?include:_spf.example.net")));
	CHECK_INT(record.mechanisms[5].kind, SPF_MECHANISM_PTR);
	CHECK_INT(record.mechanisms[6].kind, SPF_MECHANISM_EXISTS);
	CHECK(record.has_redirect && slice_equal(record.redirect, slice_from_string("other.example.org")));
	CHECK(record.has_explanation && slice_equal(record.explanation, slice_from_string("why.%{d}")));
	CHECK_STR(spf_record_qualifier_text(SPF_QUALIFIER_SOFTFAIL), "~");
}

static void test_error_term(void)
{
	struct spf_record record;

	CHECK_INT(spf_record_parse(slice_from_string("v=spf1 a -all moo ip4:1.2.3.4"), &record), SPF_RECORD_BAD_TERM);
	CHECK(slice_equal(record.error_term, slice_from_string("moo")));
}

/* A record of more directives than SPF_RECORD_TERMS_MAX is refused, not cut. */
static void test_too_many_terms(void)
{
	static char text[8 + 4 * (SPF_RECORD_TERMS_MAX + 1)];
	struct spf_record record;

	strcpy(text, "v=spf1");
	for (size_t i = 0; i <= SPF_RECORD_TERMS_MAX; i++)
		strcat(text, " all");
	CHECK_INT(spf_record_parse(slice_from_string(text), &record), SPF_RECORD_TOO_MANY);
	text[strlen(text) - 4] = '\0';
	CHECK_INT(spf_record_parse(slice_from_string(text), &record), SPF_RECORD_OK);
	CHECK_INT(record.mechanism_count, SPF_RECORD_TERMS_MAX);
}

int main(void)
{
	RUN(test_parse_cases);
	RUN(test_rfc7208_4_5_is_spf);
	RUN(test_parse_fields);
	RUN(test_error_term);
	RUN(test_too_many_terms);
	return check_summary("test_spf_record");
}
