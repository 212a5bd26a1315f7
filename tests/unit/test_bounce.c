/* Unit tests for deliver/bounce.c: golden files (tests/unit/golden/bounce_NAME.eml, exact bytes,
 * read from the repository root where make runs the tests) for the shapes of a DSN (RFC 3464,
 * RFC 6522, RFC 6533), then properties: outside values never add a line or a part, lines stay
 * within RFC 5322 §2.1.1, the original body never appears, the limits, and the failure modes.
 * TERN_UPDATE_GOLDEN=1 rewrites the golden files from the current output (then review the diff). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_golden.h"
#include "deliver/bounce.h"
#include "util/buffer.h"
#include "util/xalloc.h"

/* clang-format off */
#define BOUNDARY          "tern-8F3A0C1D2E"
#define ORIGINAL(literal) {.data = literal, .length = sizeof(literal) - 1}
#define RECIPIENTS(array) .recipients = array, .recipient_count = sizeof(array) / sizeof(array[0])
#define COMMON                                                                                                 \
	.reporting_mta = "mx.example.org", .queue_id = "4F2A9C0001", .arrival = 1700000000, .now = 1700003600, \
	.boundary = BOUNDARY, .message_id = "<20231114231320.4F2A9C0001@mx.example.org>"
#define SIMPLE_ORIGINAL                                                                                    \
	"Return-Path: <alice@example.org>\r\nFrom: Alice <alice@example.org>\r\nTo: <bob@example.net>\r\n"   \
	"Subject: lunch\r\nMessage-ID: <1@example.org>\r\n\r\nSECRET BODY: see you at noon\r\n"

static const struct bounce_recipient one_failed[] = {
	{"bob@example.net", NULL, "failed", "5.1.1", "mx.example.net", "550 5.1.1 <bob@example.net>: no such user"},
};

static const struct bounce_recipient mixed[] = {
	{"bob@example.net", NULL, "failed", "5.1.1", "mx.example.net", "550 5.1.1 <bob@example.net>: no such user"},
	{"carol@example.com", "Carol@Example.COM", "delayed", "4.7.1", "mx2.example.com",
	 "451-4.7.1 Greylisted, please try again later.\r\n451 4.7.1 See https://example.com/greylisting"},
};

static const struct bounce_recipient delayed_only[] = {
	{"dave@example.com", NULL, "delayed", "4.4.1", NULL, "connection to example.com timed out"},
	{"erin@example.com", NULL, "delayed", "4.4.2", "mx.example.com", "421 4.4.2 mx.example.com closing connection"},
};

static const struct bounce_recipient injection[] = {
	{"bob@example.net\r\nAction: delivered", "bob@example.net>\r\nX-Evil: 1", "failed", "5.1.1",
	 "mx.example.net\r\nX-Evil: 2",
	 "550 5.1.1 no\r\n\r\n--" BOUNDARY "\r\nContent-Type: text/html\r\n\r\n<b>evil</b>\x01\x7f\r\n.\r\n"},
};

static const struct bounce_recipient utf8_recipient[] = {
	{"\xe7\x94\xa8\xe6\x88\xb7@example.net", NULL, "failed", "5.1.1", "mx.example.net",
	 "550 5.1.1 <\xe7\x94\xa8\xe6\x88\xb7@example.net> unknown \xff user"},
};

/* clang-format on */

struct golden_case {
	const char *name;
	struct bounce_info info;
};

