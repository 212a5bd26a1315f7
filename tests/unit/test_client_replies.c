/* test_client_replies: what the SMTP client reads from servers. Framing (RFC 5321 §2.3.8: only
 * CRLF ends a line; bare LF, bare CR and NUL refused; our 4 KiB line cap), reply lines and
 * multi-line replies (§4.2, §4.2.1: "NNN-" then "NNN " or "NNN", one code throughout, codes
 * 2yz-5yz with the second digit 0-5), and EHLO keywords (§4.1.1.1, RFC 1870 SIZE, RFC 4954 AUTH). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "smtp/client_replies.h"

struct frame_case {
	const char *name;
	const char *input;
	size_t length;
	enum client_replies_frame frame;
	size_t line_length; /* for LINE */
};

#define FRAME(name_, input_, frame_, line_length_)                                                                     \
	{                                                                                                              \
		name_, input_, sizeof(input_) - 1, frame_, line_length_                                                \
	}

static const struct frame_case frame_cases[] = {
    FRAME("rfc5321_2_3_8_crlf_ends_a_line", "250 ok\r\n", CLIENT_REPLIES_FRAME_LINE, 6),
    FRAME("rfc5321_2_3_8_only_the_first_line", "250-a\r\n250 b\r\n", CLIENT_REPLIES_FRAME_LINE, 5),
    FRAME("rfc5321_2_3_8_empty_line_frames", "\r\n", CLIENT_REPLIES_FRAME_LINE, 0),
    FRAME("no_crlf_yet", "250 ok", CLIENT_REPLIES_FRAME_INCOMPLETE, 0),
    FRAME("cr_at_the_end_waits_for_lf", "250 ok\r", CLIENT_REPLIES_FRAME_INCOMPLETE, 0),
    FRAME("nothing_yet", "", CLIENT_REPLIES_FRAME_INCOMPLETE, 0),
    FRAME("rfc5321_2_3_8_bare_lf_refused", "250 ok\n", CLIENT_REPLIES_FRAME_BARE_LF, 0),
    FRAME("rfc5321_2_3_8_bare_lf_before_crlf", "250-a\n250 b\r\n", CLIENT_REPLIES_FRAME_BARE_LF, 0),
    FRAME("rfc5321_2_3_8_bare_cr_refused", "250 o\rk\r\n", CLIENT_REPLIES_FRAME_BAD_OCTET, 0),
    FRAME("rfc5321_2_3_8_cr_cr_lf_refused", "250 ok\r\r\n", CLIENT_REPLIES_FRAME_BAD_OCTET, 0),
    FRAME("nul_refused", "250 o\0k\r\n", CLIENT_REPLIES_FRAME_BAD_OCTET, 0),
};

static void rfc5321_2_3_8_framing(void)
{
	for (size_t i = 0; i < sizeof frame_cases / sizeof *frame_cases; i++) {
		const struct frame_case *c = &frame_cases[i];
		struct slice line = slice_from_string("untouched");
		size_t consumed = 99;
		enum client_replies_frame frame =
		    client_replies_frame(slice_make(c->input, c->length), &line, &consumed);

		if (frame != c->frame)
			fprintf(stderr, "case %s\n", c->name);
		CHECK_INT(frame, c->frame);
		if (c->frame == CLIENT_REPLIES_FRAME_LINE) {
			CHECK_INT(line.length, c->line_length);
			CHECK(line.data == c->input);
			CHECK_INT(consumed, c->line_length + 2);
		} else {
			CHECK_INT(consumed, 99);
			CHECK_INT(line.length, 9);
		}
	}
}

/* A line of length octets of 'x' after "250 ", then tail. */
static char *long_line(size_t length, const char *tail)
{
	char *text = malloc(length + strlen(tail) + 1);

	memset(text, 'x', length);
	memcpy(text, "250 ", 4);
	strcpy(text + length, tail);
	return text;
}

