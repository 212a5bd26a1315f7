/* Unit tests for util/buffer: the hard maximum, growth, consumption and slice views. */
#include "util/buffer.h"

#include <stdlib.h>

#include "check.h"

static void maximum_is_never_exceeded(void)
{
	struct buffer buffer;

	buffer_init(&buffer, 8);
	CHECK(buffer_append_string(&buffer, "12345"));
	CHECK(!buffer_append_string(&buffer, "6789")); /* would make 9 */
	CHECK_INT(buffer.length, 5);
	CHECK(buffer_append_string(&buffer, "678"));
	CHECK_STR(buffer.data, "12345678");
	CHECK(!buffer_append(&buffer, "x", 1));
	CHECK(!buffer_printf(&buffer, "%d", 1));
	CHECK_INT(buffer.length, 8);
	buffer_free(&buffer);
}

static void growth_keeps_content_and_terminator(void)
{
	struct buffer buffer;

	buffer_init(&buffer, 1 << 20);
	for (int i = 0; i < 10000; i++)
		CHECK(buffer_printf(&buffer, "%04d", i % 10000));
	CHECK_INT(buffer.length, 40000);
	CHECK(buffer.data[buffer.length] == '\0');
	CHECK(slice_equal(slice_sub(buffer_slice(&buffer), 39996, 4), slice_from_string("9999")));
	buffer_free(&buffer);
	buffer_free(NULL);
}

static void consume_drops_the_front(void)
{
	struct buffer buffer;

	buffer_init(&buffer, 100);
	buffer_append_string(&buffer, "hello world");
	buffer_consume(&buffer, 6);
	CHECK_STR(buffer.data, "world");
	buffer_consume(&buffer, 99);
	CHECK_INT(buffer.length, 0);
	buffer_free(&buffer);
}

static void slices_compare_and_clamp(void)
{
	struct slice hello = slice_from_string("Hello");
	struct buffer empty;
	char *copy;

	CHECK(slice_equal_string_nocase(hello, "hELLO"));
	CHECK(!slice_equal_string_nocase(hello, "Hell"));
	CHECK(slice_has_prefix_nocase(hello, "he"));
	CHECK(!slice_has_prefix_nocase(hello, "Hello!"));
	CHECK_INT(slice_find_byte(hello, 'l'), 2);
	CHECK_INT(slice_find_byte(hello, 'z'), -1);
	CHECK_INT(slice_sub(hello, 3, 100).length, 2);
	CHECK_INT(slice_sub(hello, 9, 1).length, 0);
	CHECK_INT(slice_skip(hello, 2).length, 3);
	buffer_init(&empty, 10);
	CHECK_INT(slice_sub(buffer_slice(&empty), 0, 5).length, 0);
	copy = slice_to_string(slice_sub(hello, 1, 3));
	CHECK_STR(copy, "ell");
	free(copy);
}

int main(void)
{
	RUN(maximum_is_never_exceeded);
	RUN(growth_keeps_content_and_terminator);
	RUN(consume_drops_the_front);
	RUN(slices_compare_and_clamp);
	return check_summary("buffer");
}