/* clang-format off */
static const struct golden_case golden_cases[] = {
	{"one_failed", {COMMON, .sender = "alice@example.org", RECIPIENTS(one_failed),
	  .original = ORIGINAL(SIMPLE_ORIGINAL)}},
	{"mixed_failed_delayed", {COMMON, .sender = "alice@example.org", RECIPIENTS(mixed), .envelope_id = "QQ314159",
	  .retry_until = 1700432000, .original = ORIGINAL(SIMPLE_ORIGINAL)}},
	{"delayed_only", {COMMON, .sender = "alice@example.org", RECIPIENTS(delayed_only), .retry_until = 1700432000,
	  .original = ORIGINAL(SIMPLE_ORIGINAL)}},
	{"folded_and_8bit_header", {COMMON, .sender = "alice@example.org", RECIPIENTS(one_failed),
	  .original = ORIGINAL("Received: from client.example.org (client.example.org [192.0.2.1])\r\n"
	                       "\tby mx.example.org (tern) with ESMTP id 4F2A9C0001;\r\n"
	                       "\tTue, 14 Nov 2023 22:13:20 +0000\r\n"
	                       "From: J\xc3\xbcrgen <alice@example.org>\r\n"
	                       "Subject: Gr\xfc\xdf" "e aus\r\n =?utf-8?q?K=C3=B6ln?=\r\n"
	                       "\r\nSECRET BODY\r\n")}},
	{"diagnostic_injection", {COMMON, .sender = "alice@example.org>\r\nBcc: <victim@example.com",
	  RECIPIENTS(injection), .original = ORIGINAL(SIMPLE_ORIGINAL)}},
	{"no_separator", {COMMON, .sender = "alice@example.org", RECIPIENTS(one_failed),
	  .original = ORIGINAL("Subject: no empty line\r\nFrom: alice@example.org\r\n"
	                       "Hello Bob, SECRET BODY\r\nSee: you\r\n")}},
	{"smtputf8", {COMMON, .sender = "j\xc3\xbcrgen@example.org", RECIPIENTS(utf8_recipient), .smtputf8 = true,
	  .original = ORIGINAL("From: J\xc3\xbcrgen <j\xc3\xbcrgen@example.org>\r\n"
	                       "To: <\xe7\x94\xa8\xe6\x88\xb7@example.net>\r\nSubject: \xe4\xbd\xa0\xe5\xa5\xbd\r\n"
	                       "\r\nSECRET BODY\r\n")}},
};
/* clang-format on */

static const struct bounce_info *golden_case(const char *name)
{
	for (size_t i = 0; i < sizeof golden_cases / sizeof golden_cases[0]; i++)
		if (strcmp(golden_cases[i].name, name) == 0)
			return &golden_cases[i].info;
	abort(); /* a typo in this file */
}

static void build(const struct bounce_info *info, struct buffer *out)
{
	buffer_init(out, 1 << 24);
	CHECK(bounce_build(info, out));
}

static void test_golden_files(void)
{
	for (size_t i = 0; i < sizeof golden_cases / sizeof golden_cases[0]; i++) {
		struct buffer out;
		char name[128];

		build(&golden_cases[i].info, &out);
		snprintf(name, sizeof name, "bounce_%s.eml", golden_cases[i].name);
		check_golden(name, buffer_slice(&out));
		buffer_free(&out);
	}
}

/* Lines end in CRLF only, hold no NUL, and are at most 998 octets. */
static bool lines_are_sound(const struct buffer *out)
{
	size_t line_length = 0;

	for (size_t i = 0; i < out->length; i++) {
		char c = out->data[i];

		if (c == '\0' || (c == '\r' && (i + 1 == out->length || out->data[i + 1] != '\n')) ||
		    (c == '\n' && (i == 0 || out->data[i - 1] != '\r')))
			return false;
		if (c == '\r' || c == '\n')
			line_length = 0;
		else if (++line_length > 998)
			return false;
	}
	return out->length >= 2 && out->data[out->length - 2] == '\r' && out->data[out->length - 1] == '\n';
}

/* How many lines are exactly text. */
static size_t count_lines(const struct buffer *out, const char *text)
{
	size_t count = 0, length = strlen(text);
	const char *at = out->data;

	while ((at = strstr(at, text)) != NULL) {
		count += (at == out->data || at[-1] == '\n') && strncmp(at + length, "\r\n", 2) == 0;
		at += length;
	}
	return count;
}

/* Whether some line starts with prefix. */
static bool has_line_starting(const struct buffer *out, const char *prefix)
{
	const char *at = out->data;

	while ((at = strstr(at, prefix)) != NULL) {
		if (at == out->data || at[-1] == '\n')
			return true;
		at++;
	}
	return false;
}

