/* test_data_decoder: table-driven cases for the DATA/BDAT decoder, each named after the rule
 * it checks (RFC 5321 §4.1.1.4 end of data, §4.5.2 dot-stuffing, §2.3.8 CRLF only,
 * §4.5.3.1.6 line length; RFC 3030 §2 chunks). Every case is also fed split at every
 * possible point and byte by byte, and must give the same result each time. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "smtp/data_decoder.h"

#define WHOLE ((size_t)-1) /* expected consumed: the whole input */
#define BIG_MAXIMUM (1u << 20)

struct decoder_case {
	const char *name;
	enum data_mode mode;
	const char *input;
	size_t input_length;
	const char *output;
	size_t output_length;
	unsigned errors;
	size_t consumed;
	bool ended;
	bool has_8bit;
	size_t maximum; /* 0: BIG_MAXIMUM */
	bool finish;    /* CHUNK mode: call data_decoder_finish after the input */
};

struct decoder_result {
	struct buffer output;
	unsigned errors;
	size_t consumed;
	bool ended;
	bool has_8bit;
};

#define INPUT(literal) .input = literal, .input_length = sizeof(literal) - 1
#define OUTPUT(literal) .output = literal, .output_length = sizeof(literal) - 1
/* DATA: the whole input consumed unless consumed says otherwise. */
#define DOT(name_, input_, output_, errors_, consumed_, ended_)                                              \
	{.name = name_, .mode = DATA_MODE_DOT, INPUT(input_), OUTPUT(output_), .errors = errors_,            \
	 .consumed = consumed_, .ended = ended_}
/* BDAT: every input is one last chunk, then data_decoder_finish. */
#define CHUNK(name_, input_, output_, errors_)                                                               \
	{.name = name_, .mode = DATA_MODE_CHUNK, INPUT(input_), OUTPUT(output_), .errors = errors_,          \
	 .consumed = WHOLE, .finish = true}

