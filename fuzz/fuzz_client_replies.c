/* fuzz_client_replies: libFuzzer harness for src/smtp/client_replies.c, the reader of what
 * untrusted servers send our SMTP client. The input is a byte stream from a server; it is
 * copied into an exactly-sized buffer so ASan catches any read past it. Properties:
 * - framing agrees with a direct model: a LINE ends at the first CRLF, within 4096 octets, and
 *   holds no CR, LF or NUL; anything else is INCOMPLETE, TOO_LONG, BARE_LF or BAD_OCTET exactly
 *   when the model says so;
 * - replies: a COMPLETE or MORE line starts with a code 2yz-5yz (second digit 0-5) followed by
 *   nothing, " " or "-", every line of a reply has the same code, the kept text is a prefix of
 *   the line, NUL-terminated, and the octets never pass the cap;
 * - EHLO keywords: reading with or without extensions gives the same results, and swapping
 *   ASCII case changes no extension. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/client_replies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_client_replies: property failed at line %d: %s\n", __LINE__,             \
			        #condition);                                                                           \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* RFC 5321 §2.3.8 and our cap, stated directly. */
static enum client_replies_frame model_frame(struct slice input, size_t *line_length)
{
	for (size_t i = 0; i < input.length; i++) {
		char c = input.data[i];
		if (i >= CLIENT_REPLIES_LINE_MAX)
			return CLIENT_REPLIES_FRAME_TOO_LONG;
		if (c == '\n')
			return CLIENT_REPLIES_FRAME_BARE_LF;
		if (c == '\0')
			return CLIENT_REPLIES_FRAME_BAD_OCTET;
		if (c != '\r')
			continue;
		if (i + 2 > CLIENT_REPLIES_LINE_MAX)
			return CLIENT_REPLIES_FRAME_TOO_LONG;
		if (i + 1 == input.length)
			return CLIENT_REPLIES_FRAME_INCOMPLETE;
		if (input.data[i + 1] != '\n')
			return CLIENT_REPLIES_FRAME_BAD_OCTET;
		*line_length = i;
		return CLIENT_REPLIES_FRAME_LINE;
	}
	return input.length >= CLIENT_REPLIES_LINE_MAX ? CLIENT_REPLIES_FRAME_TOO_LONG
	                                               : CLIENT_REPLIES_FRAME_INCOMPLETE;
}

static bool valid_code(struct slice line)
{
	const char *p = line.data;

	return line.length >= 3 && p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '5' && p[2] >= '0' &&
	       p[2] <= '9' && (line.length == 3 || p[3] == ' ' || p[3] == '-');
}

static void swap_case(char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z'))
			text[i] ^= 0x20;
}

static void check_extension_case(struct slice line)
{
	struct client_extensions plain, swapped;
	char *copy = malloc(line.length ? line.length : 1);

	memcpy(copy, line.data, line.length);
	swap_case(copy, line.length);
	memset(&plain, 0, sizeof plain);
	memset(&swapped, 0, sizeof swapped);
	client_replies_parse_extension(line, &plain);
	client_replies_parse_extension(slice_make(copy, line.length), &swapped);
	REQUIRE(memcmp(&plain, &swapped, sizeof plain) == 0);
	REQUIRE(plain.size || plain.size_limit == 0);
	free(copy);
}

static int line_code(struct slice line)
{
	return (line.data[0] - '0') * 100 + (line.data[1] - '0') * 10 + (line.data[2] - '0');
}

/* Takes one line into both readers and checks the results; returns the result. */
static enum client_replies_result check_line(struct client_replies *with, struct client_replies *without,
                                             struct client_extensions *extensions, struct slice line)
{
	int code_before = with->code;
	size_t lines_before = with->lines, octets_before = with->octets;
	enum client_replies_result a = client_replies_take(with, line, extensions);
	enum client_replies_result b = client_replies_take(without, line, NULL);

	REQUIRE(a == b);
	check_extension_case(line);
	if (a == CLIENT_REPLIES_MALFORMED) {
		REQUIRE(!valid_code(line) || (lines_before > 0 && line_code(line) != code_before));
		return a;
	}
	if (a == CLIENT_REPLIES_TOO_LONG) {
		REQUIRE(octets_before + line.length + 2 > CLIENT_REPLIES_REPLY_MAX);
		return a;
	}
	REQUIRE(valid_code(line));
	REQUIRE(lines_before == 0 || with->code == code_before);
	REQUIRE(with->code >= 200 && with->code <= 559 && with->code == without->code);
	REQUIRE(with->lines == lines_before + 1 && with->octets == octets_before + line.length + 2);
	REQUIRE(with->octets <= CLIENT_REPLIES_REPLY_MAX);
	REQUIRE(strlen(with->text) < CLIENT_REPLIES_TEXT_SIZE && strcmp(with->text, without->text) == 0);
	REQUIRE(memcmp(with->text, line.data, strlen(with->text)) == 0);
	REQUIRE(strlen(with->text) ==
	        (line.length < CLIENT_REPLIES_TEXT_SIZE ? line.length : CLIENT_REPLIES_TEXT_SIZE - 1));
	REQUIRE((a == CLIENT_REPLIES_MORE) == (line.length > 3 && line.data[3] == '-'));
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *bytes = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct slice input;
	struct client_replies with, without;
	struct client_extensions extensions;

	if (size > 0)
		memcpy(bytes, data, size);
	input = slice_make(bytes, size);
	client_replies_start(&with);
	client_replies_start(&without);
	memset(&extensions, 0, sizeof extensions);
	for (;;) {
		struct slice line = slice_from_string("untouched");
		size_t consumed = 0, model_length = 0;
		enum client_replies_frame frame = client_replies_frame(input, &line, &consumed);
		REQUIRE(frame == model_frame(input, &model_length));
		if (frame != CLIENT_REPLIES_FRAME_LINE) {
			REQUIRE(consumed == 0 && line.length == 9);
			break;
		}
		REQUIRE(line.data == input.data && line.length == model_length && consumed == line.length + 2);
		REQUIRE(consumed <= CLIENT_REPLIES_LINE_MAX && memcmp(input.data + line.length, "\r\n", 2) == 0);
		REQUIRE(memchr(line.data, '\r', line.length) == NULL && memchr(line.data, '\n', line.length) == NULL);
		REQUIRE(memchr(line.data, '\0', line.length) == NULL);
		if (check_line(&with, &without, &extensions, line) != CLIENT_REPLIES_MORE) { /* ended, or broke */
			client_replies_start(&with);
			client_replies_start(&without);
		}
		input = slice_skip(input, consumed);
	}
	free(bytes);
	return 0;
}
