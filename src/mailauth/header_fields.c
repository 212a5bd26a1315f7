/* header_fields: frames the header section of a message into fields, RFC 5322 §2.2 (fields,
 * CRLF-terminated lines), §2.2.3 (folding: CRLF followed by WSP continues a field), §2.1.1
 * (998 characters per line), §3.5 (the empty line before the body, which may be absent),
 * §3.6.8 (field-name = 1*ftext) and §4.5 / §4.5.8 (WSP before the colon, obsolete syntax).
 * It rejects NUL, bare CR and bare LF, and it stops at the first line it cannot frame: what a
 * caller does with a message whose header is malformed is the caller's decision.
 * It does not look inside field values, nor at the body. */
#include "mailauth/header_fields.h"

#include <string.h>

enum line_kind { LINE_EMPTY, LINE_CONTINUATION, LINE_FIELD };

/* One physical line: [start, start + length) followed by CRLF. */
struct line {
	size_t start;
	size_t length;
	enum line_kind kind;
};

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

/* ftext = %d33-57 / %d59-126 (§3.6.8): printable US-ASCII except ":" */
static bool is_ftext(char c) { return c >= 33 && c <= 126 && c != ':'; }

/* Finds the line at start and checks its bytes (§2.2: only CRLF ends a line). */
static enum header_fields_result line_scan(struct slice message, size_t start, struct line *line)
{
	size_t position = start;

	for (;; position++) {
		if (position - start > HEADER_FIELDS_LINE_MAX)
			return HEADER_FIELDS_LINE_TOO_LONG;
		if (position == message.length)
			return HEADER_FIELDS_UNTERMINATED;
		if (message.data[position] == '\0' || message.data[position] == '\n')
			return HEADER_FIELDS_BAD_BYTES;
		if (message.data[position] != '\r')
			continue;
		if (position + 1 == message.length)
			return HEADER_FIELDS_UNTERMINATED;
		if (message.data[position + 1] != '\n')
			return HEADER_FIELDS_BAD_BYTES;
		break;
	}
	line->start = start;
	line->length = position - start;
	if (line->length == 0)
		line->kind = LINE_EMPTY;
	else
		line->kind = is_wsp(message.data[start]) ? LINE_CONTINUATION : LINE_FIELD;
	return HEADER_FIELDS_OK;
}

/* Starts a field from a line that is not a continuation: 1*ftext *WSP ":" value. */
static enum header_fields_result field_start(struct slice message, const struct line *line, struct header_field *field)
{
	const char *text = message.data + line->start;
	size_t name_length = 0, colon;

	while (name_length < line->length && is_ftext(text[name_length]))
		name_length++;
	colon = name_length;
	while (colon < line->length && is_wsp(text[colon]))
		colon++;
	if (name_length == 0 || colon == line->length || text[colon] != ':')
		return HEADER_FIELDS_BAD_NAME;
	field->name = slice_make(text, name_length);
	field->value = slice_make(text + colon + 1, line->length - colon - 1);
	field->whole = slice_make(text, line->length + 2);
	return HEADER_FIELDS_OK;
}

/* A continuation line extends the last field (§2.2.3): its value keeps the CRLF and the WSP. */
static void field_extend(struct header_field *field, const struct line *line)
{
	field->value.length += 2 + line->length;
	field->whole.length += line->length + 2;
}

/* Frames one line into fields; *done once the empty line is seen. */
static enum header_fields_result take_line(struct slice message, const struct line *line, struct header_fields *fields,
                                           bool *done)
{
	enum header_fields_result result;

	if (line->kind == LINE_EMPTY) {
		fields->has_separator = true;
		fields->header_length = line->start;
		fields->body_offset = line->start + 2;
		*done = true;
		return HEADER_FIELDS_OK;
	}
	if (line->kind == LINE_CONTINUATION) {
		if (fields->count == 0)
			return HEADER_FIELDS_BAD_NAME; /* nothing to continue */
		field_extend(&fields->fields[fields->count - 1], line);
		return HEADER_FIELDS_OK;
	}
	if (fields->count == HEADER_FIELDS_MAX)
		return HEADER_FIELDS_TOO_MANY;
	result = field_start(message, line, &fields->fields[fields->count]);
	if (result == HEADER_FIELDS_OK)
		fields->count++;
	return result;
}

enum header_fields_result header_fields_parse(struct slice message, struct header_fields *fields)
{
	size_t position = 0;
	bool done = false;

	fields->count = 0;
	fields->has_separator = false;
	fields->header_length = fields->body_offset = message.length;
	fields->error_offset = 0;
	while (!done && position < message.length) {
		struct line line;
		enum header_fields_result result = line_scan(message, position, &line);

		if (result == HEADER_FIELDS_OK)
			result = take_line(message, &line, fields, &done);
		if (result != HEADER_FIELDS_OK) {
			fields->error_offset = position;
			return result;
		}
		position += line.length + 2;
	}
	return HEADER_FIELDS_OK;
}

long header_fields_find(const struct header_fields *fields, const char *name, size_t from)
{
	for (size_t i = from; i < fields->count; i++)
		if (slice_equal_string_nocase(fields->fields[i].name, name))
			return (long)i;
	return -1;
}

/* Octets of the value once unfolded: framing put exactly one CRLF before each continuation. */
static size_t unfolded_length(struct slice value)
{
	size_t length = value.length;

	for (size_t i = 0; i < value.length; i++)
		if (value.data[i] == '\r')
			length -= 2;
	return length;
}

bool header_fields_unfold(const struct header_field *field, struct buffer *out)
{
	struct slice rest = field->value;

	if (unfolded_length(rest) > out->maximum - out->length)
		return false;
	for (;;) {
		long cr = slice_find_byte(rest, '\r');
		if (cr < 0)
			break;
		buffer_append(out, rest.data, (size_t)cr); /* §2.2.3: only the CRLF goes */
		rest = slice_skip(rest, (size_t)cr + 2);
	}
	buffer_append_slice(out, rest);
	return true;
}