static const struct decoder_case dot_cases[] = {
	DOT("end_marker_alone_is_empty_message", ".\r\n", "", 0, WHOLE, true),
	DOT("empty_line_then_end", "\r\n.\r\n", "\r\n", 0, WHOLE, true),
	DOT("crlf_line_endings_kept", "Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n", 0, WHOLE, true),
	DOT("rfc5321_4_5_2_leading_dot_removed", "..hidden\r\n.\r\n", ".hidden\r\n", 0, WHOLE, true),
	DOT("rfc5321_4_5_2_double_dot_line_is_dot", "a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", 0, WHOLE, true),
	DOT("rfc5321_4_5_2_dot_space_line", "a\r\n. \r\n.\r\n", "a\r\n \r\n", 0, WHOLE, true),
	DOT("rfc5321_4_5_2_triple_dot", "...\r\n.\r\n", "..\r\n", 0, WHOLE, true),
	DOT("rfc5321_4_5_2_dot_inside_line_kept", "a.b\r\n.c\r\n.\r\n", "a.b\r\nc\r\n", 0, WHOLE, true),
	DOT("rfc5321_4_1_1_4_end_marker_at_start_leaves_rest", ".\r\nQUIT\r\n", "", 0, 3, true),
	DOT("rfc5321_4_1_1_4_pipelined_command_left_unconsumed", "a\r\n.\r\nMAIL FROM:<x@y>\r\n", "a\r\n", 0, 6,
	    true),
	DOT("rfc5321_4_1_1_4_second_marker_left_unconsumed", "a\r\n.\r\n.\r\n", "a\r\n", 0, 6, true),
	DOT("no_end_marker_yet", "a\r\nb", "a\r\nb", 0, WHOLE, false),
	DOT("dot_at_end_of_input_pending", "a\r\n.", "a\r\n", 0, WHOLE, false),
	DOT("dot_cr_at_end_of_input_pending", "a\r\n.\r", "a\r\n", 0, WHOLE, false),
	DOT("empty_input", "", "", 0, WHOLE, false),
	DOT("rfc5321_2_3_8_lf_dot_lf_not_end", "a\n.\nb\r\n.\r\n", "a", DATA_ERROR_BARE_LF, WHOLE, true),
	DOT("rfc5321_2_3_8_cr_dot_cr_not_end", "a\r.\rb\r\n.\r\n", "a", DATA_ERROR_BARE_CR, WHOLE, true),
	DOT("rfc5321_2_3_8_lf_dot_crlf_not_end", "a\n.\r\nb\r\n.\r\n", "a", DATA_ERROR_BARE_LF, WHOLE, true),
	DOT("rfc5321_2_3_8_crlf_dot_lf_not_end", "a\r\n.\nb\r\n.\r\n", "a\r\n", DATA_ERROR_BARE_LF, WHOLE, true),
	DOT("rfc5321_2_3_8_crlf_dot_cr_not_end", "a\r\n.\rb\r\n.\r\n", "a\r\n", DATA_ERROR_BARE_CR, WHOLE, true),
	DOT("rfc5321_2_3_8_cr_dot_crlf_not_end", "a\r.\r\nb\r\n.\r\n", "a", DATA_ERROR_BARE_CR, WHOLE, true),
	DOT("rfc5321_2_3_8_lf_dot_lf_alone_never_ends", "a\n.\n", "a", DATA_ERROR_BARE_LF, WHOLE, false),
	DOT("rfc5321_2_3_8_cr_dot_cr_alone_never_ends", "a\r.\r", "a", DATA_ERROR_BARE_CR, WHOLE, false),
	DOT("rfc5321_2_3_8_lf_dot_crlf_alone_never_ends", "a\n.\r\n", "a", DATA_ERROR_BARE_LF, WHOLE, false),
	DOT("rfc5321_2_3_8_crlf_dot_lf_alone_never_ends", "a\r\n.\n", "a\r\n", DATA_ERROR_BARE_LF, WHOLE, false),
	DOT("rfc5321_2_3_8_first_line_dot_lf_not_end", ".\n", "", DATA_ERROR_BARE_LF, WHOLE, false),
	DOT("rfc5321_2_3_8_first_byte_bare_lf_not_line_start", "\n.\r\n", "", DATA_ERROR_BARE_LF, WHOLE, false),
	DOT("rfc5321_2_3_8_dot_cr_dot_is_not_end", ".\r.\r\n", "", DATA_ERROR_BARE_CR, WHOLE, false),
	DOT("rfc5321_2_3_8_dot_cr_cr_lf_is_not_end", ".\r\r\n", "", DATA_ERROR_BARE_CR, WHOLE, false),
	DOT("rfc5321_2_3_8_cr_cr_lf_is_bare_cr_then_line_end", "a\r\r\n.\r\n", "a", DATA_ERROR_BARE_CR, WHOLE, true),
	DOT("rfc5321_2_3_8_bare_lf_and_bare_cr_both_recorded", "a\nb\rc\r\n.\r\n", "a",
	    DATA_ERROR_BARE_LF | DATA_ERROR_BARE_CR, WHOLE, true),
	DOT("rfc5321_4_5_2_nul_rejected", "ab\0c\r\n.\r\n", "ab", DATA_ERROR_NUL, WHOLE, true),
	DOT("rfc5321_4_5_2_nul_right_after_dot", "x\r\n.\0\r\n.\r\n", "x\r\n", DATA_ERROR_NUL, WHOLE, true),
	{.name = "rfc6152_eight_bit_octets_flagged", .mode = DATA_MODE_DOT, INPUT("caf\xc3\xa9\r\n.\r\n"),
	 OUTPUT("caf\xc3\xa9\r\n"), .consumed = WHOLE, .ended = true, .has_8bit = true},
	{.name = "rfc6152_eight_bit_inside_long_run_flagged", .mode = DATA_MODE_DOT,
	 INPUT("0123456789abcdef\xe2\x82\xac" "0123456789abcdef\r\n.\r\n"),
	 OUTPUT("0123456789abcdef\xe2\x82\xac" "0123456789abcdef\r\n"), .consumed = WHOLE, .ended = true,
	 .has_8bit = true},
	DOT("controls_other_than_cr_lf_nul_are_data", "0123456789\tabcdef\x01\x0b\x0c\x0e" "0123456789\r\n.\r\n",
	    "0123456789\tabcdef\x01\x0b\x0c\x0e" "0123456789\r\n", 0, WHOLE, true),
	DOT("rfc5321_2_3_8_bare_lf_inside_long_run", "0123456789abcdef\n0123456789abcdef\r\n.\r\n", "0123456789abcdef",
	    DATA_ERROR_BARE_LF, WHOLE, true),
	DOT("rfc5321_4_5_2_nul_inside_long_run", "0123456789abcdef0123\0" "456789abcdef\r\n.\r\n",
	    "0123456789abcdef0123", DATA_ERROR_NUL, WHOLE, true),
	{.name = "rfc6152_eight_bit_after_error_still_flagged", .mode = DATA_MODE_DOT, INPUT("\n\xff\r\n.\r\n"),
	 OUTPUT(""), .errors = DATA_ERROR_BARE_LF, .consumed = WHOLE, .ended = true, .has_8bit = true},
	{.name = "too_big_fills_to_maximum", .mode = DATA_MODE_DOT, INPUT("abcdefgh\r\n.\r\n"), OUTPUT("abcde"),
	 .errors = DATA_ERROR_TOO_BIG, .consumed = WHOLE, .ended = true, .maximum = 5},
	{.name = "too_big_exactly_maximum_fits", .mode = DATA_MODE_DOT, INPUT("abc\r\n.\r\n"), OUTPUT("abc\r\n"),
	 .consumed = WHOLE, .ended = true, .maximum = 5},
	{.name = "too_big_by_final_crlf", .mode = DATA_MODE_DOT, INPUT("abcd\r\n.\r\n"), OUTPUT("abcd\r"),
	 .errors = DATA_ERROR_TOO_BIG, .consumed = WHOLE, .ended = true, .maximum = 5},
	{.name = "too_big_then_bare_lf_both_recorded", .mode = DATA_MODE_DOT, INPUT("abcdefgh\nx\r\n.\r\n"),
	 OUTPUT("abc"), .errors = DATA_ERROR_TOO_BIG | DATA_ERROR_BARE_LF, .consumed = WHOLE, .ended = true,
	 .maximum = 3},
	{.name = "too_big_not_reached_before_bare_lf", .mode = DATA_MODE_DOT, INPUT("ab\ncdefgh\r\n.\r\n"),
	 OUTPUT("ab"), .errors = DATA_ERROR_BARE_LF, .consumed = WHOLE, .ended = true, .maximum = 3},
};

