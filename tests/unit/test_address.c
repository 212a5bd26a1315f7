/* test_address: table-driven cases for the path grammar, each named after the rule it checks
 * (RFC 5321 §4.1.2 Path/Mailbox/Local-part/Domain, §4.1.3 address literals, §4.5.3.1 limits;
 * RFC 6531 §3.3 UTF-8; RFC 3629 §4 well-formed UTF-8). Every accepted path is also formatted
 * and parsed again, and must give the same local part and domain. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "smtp/address.h"

#define WHOLE  ((size_t)-1) /* expected consumed: the whole input */
#define UTF8   ADDRESS_ALLOW_UTF8
#define NUL_OK ADDRESS_ALLOW_NULL
#define PM_OK  ADDRESS_ALLOW_POSTMASTER

struct path_case {
	const char *name;
	const char *input;
	size_t input_length;
	unsigned flags;
	enum address_result result;
	const char *local;  /* expected on ADDRESS_OK */
	const char *domain; /* expected on ADDRESS_OK */
	enum address_domain_kind kind;
	size_t consumed;
	bool was_quoted;
};

/* one case per line, so the table reads as a table */
/* clang-format off */
#define INPUT(literal) .input = literal, .input_length = sizeof(literal) - 1
#define GOOD(name_, input_, flags_, local_, domain_, kind_)                                                  \
	{.name = name_, INPUT(input_), .flags = flags_, .result = ADDRESS_OK, .local = local_,               \
	 .domain = domain_, .kind = kind_, .consumed = WHOLE}
#define QUOTED(name_, input_, local_, domain_)                                                               \
	{.name = name_, INPUT(input_), .result = ADDRESS_OK, .local = local_, .domain = domain_,             \
	 .kind = ADDRESS_DOMAIN_NAME, .consumed = WHOLE, .was_quoted = true}
#define BAD(name_, input_, flags_, result_) {.name = name_, INPUT(input_), .flags = flags_, .result = result_}

#define NAME ADDRESS_DOMAIN_NAME

