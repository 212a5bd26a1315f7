/* Tests for header_writer: the From, Date and Message-ID fields tern sendmail adds. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "mailauth/header_writer.h"

static const struct {
	const char *rule, *name, *expected;
} from_cases[] = {
	{"rfc5322_3_6_2_no_name_bare_address", NULL, "From: alice@example.org\r\n"},
	{"rfc5322_3_6_2_empty_name_bare_address", "", "From: alice@example.org\r\n"},
	{"rfc5322_3_2_3_atoms_as_they_are", "Alice Liddell", "From: Alice Liddell <alice@example.org>\r\n"},
	{"rfc5322_3_2_4_specials_quoted", "Liddell, Alice", "From: \"Liddell, Alice\" <alice@example.org>\r\n"},
	{"rfc5322_3_2_4_quote_and_backslash_escaped", "A \"B\" \\C", "From: \"A \\\"B\\\" \\\\C\" <alice@example.org>\r\n"},
	{"rfc2047_utf8_name_encoded", "Zo\xc3\xab", "From: =?UTF-8?B?Wm/Dqw==?= <alice@example.org>\r\n"},
};

static void test_from(void)
{
	for (size_t i = 0; i < sizeof from_cases / sizeof *from_cases; i++) {
		struct buffer out;
		buffer_init(&out, 4096);
		header_writer_from(&out, from_cases[i].name, "alice@example.org");
		if (strcmp(out.data, from_cases[i].expected) != 0) {
			fprintf(stderr, "%s: got %s", from_cases[i].rule, out.data);
			check_failures_in_test++;
		}
		buffer_free(&out);
	}
}

/* RFC 2047 §2: an encoded-word is at most 75 characters; §5 (3): characters are not split. */
static void test_rfc2047_long_name_split_into_words_on_character_boundaries(void)
{
	struct buffer out;
	char name[200] = "";
	const char *word;

	for (int i = 0; i < 40; i++)
		strcat(name, "\xc3\xa9"); /* é: 80 octets, so two words */
	buffer_init(&out, 4096);
	header_writer_from(&out, name, "a@b");
	CHECK(strstr(out.data, "?= =?UTF-8?B?") != NULL);
	for (word = strstr(out.data, "=?"); word != NULL; word = strstr(word + 2, " =?")) {
		const char *end = strstr(word + 2, "?=");
		CHECK(end != NULL && end + 2 - word <= 76);
	}
	/* 45 octets would end inside an é: the first word carries 44. */
	CHECK(strncmp(out.data, "From: =?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6k=?= ", 79) == 0);
	buffer_free(&out);
}

/* RFC 5322 §3.3: English day and month names, a numeric zone. */
static void test_rfc5322_3_3_date(void)
{
	struct buffer out;

	buffer_init(&out, 4096);
	header_writer_date(&out, 1795847400); /* 2026-11-28 06:30:00 UTC */
	CHECK_STR(out.data, "Date: Sat, 28 Nov 2026 06:30:00 +0000\r\n");
	buffer_free(&out);
}

static void test_rfc5322_3_6_4_message_id(void)
{
	static const unsigned char random[] = {0x00, 0x01, 0xab, 0xff};
	struct buffer out;

	buffer_init(&out, 4096);
	header_writer_message_id(&out, 1795847400, random, sizeof random, "mx.example.org");
	CHECK_STR(out.data, "Message-ID: <20261128063000.0001abff@mx.example.org>\r\n");
	buffer_free(&out);
}

int main(void)
{
	setenv("TZ", "UTC0", 1);
	tzset();
	RUN(test_from);
	RUN(test_rfc2047_long_name_split_into_words_on_character_boundaries);
	RUN(test_rfc5322_3_3_date);
	RUN(test_rfc5322_3_6_4_message_id);
	return check_summary("test_header_writer");
}
