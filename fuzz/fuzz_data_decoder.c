/* fuzz_data_decoder: libFuzzer harness for the DATA/BDAT decoder, in both modes. Properties:
 * (a) whole, split at two input-derived points, and byte by byte give the same result;
 * (b) DATA ends exactly after the first <CRLF>.<CRLF> (or a leading ".\r\n"), nowhere else;
 * (c) without errors the output has no bare CR, bare LF or NUL and no line over 998;
 * (d) dot-stuffing a clean message and adding ".\r\n" decodes back to it;
 * (e) a smaller maximum gives a prefix of the output and adds only DATA_ERROR_TOO_BIG. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/data_decoder.h"

#define PROPERTY(condition)                                                                                  \
	do {                                                                                                 \
		if (!(condition)) {                                                                          \
			fprintf(stderr, "property failed: %s (line %d)\n", #condition, __LINE__);             \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

#define BYTE_BY_BYTE_LIMIT 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	struct buffer output;
	unsigned errors;
	size_t consumed;
	bool ended;
	bool has_8bit;
};

/* Decodes input fed in pieces ending at the given cut offsets (ascending), then the rest. */
static void decode(enum data_mode mode, size_t maximum, struct slice input, const size_t *cuts, size_t cut_count,
                   struct outcome *outcome)
{
	struct data_decoder decoder;
	size_t offset = 0;

	buffer_init(&outcome->output, maximum);
	data_decoder_init(&decoder, mode, &outcome->output);
	for (size_t i = 0; i <= cut_count && !decoder.ended; i++) {
		size_t end = i < cut_count ? cuts[i] : input.length;
		size_t consumed = data_decoder_feed(&decoder, slice_sub(input, offset, end - offset));
		PROPERTY(decoder.ended || consumed == end - offset);
		offset += consumed;
	}
	if (mode == DATA_MODE_CHUNK)
		data_decoder_finish(&decoder);
	outcome->errors = decoder.errors;
	outcome->consumed = offset;
	outcome->ended = decoder.ended;
	outcome->has_8bit = decoder.has_8bit;
}

static bool same_outcome(const struct outcome *a, const struct outcome *b)
{
	return slice_equal(buffer_slice(&a->output), buffer_slice(&b->output)) && a->errors == b->errors &&
	       a->consumed == b->consumed && a->ended == b->ended && a->has_8bit == b->has_8bit;
}

static uint64_t fnv1a(struct slice input)
{
	uint64_t hash = 1469598103934665603ull;

	for (size_t i = 0; i < input.length; i++)
		hash = (hash ^ (unsigned char)input.data[i]) * 1099511628211ull;
	return hash;
}

/* (a): the same result however the input is cut. */
static void check_splits(enum data_mode mode, struct slice input, const struct outcome *whole)
{
	uint64_t hash = fnv1a(input);
	size_t cuts[2] = {(size_t)(hash % (input.length + 1)), (size_t)((hash >> 32) % (input.length + 1))};
	struct outcome split;

	if (cuts[0] > cuts[1]) {
		size_t swap = cuts[0];
		cuts[0] = cuts[1];
		cuts[1] = swap;
	}
	decode(mode, whole->output.maximum, input, cuts, 1, &split);
	PROPERTY(same_outcome(whole, &split));
	buffer_free(&split.output);
	decode(mode, whole->output.maximum, input, cuts, 2, &split);
	PROPERTY(same_outcome(whole, &split));
	buffer_free(&split.output);
	if (input.length <= BYTE_BY_BYTE_LIMIT) {
		size_t *every = malloc((input.length + 1) * sizeof *every);
		for (size_t i = 0; i < input.length; i++)
			every[i] = i;
		decode(mode, whole->output.maximum, input, every, input.length, &split);
		PROPERTY(same_outcome(whole, &split));
		buffer_free(&split.output);
		free(every);
	}
}