static void test_every_case_is_sound_and_never_copies_the_body(void)
{
	for (size_t i = 0; i < sizeof golden_cases / sizeof golden_cases[0]; i++) {
		struct buffer out;

		build(&golden_cases[i].info, &out);
		CHECK(lines_are_sound(&out));
		CHECK(strstr(out.data, "SECRET") == NULL);
		CHECK_INT(count_lines(&out, "--" BOUNDARY), 3);
		CHECK_INT(count_lines(&out, "--" BOUNDARY "--"), 1);
		buffer_free(&out);
	}
}

static void test_rfc3464_injected_values_add_no_field(void)
{
	struct buffer out;

	build(golden_case("diagnostic_injection"), &out);
	CHECK(!has_line_starting(&out, "Action: delivered"));
	CHECK(!has_line_starting(&out, "X-Evil"));
	CHECK(!has_line_starting(&out, "Bcc"));
	CHECK(!has_line_starting(&out, "Content-Type: text/html"));
	CHECK(!has_line_starting(&out, "<b>"));
	CHECK(!has_line_starting(&out, ".\r\n"));
	CHECK(strchr(out.data, '\x01') == NULL && strchr(out.data, '\x7f') == NULL);
	CHECK_INT(count_lines(&out, "Action: failed"), 1);
	buffer_free(&out);
}

static void test_rfc5322_2_1_1_long_values_cut_and_folded(void)
{
	char *long_word = xmalloc(5001), *long_words = xmalloc(3001);
	struct bounce_recipient recipient = {NULL, NULL, "failed", "5.0.0", NULL, NULL};
	struct bounce_info info = {COMMON, .sender = "alice@example.org", .recipients = &recipient,
	                           .recipient_count = 1, .original = ORIGINAL(SIMPLE_ORIGINAL)};
	struct buffer out;

	memset(long_word, 'x', 5000);
	long_word[5000] = '\0';
	for (size_t i = 0; i < 3000; i++)
		long_words[i] = i % 7 == 6 ? ' ' : 'w';
	long_words[3000] = '\0';
	recipient.address = long_word;
	recipient.remote_mta = long_word;
	recipient.diagnostic = long_words;
	build(&info, &out);
	CHECK(lines_are_sound(&out));
	CHECK(strstr(out.data, "Diagnostic-Code: X-Tern; wwwwww wwwwww") != NULL);
	CHECK(strstr(out.data, "wwwwww\r\n wwwwww") != NULL);                     /* folded at a space */
	CHECK(strstr(out.data, "wwwwww\r\n wwww\r\nLast-Attempt-Date:") != NULL); /* cut at 900 */
	buffer_free(&out);
	recipient.diagnostic = long_word;
	build(&info, &out);
	CHECK(lines_are_sound(&out));
	buffer_free(&out);
	free(long_word);
	free(long_words);
}

static void test_rfc6522_4_header_block_capped_at_whole_fields(void)
{
	struct buffer original, out;
	struct bounce_info info = {COMMON, .sender = "alice@example.org", RECIPIENTS(one_failed)};
	const char *part;

	buffer_init(&original, 1 << 20);
	for (int i = 0; i < 900; i++) /* 900 fields of 100 octets: more than BOUNCE_HEADERS_MAX */
		buffer_printf(&original, "X-Field-%03d: %085d\r\n", i, i);
	buffer_append_string(&original, "\r\nSECRET BODY\r\n");
	info.original = buffer_slice(&original);
	build(&info, &out);
	part = strstr(out.data, "Content-Type: text/rfc822-headers\r\n\r\n");
	CHECK(part != NULL);
	if (part != NULL) {
		part += strlen("Content-Type: text/rfc822-headers\r\n\r\n");
		CHECK_INT(strstr(part, "\r\n--" BOUNDARY "--") - part, (BOUNCE_HEADERS_MAX / 100) * 100);
		CHECK(strstr(part, "X-Field-654:") != NULL && strstr(part, "X-Field-655:") == NULL);
	}
	buffer_free(&out);
	buffer_free(&original);
}