static void line_cap_is_4096_octets_with_crlf(void)
{
	struct slice line;
	size_t consumed;
	char *fits = long_line(CLIENT_REPLIES_LINE_MAX - 2, "\r\n");
	char *over = long_line(CLIENT_REPLIES_LINE_MAX - 1, "\r\n");
	char *endless = long_line(CLIENT_REPLIES_LINE_MAX, "");
	char *almost = long_line(CLIENT_REPLIES_LINE_MAX - 1, "");

	CHECK_INT(client_replies_frame(slice_from_string(fits), &line, &consumed), CLIENT_REPLIES_FRAME_LINE);
	CHECK_INT(consumed, CLIENT_REPLIES_LINE_MAX);
	CHECK_INT(client_replies_frame(slice_from_string(over), &line, &consumed), CLIENT_REPLIES_FRAME_TOO_LONG);
	CHECK_INT(client_replies_frame(slice_from_string(endless), &line, &consumed), CLIENT_REPLIES_FRAME_TOO_LONG);
	CHECK_INT(client_replies_frame(slice_from_string(almost), &line, &consumed), CLIENT_REPLIES_FRAME_INCOMPLETE);
	free(fits);
	free(over);
	free(endless);
	free(almost);
}

/* Feeds lines (NUL-separated in one string list) and returns the last result. */
static enum client_replies_result feed(struct client_replies *reply, const char *const *lines,
                                       struct client_extensions *extensions)
{
	enum client_replies_result result = CLIENT_REPLIES_MALFORMED;

	client_replies_start(reply);
	for (size_t i = 0; lines[i] != NULL; i++) {
		result = client_replies_take(reply, slice_from_string(lines[i]), extensions);
		if (result != CLIENT_REPLIES_MORE)
			break;
	}
	return result;
}

struct reply_case {
	const char *name;
	const char *lines[4];
	enum client_replies_result result;
	int code;
	const char *text;
};

