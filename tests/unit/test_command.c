/* test_command: table-driven cases for the command-line parser, each named after the rule it
 * checks (RFC 5321 §4.1.1 verbs and their arguments, §4.1.2 esmtp-param, §2.3.8 no bare CR/LF;
 * RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3030 BDAT). Each case checks every
 * field of the result, and every case is parsed again with the line's letters case-swapped
 * where that must not matter (verbs, keywords), and from an exactly-sized copy. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "smtp/command.h"

struct command_case {
	const char *name;
	const char *input;
	size_t input_length;
	enum command_result result;
	enum command_verb verb;
	const char *argument; /* NULL: expected empty */
	const char *local;    /* MAIL/RCPT on success: expected address */
	const char *domain;
	enum address_result address_result;
	bool is_null;
	bool is_postmaster;
	bool has_utf8;
	bool has_size;
	uint64_t size;
	enum command_body body;
	bool smtputf8;
	uint64_t chunk_size;
	bool last;
};

/* one case per line, so the table reads as a table */
/* clang-format off */
#define INPUT(literal) .input = literal, .input_length = sizeof(literal) - 1
#define CASE(name_, input_, result_, verb_) .name = name_, INPUT(input_), .result = result_, .verb = verb_
#define OK(name_, input_, verb_) {CASE(name_, input_, COMMAND_OK, verb_)}
#define ARG(name_, input_, verb_, argument_) {CASE(name_, input_, COMMAND_OK, verb_), .argument = argument_}
#define FAIL(name_, input_, result_, verb_) {CASE(name_, input_, result_, verb_)}
#define MAIL(name_, input_, local_, domain_)                                                                 \
	{CASE(name_, input_, COMMAND_OK, VERB_MAIL), .local = local_, .domain = domain_}
#define RCPT(name_, input_, local_, domain_)                                                                 \
	{CASE(name_, input_, COMMAND_OK, VERB_RCPT), .local = local_, .domain = domain_}
#define BAD_PATH(name_, input_, verb_, address_result_)                                                     \
	{CASE(name_, input_, COMMAND_BAD_ADDRESS, verb_), .address_result = address_result_}

