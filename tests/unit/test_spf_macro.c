/* test_spf_macro: SPF macro-strings, cases named after the rule they check: RFC 7208 §7.4's
 * own examples (IPv4 and IPv6), §7.1 syntax (what a "%" may start, letters per kind,
 * transformers, delimiters, domain-end and toplabel), §7.3 (URL escaping of upper-case
 * letters, "unknown" for p and r, 253-character names cut from the left, trailing dots). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "mailauth/spf_macro.h"

/* §7.4: "The <sender> is strong-bad@email.example.com. The IPv4 SMTP client IP is 192.0.2.3.
 * The IPv6 SMTP client IP is 2001:db8::cb01. The PTR domain name of the client IP is
 * mx.example.org." */
static struct spf_macro_values example(bool ipv6)
{
	struct spf_macro_values values = {
	    .sender = "strong-bad@email.example.com",
	    .local_part = "strong-bad",
	    .sender_domain = "email.example.com",
	    .domain = "email.example.com",
	    .validated = "mx.example.org",
	    .helo = "mx.example.org",
	    .receiver = "mx.example.net",
	    .now = 1700000000,
	    .ipv6 = ipv6,
	};
	inet_pton(ipv6 ? AF_INET6 : AF_INET, ipv6 ? "2001:db8::cb01" : "192.0.2.3", values.address);
	return values;
}

struct expand_case {
	const char *name;
	const char *text;
	enum spf_macro_kind kind;
	bool ipv6;
	const char *expansion; /* NULL: a syntax error */
};

