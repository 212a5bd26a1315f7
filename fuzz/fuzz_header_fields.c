/* fuzz_header_fields: libFuzzer harness for src/mailauth/header_fields.c, asserting properties,
 * not only survival. The input is copied into an exactly-sized buffer so ASan catches any read
 * past the slice.
 * - HEADER_FIELDS_OK: the fields tile the header from offset 0 to header_length, each whole field
 *   is name *WSP ":" value CRLF with a name of ftext only; every CR in the header is part of
 *   CRLF and every fold is followed by WSP; no NUL; body_offset is header_length + 2 exactly
 *   when the empty line was there, and the end of input otherwise;
 * - unfolding removes exactly the CRLFs, and fails without a change when the buffer is too small;
 * - find returns the first field of that name, in either case;
 * - the header alone, and the header followed by any body, frame into the same fields;
 * - on failure, the input before error_offset frames cleanly into the same number of fields. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/header_fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_header_fields: property failed at line %d: %s\n", __LINE__, #condition); \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

static void require_clean_value(struct slice value)
{
	for (size_t i = 0; i < value.length; i++) {
		REQUIRE(value.data[i] != '\0' && value.data[i] != '\n');
		if (value.data[i] == '\r') {
			REQUIRE(i + 2 < value.length && value.data[i + 1] == '\n' && is_wsp(value.data[i + 2]));
			i++; /* the fold's LF */
		}
	}
}

static void require_field_shape(const struct header_field *field)
{
	const char *p = field->whole.data + field->name.length;
	const char *end = field->whole.data + field->whole.length;

	REQUIRE(field->name.data == field->whole.data && field->name.length > 0);
	for (size_t i = 0; i < field->name.length; i++)
		REQUIRE(field->name.data[i] > 32 && field->name.data[i] < 127 && field->name.data[i] != ':');
	while (p < end && is_wsp(*p))
		p++;
	REQUIRE(p < end && *p == ':' && field->value.data == p + 1);
	REQUIRE(field->value.data + field->value.length + 2 == end);
	REQUIRE(end[-2] == '\r' && end[-1] == '\n');
	require_clean_value(field->value);
}

static void require_unfold(const struct header_field *field)
{
	struct buffer out;
	size_t crs = 0;

	for (size_t i = 0; i < field->value.length; i++)
		crs += field->value.data[i] == '\r';
	buffer_init(&out, field->value.length + 1);
	REQUIRE(buffer_append(&out, "x", 1));
	REQUIRE(header_fields_unfold(field, &out));
	REQUIRE(out.length == 1 + field->value.length - 2 * crs);
	REQUIRE(memchr(out.data, '\r', out.length) == NULL && memchr(out.data, '\n', out.length) == NULL);
	if (out.length > 1) {
		size_t before = out.length;
		out.maximum = before + out.length - 2; /* one octet short of a second copy */
		REQUIRE(!header_fields_unfold(field, &out));
		REQUIRE(out.length == before);
	}
	buffer_free(&out);
}

static void require_find(const struct header_fields *fields, size_t index)
{
	char name[1000];
	size_t length = fields->fields[index].name.length;

	if (length >= sizeof name)
		return;
	for (size_t i = 0; i < length; i++) {
		char c = fields->fields[index].name.data[i];
		name[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ? (char)(c ^ 0x20) : c;
	}
	name[length] = '\0';
	long found = header_fields_find(fields, name, 0);
	REQUIRE(found >= 0 && (size_t)found <= index);
	REQUIRE(slice_equal_nocase(fields->fields[found].name, fields->fields[index].name));
	REQUIRE(header_fields_find(fields, name, index) == (long)index);
}

static void require_same_fields(const struct header_fields *a, const struct header_fields *b)
{
	REQUIRE(a->count == b->count && a->header_length == b->header_length);
	for (size_t i = 0; i < a->count; i++)
		REQUIRE(a->fields[i].whole.data == b->fields[i].whole.data &&
		        a->fields[i].whole.length == b->fields[i].whole.length);
}

static void check_ok(const char *text, size_t size, const struct header_fields *fields, struct header_fields *other)
{
	size_t position = 0;

	REQUIRE(fields->header_length <= fields->body_offset && fields->body_offset <= size);
	if (fields->has_separator)
		REQUIRE(fields->body_offset == fields->header_length + 2 &&
		        memcmp(text + fields->header_length, "\r\n", 2) == 0);
	else
		REQUIRE(fields->body_offset == size && fields->header_length == size);
	for (size_t i = 0; i < fields->count; i++) {
		REQUIRE(fields->fields[i].whole.data == text + position);
		require_field_shape(&fields->fields[i]);
		require_unfold(&fields->fields[i]);
		require_find(fields, i);
		position += fields->fields[i].whole.length;
	}
	REQUIRE(position == fields->header_length);
	REQUIRE(header_fields_parse(slice_make(text, fields->header_length), other) == HEADER_FIELDS_OK);
	require_same_fields(fields, other);
	REQUIRE(!other->has_separator);
}

static void check_failure(const char *text, size_t size, const struct header_fields *fields,
                          struct header_fields *other)
{
	REQUIRE(fields->error_offset < size);
	REQUIRE(header_fields_parse(slice_make(text, fields->error_offset), other) == HEADER_FIELDS_OK);
	REQUIRE(other->count == fields->count && !other->has_separator);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	struct header_fields *fields = malloc(sizeof *fields), *other = malloc(sizeof *other);
	enum header_fields_result result;

	if (size > 0)
		memcpy(text, data, size);
	result = header_fields_parse(slice_make(text, size), fields);
	REQUIRE(result <= HEADER_FIELDS_TOO_MANY);
	REQUIRE(fields->count <= HEADER_FIELDS_MAX);
	if (result == HEADER_FIELDS_OK) {
		REQUIRE(memchr(text, '\0', fields->body_offset) == NULL);
		check_ok(text, size, fields, other);
		if (fields->has_separator) {
			/* whatever the body holds, the same fields (the prefix re-parsed with the empty line) */
			REQUIRE(header_fields_parse(slice_make(text, fields->body_offset), other) == HEADER_FIELDS_OK);
			require_same_fields(fields, other);
			REQUIRE(other->has_separator && other->body_offset == fields->body_offset);
		}
	} else {
		check_failure(text, size, fields, other);
	}
	free(other);
	free(fields);
	free(text);
	return 0;
}