static const struct path_case path_cases[] = {
	/* RFC 5321 §4.1.2 Mailbox = Local-part "@" Domain, inside Path = "<" ... ">" */
	GOOD("rfc5321_4_1_2_path_simple", "<user@example.org>", 0, "user", "example.org", NAME),
	GOOD("rfc5321_4_1_2_dot_string", "<first.last@example.org>", 0, "first.last", "example.org", NAME),
	GOOD("rfc5321_4_1_2_atext_specials", "<!#$%&'*+-/=?^_`{|}~@x.example>", 0, "!#$%&'*+-/=?^_`{|}~", "x.example", NAME),
	GOOD("rfc5321_4_1_2_atom_percent_hack", "<user%other@example.org>", 0, "user%other", "example.org", NAME),
	GOOD("rfc5321_4_1_2_atom_bang_path", "<other!user@example.org>", 0, "other!user", "example.org", NAME),
	GOOD("rfc5321_4_1_2_domain_case_kept", "<User@Example.ORG>", 0, "User", "Example.ORG", NAME),
	GOOD("rfc5321_4_1_2_domain_single_label", "<user@localhost>", 0, "user", "localhost", NAME),
	GOOD("rfc5321_4_1_2_domain_digit_label", "<u@123.example>", 0, "u", "123.example", NAME),
	GOOD("rfc5321_4_1_2_ldh_str_inner_hyphens", "<u@a--b.c-d.example>", 0, "u", "a--b.c-d.example", NAME),
	GOOD("rfc5321_4_1_2_sub_domain_one_letter", "<u@a.b>", 0, "u", "a.b", NAME),
	GOOD("rfc5321_4_1_2_postmaster_with_domain_is_mailbox", "<Postmaster@example.org>", 0, "Postmaster",
	     "example.org", NAME),
	/* what follows ">" is the caller's */
	{.name = "rfc5321_4_1_2_path_then_parameters", INPUT("<a@b> SIZE=10"), .result = ADDRESS_OK, .local = "a",
	 .domain = "b", .kind = NAME, .consumed = 5},
	{.name = "rfc5321_4_1_1_2_null_path_then_parameters", INPUT("<> SIZE=10"), .flags = NUL_OK,
	 .result = ADDRESS_OK, .local = "", .domain = "", .kind = ADDRESS_DOMAIN_NONE, .consumed = 2},

	/* RFC 5321 §4.1.2 Quoted-string, qtextSMTP, quoted-pairSMTP: decoded into local */
	QUOTED("rfc5321_4_1_2_quoted_string_space", "<\"john doe\"@example.org>", "john doe", "example.org"),
	QUOTED("rfc5321_4_1_2_quoted_string_at_sign", "<\"user@other\"@ours>", "user@other", "ours"),
	QUOTED("rfc5321_4_1_2_quoted_pair_dquote", "<\"a\\\"b\"@x>", "a\"b", "x"),
	QUOTED("rfc5321_4_1_2_quoted_pair_backslash", "<\"a\\\\b\"@x>", "a\\b", "x"),
	QUOTED("rfc5321_4_1_2_quoted_pair_plain_letter", "<\"\\a\"@x>", "a", "x"),
	QUOTED("rfc5321_4_1_2_quoted_pair_space", "<\"\\ \"@x>", " ", "x"),
	QUOTED("rfc5321_4_1_2_quoted_string_empty", "<\"\"@x>", "", "x"),
	QUOTED("rfc5321_4_1_2_quoted_string_unneeded", "<\"abc\"@x>", "abc", "x"),
	QUOTED("rfc5321_4_1_2_quoted_string_dots", "<\"a..b.\"@x>", "a..b.", "x"),
	QUOTED("rfc5321_4_1_2_quoted_string_specials", "<\"(a),[b];<c>:\"@x>", "(a),[b];<c>:", "x"),
	BAD("rfc5321_4_1_2_quoted_string_unterminated", "<\"abc@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_quoted_string_then_atom", "<\"a\"b@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_atom_then_quoted_string", "<a\"b\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_quoted_pair_eats_closing_quote", "<\"a\\\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_qtext_no_tab", "<\"a\tb\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_quoted_pair_no_tab", "<\"a\\\tb\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_quoted_pair_no_del", "<\"a\\\x7f\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_qtext_no_del", "<\"a\x7f\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_quoted_pair_no_cr", "<\"a\\\rb\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_qtext_no_lf", "<\"a\nb\"@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_quoted_pair_no_utf8", "<\"\\\xc3\xa9\"@x>", UTF8, ADDRESS_SYNTAX),

	/* RFC 5321 §4.1.2 Dot-string = Atom *("." Atom), Atom = 1*atext */
	BAD("rfc5321_4_1_2_dot_string_leading_dot", "<.a@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_dot_string_trailing_dot", "<a.@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_dot_string_double_dot", "<a..b@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_atext_no_space", "<a b@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_atext_no_backslash", "<a\\b@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_atext_no_comma", "<a,b@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_atext_no_parenthesis", "<a(comment)@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_local_part_empty", "<@x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_mailbox_two_at_signs", "<a@b@c>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_mailbox_no_at_sign", "<user>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_mailbox_no_domain", "<user@>", 0, ADDRESS_SYNTAX),

	/* RFC 5321 §4.1.2 Path = "<" ... ">" */
	BAD("rfc5321_4_1_2_path_empty_input", "", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_path_needs_brackets", "user@example.org", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_path_unclosed", "<user@example.org", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_path_space_before_close", "<user@example.org >", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_path_space_after_open", "< user@example.org>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_path_lone_open", "<", 0, ADDRESS_SYNTAX),

	/* RFC 5321 §4.1.2 Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str] */
	BAD("rfc5321_4_1_2_domain_trailing_dot", "<user@other.>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_domain_leading_dot", "<user@.example>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_domain_empty_label", "<user@a..example>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_sub_domain_starts_with_hyphen", "<u@-a.example>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_ldh_str_ends_with_hyphen", "<u@a-.example>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_sub_domain_no_underscore", "<u@a_b.example>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_domain_lone_dot", "<u@.>", 0, ADDRESS_SYNTAX),

	/* RFC 5321 §4.1.3 address literals: IPv4 and IPv6 checked with inet_pton */
	GOOD("rfc5321_4_1_3_ipv4_literal", "<u@[192.0.2.1]>", 0, "u", "[192.0.2.1]", ADDRESS_DOMAIN_IPV4),
	GOOD("rfc5321_4_1_3_ipv4_literal_extremes", "<u@[0.0.0.0]>", 0, "u", "[0.0.0.0]", ADDRESS_DOMAIN_IPV4),
	GOOD("rfc5321_4_1_3_ipv4_literal_255", "<u@[255.255.255.255]>", 0, "u", "[255.255.255.255]",
	     ADDRESS_DOMAIN_IPV4),
	GOOD("rfc5321_4_1_3_ipv6_literal", "<u@[IPv6:2001:db8::1]>", 0, "u", "[IPv6:2001:db8::1]", ADDRESS_DOMAIN_IPV6),
	GOOD("rfc5321_4_1_3_ipv6_tag_case_insensitive", "<u@[ipv6:2001:DB8::1]>", 0, "u", "[ipv6:2001:DB8::1]",
	     ADDRESS_DOMAIN_IPV6),
	GOOD("rfc5321_4_1_3_ipv6_full", "<u@[IPv6:2001:db8:0:0:0:0:0:1]>", 0, "u", "[IPv6:2001:db8:0:0:0:0:0:1]",
	     ADDRESS_DOMAIN_IPV6),
	GOOD("rfc5321_4_1_3_ipv6v4_comp", "<u@[IPv6:::ffff:192.0.2.1]>", 0, "u", "[IPv6:::ffff:192.0.2.1]",
	     ADDRESS_DOMAIN_IPV6),
	GOOD("rfc5321_4_1_3_ipv6_loopback", "<u@[IPv6:::1]>", 0, "u", "[IPv6:::1]", ADDRESS_DOMAIN_IPV6),
	GOOD("rfc5321_4_1_3_general_literal", "<u@[x-tag:some-content]>", 0, "u", "[x-tag:some-content]",
	     ADDRESS_DOMAIN_GENERAL),
	/* The grammar makes "2001" a Standardized-tag: a general literal, never an IP address. */
	GOOD("rfc5321_4_1_3_untagged_ipv6_is_general_literal", "<u@[2001:db8::1]>", 0, "u", "[2001:db8::1]",
	     ADDRESS_DOMAIN_GENERAL),
	BAD("rfc5321_4_1_3_ipv4_octet_over_255", "<u@[192.0.2.256]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv4_three_octets", "<u@[192.0.2]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv4_five_octets", "<u@[192.0.2.1.5]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv4_trailing_dot", "<u@[192.0.2.1.]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv4_empty_brackets", "<u@[]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv4_hex_not_snum", "<u@[0x7f.0.0.1]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv4_space_inside", "<u@[ 192.0.2.1]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_literal_unclosed", "<u@[192.0.2.1>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_literal_nested_bracket", "<u@[[192.0.2.1]]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_literal_then_text", "<u@[192.0.2.1]x>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv6_bad_hex", "<u@[IPv6:2001:db8::g]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv6_nine_groups", "<u@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv6_two_double_colons", "<u@[IPv6:1::2::3]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv6_empty", "<u@[IPv6:]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv6_zone_id", "<u@[IPv6:fe80::1%eth0]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_ipv6_with_ipv4_tag_missing", "<u@[IPv6:192.0.2.1]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_general_literal_empty_content", "<u@[x-tag:]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_standardized_tag_underscore", "<u@[x_tag:a]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_standardized_tag_trailing_hyphen", "<u@[tag-:a]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_standardized_tag_empty", "<u@[:a]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_dcontent_no_backslash", "<u@[tag:a\\b]>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_3_dcontent_no_utf8", "<u@[tag:\xc3\xa9]>", UTF8, ADDRESS_SYNTAX),

	/* RFC 5321 §4.1.2 A-d-l (source route): accepted and ignored, Appendix C */
	GOOD("rfc5321_4_1_2_source_route_ignored", "<@a.example,@b.example:user@d.example>", 0, "user", "d.example",
	     NAME),
	GOOD("rfc5321_4_1_2_source_route_one_hop", "<@a:user@d>", 0, "user", "d", NAME),
	BAD("rfc5321_4_1_2_source_route_no_colon", "<@a.example user@d>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_source_route_comma_without_at", "<@a,b:user@d>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_source_route_trailing_dot", "<@a.:user@d>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_source_route_no_literal", "<@[192.0.2.1]:user@d>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_source_route_without_mailbox", "<@a:>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_2_source_route_without_domain", "<@:user@d>", 0, ADDRESS_SYNTAX),

	/* RFC 5321 §4.1.1.2 Reverse-path "<>", §4.1.1.3 "<Postmaster>", only when the caller says so */
	GOOD("rfc5321_4_1_1_2_null_path_allowed", "<>", NUL_OK, "", "", ADDRESS_DOMAIN_NONE),
	BAD("rfc5321_4_1_1_2_null_path_not_allowed", "<>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_1_2_null_path_no_space", "< >", NUL_OK, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_1_2_null_path_not_postmaster", "<>", PM_OK, ADDRESS_SYNTAX),
	GOOD("rfc5321_4_1_1_3_postmaster_allowed", "<postmaster>", PM_OK, "postmaster", "", ADDRESS_DOMAIN_NONE),
	GOOD("rfc5321_4_1_1_3_postmaster_mixed_case", "<PostMaster>", PM_OK, "postmaster", "", ADDRESS_DOMAIN_NONE),
	GOOD("rfc5321_4_1_1_3_postmaster_upper_case", "<POSTMASTER>", PM_OK, "postmaster", "", ADDRESS_DOMAIN_NONE),
	BAD("rfc5321_4_1_1_3_postmaster_not_allowed", "<postmaster>", 0, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_1_3_postmaster_not_null", "<postmaster>", NUL_OK, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_1_3_postmaster_quoted_needs_domain", "<\"postmaster\">", PM_OK, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_1_3_postmaster_with_route", "<@a:postmaster>", PM_OK, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_1_3_postmaster_misspelt", "<postmastr>", PM_OK, ADDRESS_SYNTAX),
	BAD("rfc5321_4_1_1_3_postmaster_trailing_dot", "<postmaster.>", PM_OK, ADDRESS_SYNTAX),

	/* NUL, CR, LF and controls are never part of a path */
	{.name = "no_nul_in_local_part", .input = "<a\0b@x>", .input_length = 7, .result = ADDRESS_SYNTAX},
	{.name = "no_nul_in_domain", .input = "<a@x\0y>", .input_length = 7, .result = ADDRESS_SYNTAX},
	{.name = "no_nul_in_quoted_string", .input = "<\"a\0b\"@x>", .input_length = 9, .result = ADDRESS_SYNTAX},
	BAD("no_bare_cr_in_local_part", "<a\rb@x>", 0, ADDRESS_SYNTAX),
	BAD("no_bare_lf_in_domain", "<a@x\ny>", 0, ADDRESS_SYNTAX),
	BAD("no_crlf_in_path", "<a@x\r\n>", 0, ADDRESS_SYNTAX),
	BAD("no_tab_in_local_part", "<a\tb@x>", 0, ADDRESS_SYNTAX),
	BAD("no_del_in_local_part", "<a\x7f@x>", 0, ADDRESS_SYNTAX),
	BAD("no_escape_in_domain", "<a@x\x1b>", 0, ADDRESS_SYNTAX),

	/* RFC 6531 §3.3: UTF-8 in atoms, quoted strings and sub-domains, only when allowed */
	GOOD("rfc6531_3_3_utf8_local_part", "<\xd0\xbf\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0@example.org>", UTF8,
	     "\xd0\xbf\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0", "example.org", NAME),
	GOOD("rfc6531_3_3_utf8_domain", "<user@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88>", UTF8,
	     "user", "\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", NAME),
	GOOD("rfc6531_3_3_utf8_four_byte", "<\xf0\x9f\x98\x80@x>", UTF8, "\xf0\x9f\x98\x80", "x", NAME),
	GOOD("rfc3629_4_max_code_point", "<\xf4\x8f\xbf\xbf@x>", UTF8, "\xf4\x8f\xbf\xbf", "x", NAME),
	GOOD("rfc3629_4_first_non_c1_two_byte", "<\xc2\xa0@x>", UTF8, "\xc2\xa0", "x", NAME),
	GOOD("rfc3629_4_last_before_surrogates", "<\xed\x9f\xbf@x>", UTF8, "\xed\x9f\xbf", "x", NAME),
	GOOD("rfc3629_4_first_after_surrogates", "<\xee\x80\x80@x>", UTF8, "\xee\x80\x80", "x", NAME),
	GOOD("rfc6531_3_3_utf8_mixed_label", "<u@b\xc3\xbc""cher.example>", UTF8, "u", "b\xc3\xbc""cher.example", NAME),
	{.name = "rfc6531_3_3_utf8_quoted_string", INPUT("<\"j\xc3\xb6rg m\"@x>"), .flags = UTF8,
	 .result = ADDRESS_OK, .local = "j\xc3\xb6rg m", .domain = "x", .kind = NAME, .consumed = WHOLE,
	 .was_quoted = true},
	BAD("rfc6531_3_3_utf8_local_part_not_allowed", "<\xd0\xbf@example.org>", 0, ADDRESS_UTF8_NOT_ALLOWED),
	BAD("rfc6531_3_3_utf8_domain_not_allowed", "<user@b\xc3\xbc.example>", 0, ADDRESS_UTF8_NOT_ALLOWED),
	BAD("rfc6531_3_3_utf8_quoted_not_allowed", "<\"\xc3\xa9\"@x>", 0, ADDRESS_UTF8_NOT_ALLOWED),
	BAD("rfc6531_3_3_utf8_route_not_allowed", "<@b\xc3\xbc.example:u@x>", 0, ADDRESS_UTF8_NOT_ALLOWED),
	BAD("rfc6531_3_3_syntax_wins_over_utf8", "<\xc3\xa9@x.>", 0, ADDRESS_SYNTAX),
	BAD("rfc3629_4_overlong_slash_two_bytes", "<\xc0\xaf@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_overlong_c1_lead", "<\xc1\xbf@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_overlong_three_bytes", "<\xe0\x80\xaf@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_overlong_three_bytes_max", "<\xe0\x9f\xbf@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_overlong_four_bytes", "<\xf0\x80\x80\xaf@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_overlong_four_bytes_max", "<\xf0\x8f\xbf\xbf@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_surrogate_high", "<\xed\xa0\x80@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_surrogate_low", "<\xed\xbf\xbf@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_beyond_max_code_point", "<\xf4\x90\x80\x80@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_lead_f5", "<\xf5\x80\x80\x80@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_lead_ff", "<\xff@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_lone_continuation", "<\x80@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_truncated_two_bytes", "<a\xc3@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_truncated_four_bytes", "<a\xf0\x9f\x98@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_truncated_at_end_of_input", "<a\xe4\xbe", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_bad_utf8_in_domain", "<a@b\xc3(.example>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_bad_utf8_in_quoted_string", "<\"\xe0\x80\xaf\"@x>", UTF8, ADDRESS_BAD_UTF8),
	BAD("rfc3629_4_bad_utf8_reported_without_flag", "<\xc0\xaf@x>", 0, ADDRESS_BAD_UTF8),
	BAD("rfc6531_3_3_c1_control_rejected", "<a\xc2\x85@x>", UTF8, ADDRESS_SYNTAX),
	BAD("rfc6531_3_3_c1_control_rejected_in_quotes", "<\"a\xc2\x9f\"@x>", UTF8, ADDRESS_SYNTAX),
};
/* clang-format on */

/* Formats, wraps in <> and parses again: the same local part, domain and kind come back. */
static void check_round_trip(const struct address *address, unsigned flags)
{
	char formatted[ADDRESS_FORMAT_SIZE], wrapped[ADDRESS_FORMAT_SIZE + 2];
	struct address again;
	size_t length = address_format(address, formatted, sizeof formatted), consumed = 0;

	CHECK(length < sizeof formatted);
	CHECK_INT(strlen(formatted), length);
	snprintf(wrapped, sizeof wrapped, "<%s>", formatted);
	CHECK_INT(address_parse_path(slice_from_string(wrapped), flags, &again, &consumed), ADDRESS_OK);
	CHECK_INT(consumed, strlen(wrapped));
	CHECK_STR(again.local, address->local);
	CHECK_STR(again.domain, address->domain);
	CHECK_INT(again.domain_kind, address->domain_kind);
	CHECK_INT(again.is_null, address->is_null);
	CHECK_INT(again.is_postmaster, address->is_postmaster);
}

static void check_path_case(const struct path_case *test)
{
	struct address address;
	size_t consumed = 12345;
	int failures_before = check_failures_in_test;
	enum address_result result =
	    address_parse_path(slice_make(test->input, test->input_length), test->flags, &address, &consumed);

	CHECK_INT(result, test->result);
	if (result == ADDRESS_OK && test->result == ADDRESS_OK) {
		CHECK_STR(address.local, test->local);
		CHECK_STR(address.domain, test->domain);
		CHECK_INT(address.domain_kind, test->kind);
		CHECK_INT(consumed, test->consumed == WHOLE ? test->input_length : test->consumed);
		CHECK_INT(address.was_quoted, test->was_quoted);
		CHECK_INT(address.is_null, test->kind == ADDRESS_DOMAIN_NONE && test->local[0] == '\0');
		CHECK_INT(address.is_postmaster, test->kind == ADDRESS_DOMAIN_NONE && test->local[0] != '\0');
		check_round_trip(&address, test->flags);
	}
	if (result != ADDRESS_OK)
		CHECK_INT(consumed, 12345); /* untouched on failure */
	if (check_failures_in_test != failures_before)
		fprintf(stderr, "  in case %s\n", test->name);
}

static void test_path_table(void)
{
	for (size_t i = 0; i < sizeof path_cases / sizeof path_cases[0]; i++)
		check_path_case(&path_cases[i]);
}

/* RFC 6531 §3.3: has_utf8 says whether a byte >= 0x80 is in the local part or the domain. */
static void test_rfc6531_3_3_has_utf8_flag(void)
{
	struct address address;
	size_t consumed;

	CHECK_INT(address_parse_path(slice_from_string("<a@b>"), UTF8, &address, &consumed), ADDRESS_OK);
	CHECK(!address.has_utf8);
	CHECK_INT(address_parse_path(slice_from_string("<\xc3\xa9@b>"), UTF8, &address, &consumed), ADDRESS_OK);
	CHECK(address.has_utf8);
	CHECK_INT(address_parse_path(slice_from_string("<a@\xc3\xa9.b>"), UTF8, &address, &consumed), ADDRESS_OK);
	CHECK(address.has_utf8);
	/* the route is dropped, so it does not make the address a UTF-8 one */
	CHECK_INT(address_parse_path(slice_from_string("<@\xc3\xa9:a@b>"), UTF8, &address, &consumed), ADDRESS_OK);
	CHECK(!address.has_utf8);
}

/* count copies of c, NUL-terminated. */
static size_t build_repeated(char *out, char c, size_t count)
{
	memset(out, c, count);
	out[count] = '\0';
	return count;
}

/* A valid domain of exactly length octets, in labels of at most 51 octets. */
static void build_domain(char *out, size_t length)
{
	for (size_t i = 0; i < length; i++)
		out[i] = (i % 51 == 50) ? '.' : 'd';
	if (length > 0 && out[length - 1] == '.')
		out[length - 1] = 'd';
	out[length] = '\0';
}

static enum address_result parse_built_path(const char *local, const char *domain, struct address *address)
{
	char path[1024];
	size_t consumed;

	snprintf(path, sizeof path, "<%s@%s>", local, domain);
	return address_parse_path(slice_from_string(path), 0, address, &consumed);
}

/* RFC 5321 §4.5.3.1.1: a local part of at most 64 octets, counted as written. */
static void test_rfc5321_4_5_3_1_1_local_part_length(void)
{
	char local[128];
	struct address address;

	build_repeated(local, 'l', 64);
	CHECK_INT(parse_built_path(local, "x", &address), ADDRESS_OK);
	CHECK_INT(strlen(address.local), 64);
	build_repeated(local, 'l', 65);
	CHECK_INT(parse_built_path(local, "x", &address), ADDRESS_TOO_LONG);
	build_repeated(local, 'l', 100);
	CHECK_INT(parse_built_path(local, "x", &address), ADDRESS_TOO_LONG);
	/* quoted: the quotes count, so 62 octets inside is the most */
	local[0] = '"';
	build_repeated(local + 1, 'q', 62);
	strcat(local, "\"");
	CHECK_INT(parse_built_path(local, "x", &address), ADDRESS_OK);
	CHECK_INT(strlen(address.local), 62);
	local[0] = '"';
	build_repeated(local + 1, 'q', 63);
	strcat(local, "\"");
	CHECK_INT(parse_built_path(local, "x", &address), ADDRESS_TOO_LONG);
	/* quoted-pairs count as written: 32 escaped octets are 64 octets plus the quotes */
	local[0] = '"';
	for (int i = 0; i < 32; i++)
		memcpy(local + 1 + 2 * i, "\\q", 2);
	strcpy(local + 65, "\"");
	CHECK_INT(parse_built_path(local, "x", &address), ADDRESS_TOO_LONG);
}

/* RFC 5321 §4.5.3.1.2: a domain of at most 255 octets; RFC 1035 §2.3.4: labels of at most 63. */
static void test_rfc5321_4_5_3_1_2_domain_length(void)
{
	char domain[512], label[128];
	struct address address;

	build_domain(domain, 255);
	CHECK(address_domain_is_valid(slice_from_string(domain), false));
	build_domain(domain, 256);
	CHECK(!address_domain_is_valid(slice_from_string(domain), false));
	/* in a path, a 256-octet domain is over both limits */
	CHECK_INT(parse_built_path("a", domain, &address), ADDRESS_TOO_LONG);
	build_repeated(label, 'd', 63);
	CHECK_INT(parse_built_path("a", label, &address), ADDRESS_OK);
	CHECK(address_domain_is_valid(slice_from_string(label), false));
	build_repeated(label, 'd', 64);
	CHECK_INT(parse_built_path("a", label, &address), ADDRESS_TOO_LONG);
	CHECK(!address_domain_is_valid(slice_from_string(label), false));
	snprintf(domain, sizeof domain, "a.%s.b", label);
	CHECK_INT(parse_built_path("a", domain, &address), ADDRESS_TOO_LONG);
}

/* RFC 5321 §4.5.3.1.3: a path of at most 256 octets including "<", ">" and any route. */
static void test_rfc5321_4_5_3_1_3_path_length(void)
{
	char domain[512], path[1024];
	struct address address;
	size_t consumed;

	build_domain(domain, 252); /* "<a@" + 252 + ">" = 256 */
	CHECK_INT(parse_built_path("a", domain, &address), ADDRESS_OK);
	CHECK_INT(strlen(address.domain), 252);
	build_domain(domain, 253);
	CHECK_INT(parse_built_path("a", domain, &address), ADDRESS_TOO_LONG);
	build_domain(domain, 240);
	snprintf(path, sizeof path, "<@%s:a@bbb.example>", domain); /* 2 + 240 + 1 + 13 + 1 = 257 */
	CHECK_INT(address_parse_path(slice_from_string(path), 0, &address, &consumed), ADDRESS_TOO_LONG);
	snprintf(path, sizeof path, "<@%s:a@bb.example>", domain); /* 256 */
	CHECK_INT(address_parse_path(slice_from_string(path), 0, &address, &consumed), ADDRESS_OK);
	CHECK_INT(consumed, 256);
}

struct mailbox_case {
	const char *name;
	const char *input;
	unsigned flags;
	enum address_result result;
	const char *local;
	const char *domain;
};

/* one case per line, so the table reads as a table */
/* clang-format off */
static const struct mailbox_case mailbox_cases[] = {
	{"rfc5321_4_1_2_mailbox_simple", "user@example.org", 0, ADDRESS_OK, "user", "example.org"},
	{"rfc5321_4_1_2_mailbox_quoted", "\"john doe\"@example.org", 0, ADDRESS_OK, "john doe", "example.org"},
	{"rfc5321_4_1_3_mailbox_ipv6_literal", "u@[IPv6:::1]", 0, ADDRESS_OK, "u", "[IPv6:::1]"},
	{"rfc5321_4_1_2_mailbox_no_brackets", "<user@example.org>", 0, ADDRESS_SYNTAX, NULL, NULL},
	{"rfc5321_4_1_2_mailbox_trailing_space", "user@example.org ", 0, ADDRESS_SYNTAX, NULL, NULL},
	{"rfc5321_4_1_2_mailbox_leading_space", " user@example.org", 0, ADDRESS_SYNTAX, NULL, NULL},
	{"rfc5321_4_1_2_mailbox_trailing_dot", "user@other.", 0, ADDRESS_SYNTAX, NULL, NULL},
	{"rfc5321_4_1_2_mailbox_no_source_route", "@a:user@b", 0, ADDRESS_SYNTAX, NULL, NULL},
	{"rfc5321_4_1_2_mailbox_empty", "", 0, ADDRESS_SYNTAX, NULL, NULL},
	{"rfc5321_4_1_1_2_mailbox_null_when_allowed", "", NUL_OK, ADDRESS_OK, "", ""},
	{"rfc5321_4_1_1_3_mailbox_postmaster_when_allowed", "PostMaster", PM_OK, ADDRESS_OK, "postmaster", ""},
	{"rfc5321_4_1_1_3_mailbox_postmaster_not_allowed", "postmaster", 0, ADDRESS_SYNTAX, NULL, NULL},
	{"rfc6531_3_3_mailbox_utf8_allowed", "\xc3\xa9@x", UTF8, ADDRESS_OK, "\xc3\xa9", "x"},
	{"rfc6531_3_3_mailbox_utf8_not_allowed", "\xc3\xa9@x", 0, ADDRESS_UTF8_NOT_ALLOWED, NULL, NULL},
	{"rfc3629_4_mailbox_overlong", "\xc0\xaf@x", UTF8, ADDRESS_BAD_UTF8, NULL, NULL},
};
/* clang-format on */

static void test_mailbox_table(void)
{
	for (size_t i = 0; i < sizeof mailbox_cases / sizeof mailbox_cases[0]; i++) {
		const struct mailbox_case *test = &mailbox_cases[i];
		struct address address;
		int failures_before = check_failures_in_test;
		enum address_result result =
		    address_parse_mailbox(slice_from_string(test->input), test->flags, &address);

		CHECK_INT(result, test->result);
		if (result == ADDRESS_OK && test->local != NULL) {
			CHECK_STR(address.local, test->local);
			CHECK_STR(address.domain, test->domain);
		}
		if (check_failures_in_test != failures_before)
			fprintf(stderr, "  in case %s\n", test->name);
	}
}

/* RFC 5321 §4.5.3.1.3: a bare mailbox must still fit in a path. */
static void test_rfc5321_4_5_3_1_3_mailbox_fits_in_path(void)
{
	char mailbox[512];
	struct address address;

	strcpy(mailbox, "a@");
	build_domain(mailbox + 2, 252); /* 254 + "<>" = 256 */
	CHECK_INT(address_parse_mailbox(slice_from_string(mailbox), 0, &address), ADDRESS_OK);
	build_domain(mailbox + 2, 253);
	CHECK_INT(address_parse_mailbox(slice_from_string(mailbox), 0, &address), ADDRESS_TOO_LONG);
}

struct format_case {
	const char *name;
	const char *path;
	unsigned flags;
	const char *formatted;
};

/* one case per line, so the table reads as a table */
/* clang-format off */
static const struct format_case format_cases[] = {
	{"rfc5321_4_1_2_format_dot_string", "<first.last@example.org>", 0, "first.last@example.org"},
	{"rfc5321_4_1_2_format_requotes_space", "<\"john doe\"@x>", 0, "\"john doe\"@x"},
	{"rfc5321_4_1_2_format_requotes_at_sign", "<\"user@other\"@ours>", 0, "\"user@other\"@ours"},
	{"rfc5321_4_1_2_format_drops_needless_quotes", "<\"abc\"@x>", 0, "abc@x"},
	{"rfc5321_4_1_2_format_drops_needless_pairs", "<\"\\a\\b\"@x>", 0, "ab@x"},
	{"rfc5321_4_1_2_format_escapes_dquote", "<\"a\\\"b\"@x>", 0, "\"a\\\"b\"@x"},
	{"rfc5321_4_1_2_format_escapes_backslash", "<\"a\\\\b\"@x>", 0, "\"a\\\\b\"@x"},
	{"rfc5321_4_1_2_format_quotes_double_dot", "<\"a..b\"@x>", 0, "\"a..b\"@x"},
	{"rfc5321_4_1_2_format_quotes_leading_dot", "<\".a\"@x>", 0, "\".a\"@x"},
	{"rfc5321_4_1_2_format_quotes_empty", "<\"\"@x>", 0, "\"\"@x"},
	{"rfc5321_4_1_2_format_drops_source_route", "<@a,@b:user@d>", 0, "user@d"},
	{"rfc5321_4_1_3_format_keeps_literal_brackets", "<u@[192.0.2.1]>", 0, "u@[192.0.2.1]"},
	{"rfc5321_4_1_1_2_format_null_path", "<>", NUL_OK, ""},
	{"rfc5321_4_1_1_3_format_postmaster", "<POSTMASTER>", PM_OK, "postmaster"},
	{"rfc6531_3_3_format_utf8_unquoted", "<\"\xc3\xa9""t\xc3\xa9\"@x>", UTF8, "\xc3\xa9""t\xc3\xa9@x"},
	{"rfc6531_3_3_format_utf8_quoted", "<\"\xc3\xa9 t\"@x>", UTF8, "\"\xc3\xa9 t\"@x"},
};
/* clang-format on */

static void test_format_table(void)
{
	for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
		const struct format_case *test = &format_cases[i];
		struct address address;
		char out[ADDRESS_FORMAT_SIZE];
		size_t consumed;
		int failures_before = check_failures_in_test;

		CHECK_INT(address_parse_path(slice_from_string(test->path), test->flags, &address, &consumed),
		          ADDRESS_OK);
		CHECK_INT(address_format(&address, out, sizeof out), strlen(test->formatted));
		CHECK_STR(out, test->formatted);
		check_round_trip(&address, test->flags);
		if (check_failures_in_test != failures_before)
			fprintf(stderr, "  in case %s\n", test->name);
	}
}

/* address_format is snprintf-like: it truncates, always terminates, and returns the full length. */
static void test_format_truncates_like_snprintf(void)
{
	struct address address;
	char out[8];
	size_t consumed;

	CHECK_INT(address_parse_path(slice_from_string("<user@example.org>"), 0, &address, &consumed), ADDRESS_OK);
	memset(out, 'Z', sizeof out);
	CHECK_INT(address_format(&address, out, 5), 16);
	CHECK_STR(out, "user");
	CHECK(out[5] == 'Z');
	CHECK_INT(address_format(&address, out, 1), 16);
	CHECK_STR(out, "");
	out[0] = 'Z';
	CHECK_INT(address_format(&address, out, 0), 16);
	CHECK(out[0] == 'Z');
	CHECK_INT(address_format(&address, NULL, 0), 16);
}

/* The longest local part, made of characters that each need a quoted-pair, fits the promise. */
static void test_format_size_suffices(void)
{
	struct address address;
	char out[ADDRESS_FORMAT_SIZE];

	memset(&address, 0, sizeof address);
	memset(address.local, '"', ADDRESS_LOCAL_MAX);
	build_domain(address.domain, ADDRESS_DOMAIN_MAX);
	address.domain_kind = ADDRESS_DOMAIN_NAME;
	CHECK(address_format(&address, out, sizeof out) < sizeof out);
	CHECK_INT(strlen(out), 2 * ADDRESS_LOCAL_MAX + 2 + 1 + ADDRESS_DOMAIN_MAX);
}

struct domain_case {
	const char *name;
	const char *domain;
	bool allow_utf8;
	bool valid;
};

/* one case per line, so the table reads as a table */
/* clang-format off */
static const struct domain_case domain_cases[] = {
	{"rfc5321_4_1_2_domain_valid", "mx.example.org", false, true},
	{"rfc5321_4_1_2_is_valid_domain_single_label", "localhost", false, true},
	{"rfc5321_4_1_2_domain_digits", "123.example", false, true},
	{"rfc5321_4_1_2_domain_empty", "", false, false},
	{"rfc5321_4_1_2_is_valid_domain_trailing_dot", "example.org.", false, false},
	{"rfc5321_4_1_2_is_valid_domain_leading_dot", ".example.org", false, false},
	{"rfc5321_4_1_2_domain_hyphen_start", "-a.example", false, false},
	{"rfc5321_4_1_2_domain_hyphen_end", "a-.example", false, false},
	{"rfc5321_4_1_2_domain_underscore", "_dmarc.example", false, false},
	{"rfc5321_4_1_2_domain_space", "a example", false, false},
	{"rfc5321_4_1_2_domain_is_not_a_literal", "[192.0.2.1]", false, false},
	{"rfc5321_4_1_2_domain_no_at_sign", "a@b", false, false},
	{"rfc6531_3_3_u_label_allowed", "b\xc3\xbc"
	                                "cher.example",
	 true, true},
	{"rfc6531_3_3_u_label_not_allowed", "b\xc3\xbc"
	                                    "cher.example",
	 false, false},
	{"rfc3629_4_domain_overlong", "\xc0\xae.example", true, false},
	{"rfc3629_4_domain_surrogate", "\xed\xa0\x80.example", true, false},
};
/* clang-format on */

static void test_domain_table(void)
{
	for (size_t i = 0; i < sizeof domain_cases / sizeof domain_cases[0]; i++) {
		const struct domain_case *test = &domain_cases[i];
		int failures_before = check_failures_in_test;

		CHECK_INT(address_domain_is_valid(slice_from_string(test->domain), test->allow_utf8), test->valid);
		if (check_failures_in_test != failures_before)
			fprintf(stderr, "  in case %s\n", test->name);
	}
}

/* A parser never reads past the slice: the byte after it would make the path valid. */
static void test_slice_end_is_respected(void)
{
	struct address address;
	size_t consumed;
	const char *text = "<user@example.org>";

	CHECK_INT(address_parse_path(slice_make(text, strlen(text) - 1), 0, &address, &consumed), ADDRESS_SYNTAX);
	CHECK_INT(address_parse_mailbox(slice_make("a@bc", 3), 0, &address), ADDRESS_OK);
	CHECK_STR(address.domain, "b");
	CHECK(!address_domain_is_valid(slice_make("example.", 8), false));
	CHECK_INT(address_parse_path(slice_make("<postmaster>", 11), PM_OK, &address, &consumed), ADDRESS_SYNTAX);
}

int main(void)
{
	RUN(test_path_table);
	RUN(test_rfc6531_3_3_has_utf8_flag);
	RUN(test_rfc5321_4_5_3_1_1_local_part_length);
	RUN(test_rfc5321_4_5_3_1_2_domain_length);
	RUN(test_rfc5321_4_5_3_1_3_path_length);
	RUN(test_mailbox_table);
	RUN(test_rfc5321_4_5_3_1_3_mailbox_fits_in_path);
	RUN(test_format_table);
	RUN(test_format_truncates_like_snprintf);
	RUN(test_format_size_suffices);
	RUN(test_domain_table);
	RUN(test_slice_end_is_respected);
	return check_summary("address");
}