/* clang-format off */
static const struct expand_case expand_cases[] = {
	{"rfc7208_7_4_s", "%{s}", SPF_MACRO_DOMAIN, false, "strong-bad@email.example.com"},
	{"rfc7208_7_4_o", "%{o}", SPF_MACRO_DOMAIN, false, "email.example.com"},
	{"rfc7208_7_4_d", "%{d}", SPF_MACRO_DOMAIN, false, "email.example.com"},
	{"rfc7208_7_4_d4", "%{d4}", SPF_MACRO_DOMAIN, false, "email.example.com"},
	{"rfc7208_7_4_d3", "%{d3}", SPF_MACRO_DOMAIN, false, "email.example.com"},
	{"rfc7208_7_4_d2", "%{d2}", SPF_MACRO_DOMAIN, false, "example.com"},
	{"rfc7208_7_4_d1", "%{d1}", SPF_MACRO_DOMAIN, false, "com"},
	{"rfc7208_7_4_dr", "%{dr}", SPF_MACRO_DOMAIN, false, "com.example.email"},
	{"rfc7208_7_4_d2r", "%{d2r}", SPF_MACRO_DOMAIN, false, "example.email"},
	{"rfc7208_7_4_l", "%{l}", SPF_MACRO_DOMAIN, false, "strong-bad"},
	{"rfc7208_7_4_l_dash", "%{l-}", SPF_MACRO_DOMAIN, false, "strong.bad"},
	{"rfc7208_7_4_lr", "%{lr}", SPF_MACRO_DOMAIN, false, "strong-bad"},
	{"rfc7208_7_4_lr_dash", "%{lr-}", SPF_MACRO_DOMAIN, false, "bad.strong"},
	{"rfc7208_7_4_l1r_dash", "%{l1r-}", SPF_MACRO_DOMAIN, false, "strong"},
	{"rfc7208_7_4_ir_v_spf", "%{ir}.%{v}._spf.%{d2}", SPF_MACRO_DOMAIN, false, "3.2.0.192.in-addr._spf.example.com"},
	{"rfc7208_7_4_lr_lp", "%{lr-}.lp._spf.%{d2}", SPF_MACRO_DOMAIN, false, "bad.strong.lp._spf.example.com"},
	{"rfc7208_7_4_lr_lp_ir", "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", SPF_MACRO_DOMAIN, false,
	 "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	{"rfc7208_7_4_ir_l1r", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", SPF_MACRO_DOMAIN, false,
	 "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	{"rfc7208_7_4_trusted_domains", "%{d2}.trusted-domains.example.net", SPF_MACRO_DOMAIN, false,
	 "example.com.trusted-domains.example.net"},
	{"rfc7208_7_4_ipv6", "%{ir}.%{v}._spf.%{d2}", SPF_MACRO_DOMAIN, true,
	 "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"},
	{"rfc7208_7_3_i_ipv4", "%{i}", SPF_MACRO_DOMAIN, false, "192.0.2.3"},
	{"rfc7208_7_3_c_ipv6_rfc5952", "%{c}", SPF_MACRO_EXPLANATION, true, "2001:db8::cb01"},
	{"rfc7208_7_3_p", "%{p}", SPF_MACRO_DOMAIN, false, "mx.example.org"},
	{"rfc7208_7_3_h", "%{h}", SPF_MACRO_DOMAIN, false, "mx.example.org"},
	{"rfc7208_7_3_r", "%{r}", SPF_MACRO_EXPLANATION, false, "mx.example.net"},
	{"rfc7208_7_3_t", "%{t}", SPF_MACRO_EXPLANATION, false, "1700000000"},
	{"rfc7208_7_3_letters_any_case", "%{D2}", SPF_MACRO_DOMAIN, false, "example.com"},
	{"rfc7208_7_3_upper_url_escapes", "%{S}", SPF_MACRO_DOMAIN, false, "strong-bad%40email.example.com"},
	{"rfc7208_7_3_r_any_case", "%{dR}", SPF_MACRO_DOMAIN, false, "com.example.email"},
	{"rfc7208_7_3_several_delimiters", "%{s-.}", SPF_MACRO_DOMAIN, false, "strong.bad@email.example.com"},
	{"rfc7208_7_1_at_is_no_delimiter", "%{s@}", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_3_digit_over_parts", "%{d99}", SPF_MACRO_DOMAIN, false, "email.example.com"},
	{"rfc7208_7_3_digit_huge", "%{d123456}", SPF_MACRO_DOMAIN, false, "email.example.com"},
	{"rfc7208_7_1_percent", "a%%b", SPF_MACRO_DOMAIN, false, "a%b"},
	{"rfc7208_7_1_space", "a%_b", SPF_MACRO_DOMAIN, false, "a b"},
	{"rfc7208_7_1_url_space", "a%-b", SPF_MACRO_DOMAIN, false, "a%20b"},
	{"rfc7208_7_1_literals", "foo:bar/baz=q+!", SPF_MACRO_DOMAIN, false, "foo:bar/baz=q+!"},
	{"rfc7208_7_1_lone_percent", "abc%", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_1_percent_other", "%x", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_1_percent_paren", "%(ir)", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_1_unclosed", "%{d", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_1_unknown_letter", "%{a}", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_1_bad_delimiter", "%{d*}", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_1_r_before_digits", "%{dr2}", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_3_digit_zero", "%{d0}", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_2_c_only_in_exp", "%{c}", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_2_r_only_in_exp", "%{r}.example.com", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_2_t_only_in_exp", "%{t}", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_7_2_crt_in_unknown_modifier", "%{c}%{r}%{t}", SPF_MACRO_MODIFIER, false, "192.0.2.3mx.example.net1700000000"},
	{"rfc7208_6_2_explanation_spaces", "%{i} is not one of %{d}'s", SPF_MACRO_EXPLANATION, false,
	 "192.0.2.3 is not one of email.example.com's"},
	{"rfc7208_7_1_no_space_in_domain", "a b", SPF_MACRO_DOMAIN, false, NULL},
	{"rfc7208_3_1_ascii_only", "caf\xc3\xa9", SPF_MACRO_EXPLANATION, false, NULL},
	{"rfc7208_3_1_no_controls", "a\tb", SPF_MACRO_EXPLANATION, false, NULL},
	{"rfc7208_7_1_empty", "", SPF_MACRO_DOMAIN, false, ""},
};
/* clang-format on */

static void test_expand(void)
{
	for (size_t i = 0; i < sizeof expand_cases / sizeof *expand_cases; i++) {
		const struct expand_case *c = &expand_cases[i];
		struct spf_macro_values values = example(c->ipv6);
		struct buffer out;
		enum spf_macro_result result;

		buffer_init(&out, SPF_MACRO_OUTPUT_MAX);
		result = spf_macro_expand(slice_from_string(c->text), c->kind, &values, &out);
		if (c->expansion == NULL) {
			if (result != SPF_MACRO_SYNTAX)
				fprintf(stderr, "case %s\n", c->name);
			CHECK_INT(result, SPF_MACRO_SYNTAX);
			CHECK(!spf_macro_is_valid(slice_from_string(c->text), c->kind));
		} else {
			if (result != SPF_MACRO_OK || strcmp(out.data ? out.data : "", c->expansion) != 0)
				fprintf(stderr, "case %s\n", c->name);
			CHECK_INT(result, SPF_MACRO_OK);
			CHECK_STR(out.data ? out.data : "", c->expansion);
		}
		buffer_free(&out);
	}
}

/* §7.3: an upper-case letter escapes everything outside RFC 3986's unreserved set (the
 * suite's upper-macro case). */
static void test_rfc7208_7_3_url_escape(void)
{
	struct spf_macro_values values = example(false);
	struct buffer out;

	values.local_part = "~jack&jill=up-a_b3.c";
	buffer_init(&out, SPF_MACRO_OUTPUT_MAX);
	CHECK_INT(spf_macro_expand(slice_from_string("l=%{L}"), SPF_MACRO_EXPLANATION, &values, &out), SPF_MACRO_OK);
	CHECK_STR(out.data, "l=~jack%26jill%3Dup-a_b3.c");
	buffer_free(&out);
}

/* §7.3: p and r without a value are "unknown". */
static void test_rfc7208_7_3_unknown(void)
{
	struct spf_macro_values values = example(false);
	struct buffer out;

	values.validated = NULL;
	values.receiver = NULL;
	buffer_init(&out, SPF_MACRO_OUTPUT_MAX);
	CHECK_INT(spf_macro_expand(slice_from_string("%{p} %{r}"), SPF_MACRO_EXPLANATION, &values, &out), SPF_MACRO_OK);
	CHECK_STR(out.data, "unknown unknown");
	buffer_free(&out);
}

struct domain_spec_case {
	const char *name;
	const char *text;
	bool valid;
};

/* clang-format off */
static const struct domain_spec_case domain_spec_cases[] = {
	{"rfc7208_7_1_plain", "example.com", true},
	{"rfc7208_7_1_trailing_dot", "example.com.", true},
	{"rfc7208_7_1_macro_end", "%{d}", true},
	{"rfc7208_7_1_macro_then_toplabel", "%{ir}.%{v}._spf.%{d2}", true},
	{"rfc7208_7_1_any_visible_literal", "foo:bar/baz.example.com", true},
	{"rfc7208_7_1_toplabel_dashes", "foo.example.xn--zckzah", true},
	{"rfc7208_7_1_toplabel_digits_dash", "foo.123-456", true},
	{"rfc7208_7_1_escape_end", "a.b%%", true},
	{"rfc7208_7_1_only_toplabel", "museum", false},
	{"rfc7208_7_1_only_toplabel_dot", "museum.", false},
	{"rfc7208_7_1_toplabel_numeric", "abc.123", false},
	{"rfc7208_7_1_ip_address", "111.222.33.44", false},
	{"rfc7208_7_1_toplabel_leading_dash", "example.-com", false},
	{"rfc7208_7_1_toplabel_trailing_dash", "example.com-", false},
	{"rfc7208_7_1_toplabel_colon", "example.com:8080", false},
	{"rfc7208_7_1_toplabel_slash", "example.com/24", false},
	{"rfc7208_7_1_no_dot", "foo-bar", false},
	{"rfc7208_7_1_empty", "", false},
	{"rfc7208_7_1_two_dots", "example.com..", false},
	{"rfc7208_7_1_literal_after_macro", "%{d}com", false},
	{"rfc7208_7_2_no_crt", "%{r}.example.com", false},
	{"rfc7208_7_1_nul", "foo.example.com\0", true}, /* the C string ends at the NUL: tested in spf_record */
};
/* clang-format on */

static void test_domain_spec(void)
{
	for (size_t i = 0; i < sizeof domain_spec_cases / sizeof *domain_spec_cases; i++) {
		const struct domain_spec_case *c = &domain_spec_cases[i];
		if (spf_macro_is_domain_spec(slice_from_string(c->text)) != c->valid)
			fprintf(stderr, "case %s\n", c->name);
		CHECK(spf_macro_is_domain_spec(slice_from_string(c->text)) == c->valid);
	}
}

/* §7.3: a name longer than 253 loses labels from the left; a trailing dot goes. */
static void test_rfc7208_7_3_truncation(void)
{
	struct spf_macro_values values = example(false);
	char out[SPF_MACRO_DOMAIN_MAX + 1];
	char long_domain[300];

	memset(long_domain, 0, sizeof long_domain);
	for (size_t i = 0; i < 9; i++)
		strcat(long_domain, "abcdefghijklmnopqrstuvwxyz0123.");
	strcat(long_domain, "example.com");
	values.domain = long_domain; /* 9 * 31 + 11 = 290 characters */
	CHECK_INT(spf_macro_expand_domain(slice_from_string("%{d}."), &values, out), SPF_MACRO_OK);
	CHECK_INT(strlen(out), 8 * 31 + 11 - 31);
	CHECK(strcmp(out + strlen(out) - 12, ".example.com") == 0);
	CHECK(out[0] == 'a');
	CHECK_INT(spf_macro_expand_domain(slice_from_string("%{d2}."), &values, out), SPF_MACRO_OK);
	CHECK_STR(out, "example.com");
	CHECK_INT(spf_macro_expand_domain(slice_from_string("%{x}"), &values, out), SPF_MACRO_SYNTAX);
}

static void test_uses_validated(void)
{
	CHECK(spf_macro_uses_validated(slice_from_string("%{p}.example.com")));
	CHECK(spf_macro_uses_validated(slice_from_string("x.%{P2r}")));
	CHECK(!spf_macro_uses_validated(slice_from_string("%%{p}.example.com")));
	CHECK(!spf_macro_uses_validated(slice_from_string("%{d}.example.com")));
	CHECK(!spf_macro_uses_validated(slice_from_string("p.example.com")));
}

int main(void)
{
	RUN(test_expand);
	RUN(test_rfc7208_7_3_url_escape);
	RUN(test_rfc7208_7_3_unknown);
	RUN(test_domain_spec);
	RUN(test_rfc7208_7_3_truncation);
	RUN(test_uses_validated);
	return check_summary("test_spf_macro");
}