static const struct command_case cases[] = {
	/* RFC 5321 §2.4: verbs are case-insensitive; §4.1.1: exactly one SP before the argument */
	ARG("rfc5321_4_1_1_1_helo", "HELO mx.example.org", VERB_HELO, "mx.example.org"),
	ARG("rfc5321_4_1_1_1_ehlo", "EHLO mx.example.org", VERB_EHLO, "mx.example.org"),
	ARG("rfc5321_2_4_verb_lower_case", "ehlo mx.example.org", VERB_EHLO, "mx.example.org"),
	ARG("rfc5321_2_4_verb_mixed_case", "EhLo x", VERB_EHLO, "x"),
	ARG("rfc5321_4_1_1_1_ehlo_address_literal", "EHLO [192.0.2.1]", VERB_EHLO, "[192.0.2.1]"),
	ARG("rfc5321_4_1_1_1_ehlo_argument_kept_verbatim", "EHLO a b ", VERB_EHLO, "a b "),
	FAIL("rfc5321_4_1_1_1_ehlo_needs_domain", "EHLO", COMMAND_SYNTAX, VERB_EHLO),
	FAIL("rfc5321_4_1_1_1_ehlo_empty_domain", "EHLO ", COMMAND_SYNTAX, VERB_EHLO),
	FAIL("rfc5321_4_1_1_ehlo_two_spaces", "EHLO  x", COMMAND_SYNTAX, VERB_EHLO),
	FAIL("rfc5321_4_1_1_1_helo_needs_domain", "HELO", COMMAND_SYNTAX, VERB_HELO),
	OK("rfc5321_4_1_1_4_data", "DATA", VERB_DATA),
	OK("rfc5321_2_4_data_lower_case", "data", VERB_DATA),
	FAIL("rfc5321_4_1_1_4_data_no_argument", "DATA x", COMMAND_SYNTAX, VERB_DATA),
	FAIL("rfc5321_4_1_1_4_data_no_trailing_space", "DATA ", COMMAND_SYNTAX, VERB_DATA),
	OK("rfc5321_4_1_1_5_rset", "RSET", VERB_RSET),
	FAIL("rfc5321_4_1_1_5_rset_no_argument", "RSET now", COMMAND_SYNTAX, VERB_RSET),
	OK("rfc5321_4_1_1_10_quit", "QUIT", VERB_QUIT),
	FAIL("rfc5321_4_1_1_10_quit_no_argument", "QUIT bye", COMMAND_SYNTAX, VERB_QUIT),
	OK("rfc3207_4_starttls", "STARTTLS", VERB_STARTTLS),
	FAIL("rfc3207_4_starttls_no_argument", "STARTTLS x", COMMAND_SYNTAX, VERB_STARTTLS),
	OK("rfc5321_4_1_1_9_noop", "NOOP", VERB_NOOP),
	ARG("rfc5321_4_1_1_9_noop_string", "NOOP hello world", VERB_NOOP, "hello world"),
	FAIL("rfc5321_4_1_1_9_noop_empty_string", "NOOP ", COMMAND_SYNTAX, VERB_NOOP),
	OK("rfc5321_4_1_1_8_help", "HELP", VERB_HELP),
	ARG("rfc5321_4_1_1_8_help_topic", "HELP MAIL", VERB_HELP, "MAIL"),
	ARG("rfc5321_4_1_1_6_vrfy", "VRFY user", VERB_VRFY, "user"),
	FAIL("rfc5321_4_1_1_6_vrfy_needs_string", "VRFY", COMMAND_SYNTAX, VERB_VRFY),
	ARG("rfc5321_4_1_1_7_expn", "EXPN staff", VERB_EXPN, "staff"),
	FAIL("rfc5321_4_1_1_7_expn_needs_string", "EXPN", COMMAND_SYNTAX, VERB_EXPN),
	ARG("rfc4954_4_auth_initial_response", "AUTH PLAIN AHVzZXIAcGFzcw==", VERB_AUTH, "PLAIN AHVzZXIAcGFzcw=="),
	ARG("rfc4954_4_auth_mechanism_only", "AUTH LOGIN", VERB_AUTH, "LOGIN"),
	FAIL("rfc4954_4_auth_needs_mechanism", "AUTH", COMMAND_SYNTAX, VERB_AUTH),

	/* RFC 5321 §4.2.4: 500 for what is not a command */
	FAIL("rfc5321_4_2_4_empty_line", "", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),
	FAIL("rfc5321_4_2_4_unknown_verb", "FOO", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),
	FAIL("rfc5321_4_2_4_unknown_verb_with_argument", "XCLIENT ADDR=1.2.3.4", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),
	FAIL("rfc5321_4_2_4_verb_prefix_is_not_verb", "DATAX", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),
	FAIL("rfc5321_4_2_4_verb_needs_space", "MAILFROM:<a@b>", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),
	FAIL("rfc5321_4_1_1_leading_space", " QUIT", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),
	FAIL("rfc5321_4_1_1_lone_space", " ", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),
	FAIL("rfc5321_4_1_1_verb_then_colon", "MAIL:FROM:<a@b>", COMMAND_UNKNOWN_VERB, VERB_UNKNOWN),

	/* RFC 5321 §2.3.8: no NUL, and CR and LF only as CRLF, which the framing code removed */
	{CASE("rfc5321_2_3_8_nul_alone", "\0", COMMAND_BAD_BYTES, VERB_UNKNOWN)},
	{CASE("rfc5321_2_3_8_nul_after_verb", "QUIT\0", COMMAND_BAD_BYTES, VERB_UNKNOWN)},
	{CASE("rfc5321_2_3_8_nul_in_path", "MAIL FROM:<a\0@b>", COMMAND_BAD_BYTES, VERB_MAIL)},
	FAIL("rfc5321_2_3_8_bare_cr_in_verb", "QU\rIT", COMMAND_BAD_BYTES, VERB_UNKNOWN),
	FAIL("rfc5321_2_3_8_bare_lf_at_end", "QUIT\n", COMMAND_BAD_BYTES, VERB_UNKNOWN),
	FAIL("rfc5321_2_3_8_trailing_cr", "MAIL FROM:<a@b>\r", COMMAND_BAD_BYTES, VERB_MAIL),
	FAIL("rfc5321_2_3_8_bare_lf_smuggles_command", "MAIL FROM:<a@b>\nRCPT TO:<c@d>", COMMAND_BAD_BYTES, VERB_MAIL),
	FAIL("rfc5321_2_3_8_bare_cr_in_argument", "NOOP a\rb", COMMAND_BAD_BYTES, VERB_NOOP),
	FAIL("rfc5321_4_1_1_tab_is_not_space", "NOOP\tx", COMMAND_BAD_BYTES, VERB_UNKNOWN),
	FAIL("rfc5321_4_1_1_tab_in_argument", "NOOP a\tb", COMMAND_BAD_BYTES, VERB_NOOP),
	FAIL("rfc5321_4_1_1_del_in_argument", "NOOP \x7f", COMMAND_BAD_BYTES, VERB_NOOP),
	FAIL("rfc5321_4_1_1_escape_in_unknown_verb", "FOO\x1b", COMMAND_BAD_BYTES, VERB_UNKNOWN),
	/* RFC 6531 §3.4: UTF-8 only inside paths */
	FAIL("rfc6531_3_4_8bit_in_noop", "NOOP \xc3\xa9", COMMAND_BAD_BYTES, VERB_NOOP),
	FAIL("rfc6531_3_4_8bit_in_ehlo", "EHLO b\xc3\xbc.example", COMMAND_BAD_BYTES, VERB_EHLO),
	FAIL("rfc6531_3_4_8bit_in_verb", "HEL\xc3\x96 x", COMMAND_BAD_BYTES, VERB_UNKNOWN),
	FAIL("rfc6531_3_4_8bit_after_unknown_verb", "XYZ \xc3\xa9", COMMAND_BAD_BYTES, VERB_UNKNOWN),
	FAIL("rfc6531_3_4_8bit_in_mail_keyword", "MAIL FR\xc3\x96M:<a@b>", COMMAND_BAD_BYTES, VERB_MAIL),
	FAIL("rfc6531_3_4_8bit_in_parameter", "MAIL FROM:<a@b> SIZE=1\xc3\xa9", COMMAND_BAD_BYTES, VERB_MAIL),
	FAIL("rfc6531_3_4_8bit_in_rcpt_parameter", "RCPT TO:<a@b> X=\xff", COMMAND_BAD_BYTES, VERB_RCPT),
	FAIL("rfc6531_3_4_8bit_in_bdat", "BDAT 1\xc3\xa9", COMMAND_BAD_BYTES, VERB_BDAT),
	FAIL("rfc6531_3_4_8bit_in_auth", "AUTH PLAIN \x80", COMMAND_BAD_BYTES, VERB_AUTH),

	/* RFC 5321 §4.1.1.2 mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] */
	MAIL("rfc5321_4_1_1_2_mail", "MAIL FROM:<user@example.org>", "user", "example.org"),
	MAIL("rfc4954_5_mail_auth_parameter_accepted", "MAIL FROM:<user@example.org> AUTH=<>", "user", "example.org"),
	MAIL("rfc5321_2_4_mail_lower_case", "mail from:<user@example.org>", "user", "example.org"),
	MAIL("rfc5321_4_1_1_2_mail_space_after_colon_tolerated", "MAIL FROM: <user@example.org>", "user", "example.org"),
	MAIL("rfc5321_4_1_2_mail_quoted_local_part", "MAIL FROM:<\"john doe\"@x>", "john doe", "x"),
	MAIL("rfc5321_4_1_2_mail_source_route_ignored", "MAIL FROM:<@a,@b:user@d>", "user", "d"),
	MAIL("rfc5321_4_1_3_mail_ipv6_literal", "MAIL FROM:<u@[IPv6:2001:db8::1]>", "u", "[IPv6:2001:db8::1]"),
	{CASE("rfc5321_4_1_1_2_null_reverse_path", "MAIL FROM:<>", COMMAND_OK, VERB_MAIL), .local = "", .domain = "",
	 .is_null = true},
	{CASE("rfc5321_4_1_1_2_null_path_then_size", "MAIL FROM:<> SIZE=1000", COMMAND_OK, VERB_MAIL), .local = "",
	 .domain = "", .is_null = true, .has_size = true, .size = 1000},
	{CASE("rfc5321_4_1_2_null_path_then_all_parameters", "MAIL FROM:<> BODY=8BITMIME SIZE=1000 SMTPUTF8", COMMAND_OK,
	      VERB_MAIL),
	 .local = "", .domain = "", .is_null = true, .has_size = true, .size = 1000, .body = BODY_8BITMIME,
	 .smtputf8 = true},
	FAIL("rfc5321_4_1_1_2_null_path_needs_space_before_parameter", "MAIL FROM:<>SIZE=1", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_1_2_mail_needs_from", "MAIL <a@b>", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_1_2_mail_needs_colon", "MAIL FROM <a@b>", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_1_2_mail_is_not_to", "MAIL TO:<a@b>", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_1_2_mail_alone", "MAIL", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_1_2_mail_space_only", "MAIL ", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_1_mail_two_spaces", "MAIL  FROM:<a@b>", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_1_2_mail_space_before_colon", "MAIL FROM :<a@b>", COMMAND_SYNTAX, VERB_MAIL),
	BAD_PATH("rfc5321_4_1_1_2_mail_two_spaces_after_colon", "MAIL FROM:  <a@b>", VERB_MAIL, ADDRESS_SYNTAX),
	BAD_PATH("rfc5321_4_1_1_2_mail_needs_path", "MAIL FROM:", VERB_MAIL, ADDRESS_SYNTAX),
	BAD_PATH("rfc5321_4_1_2_mail_needs_brackets", "MAIL FROM:a@b", VERB_MAIL, ADDRESS_SYNTAX),
	BAD_PATH("rfc5321_4_1_2_mail_trailing_dot_domain", "MAIL FROM:<user@other.>", VERB_MAIL, ADDRESS_SYNTAX),
	BAD_PATH("rfc5321_4_1_1_2_mail_no_bare_postmaster", "MAIL FROM:<postmaster>", VERB_MAIL, ADDRESS_SYNTAX),
	BAD_PATH("rfc5321_4_1_3_mail_bad_ipv4_literal", "MAIL FROM:<u@[192.0.2.300]>", VERB_MAIL, ADDRESS_SYNTAX),
	FAIL("rfc5321_4_1_1_2_mail_junk_after_path", "MAIL FROM:<a@b>x", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_2_mail_trailing_space", "MAIL FROM:<a@b> ", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_2_mail_two_spaces_before_parameter", "MAIL FROM:<a@b>  SIZE=1", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_2_mail_two_spaces_between_parameters", "MAIL FROM:<a@b> SIZE=1  SMTPUTF8", COMMAND_SYNTAX,
	     VERB_MAIL),

	/* RFC 5321 §4.1.2 esmtp-param = esmtp-keyword ["=" esmtp-value] */
	FAIL("rfc5321_4_1_2_esmtp_keyword_empty", "MAIL FROM:<a@b> =1", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_2_esmtp_keyword_leading_hyphen", "MAIL FROM:<a@b> -X=1", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_2_esmtp_keyword_underscore", "MAIL FROM:<a@b> X_Y=1", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_2_esmtp_value_empty", "MAIL FROM:<a@b> SIZE=", COMMAND_SYNTAX, VERB_MAIL),
	FAIL("rfc5321_4_1_2_esmtp_value_no_equals", "MAIL FROM:<a@b> SIZE=1=2", COMMAND_SYNTAX, VERB_MAIL),
	{CASE("rfc5321_4_1_2_esmtp_keyword_case_insensitive", "MAIL FROM:<a@b> size=10 Body=8bitmime smtputf8",
	      COMMAND_OK, VERB_MAIL),
	 .local = "a", .domain = "b", .has_size = true, .size = 10, .body = BODY_8BITMIME, .smtputf8 = true},

	/* RFC 1870 §3 SIZE=1*20DIGIT */
	{CASE("rfc1870_3_size_zero", "MAIL FROM:<a@b> SIZE=0", COMMAND_OK, VERB_MAIL), .local = "a", .domain = "b",
	 .has_size = true, .size = 0},
	{CASE("rfc1870_3_size_leading_zeros", "MAIL FROM:<a@b> SIZE=007", COMMAND_OK, VERB_MAIL), .local = "a",
	 .domain = "b", .has_size = true, .size = 7},
	{CASE("rfc1870_3_size_uint64_max", "MAIL FROM:<a@b> SIZE=18446744073709551615", COMMAND_OK, VERB_MAIL),
	 .local = "a", .domain = "b", .has_size = true, .size = UINT64_MAX},
	FAIL("rfc1870_3_size_overflow_by_one", "MAIL FROM:<a@b> SIZE=18446744073709551616", COMMAND_BAD_PARAMETER,
	     VERB_MAIL),
	FAIL("rfc1870_3_size_overflow_twenty_digits", "MAIL FROM:<a@b> SIZE=99999999999999999999", COMMAND_BAD_PARAMETER,
	     VERB_MAIL),
	FAIL("rfc1870_3_size_more_than_twenty_digits", "MAIL FROM:<a@b> SIZE=000000000000000000001",
	     COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc1870_3_size_needs_value", "MAIL FROM:<a@b> SIZE", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc1870_3_size_not_digits", "MAIL FROM:<a@b> SIZE=12a", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc1870_3_size_no_sign", "MAIL FROM:<a@b> SIZE=-1", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc1870_3_size_no_plus", "MAIL FROM:<a@b> SIZE=+1", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc1870_3_size_duplicate", "MAIL FROM:<a@b> SIZE=1 SIZE=2", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc1870_3_size_duplicate_other_case", "MAIL FROM:<a@b> SIZE=1 size=1", COMMAND_BAD_PARAMETER, VERB_MAIL),

	/* RFC 6152 §2 BODY=7BIT / 8BITMIME */
	{CASE("rfc6152_2_body_7bit", "MAIL FROM:<a@b> BODY=7BIT", COMMAND_OK, VERB_MAIL), .local = "a", .domain = "b",
	 .body = BODY_7BIT},
	{CASE("rfc6152_2_body_8bitmime_lower_case", "MAIL FROM:<a@b> body=8bitmime", COMMAND_OK, VERB_MAIL),
	 .local = "a", .domain = "b", .body = BODY_8BITMIME},
	FAIL("rfc6152_2_body_binarymime_not_offered", "MAIL FROM:<a@b> BODY=BINARYMIME", COMMAND_BAD_PARAMETER,
	     VERB_MAIL),
	FAIL("rfc6152_2_body_needs_value", "MAIL FROM:<a@b> BODY", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc6152_2_body_duplicate", "MAIL FROM:<a@b> BODY=7BIT BODY=7BIT", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc6152_2_body_duplicate_different", "MAIL FROM:<a@b> BODY=7BIT BODY=8BITMIME", COMMAND_BAD_PARAMETER,
	     VERB_MAIL),

	/* RFC 6531 §3.4 SMTPUTF8 and UTF-8 paths */
	{CASE("rfc6531_3_4_smtputf8", "MAIL FROM:<\xc3\xa9@b> SMTPUTF8", COMMAND_OK, VERB_MAIL), .local = "\xc3\xa9",
	 .domain = "b", .has_utf8 = true, .smtputf8 = true},
	{CASE("rfc6531_3_4_smtputf8_without_utf8_path", "MAIL FROM:<a@b> SMTPUTF8", COMMAND_OK, VERB_MAIL),
	 .local = "a", .domain = "b", .smtputf8 = true},
	BAD_PATH("rfc6531_3_4_utf8_path_needs_smtputf8", "MAIL FROM:<\xc3\xa9@b>", VERB_MAIL, ADDRESS_UTF8_NOT_ALLOWED),
	BAD_PATH("rfc6531_3_4_utf8_domain_needs_smtputf8", "MAIL FROM:<a@b\xc3\xbc.example> SIZE=1", VERB_MAIL,
	         ADDRESS_UTF8_NOT_ALLOWED),
	BAD_PATH("rfc6531_3_4_utf8_source_route_needs_smtputf8", "MAIL FROM:<@b\xc3\xbc.example:a@b>", VERB_MAIL,
	         ADDRESS_UTF8_NOT_ALLOWED),
	{CASE("rfc6531_3_4_utf8_source_route_with_smtputf8", "MAIL FROM:<@b\xc3\xbc.example:a@b> SMTPUTF8", COMMAND_OK,
	      VERB_MAIL),
	 .local = "a", .domain = "b", .smtputf8 = true},
	BAD_PATH("rfc3629_4_mail_overlong_utf8", "MAIL FROM:<\xc0\xaf@b> SMTPUTF8", VERB_MAIL, ADDRESS_BAD_UTF8),
	BAD_PATH("rfc3629_4_mail_surrogate", "MAIL FROM:<\xed\xa0\x80@b> SMTPUTF8", VERB_MAIL, ADDRESS_BAD_UTF8),
	FAIL("rfc6531_3_4_smtputf8_takes_no_value", "MAIL FROM:<a@b> SMTPUTF8=yes", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc6531_3_4_smtputf8_duplicate", "MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8", COMMAND_BAD_PARAMETER, VERB_MAIL),

	/* RFC 5321 §4.1.1.11: parameters we do not offer */
	FAIL("rfc5321_4_1_1_11_unknown_parameter_ret", "MAIL FROM:<a@b> RET=HDRS", COMMAND_UNKNOWN_PARAMETER, VERB_MAIL),
	FAIL("rfc5321_4_1_1_11_unknown_parameter_envid", "MAIL FROM:<a@b> ENVID=x", COMMAND_UNKNOWN_PARAMETER, VERB_MAIL),
	FAIL("rfc5321_4_1_1_11_unknown_parameter_ret", "MAIL FROM:<a@b> RET=HDRS", COMMAND_UNKNOWN_PARAMETER, VERB_MAIL),
	FAIL("rfc4954_5_auth_parameter_once", "MAIL FROM:<a@b> AUTH=<> AUTH=<>", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc4954_5_auth_parameter_needs_value", "MAIL FROM:<a@b> AUTH", COMMAND_BAD_PARAMETER, VERB_MAIL),
	FAIL("rfc5321_4_1_1_11_unknown_parameter_no_value", "MAIL FROM:<a@b> SIZE=1 XFOO", COMMAND_UNKNOWN_PARAMETER,
	     VERB_MAIL),
	FAIL("rfc5321_4_1_1_11_first_error_wins", "MAIL FROM:<a@b> XFOO SIZE=x", COMMAND_UNKNOWN_PARAMETER, VERB_MAIL),

	/* RFC 5321 §4.1.1.3 rcpt = "RCPT TO:" ( "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] */
	RCPT("rfc5321_4_1_1_3_rcpt", "RCPT TO:<user@example.org>", "user", "example.org"),
	RCPT("rfc5321_2_4_rcpt_lower_case", "rcpt to:<user@example.org>", "user", "example.org"),
	RCPT("rfc5321_4_1_1_3_rcpt_space_after_colon_tolerated", "RCPT TO: <user@example.org>", "user", "example.org"),
	RCPT("rfc5321_4_1_1_3_rcpt_postmaster_at_domain", "RCPT TO:<Postmaster@example.org>", "Postmaster", "example.org"),
	RCPT("rfc5321_4_1_2_rcpt_quoted_at_sign", "RCPT TO:<\"user@other\"@ours>", "user@other", "ours"),
	{CASE("rfc5321_4_1_1_3_rcpt_bare_postmaster", "RCPT TO:<postmaster>", COMMAND_OK, VERB_RCPT),
	 .local = "postmaster", .domain = "", .is_postmaster = true},
	{CASE("rfc5321_4_1_1_3_rcpt_bare_postmaster_any_case", "RCPT TO:<PostMaster>", COMMAND_OK, VERB_RCPT),
	 .local = "postmaster", .domain = "", .is_postmaster = true},
	/* whether the MAIL had SMTPUTF8 is session state: RCPT reports has_utf8 and lets the session say */
	{CASE("rfc6531_3_4_rcpt_utf8_reported", "RCPT TO:<\xc3\xa9@b>", COMMAND_OK, VERB_RCPT), .local = "\xc3\xa9",
	 .domain = "b", .has_utf8 = true},
	BAD_PATH("rfc5321_4_1_1_3_rcpt_no_null_path", "RCPT TO:<>", VERB_RCPT, ADDRESS_SYNTAX),
	BAD_PATH("rfc5321_4_1_1_3_rcpt_bad_path", "RCPT TO:<a@@b>", VERB_RCPT, ADDRESS_SYNTAX),
	FAIL("rfc5321_4_1_1_3_rcpt_is_not_from", "RCPT FROM:<a@b>", COMMAND_SYNTAX, VERB_RCPT),
	FAIL("rfc5321_4_1_1_3_rcpt_alone", "RCPT", COMMAND_SYNTAX, VERB_RCPT),
	FAIL("rfc5321_4_1_1_3_rcpt_parameter_not_offered", "RCPT TO:<a@b> NOTIFY=NEVER", COMMAND_UNKNOWN_PARAMETER,
	     VERB_RCPT),
	FAIL("rfc5321_4_1_1_3_rcpt_mail_parameter_not_offered", "RCPT TO:<a@b> SIZE=10", COMMAND_UNKNOWN_PARAMETER,
	     VERB_RCPT),
	FAIL("rfc5321_4_1_1_3_rcpt_trailing_space", "RCPT TO:<a@b> ", COMMAND_SYNTAX, VERB_RCPT),
	FAIL("rfc5321_4_1_2_rcpt_malformed_parameter", "RCPT TO:<a@b> ==", COMMAND_SYNTAX, VERB_RCPT),

	/* RFC 3030 §2 bdat-cmd ::= "BDAT" SP chunk-size [ SP end-marker ] */
	{CASE("rfc3030_2_bdat", "BDAT 1000", COMMAND_OK, VERB_BDAT), .chunk_size = 1000},
	{CASE("rfc3030_2_bdat_last", "BDAT 1000 LAST", COMMAND_OK, VERB_BDAT), .chunk_size = 1000, .last = true},
	{CASE("rfc3030_2_bdat_zero_last", "BDAT 0 LAST", COMMAND_OK, VERB_BDAT), .chunk_size = 0, .last = true},
	{CASE("rfc3030_2_bdat_lower_case", "bdat 10 last", COMMAND_OK, VERB_BDAT), .chunk_size = 10, .last = true},
	{CASE("rfc3030_2_bdat_uint64_max", "BDAT 18446744073709551615", COMMAND_OK, VERB_BDAT), .chunk_size = UINT64_MAX},
	FAIL("rfc3030_2_bdat_overflow", "BDAT 18446744073709551616", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_needs_size", "BDAT", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_empty_size", "BDAT ", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_size_not_digits", "BDAT x", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_size_negative", "BDAT -1", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_two_spaces", "BDAT  10", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_end_marker_only_last", "BDAT 10 FIRST", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_two_spaces_before_last", "BDAT 10  LAST", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_trailing_space", "BDAT 10 LAST ", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_trailing_space_no_last", "BDAT 10 ", COMMAND_SYNTAX, VERB_BDAT),
	FAIL("rfc3030_2_bdat_junk_after_last", "BDAT 10 LAST x", COMMAND_SYNTAX, VERB_BDAT),
};
/* clang-format on */

/* The address fields a case expects; empty when the case is not a successful MAIL/RCPT. */
static void check_address_fields(const struct command_case *test, const struct command *command)
{
	CHECK_INT(command->address_result, test->address_result);
	CHECK_STR(command->address.local, test->local ? test->local : "");
	CHECK_STR(command->address.domain, test->domain ? test->domain : "");
	CHECK_INT(command->address.is_null, test->is_null);
	CHECK_INT(command->address.is_postmaster, test->is_postmaster);
	CHECK_INT(command->address.has_utf8, test->has_utf8);
}

static void check_fields(const struct command_case *test, const struct command *command, const char *line)
{
	size_t expected_length = test->argument ? strlen(test->argument) : 0;

	CHECK_INT(command->verb, test->verb);
	CHECK_INT(command->argument.length, expected_length);
	if (expected_length > 0) {
		CHECK(command->argument.data >= line &&
		      command->argument.data + expected_length <= line + test->input_length);
		CHECK(memcmp(command->argument.data, test->argument, expected_length) == 0);
	}
	if (test->result == COMMAND_OK)
		check_address_fields(test, command); /* after a failure the address is unspecified */
	else
		CHECK_INT(command->address_result, test->address_result);
	CHECK_INT(command->has_size, test->has_size);
	CHECK_INT(command->size, test->size);
	CHECK_INT(command->body, test->body);
	CHECK_INT(command->smtputf8, test->smtputf8);
	CHECK_INT(command->chunk_size, test->chunk_size);
	CHECK_INT(command->last, test->last);
}

/* Swaps the case of the verb and, for MAIL, of FROM and the parameters, which must not matter. */
static void swap_case_outside_path(char *line, size_t length)
{
	bool in_path = false;

	for (size_t i = 0; i < length; i++) {
		if (line[i] == '<')
			in_path = true;
		else if (line[i] == '>')
			in_path = false;
		else if (!in_path && ((line[i] >= 'a' && line[i] <= 'z') || (line[i] >= 'A' && line[i] <= 'Z')))
			line[i] ^= 0x20;
	}
}

static void check_case(const struct command_case *test)
{
	struct command command;
	int failures_before = check_failures_in_test;
	char *copy = malloc(test->input_length + 1); /* exact size, so ASan sees a read past the slice */

	memcpy(copy, test->input, test->input_length);
	CHECK_INT(command_parse(slice_make(copy, test->input_length), &command), test->result);
	check_fields(test, &command, copy);
	if (test->verb != VERB_HELO && test->verb != VERB_EHLO && test->verb != VERB_NOOP && test->verb != VERB_HELP &&
	    test->verb != VERB_VRFY && test->verb != VERB_EXPN && test->verb != VERB_AUTH) {
		swap_case_outside_path(copy, test->input_length);
		CHECK_INT(command_parse(slice_make(copy, test->input_length), &command), test->result);
		CHECK_INT(command.verb, test->verb);
	}
	free(copy);
	if (check_failures_in_test != failures_before)
		fprintf(stderr, "  in case %s\n", test->name);
}

static void test_command_table(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_case(&cases[i]);
}

/* RFC 5321 §4.1.1: the argument is a view into the line, not a copy. */
static void test_argument_points_into_line(void)
{
	const char *line = "EHLO mx.example.org";
	struct command command;

	CHECK_INT(command_parse(slice_from_string(line), &command), COMMAND_OK);
	CHECK(command.argument.data == line + 5);
	CHECK_INT(command.argument.length, strlen(line) - 5);
}

/* The parser never reads past the slice: the byte after it would change the answer. */
static void test_slice_end_is_respected(void)
{
	struct command command;

	CHECK_INT(command_parse(slice_make("QUITX", 4), &command), COMMAND_OK);
	CHECK_INT(command.verb, VERB_QUIT);
	CHECK_INT(command_parse(slice_make("MAIL FROM:<a@b>", 14), &command), COMMAND_BAD_ADDRESS);
	CHECK_INT(command_parse(slice_make("BDAT 12", 6), &command), COMMAND_OK);
	CHECK_INT(command.chunk_size, 1);
	CHECK_INT(command_parse(slice_make("", 0), &command), COMMAND_UNKNOWN_VERB);
}

/* A failed parse leaves no stale fields from an earlier one. */
static void test_fields_cleared_between_parses(void)
{
	struct command command;

	CHECK_INT(command_parse(slice_from_string("MAIL FROM:<a@b> SIZE=5 SMTPUTF8"), &command), COMMAND_OK);
	CHECK_INT(command_parse(slice_from_string("RSET"), &command), COMMAND_OK);
	CHECK(!command.has_size);
	CHECK(!command.smtputf8);
	CHECK_STR(command.address.local, "");
	CHECK_INT(command.argument.length, 0);
}

static void test_verb_names(void)
{
	static const char *const expected[VERB_COUNT] = {"UNKNOWN", "HELO", "EHLO", "MAIL",     "RCPT",
	                                                 "DATA",    "BDAT", "RSET", "NOOP",     "QUIT",
	                                                 "VRFY",    "EXPN", "HELP", "STARTTLS", "AUTH"};

	for (int verb = 0; verb < VERB_COUNT; verb++)
		CHECK_STR(command_verb_name((enum command_verb)verb), expected[verb]);
	CHECK_STR(command_verb_name(VERB_COUNT), "UNKNOWN");
	CHECK_STR(command_verb_name((enum command_verb) - 1), "UNKNOWN");
	/* every name parses back to its verb */
	for (int verb = 1; verb < VERB_COUNT; verb++) {
		struct command command;
		command_parse(slice_from_string(expected[verb]), &command);
		CHECK_INT(command.verb, verb);
	}
}

int main(void)
{
	RUN(test_command_table);
	RUN(test_argument_points_into_line);
	RUN(test_slice_end_is_respected);
	RUN(test_fields_cleared_between_parses);
	RUN(test_verb_names);
	return check_summary("command");
}