/* (b): where DATA must end: after the first CRLF "." CRLF, or a leading ".\r\n". */
static size_t expected_end(struct slice input)
{
	if (input.length >= 3 && memcmp(input.data, ".\r\n", 3) == 0)
		return 3;
	for (size_t i = 0; i + 5 <= input.length; i++)
		if (memcmp(input.data + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return 0;
}

static void check_end(enum data_mode mode, struct slice input, const struct outcome *whole)
{
	size_t end = mode == DATA_MODE_DOT ? expected_end(input) : 0;
	bool any_8bit = false;

	PROPERTY(whole->ended == (end != 0));
	PROPERTY(whole->consumed == (end != 0 ? end : input.length));
	for (size_t i = 0; i < whole->consumed; i++)
		any_8bit |= (unsigned char)input.data[i] >= 0x80;
	PROPERTY(whole->has_8bit == any_8bit);
}

/* (c): a clean output is CRLF lines of at most 998 octets, without NUL. */
static void check_clean(const struct outcome *whole)
{
	struct slice output = buffer_slice(&whole->output);
	size_t line = 0;

	if (whole->errors != 0)
		return;
	for (size_t i = 0; i < output.length; i++) {
		char c = output.data[i];
		PROPERTY(c != '\0');
		PROPERTY(c != '\r' || (i + 1 < output.length && output.data[i + 1] == '\n'));
		PROPERTY(c != '\n' || (i > 0 && output.data[i - 1] == '\r'));
		line = c == '\r' || c == '\n' ? 0 : line + 1;
		PROPERTY(line <= DATA_LINE_MAX);
	}
}

/* The DATA form of a clean message: leading dots doubled, then the end marker. */
static void dot_stuff(struct slice message, struct buffer *out)
{
	bool line_start = true;

	for (size_t i = 0; i < message.length; i++) {
		if (line_start && message.data[i] == '.')
			PROPERTY(buffer_append(out, ".", 1));
		PROPERTY(buffer_append(out, message.data + i, 1));
		line_start = message.data[i] == '\n';
	}
	PROPERTY(buffer_append(out, ".\r\n", 3));
}

/* (d): decode(encode(x)) = x for every complete clean message. */
static void check_round_trip(enum data_mode mode, const struct outcome *whole)
{
	struct slice message = buffer_slice(&whole->output);
	struct buffer encoded;
	struct outcome again;

	if (whole->errors != 0 || (mode == DATA_MODE_DOT && !whole->ended))
		return;
	PROPERTY(message.length == 0 || message.data[message.length - 1] == '\n');
	buffer_init(&encoded, 2 * message.length + 3);
	dot_stuff(message, &encoded);
	decode(DATA_MODE_DOT, message.length, buffer_slice(&encoded), NULL, 0, &again);
	PROPERTY(again.errors == 0 && again.ended && again.consumed == encoded.length);
	PROPERTY(slice_equal(buffer_slice(&again.output), message));
	buffer_free(&again.output);
	buffer_free(&encoded);
}

/* (e): a smaller maximum truncates the output and may add DATA_ERROR_TOO_BIG, nothing else. */
static void check_maximum(enum data_mode mode, struct slice input, const struct outcome *whole)
{
	struct outcome small;
	struct slice full = buffer_slice(&whole->output), truncated;

	decode(mode, input.length / 2, input, NULL, 0, &small);
	truncated = buffer_slice(&small.output);
	PROPERTY(truncated.length <= full.length);
	/* not slice_sub: an empty buffer's slice has a NULL pointer, and NULL + 0 is undefined */
	PROPERTY(truncated.length == 0 || memcmp(truncated.data, full.data, truncated.length) == 0);
	PROPERTY((small.errors & ~DATA_ERROR_TOO_BIG) == whole->errors);
	PROPERTY(((small.errors & DATA_ERROR_TOO_BIG) != 0) == (truncated.length < full.length));
	PROPERTY(small.consumed == whole->consumed && small.ended == whole->ended);
	buffer_free(&small.output);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice input = slice_make(size ? (const char *)data : "", size);
	const enum data_mode modes[] = {DATA_MODE_DOT, DATA_MODE_CHUNK};

	for (size_t m = 0; m < 2; m++) {
		struct outcome whole;
		decode(modes[m], size + 2, input, NULL, 0, &whole);
		PROPERTY((whole.errors & DATA_ERROR_TOO_BIG) == 0);
		check_splits(modes[m], input, &whole);
		check_end(modes[m], input, &whole);
		check_clean(&whole);
		check_round_trip(modes[m], &whole);
		check_maximum(modes[m], input, &whole);
		buffer_free(&whole.output);
	}
	return 0;
}
