/* test_address_list: table-driven cases for reading an address-list, each named after the rule
 * it checks (RFC 5322 §3.4 address, mailbox, group; §3.4.1 addr-spec; §3.2.2 CFWS and folding;
 * §3.2.4 quoted strings; §3.2.5 phrases; §4.4 obsolete addressing; RFC 6532 §3.2 UTF-8), and
 * the RFC 5321 §4.1.2 check every addr-spec goes through. Accepted lists are rendered with
 * address_format, joined by ",". Then the list's own rules: maximum, appending, atomic failure. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "mailauth/address_list.h"

#define INPUT(literal) .input = literal, .input_length = sizeof(literal) - 1
#define OK(name_, input_, rendered_)                                                                                   \
	{                                                                                                              \
		.name = name_, INPUT(input_), .result = ADDRESS_LIST_OK, .rendered = rendered_                         \
	}
#define BAD(name_, input_, result_)                                                                                    \
	{                                                                                                              \
		.name = name_, INPUT(input_), .result = result_                                                        \
	}
#define BAD_ADDRESS(name_, input_, why_)                                                                               \
	{                                                                                                              \
		.name = name_, INPUT(input_), .result = ADDRESS_LIST_BAD_ADDRESS, .why = why_                          \
	}

struct list_case {
	const char *name;
	const char *input;
	size_t input_length;
	const char *unqualified_domain;
	enum address_list_result result;
	const char *rendered;    /* on OK */
	enum address_result why; /* on ADDRESS_LIST_BAD_ADDRESS */
};