static const struct decoder_case chunk_cases[] = {
	CHUNK("rfc3030_2_dots_are_data", "..a\r\n.\r\n", "..a\r\n.\r\n", 0),
	CHUNK("rfc3030_2_finish_appends_crlf", "abc", "abc\r\n", 0),
	CHUNK("rfc3030_2_finish_keeps_final_crlf", "abc\r\n", "abc\r\n", 0),
	CHUNK("rfc3030_2_empty_message", "", "", 0),
	CHUNK("rfc5321_2_3_8_finish_bare_cr_at_end", "abc\r", "abc", DATA_ERROR_BARE_CR),
	CHUNK("rfc5321_2_3_8_bare_lf", "a\nb\r\n", "a", DATA_ERROR_BARE_LF),
	CHUNK("rfc5321_2_3_8_bare_cr", "a\rb\r\n", "a", DATA_ERROR_BARE_CR),
	CHUNK("rfc5321_2_3_8_cr_cr_lf", "a\r\r\nb\r\n", "a", DATA_ERROR_BARE_CR),
	CHUNK("rfc5321_4_5_2_nul", "a\0\r\n", "a", DATA_ERROR_NUL),
	{.name = "rfc3030_2_without_finish_keeps_partial_line", .mode = DATA_MODE_CHUNK, INPUT("a\r\nb"),
	 OUTPUT("a\r\nb"), .consumed = WHOLE},
	{.name = "rfc3030_2_cr_pending_at_end_of_chunk", .mode = DATA_MODE_CHUNK, INPUT("a\r"), OUTPUT("a"),
	 .consumed = WHOLE},
	{.name = "rfc6152_eight_bit", .mode = DATA_MODE_CHUNK, INPUT("\x80\r\n"), OUTPUT("\x80\r\n"),
	 .consumed = WHOLE, .has_8bit = true, .finish = true},
	{.name = "too_big_at_finish", .mode = DATA_MODE_CHUNK, INPUT("abc"), OUTPUT("abc\r"),
	 .errors = DATA_ERROR_TOO_BIG, .consumed = WHOLE, .maximum = 4, .finish = true},
};