static const struct reply_case reply_cases[] = {
    {"rfc5321_4_2_one_line", {"250 2.0.0 Ok", NULL}, CLIENT_REPLIES_COMPLETE, 250, "250 2.0.0 Ok"},
    {"rfc5321_4_2_code_alone", {"221", NULL}, CLIENT_REPLIES_COMPLETE, 221, "221"},
    {"rfc5321_4_2_code_and_space", {"250 ", NULL}, CLIENT_REPLIES_COMPLETE, 250, "250 "},
    {"rfc5321_4_2_1_multi_line", {"250-mx", "250-SIZE 10", "250 HELP", NULL}, CLIENT_REPLIES_COMPLETE, 250, "250 HELP"},
    {"rfc5321_4_2_1_continuation_waits", {"250-mx", NULL}, CLIENT_REPLIES_MORE, 250, "250-mx"},
    {"rfc5321_4_2_1_code_changes", {"250-mx", "251 b", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_5xx", {"550 5.1.1 <x@y>: unknown", NULL}, CLIENT_REPLIES_COMPLETE, 550, "550 5.1.1 <x@y>: unknown"},
    {"rfc5321_4_2_no_separator", {"2500 x", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_tab_separator", {"250\tx", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_two_digits", {"25", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_empty", {"", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_1yz_not_smtp", {"150 x", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_6yz_not_smtp", {"650 x", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_second_digit_over_5", {"260 x", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
    {"rfc5321_4_2_letters", {"abc def", NULL}, CLIENT_REPLIES_MALFORMED, 0, NULL},
};

static void rfc5321_4_2_replies(void)
{
	for (size_t i = 0; i < sizeof reply_cases / sizeof *reply_cases; i++) {
		const struct reply_case *c = &reply_cases[i];
		struct client_replies reply;
		enum client_replies_result result = feed(&reply, c->lines, NULL);

		if (result != c->result)
			fprintf(stderr, "case %s\n", c->name);
		CHECK_INT(result, c->result);
		if (c->text != NULL) {
			CHECK_INT(reply.code, c->code);
			CHECK_STR(reply.text, c->text);
		}
	}
}

static void long_text_is_truncated(void)
{
	char *line = long_line(1000, "");
	struct client_replies reply;

	client_replies_start(&reply);
	CHECK_INT(client_replies_take(&reply, slice_from_string(line), NULL), CLIENT_REPLIES_COMPLETE);
	CHECK_INT(strlen(reply.text), CLIENT_REPLIES_TEXT_SIZE - 1);
	CHECK(memcmp(reply.text, line, CLIENT_REPLIES_TEXT_SIZE - 1) == 0);
	free(line);
}

static void whole_reply_is_capped(void)
{
	char *line = long_line(4000, "");
	struct client_replies reply;
	enum client_replies_result result = CLIENT_REPLIES_MORE;
	size_t lines = 0;

	line[3] = '-';
	client_replies_start(&reply);
	while (result == CLIENT_REPLIES_MORE && lines < 100) {
		result = client_replies_take(&reply, slice_from_string(line), NULL);
		lines++;
	}
	CHECK_INT(result, CLIENT_REPLIES_TOO_LONG);
	CHECK_INT(lines, CLIENT_REPLIES_REPLY_MAX / 4002 + 1);
	free(line);
}

static void parse_ehlo(const char *const *lines, struct client_extensions *extensions)
{
	struct client_replies reply;

	memset(extensions, 0, sizeof *extensions);
	CHECK_INT(feed(&reply, lines, extensions), CLIENT_REPLIES_COMPLETE);
}

static void rfc5321_4_1_1_1_ehlo_keywords(void)
{
	static const char *const lines[] = {"250-mx.example.test greets you",
	                                    "250-PIPELINING",
	                                    "250-size 35882577",
	                                    "250-8BITMIME",
	                                    "250-SmtpUtf8",
	                                    "250-CHUNKING",
	                                    "250-STARTTLS",
	                                    "250-ENHANCEDSTATUSCODES",
	                                    "250-AUTH LOGIN CRAM-MD5 PLAIN",
	                                    "250 DSN",
	                                    NULL};
	struct client_extensions extensions;

	parse_ehlo(lines, &extensions);
	CHECK(extensions.pipelining && extensions.eightbitmime && extensions.smtputf8 && extensions.chunking);
	CHECK(extensions.starttls && extensions.enhanced_status_codes && extensions.size);
	CHECK(extensions.size_limit == 35882577ULL);
	CHECK(extensions.auth_plain && extensions.auth_login);
}

static void rfc5321_4_1_1_1_first_line_is_not_a_keyword(void)
{
	static const char *const lines[] = {"250-STARTTLS", "250 SIZE", NULL};
	struct client_extensions extensions;

	parse_ehlo(lines, &extensions);
	CHECK(!extensions.starttls);
	CHECK(extensions.size && extensions.size_limit == 0);
}

static void rfc5321_4_1_1_1_keyword_must_match_whole(void)
{
	static const char *const lines[] = {"250-mx",        "250-STARTTLSX", "250-XPIPELINING",
	                                    "250- CHUNKING", "250 AUTHPLAIN", NULL};
	struct client_extensions extensions;

	parse_ehlo(lines, &extensions);
	CHECK(!extensions.starttls && !extensions.pipelining && !extensions.auth_plain && !extensions.chunking);
}

static void rfc4954_old_auth_equals_form(void)
{
	static const char *const lines[] = {"250-mx", "250-AUTH=LOGIN", "250 HELP", NULL};
	struct client_extensions extensions;

	parse_ehlo(lines, &extensions);
	CHECK(extensions.auth_login && !extensions.auth_plain);
}

static void rfc1870_size_arguments(void)
{
	struct client_extensions extensions;

	memset(&extensions, 0, sizeof extensions);
	client_replies_parse_extension(slice_from_string("SIZE 0"), &extensions);
	CHECK(extensions.size && extensions.size_limit == 0);
	client_replies_parse_extension(slice_from_string("SIZE 12x"), &extensions);
	CHECK(extensions.size_limit == 0);
	client_replies_parse_extension(slice_from_string("SIZE 99999999999999999999999"), &extensions);
	CHECK(extensions.size_limit == ULLONG_MAX);
	client_replies_parse_extension(slice_from_string("SIZE 18446744073709551615"), &extensions);
	CHECK(extensions.size_limit == ULLONG_MAX);
	client_replies_parse_extension(slice_from_string("SIZE 1048576"), &extensions);
	CHECK(extensions.size_limit == 1048576);
}

static void only_250_replies_list_extensions(void)
{
	static const char *const lines[] = {"502-mx", "502 STARTTLS", NULL};
	struct client_extensions extensions;
	struct client_replies reply;

	memset(&extensions, 0, sizeof extensions);
	CHECK_INT(feed(&reply, lines, &extensions), CLIENT_REPLIES_COMPLETE);
	CHECK(!extensions.starttls);
}

int main(void)
{
	RUN(rfc5321_2_3_8_framing);
	RUN(line_cap_is_4096_octets_with_crlf);
	RUN(rfc5321_4_2_replies);
	RUN(long_text_is_truncated);
	RUN(whole_reply_is_capped);
	RUN(rfc5321_4_1_1_1_ehlo_keywords);
	RUN(rfc5321_4_1_1_1_first_line_is_not_a_keyword);
	RUN(rfc5321_4_1_1_1_keyword_must_match_whole);
	RUN(rfc4954_old_auth_equals_form);
	RUN(rfc1870_size_arguments);
	RUN(only_250_replies_list_extensions);
	return check_summary("client_replies");
}