/* clang-format off */
static const struct list_case list_cases[] = {
	OK("rfc5322_3_4_1_addr_spec", "user@example.org", "user@example.org"),
	OK("rfc5322_3_4_name_addr", "John Doe <john@example.org>", "john@example.org"),
	OK("rfc5322_3_4_angle_addr_alone", "<john@example.org>", "john@example.org"),
	OK("rfc5322_3_4_address_list", "a@x.example, B <b@y.example>,c@z.example",
	   "a@x.example,b@y.example,c@z.example"),
	OK("rfc5322_3_4_case_kept", "User@Example.ORG", "User@Example.ORG"),
	OK("rfc5322_3_2_4_quoted_display_name_comma", "\"Doe, John\" <j@x.example>, k@x.example",
	   "j@x.example,k@x.example"),
	OK("rfc5322_3_2_4_quoted_pair_in_display_name", "\"a \\\" <b@c>, \\\\\" <j@x.example>", "j@x.example"),
	OK("rfc5322_3_2_5_phrase_of_atoms", "The  Big Boss <boss@x.example>", "boss@x.example"),
	OK("rfc5322_3_2_2_comment_after", "a@x.example (Alice)", "a@x.example"),
	OK("rfc5322_3_2_2_nested_comment", "(c (nested \\) ) c) a@x.example ((x))", "a@x.example"),
	OK("rfc5322_3_2_2_comments_between_tokens", "a(1)@(2)x.example(3)", "a@x.example"),
	OK("rfc5322_3_2_2_comment_with_specials", "Bob (\"<@,;:>\") <b@x.example>", "b@x.example"),
	OK("rfc5322_3_2_2_folded_list", "A <a@x.example>,\r\n B <b@x.example>\r\n\t(end)", "a@x.example,b@x.example"),
	OK("rfc5322_3_2_2_fold_inside_quotes", "\"Doe,\r\n John\" <j@x.example>", "j@x.example"),
	OK("rfc5322_3_4_group", "Team: a@x.example, B <b@y.example>;, c@z.example",
	   "a@x.example,b@y.example,c@z.example"),
	OK("rfc5322_3_4_group_empty", "undisclosed-recipients:;", ""),
	OK("rfc5322_3_4_group_cfws_only", "Nobody: (none) ;", ""),
	OK("rfc5322_3_4_group_quoted_name", "\"The: Team\": a@x.example;", "a@x.example"),
	OK("rfc5322_3_4_1_quoted_local_part", "\"john doe\"@x.example", "\"john doe\"@x.example"),
	OK("rfc5322_3_4_1_quoted_local_part_in_angle", "J <\"j@home\"@x.example>", "\"j@home\"@x.example"),
	OK("rfc5322_3_4_1_domain_literal", "a@[192.0.2.1]", "a@[192.0.2.1]"),
	OK("rfc5322_3_4_1_domain_literal_ipv6", "<a@[IPv6:2001:db8::1]>", "a@[IPv6:2001:db8::1]"),
	OK("rfc5322_4_4_empty_list_elements", ",a@x.example,, ,b@x.example,", "a@x.example,b@x.example"),
	OK("rfc5322_4_4_empty_group_elements", "G: ,a@x.example,,;", "a@x.example"),
	OK("rfc5322_4_4_obs_route_dropped", "<@r1.example,@r2.example:a@x.example>", "a@x.example"),
	OK("rfc5322_4_4_cfws_around_dots", "a . b @ x . example", "a.b@x.example"),
	OK("rfc5322_4_1_obs_phrase_with_dot", "John Q. Public <jqp@x.example>", "jqp@x.example"),
	OK("rfc6532_3_2_utf8_mailbox", "J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>",
	   "j\xc3\xb6rg@b\xc3\xbc" "cher.example"),
	{.name = "sendmail_unqualified_name", INPUT("alice"), .unqualified_domain = "mx.example.test",
	 .result = ADDRESS_LIST_OK, .rendered = "alice@mx.example.test"},
	{.name = "sendmail_unqualified_in_angle", INPUT("Alice <alice>, bob@x.example"),
	 .unqualified_domain = "mx.example.test", .result = ADDRESS_LIST_OK,
	 .rendered = "alice@mx.example.test,bob@x.example"},
	{.name = "sendmail_unqualified_phrase_is_no_name", INPUT("John Doe"), .unqualified_domain = "h.example",
	 .result = ADDRESS_LIST_SYNTAX},

	BAD("rfc5322_3_4_empty", "", ADDRESS_LIST_EMPTY),
	BAD("rfc5322_3_4_only_cfws_and_commas", " , (nobody) ,\r\n ", ADDRESS_LIST_EMPTY),
	BAD("rfc5322_3_2_2_nul", "a@x.example\0", ADDRESS_LIST_BAD_BYTES),
	BAD("rfc5322_3_2_2_bare_lf", "a@x.example,\n b@x.example", ADDRESS_LIST_BAD_BYTES),
	BAD("rfc5322_3_2_2_bare_cr", "a@x.example,\r b@x.example", ADDRESS_LIST_BAD_BYTES),
	BAD("rfc5322_3_2_2_crlf_not_a_fold", "a@x.example,\r\nb@x.example", ADDRESS_LIST_BAD_BYTES),
	BAD("rfc5322_3_2_2_crlf_at_end", "a@x.example\r\n", ADDRESS_LIST_BAD_BYTES),
	BAD("rfc5322_3_2_2_control_in_quotes", "\"a\x01\" <a@x.example>", ADDRESS_LIST_BAD_BYTES),
	BAD("rfc5322_3_4_null_angle_addr", "<>", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_no_local_part", "@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_no_domain", "a@", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_two_at_signs", "a@@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_unqualified_refused", "alice", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_words_without_dot", "a b@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_double_dot", "a..b@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_leading_dot", ".a@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_trailing_dot", "a.@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_domain_trailing_dot", "a@x.example.", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_literal_unterminated", "a@[192.0.2.1", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_1_literal_nested_bracket", "a@[1[2]", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_angle_unterminated", "John <a@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_text_after_angle_addr", "John <a@x.example> Doe", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_missing_comma", "a@x.example b@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_semicolon_outside_group", "a@x.example; b@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_group_unterminated", "G: a@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_group_nested", "A: B: c@x.example;;", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_group_without_name", ": a@x.example;", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_4_name_without_address", "John Doe", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_2_5_phrase_starts_with_dot", ". J <a@x.example>", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_2_4_quote_unterminated", "\"a@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_2_4_quoted_pair_at_end", "\"a\\", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_2_2_comment_unterminated", "(a@x.example", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_2_2_comment_unbalanced", "a@x.example)", ADDRESS_LIST_SYNTAX),
	BAD("rfc5322_3_2_3_backslash_outside_quotes", "a\\b@x.example", ADDRESS_LIST_SYNTAX),
	BAD_ADDRESS("rfc5321_4_1_2_domain_underscore", "a@b_c.example", ADDRESS_SYNTAX),
	BAD_ADDRESS("rfc5321_4_1_3_literal_not_an_address", "a@[not an ip]", ADDRESS_SYNTAX),
	BAD_ADDRESS("rfc5321_4_1_2_quoted_words_obs_local_part", "\"a\".\"b\"@x.example", ADDRESS_SYNTAX),
	BAD_ADDRESS("rfc5321_4_5_3_1_1_local_part_too_long",
	            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.example", ADDRESS_TOO_LONG),
	BAD_ADDRESS("rfc3629_4_bad_utf8", "\xff@x.example", ADDRESS_BAD_UTF8),
};
/* clang-format on */

static void render(const struct address_list *list, size_t from, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = from; i < list->count; i++) {
		char formatted[ADDRESS_FORMAT_SIZE];
		address_format(&list->addresses[i], formatted, sizeof formatted);
		used += (size_t)snprintf(out + used, size - used, "%s%s", i > from ? "," : "", formatted);
	}
}

static void test_list_cases(void)
{
	for (size_t i = 0; i < sizeof list_cases / sizeof *list_cases; i++) {
		const struct list_case *c = &list_cases[i];
		struct address_list list;
		char rendered[4096];
		enum address_list_result result;

		address_list_init(&list, ADDRESS_LIST_MAX);
		result = address_list_parse(slice_make(c->input, c->input_length), c->unqualified_domain, &list);
		if (result != c->result) {
			fprintf(stderr, "case %s: result %d, expected %d\n", c->name, (int)result, (int)c->result);
			check_failures_in_test++;
		} else if (result == ADDRESS_LIST_OK) {
			render(&list, 0, rendered, sizeof rendered);
			if (strcmp(rendered, c->rendered) != 0)
				fprintf(stderr, "case %s:\n", c->name);
			CHECK_STR(rendered, c->rendered);
		} else {
			CHECK_INT(list.count, 0);
			if (result == ADDRESS_LIST_BAD_ADDRESS)
				CHECK_INT(list.address_result, c->why);
		}
		address_list_free(&list);
	}
}

static void test_maximum_is_enforced_and_failure_is_atomic(void)
{
	struct address_list list;
	char rendered[256];

	address_list_init(&list, 3);
	CHECK_INT(address_list_parse(slice_from_string("a@x.example"), NULL, &list), ADDRESS_LIST_OK);
	CHECK_INT(address_list_parse(slice_from_string("b@x.example, c@x.example, d@x.example"), NULL, &list),
	          ADDRESS_LIST_TOO_MANY);
	CHECK_INT(list.count, 1);
	CHECK_INT(address_list_parse(slice_from_string("b@x.example, c@x.example"), NULL, &list), ADDRESS_LIST_OK);
	render(&list, 0, rendered, sizeof rendered);
	CHECK_STR(rendered, "a@x.example,b@x.example,c@x.example");
	CHECK_INT(address_list_parse(slice_from_string("d@x.example"), NULL, &list), ADDRESS_LIST_TOO_MANY);
	CHECK_INT(list.count, 3);
	address_list_free(&list);
	address_list_free(NULL);
}

static void test_appends_across_calls(void)
{
	struct address_list list;
	char rendered[256];

	address_list_init(&list, ADDRESS_LIST_MAX);
	for (int i = 0; i < 20; i++)
		CHECK_INT(address_list_parse(slice_from_string("a@x.example"), NULL, &list), ADDRESS_LIST_OK);
	CHECK_INT(list.count, 20);
	CHECK_INT(address_list_parse(slice_from_string("b@x.example, bad"), NULL, &list), ADDRESS_LIST_SYNTAX);
	CHECK_INT(address_list_parse(slice_from_string("c@x.example"), NULL, &list), ADDRESS_LIST_OK);
	render(&list, 19, rendered, sizeof rendered);
	CHECK_STR(rendered, "a@x.example,c@x.example");
	address_list_free(&list);
	CHECK_INT(list.count, 0);
	CHECK_INT(address_list_parse(slice_from_string("d@x.example"), NULL, &list), ADDRESS_LIST_OK);
	CHECK_INT(list.count, 1);
	address_list_free(&list);
}

static void test_rfc5321_4_5_3_1_3_path_limit_after_unfolding(void)
{
	char local[65], label[61], text[600];
	struct address_list list;

	memset(local, 'a', 64);
	local[64] = '\0';
	memset(label, 'b', 60);
	label[60] = '\0';
	/* 64 + 1 + 3 * 61 + 3 = 251 octets once the comments are gone: a mailbox SMTP can carry */
	snprintf(text, sizeof text, "%s(a comment that does not count)@%s.%s.%s.exa (and another)", local, label, label,
	         label);
	address_list_init(&list, 1);
	CHECK_INT(address_list_parse(slice_from_string(text), NULL, &list), ADDRESS_LIST_OK);
	CHECK_INT(strlen(list.addresses[0].local), 64);
	snprintf(text, sizeof text, "%s@%s.%s.%s.%s", local, label, label, label, label);
	CHECK_INT(address_list_parse(slice_from_string(text), NULL, &list), ADDRESS_LIST_BAD_ADDRESS);
	CHECK_INT(list.address_result, ADDRESS_TOO_LONG);
	address_list_free(&list);
}

int main(void)
{
	RUN(test_list_cases);
	RUN(test_maximum_is_enforced_and_failure_is_atomic);
	RUN(test_appends_across_calls);
	RUN(test_rfc5321_4_5_3_1_3_path_limit_after_unfolding);
	return check_summary("test_address_list");
}