static void test_rfc6533_non_ascii_address_needs_the_global_forms(void)
{
	struct bounce_info info = {COMMON, .sender = "alice@example.org", RECIPIENTS(utf8_recipient),
	                           .original = ORIGINAL(SIMPLE_ORIGINAL)};
	struct buffer out;

	build(&info, &out);
	CHECK(strstr(out.data, "Content-Type: message/global-delivery-status\r\n") != NULL);
	CHECK(strstr(out.data, "Content-Type: message/global-headers\r\n") != NULL);
	CHECK(strstr(out.data, "Final-Recipient: utf-8; \xe7\x94\xa8\xe6\x88\xb7@example.net\r\n") != NULL);
	CHECK(strstr(out.data, "\xff") == NULL); /* not UTF-8: replaced */
	buffer_free(&out);
}

static void test_rfc3464_ascii_fields_replace_8bit(void)
{
	struct bounce_recipient recipient = {
	    "bob@example.net", "bob@example.net", "failed", "5.1.1", NULL, "550 5.1.1 unbekannter Empf\xc3\xa4nger"};
	struct bounce_info info = {COMMON, .sender = "alice@example.org", .recipients = &recipient,
	                           .recipient_count = 1, .original = ORIGINAL(SIMPLE_ORIGINAL)};
	struct buffer out;

	build(&info, &out);
	CHECK(strstr(out.data, "Content-Type: message/delivery-status\r\n") != NULL);
	CHECK(strstr(out.data, "Diagnostic-Code: smtp; 550 5.1.1 unbekannter Empf??nger\r\n") != NULL);
	CHECK(strstr(out.data, "    550 5.1.1 unbekannter Empf\xc3\xa4nger\r\n") != NULL); /* the text is UTF-8 */
	CHECK(strstr(out.data, "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n") != NULL);
	CHECK(strstr(out.data, "Original-Recipient") == NULL); /* §2.3.1: only when it differs */
	CHECK(strstr(out.data, "Remote-MTA") == NULL);
	buffer_free(&out);
}

static void test_rfc2046_5_1_1_boundary_must_be_bchars(void)
{
	char too_long[BOUNCE_BOUNDARY_MAX + 2];
	const char *const bad[] = {NULL, "", "has space", "quote\"", "semi;colon", too_long};
	struct bounce_info info = {COMMON, .sender = "alice@example.org", RECIPIENTS(one_failed),
	                           .original = ORIGINAL(SIMPLE_ORIGINAL)};
	struct buffer out;

	memset(too_long, 'b', sizeof too_long - 1);
	too_long[sizeof too_long - 1] = '\0';
	buffer_init(&out, 1 << 20);
	buffer_append_string(&out, "kept");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		info.boundary = bad[i];
		CHECK(!bounce_build(&info, &out));
		CHECK_STR(out.data, "kept");
	}
	info.boundary = "'()+_,-./:=?09azAZ";
	CHECK(bounce_build(&info, &out));
	CHECK(strncmp(out.data, "keptFrom: ", 10) == 0); /* appended after what was there */
	buffer_free(&out);
}

static void test_buffer_maximum_leaves_out_unchanged(void)
{
	struct buffer out;
	size_t length;

	build(golden_case("mixed_failed_delayed"), &out);
	length = out.length;
	buffer_free(&out);
	buffer_init(&out, 4 + length - 1);
	buffer_append_string(&out, "kept");
	CHECK(!bounce_build(golden_case("mixed_failed_delayed"), &out));
	CHECK_INT(out.length, 4);
	CHECK_STR(out.data, "kept");
	buffer_free(&out);
	buffer_init(&out, 4 + length);
	buffer_append_string(&out, "kept");
	CHECK(bounce_build(golden_case("mixed_failed_delayed"), &out));
	CHECK_INT(out.length, 4 + length);
	buffer_free(&out);
}

int main(void)
{
	RUN(test_golden_files);
	RUN(test_every_case_is_sound_and_never_copies_the_body);
	RUN(test_rfc3464_injected_values_add_no_field);
	RUN(test_rfc5322_2_1_1_long_values_cut_and_folded);
	RUN(test_rfc6522_4_header_block_capped_at_whole_fields);
	RUN(test_rfc6533_non_ascii_address_needs_the_global_forms);
	RUN(test_rfc3464_ascii_fields_replace_8bit);
	RUN(test_rfc2046_5_1_1_boundary_must_be_bchars);
	RUN(test_buffer_maximum_leaves_out_unchanged);
	return check_summary("bounce");
}
