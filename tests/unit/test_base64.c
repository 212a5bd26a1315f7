/* test_base64: strict base64 (RFC 4648 §4): the §10 test vectors both ways, and every way a
 * text can fail to be canonical base64 (§3.3 no characters outside the alphabet, §3.2 padding,
 * §3.5 non-zero pad bits), each of which must leave the output unchanged. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/base64.h"

struct vector {
	const char *bytes;
	size_t length;
	const char *text;
};

#define VECTOR(bytes_, text_)                                                                                          \
	{                                                                                                              \
		bytes_, sizeof(bytes_) - 1, text_                                                                      \
	}

static const struct vector vectors[] = {
    /* RFC 4648 §10 */
    VECTOR("", ""),
    VECTOR("f", "Zg=="),
    VECTOR("fo", "Zm8="),
    VECTOR("foo", "Zm9v"),
    VECTOR("foob", "Zm9vYg=="),
    VECTOR("fooba", "Zm9vYmE="),
    VECTOR("foobar", "Zm9vYmFy"),
    /* RFC 4616 §4 style PLAIN message, with NULs */
    VECTOR("\0alice\0secret", "AGFsaWNlAHNlY3JldA=="),
    VECTOR("\xff\xfe\xfd", "//79"),
    VECTOR("\xfb\xff", "+/8="),
};

static void rfc4648_10_vectors_decode(void)
{
	for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		struct buffer out;
		buffer_init(&out, 1024);
		CHECK(base64_decode(slice_from_string(vectors[i].text), &out));
		CHECK_INT(out.length, vectors[i].length);
		CHECK(out.length == vectors[i].length && memcmp(out.data, vectors[i].bytes, out.length) == 0);
		buffer_free(&out);
	}
}

static void rfc4648_10_vectors_encode(void)
{
	for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		struct buffer out;
		buffer_init(&out, 1024);
		base64_encode(slice_make(vectors[i].bytes, vectors[i].length), &out);
		CHECK_STR(out.data ? out.data : "", vectors[i].text);
		CHECK_INT(base64_encoded_length(vectors[i].length), strlen(vectors[i].text));
		buffer_free(&out);
	}
}

struct bad_case {
	const char *name;
	const char *text;
	size_t length;
};

#define BAD(name_, text_)                                                                                              \
	{                                                                                                              \
		name_, text_, sizeof(text_) - 1                                                                        \
	}

static const struct bad_case bad_cases[] = {
    BAD("rfc4648_3_2_length_not_multiple_of_4", "Zm9vY"),
    BAD("rfc4648_3_2_missing_padding", "Zg"),
    BAD("rfc4648_3_2_missing_one_pad", "Zg="),
    BAD("rfc4648_3_2_three_pads", "Z==="),
    BAD("rfc4648_3_2_only_pads", "===="),
    BAD("rfc4648_3_2_pad_in_middle", "Zg==Zm9v"),
    BAD("rfc4648_3_2_pad_before_last_char", "Zm=v"),
    BAD("rfc4648_3_2_pad_at_start", "=Zm9"),
    BAD("rfc4648_3_3_leading_space", " Zm9v"),
    BAD("rfc4648_3_3_trailing_space", "Zm9v    "),
    BAD("rfc4648_3_3_space_inside", "Zm 9v   "),
    BAD("rfc4648_3_3_crlf", "Zm9v\r\n  "),
    BAD("rfc4648_3_3_trailing_lf", "Zm9vYmF\n"),
    BAD("rfc4648_3_3_tab", "Zm9\t"),
    BAD("rfc4648_3_3_nul", "Zm9\0"),
    BAD("rfc4648_3_3_url_safe_minus", "Zm-v"),
    BAD("rfc4648_3_3_url_safe_underscore", "Zm_v"),
    BAD("rfc4648_3_3_high_byte", "Zm\xc3\xa9"),
    BAD("rfc4648_3_3_dot", "Zm.v"),
    BAD("rfc4648_3_5_nonzero_pad_bits_two_pads", "Zh=="),
    BAD("rfc4648_3_5_nonzero_pad_bits_one_pad", "Zm9="),
};

static void rfc4648_rejects_non_canonical_text(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
		struct buffer out;
		bool accepted;
		buffer_init(&out, 1024);
		buffer_append_string(&out, "kept");
		accepted = base64_decode(slice_make(bad_cases[i].text, bad_cases[i].length), &out);
		if (accepted)
			fprintf(stderr, "%s: accepted\n", bad_cases[i].name);
		CHECK(!accepted);
		CHECK_STR(out.data, "kept");
		CHECK_INT(out.length, 4);
		buffer_free(&out);
	}
}

static void decode_appends(void)
{
	struct buffer out;

	buffer_init(&out, 64);
	buffer_append_string(&out, "x:");
	CHECK(base64_decode(slice_from_string("Zm9vYmFy"), &out));
	CHECK_STR(out.data, "x:foobar");
	buffer_free(&out);
}

static void decode_over_maximum_leaves_out_unchanged(void)
{
	struct buffer out;

	buffer_init(&out, 6);
	buffer_append_string(&out, "ab");
	CHECK(!base64_decode(slice_from_string("Zm9vYmE="), &out)); /* 5 bytes, room for 4 */
	CHECK_STR(out.data, "ab");
	CHECK(base64_decode(slice_from_string("Zm9vYg=="), &out)); /* exactly 4 */
	CHECK_STR(out.data, "abfoob");
	buffer_free(&out);
}

static void encode_over_maximum_leaves_out_unchanged(void)
{
	struct buffer out;

	buffer_init(&out, 7);
	buffer_append_string(&out, "ab");
	base64_encode(slice_from_string("foo1"), &out); /* 8 characters, room for 5 */
	CHECK_STR(out.data, "ab");
	base64_encode(slice_from_string("foo"), &out);
	CHECK_STR(out.data, "abZm9v");
	buffer_free(&out);
}

/* Every byte value, and sizes around the 4096-character chunk the codec works in. */
static void round_trip_all_bytes_and_chunk_sizes(void)
{
	static const size_t sizes[] = {0, 1, 2, 3, 255, 256, 3071, 3072, 3073, 6144, 10000};

	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		size_t size = sizes[s];
		char *bytes = malloc(size + 1);
		struct buffer text, back;
		for (size_t i = 0; i < size; i++)
			bytes[i] = (char)(i * 7 + i / 256);
		buffer_init(&text, 1 << 20);
		buffer_init(&back, 1 << 20);
		base64_encode(slice_make(bytes, size), &text);
		CHECK_INT(text.length, base64_encoded_length(size));
		CHECK(base64_decode(buffer_slice(&text), &back));
		CHECK_INT(back.length, size);
		CHECK(back.length == size && (size == 0 || memcmp(back.data, bytes, size) == 0));
		buffer_free(&text);
		buffer_free(&back);
		free(bytes);
	}
}

int main(void)
{
	RUN(rfc4648_10_vectors_decode);
	RUN(rfc4648_10_vectors_encode);
	RUN(rfc4648_rejects_non_canonical_text);
	RUN(decode_appends);
	RUN(decode_over_maximum_leaves_out_unchanged);
	RUN(encode_over_maximum_leaves_out_unchanged);
	RUN(round_trip_all_bytes_and_chunk_sizes);
	return check_summary("test_base64");
}
