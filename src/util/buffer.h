/* buffer: the one growable byte buffer, with a hard maximum, and a non-owning slice.
 * Every place where client bytes pile up uses a buffer, so every limit is enforced here. */
#ifndef TERN_BUFFER_H
#define TERN_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

/* A view of bytes owned by someone else. Not NUL-terminated. */
struct slice {
	const char *data;
	size_t length;
};

struct buffer {
	char *data;      /* owned; always NUL-terminated after data[length] for convenience */
	size_t length;   /* bytes in use */
	size_t capacity; /* bytes allocated, excluding the terminating NUL */
	size_t maximum;  /* hard cap on length */
};

/* Starts an empty buffer that will never hold more than maximum bytes. */
void buffer_init(struct buffer *buffer, size_t maximum);
/* Releases the memory; the buffer is empty (and reusable) afterwards. NULL is a no-op. */
void buffer_free(struct buffer *buffer);
/* Empties the buffer without releasing memory. */
void buffer_clear(struct buffer *buffer);
/* Appends bytes. Returns false, changing nothing, if that would exceed the maximum. */
bool buffer_append(struct buffer *buffer, const void *data, size_t length);
bool buffer_append_string(struct buffer *buffer, const char *string);
bool buffer_append_slice(struct buffer *buffer, struct slice slice);
/* Appends printf output; false (buffer unchanged) if it would exceed the maximum. */
bool buffer_printf(struct buffer *buffer, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* A view of the whole content. */
struct slice buffer_slice(const struct buffer *buffer);
/* Removes the first count bytes (count <= length). */
void buffer_consume(struct buffer *buffer, size_t count);

/* Slice helpers. */
struct slice slice_make(const char *data, size_t length);
struct slice slice_from_string(const char *string);
bool slice_equal(struct slice a, struct slice b);
/* ASCII case-insensitive comparison, as SMTP verbs, domains and keywords need. */
bool slice_equal_nocase(struct slice a, struct slice b);
bool slice_equal_string_nocase(struct slice a, const char *string);
bool slice_has_prefix_nocase(struct slice slice, const char *prefix);
/* A sub-view from offset, of at most length bytes (clamped to the slice). */
struct slice slice_sub(struct slice slice, size_t offset, size_t length);
/* Drops count bytes from the front (clamped). */
struct slice slice_skip(struct slice slice, size_t count);
/* Index of the first byte equal to c, or -1 (as long) when absent. */
long slice_find_byte(struct slice slice, char c);
/* A NUL-terminated copy, owned by the caller. */
char *slice_to_string(struct slice slice);

#endif