/* Feeds input: first the first first_length bytes, then the rest in pieces of step bytes,
 * stopping once the decoder reports the end. */
static void decode_in_pieces(const struct decoder_case *c, size_t first_length, size_t step,
                             struct decoder_result *result)
{
	struct data_decoder decoder;
	size_t offset = 0, piece = first_length;

	buffer_init(&result->output, c->maximum ? c->maximum : BIG_MAXIMUM);
	data_decoder_init(&decoder, c->mode, &result->output);
	result->consumed = 0;
	while (!decoder.ended && (offset < c->input_length || piece == 0)) {
		size_t length = piece < c->input_length - offset ? piece : c->input_length - offset;
		size_t consumed = data_decoder_feed(&decoder, slice_make(c->input + offset, length));
		result->consumed += consumed;
		CHECK(decoder.ended || consumed == length);
		offset += length;
		piece = step;
	}
	if (c->finish)
		data_decoder_finish(&decoder);
	result->errors = decoder.errors;
	result->ended = decoder.ended;
	result->has_8bit = decoder.has_8bit;
}

static bool result_matches(const struct decoder_case *c, const struct decoder_result *result)
{
	size_t consumed = c->consumed == WHOLE ? c->input_length : c->consumed;

	return result->output.length == c->output_length &&
	       (c->output_length == 0 || memcmp(result->output.data, c->output, c->output_length) == 0) &&
	       result->errors == c->errors && result->consumed == consumed && result->ended == c->ended &&
	       result->has_8bit == c->has_8bit;
}

static void report(const struct decoder_case *c, const char *how, size_t split, const struct decoder_result *r)
{
	fprintf(stderr, "%s (%s %zu): output length %zu (expected %zu), errors %u (%u), consumed %zu, ended %d, "
	        "8bit %d\n", c->name, how, split, r->output.length, c->output_length, r->errors, c->errors, r->consumed,
	        r->ended, r->has_8bit);
}

/* Whole, split at every point, byte by byte: the same result each time. */
static void check_case(const struct decoder_case *c)
{
	struct decoder_result result;

	decode_in_pieces(c, c->input_length, SIZE_MAX, &result);
	if (!result_matches(c, &result)) {
		report(c, "whole", 0, &result);
		check_failures_in_test++;
	}
	buffer_free(&result.output);
	for (size_t split = 0; split <= c->input_length; split++) {
		decode_in_pieces(c, split, SIZE_MAX, &result);
		if (!result_matches(c, &result)) {
			report(c, "split at", split, &result);
			check_failures_in_test++;
		}
		buffer_free(&result.output);
	}
	decode_in_pieces(c, 0, 1, &result);
	if (!result_matches(c, &result)) {
		report(c, "byte by byte", 1, &result);
		check_failures_in_test++;
	}
	buffer_free(&result.output);
}

static void test_dot_mode_cases(void)
{
	for (size_t i = 0; i < sizeof dot_cases / sizeof dot_cases[0]; i++)
		check_case(&dot_cases[i]);
}

static void test_chunk_mode_cases(void)
{
	for (size_t i = 0; i < sizeof chunk_cases / sizeof chunk_cases[0]; i++)
		check_case(&chunk_cases[i]);
}

/* A line of count 'x' octets (after a stuffing dot if stuffed) and CRLF, then the end marker
 * in DOT mode. The output is the line when it fits, else its first 998 octets. */
