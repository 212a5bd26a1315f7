/* client_replies: frames and reads SMTP server replies for the client side, without I/O.
 * RFC 5321 §4.2 (reply lines: a three-digit code, then "-" on every line but the last, one
 * code throughout), §4.2.1 (multi-line replies), §4.1.1.1 (EHLO keyword lines), RFC 1870 §4
 * (SIZE argument), RFC 4954 §3 (AUTH mechanisms). Only CRLF ends a line: a bare LF, a bare CR
 * or a NUL is refused, never repaired. It does not decide what a code means for the dialog:
 * that is client_session's business. */
#include "smtp/client_replies.h"

#include <limits.h>
#include <string.h>

enum client_replies_frame client_replies_frame(struct slice input, struct slice *line, size_t *consumed)
{
	size_t scan = input.length < CLIENT_REPLIES_LINE_MAX ? input.length : CLIENT_REPLIES_LINE_MAX;

	for (size_t i = 0; i < scan; i++) {
		char c = input.data[i];
		if (c == '\n')
			return CLIENT_REPLIES_FRAME_BARE_LF; /* a CRLF would have been taken at its CR */
		if (c == '\0')
			return CLIENT_REPLIES_FRAME_BAD_OCTET;
		if (c != '\r')
			continue;
		if (i + 2 > CLIENT_REPLIES_LINE_MAX)
			return CLIENT_REPLIES_FRAME_TOO_LONG;
		if (i + 1 == input.length)
			return CLIENT_REPLIES_FRAME_INCOMPLETE; /* the LF may be on its way */
		if (input.data[i + 1] != '\n')
			return CLIENT_REPLIES_FRAME_BAD_OCTET;
		*line = slice_make(input.data, i);
		*consumed = i + 2;
		return CLIENT_REPLIES_FRAME_LINE;
	}
	return input.length >= CLIENT_REPLIES_LINE_MAX ? CLIENT_REPLIES_FRAME_TOO_LONG
	                                               : CLIENT_REPLIES_FRAME_INCOMPLETE;
}

void client_replies_start(struct client_replies *reply)
{
	reply->code = 0;
	reply->lines = 0;
	reply->octets = 0;
	reply->text[0] = '\0';
}

/* RFC 5321 §4.2: "2yz" to "5yz", the second digit 0 to 5. Returns the code, or 0. */
static int reply_code(struct slice line)
{
	const char *p = line.data;

	if (line.length < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' || p[2] < '0' || p[2] > '9')
		return 0;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

static void keep_text(struct client_replies *reply, struct slice line)
{
	size_t length = line.length < sizeof reply->text - 1 ? line.length : sizeof reply->text - 1;

	memcpy(reply->text, line.data, length);
	reply->text[length] = '\0';
}

enum client_replies_result client_replies_take(struct client_replies *reply, struct slice line,
                                               struct client_extensions *extensions)
{
	int code = reply_code(line);
	bool more = line.length > 3 && line.data[3] == '-';

	if (code == 0 || (line.length > 3 && !more && line.data[3] != ' '))
		return CLIENT_REPLIES_MALFORMED;
	if (reply->lines > 0 && code != reply->code) /* §4.2.1: one code on every line */
		return CLIENT_REPLIES_MALFORMED;
	if (line.length + 2 > CLIENT_REPLIES_REPLY_MAX - reply->octets)
		return CLIENT_REPLIES_TOO_LONG;
	reply->octets += line.length + 2;
	reply->code = code;
	keep_text(reply, line);
	if (extensions != NULL && code == 250 && reply->lines > 0) /* the first line names the server */
		client_replies_parse_extension(slice_skip(line, 4), extensions);
	reply->lines++;
	return more ? CLIENT_REPLIES_MORE : CLIENT_REPLIES_COMPLETE;
}

/* The next space-separated word of *rest, which moves past it. */
static struct slice next_word(struct slice *rest)
{
	long space;
	struct slice word;

	while (rest->length > 0 && rest->data[0] == ' ')
		*rest = slice_skip(*rest, 1);
	space = slice_find_byte(*rest, ' ');
	word = slice_sub(*rest, 0, space < 0 ? rest->length : (size_t)space);
	*rest = slice_skip(*rest, word.length);
	return word;
}

/* RFC 1870 §4: "SIZE" [SP 1*DIGIT]; anything but digits reads as no declared limit. Saturates. */
static unsigned long long size_argument(struct slice word)
{
	unsigned long long value = 0;

	for (size_t i = 0; i < word.length; i++) {
		unsigned digit = (unsigned)(word.data[i] - '0');
		if (digit > 9)
			return 0;
		value = value > (ULLONG_MAX - digit) / 10 ? ULLONG_MAX : value * 10 + digit;
	}
	return value;
}

static void take_mechanism(struct slice word, struct client_extensions *extensions)
{
	if (slice_equal_string_nocase(word, "PLAIN"))
		extensions->auth_plain = true;
	else if (slice_equal_string_nocase(word, "LOGIN"))
		extensions->auth_login = true;
}

static void take_mechanisms(struct slice rest, struct client_extensions *extensions)
{
	for (struct slice word = next_word(&rest); word.length > 0; word = next_word(&rest))
		take_mechanism(word, extensions);
}

static const struct {
	const char *keyword;
	size_t offset;
} flags[] = {
    {"STARTTLS", offsetof(struct client_extensions, starttls)},
    {"PIPELINING", offsetof(struct client_extensions, pipelining)},
    {"8BITMIME", offsetof(struct client_extensions, eightbitmime)},
    {"SMTPUTF8", offsetof(struct client_extensions, smtputf8)},
    {"CHUNKING", offsetof(struct client_extensions, chunking)},
    {"ENHANCEDSTATUSCODES", offsetof(struct client_extensions, enhanced_status_codes)},
};

void client_replies_parse_extension(struct slice text, struct client_extensions *extensions)
{
	long space = slice_find_byte(text, ' ');
	struct slice keyword = slice_sub(text, 0, space < 0 ? text.length : (size_t)space); /* §4.1.1.1: at once */
	struct slice rest = slice_skip(text, keyword.length);

	if (slice_has_prefix_nocase(keyword, "AUTH=")) { /* the pre-RFC 4954 form some servers still send */
		take_mechanism(slice_skip(keyword, 5), extensions);
		take_mechanisms(rest, extensions);
		return;
	}
	if (slice_equal_string_nocase(keyword, "AUTH")) {
		take_mechanisms(rest, extensions);
		return;
	}
	if (slice_equal_string_nocase(keyword, "SIZE")) {
		extensions->size = true;
		extensions->size_limit = size_argument(next_word(&rest));
		return;
	}
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (slice_equal_string_nocase(keyword, flags[i].keyword))
			*(bool *)((char *)extensions + flags[i].offset) = true;
}
