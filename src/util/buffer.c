/* buffer: growable byte buffer with a hard maximum, and slice views.
 * All length arithmetic on bytes that came from outside lives here or in the framing
 * code, so the rest of tern reasons about whole values, never offsets. */
#include "util/buffer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void buffer_init(struct buffer *buffer, size_t maximum)
{
	buffer->data = NULL;
	buffer->length = 0;
	buffer->capacity = 0;
	buffer->maximum = maximum;
}

void buffer_free(struct buffer *buffer)
{
	if (buffer == NULL)
		return;
	free(buffer->data);
	buffer->data = NULL;
	buffer->length = 0;
	buffer->capacity = 0;
}

void buffer_clear(struct buffer *buffer)
{
	buffer->length = 0;
	if (buffer->data != NULL)
		buffer->data[0] = '\0';
}

static void reserve(struct buffer *buffer, size_t needed)
{
	size_t capacity = buffer->capacity ? buffer->capacity : 64;

	if (needed <= buffer->capacity && buffer->data != NULL)
		return;
	while (capacity < needed)
		capacity = capacity > buffer->maximum / 2 ? buffer->maximum : capacity * 2;
	buffer->data = xrealloc(buffer->data, capacity + 1);
	buffer->capacity = capacity;
}

bool buffer_append(struct buffer *buffer, const void *data, size_t length)
{
	if (length > buffer->maximum - buffer->length)
		return false;
	reserve(buffer, buffer->length + length);
	if (length > 0)
		memcpy(buffer->data + buffer->length, data, length);
	buffer->length += length;
	buffer->data[buffer->length] = '\0';
	return true;
}

bool buffer_append_string(struct buffer *buffer, const char *string)
{
	return buffer_append(buffer, string, strlen(string));
}

bool buffer_append_slice(struct buffer *buffer, struct slice slice)
{
	return buffer_append(buffer, slice.data, slice.length);
}

bool buffer_printf(struct buffer *buffer, const char *format, ...)
{
	va_list arguments;
	char *text = NULL;
	int length;
	bool appended;

	va_start(arguments, format);
	length = vasprintf(&text, format, arguments);
	va_end(arguments);
	if (length < 0)
		abort(); /* vasprintf fails only when out of memory */
	appended = buffer_append(buffer, text, (size_t)length);
	free(text);
	return appended;
}

struct slice buffer_slice(const struct buffer *buffer)
{
	return slice_make(buffer->data, buffer->length);
}

void buffer_consume(struct buffer *buffer, size_t count)
{
	if (count >= buffer->length) {
		buffer_clear(buffer);
		return;
	}
	memmove(buffer->data, buffer->data + count, buffer->length - count);
	buffer->length -= count;
	buffer->data[buffer->length] = '\0';
}

struct slice slice_make(const char *data, size_t length)
{
	struct slice slice = {data, length};
	return slice;
}

struct slice slice_from_string(const char *string) { return slice_make(string, strlen(string)); }

bool slice_equal(struct slice a, struct slice b)
{
	return a.length == b.length && (a.length == 0 || memcmp(a.data, b.data, a.length) == 0);
}

bool slice_equal_nocase(struct slice a, struct slice b)
{
	if (a.length != b.length)
		return false;
	for (size_t i = 0; i < a.length; i++)
		if (tolower((unsigned char)a.data[i]) != tolower((unsigned char)b.data[i]))
			return false;
	return true;
}

bool slice_equal_string_nocase(struct slice a, const char *string)
{
	return slice_equal_nocase(a, slice_from_string(string));
}

bool slice_has_prefix_nocase(struct slice slice, const char *prefix)
{
	size_t length = strlen(prefix);
	return slice.length >= length && slice_equal_nocase(slice_sub(slice, 0, length), slice_make(prefix, length));
}

struct slice slice_sub(struct slice slice, size_t offset, size_t length)
{
	if (slice.data == NULL) /* the view of a never-written buffer: NULL + 0 is undefined */
		return slice_make(NULL, 0);
	if (offset > slice.length)
		offset = slice.length;
	if (length > slice.length - offset)
		length = slice.length - offset;
	return slice_make(slice.data + offset, length);
}

struct slice slice_skip(struct slice slice, size_t count) { return slice_sub(slice, count, slice.length); }

long slice_find_byte(struct slice slice, char c)
{
	const char *found = slice.length ? memchr(slice.data, c, slice.length) : NULL;
	return found ? (long)(found - slice.data) : -1;
}

char *slice_to_string(struct slice slice) { return xstrndup(slice.length ? slice.data : "", slice.length); }