static void check_long_line(const char *name, enum data_mode mode, bool stuffed, size_t count, unsigned errors)
{
	const char *marker = mode == DATA_MODE_DOT ? ".\r\n" : "";
	size_t dot = stuffed ? 1 : 0, input_length = dot + count + 2 + strlen(marker);
	char *input = malloc(input_length), *output = malloc(count + 2);
	struct decoder_case c = {.name = name, .mode = mode, .input = input, .input_length = input_length,
	                         .output = output, .output_length = count + 2, .errors = errors, .consumed = WHOLE,
	                         .ended = mode == DATA_MODE_DOT, .finish = mode == DATA_MODE_CHUNK};

	input[0] = '.';
	memset(input + dot, 'x', count);
	memcpy(input + dot + count, "\r\n", 2);
	memcpy(input + dot + count + 2, marker, strlen(marker));
	memset(output, 'x', count);
	memcpy(output + count, "\r\n", 2);
	if (errors)
		c.output_length = DATA_LINE_MAX;
	check_case(&c);
	free(input);
	free(output);
}

static void test_rfc5321_4_5_3_1_6_line_length(void)
{
	check_long_line("998_octets_fit", DATA_MODE_DOT, false, 998, 0);
	check_long_line("999_octets_too_long", DATA_MODE_DOT, false, 999, DATA_ERROR_LINE_TOO_LONG);
	check_long_line("998_octets_after_unstuffing_fit", DATA_MODE_DOT, true, 998, 0);
	check_long_line("999_octets_after_unstuffing_too_long", DATA_MODE_DOT, true, 999, DATA_ERROR_LINE_TOO_LONG);
	check_long_line("chunk_998_octets_fit", DATA_MODE_CHUNK, false, 998, 0);
	check_long_line("chunk_999_octets_too_long", DATA_MODE_CHUNK, false, 999, DATA_ERROR_LINE_TOO_LONG);
	check_long_line("chunk_5000_octets_too_long", DATA_MODE_CHUNK, false, 5000, DATA_ERROR_LINE_TOO_LONG);
}

/* BDAT: a CR ending one chunk and the LF starting the next make one line ending. */
static void test_rfc3030_crlf_across_chunks(void)
{
	struct buffer output;
	struct data_decoder decoder;

	buffer_init(&output, 100);
	data_decoder_init(&decoder, DATA_MODE_CHUNK, &output);
	CHECK_INT(data_decoder_feed(&decoder, slice_from_string("line one\r")), 9);
	CHECK_STR(output.data, "line one");
	CHECK_INT(data_decoder_feed(&decoder, slice_from_string("\nline two")), 9);
	CHECK_INT(data_decoder_finish(&decoder), 0);
	CHECK_STR(output.data, "line one\r\nline two\r\n");
	buffer_free(&output);
}

/* DATA: "\r" in one read and "\n.\r\n" plus a pipelined command in the next. */
static void test_rfc5321_4_1_1_4_end_marker_across_reads(void)
{
	struct buffer output;
	struct data_decoder decoder;

	buffer_init(&output, 100);
	data_decoder_init(&decoder, DATA_MODE_DOT, &output);
	CHECK_INT(data_decoder_feed(&decoder, slice_from_string("hello\r")), 6);
	CHECK(!decoder.ended);
	CHECK_INT(data_decoder_feed(&decoder, slice_from_string("\n.\r\nQUIT\r\n")), 4);
	CHECK(decoder.ended);
	CHECK_STR(output.data, "hello\r\n");
	CHECK_INT(data_decoder_feed(&decoder, slice_from_string("QUIT\r\n")), 0);
	CHECK_INT(decoder.errors, 0);
	buffer_free(&output);
}

int main(void)
{
	RUN(test_dot_mode_cases);
	RUN(test_chunk_mode_cases);
	RUN(test_rfc5321_4_5_3_1_6_line_length);
	RUN(test_rfc3030_crlf_across_chunks);
	RUN(test_rfc5321_4_1_1_4_end_marker_across_reads);
	return check_summary("test_data_decoder");
}
