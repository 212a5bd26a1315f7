/* test_header_fields: table-driven cases for framing a header section, each named after the rule
 * it checks (RFC 5322 §2.1.1 line length, §2.2 fields and CRLF, §2.2.3 folding, §3.5 the empty
 * line and an absent body, §3.6.8 field names, §4.5 WSP before the colon), plus find and unfold.
 * Each accepted case is rendered as "name|unfolded value" lines and compared as a whole. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mailauth/header_fields.h"

#define INPUT(literal) .input = literal, .input_length = sizeof(literal) - 1
#define NONE           ((size_t)-1) /* body_offset: the end of the input */

struct header_case {
	const char *name;
	const char *input;
	size_t input_length;
	enum header_fields_result result;
	const char *rendered; /* on OK: "name|unfolded value\n" per field */
	size_t offset;        /* on OK the body offset (NONE: end), else the error offset */
};

/* clang-format off */
static const struct header_case header_cases[] = {
	{"rfc5322_2_2_two_fields_and_body", INPUT("From: a@b\r\nTo: c@d\r\n\r\nbody\r\n"), HEADER_FIELDS_OK,
	 "From| a@b\nTo| c@d\n", 22},
	{"rfc5322_2_2_3_folding_kept_in_value", INPUT("Subject: one\r\n two\r\n\tthree\r\n\r\n"), HEADER_FIELDS_OK,
	 "Subject| one two\tthree\n", 30},
	{"rfc5322_2_2_3_whitespace_only_continuation", INPUT("A: x\r\n \r\n\r\n"), HEADER_FIELDS_OK, "A| x \n", 11},
	{"rfc5322_3_5_no_body_no_empty_line", INPUT("Subject: x\r\n"), HEADER_FIELDS_OK, "Subject| x\n", NONE},
	{"rfc5322_3_5_empty_body", INPUT("Subject: x\r\n\r\n"), HEADER_FIELDS_OK, "Subject| x\n", 14},
	{"rfc5322_3_5_no_fields", INPUT("\r\nbody"), HEADER_FIELDS_OK, "", 2},
	{"rfc5322_3_5_empty_message", INPUT(""), HEADER_FIELDS_OK, "", NONE},
	{"rfc5322_3_5_body_not_examined", INPUT("A: b\r\n\r\n\0\n\r \r\n"), HEADER_FIELDS_OK, "A| b\n", 8},
	{"rfc5322_3_5_only_first_empty_line_counts", INPUT("A: b\r\n\r\nC: d\r\n\r\n"), HEADER_FIELDS_OK, "A| b\n", 8},
	{"rfc5322_3_6_8_empty_value", INPUT("X-Empty:\r\n\r\n"), HEADER_FIELDS_OK, "X-Empty|\n", 12},
	{"rfc5322_3_6_8_ftext_punctuation", INPUT("X-A.b_c!~:v\r\n"), HEADER_FIELDS_OK, "X-A.b_c!~|v\n", NONE},
	{"rfc5322_3_6_8_colon_in_value", INPUT("Date: 12:00:01\r\n"), HEADER_FIELDS_OK, "Date| 12:00:01\n", NONE},
	{"rfc5322_4_5_wsp_before_colon", INPUT("Subject \t: x\r\n\r\n"), HEADER_FIELDS_OK, "Subject| x\n", 16},
	{"rfc6532_3_2_utf8_value", INPUT("Subject: gr\xc3\xbc\xc3\x9f\r\n"), HEADER_FIELDS_OK,
	 "Subject| gr\xc3\xbc\xc3\x9f\n", NONE},
	{"rfc5322_2_2_controls_in_value_kept", INPUT("A: \x01\x7f\r\n"), HEADER_FIELDS_OK, "A| \x01\x7f\n", NONE},

	{"rfc5322_2_2_no_colon", INPUT("From: a\r\nSubject x\r\n\r\n"), HEADER_FIELDS_BAD_NAME, NULL, 9},
	{"rfc5322_3_6_8_space_in_name", INPUT("Sub ject: x\r\n"), HEADER_FIELDS_BAD_NAME, NULL, 0},
	{"rfc5322_3_6_8_empty_name", INPUT(": x\r\n"), HEADER_FIELDS_BAD_NAME, NULL, 0},
	{"rfc5322_3_6_8_8bit_name", INPUT("Subj\xc3\xa9: x\r\n"), HEADER_FIELDS_BAD_NAME, NULL, 0},
	{"rfc5322_3_6_8_control_in_name", INPUT("Sub\x01: x\r\n"), HEADER_FIELDS_BAD_NAME, NULL, 0},
	{"rfc5322_2_2_3_continuation_first", INPUT(" folded: x\r\n"), HEADER_FIELDS_BAD_NAME, NULL, 0},
	{"rfc5322_2_2_mbox_from_line_is_no_field", INPUT("From a@b Thu Jan  1 00:00:00 1970\r\n"),
	 HEADER_FIELDS_BAD_NAME, NULL, 0},
	{"rfc5322_2_2_nul_in_value", INPUT("A: b\0c\r\n"), HEADER_FIELDS_BAD_BYTES, NULL, 0},
	{"rfc5322_2_2_bare_lf", INPUT("A: b\r\nC: d\nE: f\r\n"), HEADER_FIELDS_BAD_BYTES, NULL, 6},
	{"rfc5322_2_2_bare_cr", INPUT("A: b\rC: d\r\n"), HEADER_FIELDS_BAD_BYTES, NULL, 0},
	{"rfc5322_2_2_lf_empty_line", INPUT("A: b\r\n\nbody"), HEADER_FIELDS_BAD_BYTES, NULL, 6},
	{"rfc5322_2_2_bare_lf_fold", INPUT("A: b\n c\r\n"), HEADER_FIELDS_BAD_BYTES, NULL, 0},
	{"rfc5322_2_2_unterminated_line", INPUT("A: b\r\nC: d"), HEADER_FIELDS_UNTERMINATED, NULL, 6},
	{"rfc5322_2_2_unterminated_after_cr", INPUT("A: b\r"), HEADER_FIELDS_UNTERMINATED, NULL, 0},
};
/* clang-format on */

static char *render(const struct header_fields *fields)
{
	struct buffer out;

	buffer_init(&out, 1 << 20);
	buffer_append_string(&out, "");
	for (size_t i = 0; i < fields->count; i++) {
		buffer_append_slice(&out, fields->fields[i].name);
		buffer_append_string(&out, "|");
		CHECK(header_fields_unfold(&fields->fields[i], &out));
		buffer_append_string(&out, "\n");
	}
	return out.data;
}

/* The fields tile the header: each whole field starts where the last ended. */
static void check_tiling(const struct header_case *c, const struct header_fields *fields)
{
	size_t position = 0;

	for (size_t i = 0; i < fields->count; i++) {
		const struct header_field *field = &fields->fields[i];
		CHECK(field->whole.data == c->input + position);
		CHECK(field->name.data == field->whole.data);
		CHECK(field->value.data + field->value.length + 2 == field->whole.data + field->whole.length);
		position += field->whole.length;
	}
	CHECK_INT(position, fields->header_length);
}

static void test_header_cases(void)
{
	static struct header_fields fields;

	for (size_t i = 0; i < sizeof header_cases / sizeof *header_cases; i++) {
		const struct header_case *c = &header_cases[i];
		enum header_fields_result result = header_fields_parse(slice_make(c->input, c->input_length), &fields);
		if (result != c->result) {
			fprintf(stderr, "case %s: result %d, expected %d\n", c->name, (int)result, (int)c->result);
			check_failures_in_test++;
			continue;
		}
		if (result != HEADER_FIELDS_OK) {
			if (fields.error_offset != c->offset)
				fprintf(stderr, "case %s: error offset\n", c->name);
			CHECK_INT(fields.error_offset, c->offset);
			continue;
		}
		char *rendered = render(&fields);
		if (strcmp(rendered, c->rendered) != 0)
			fprintf(stderr, "case %s:\n", c->name);
		CHECK_STR(rendered, c->rendered);
		free(rendered);
		CHECK_INT(fields.body_offset, c->offset == NONE ? c->input_length : c->offset);
		CHECK(fields.has_separator == (c->offset != NONE));
		check_tiling(c, &fields);
	}
}

/* A line of prefix followed by filler up to length octets, then CRLF. */
static size_t make_line(char *out, const char *prefix, size_t length)
{
	size_t used = strlen(prefix);

	memcpy(out, prefix, used);
	memset(out + used, 'x', length - used);
	memcpy(out + length, "\r\n", 2);
	return length + 2;
}

static void test_rfc5322_2_1_1_line_length_limit(void)
{
	static char text[2 * (HEADER_FIELDS_LINE_MAX + 8)];
	static struct header_fields fields;
	size_t length = make_line(text, "A: ", 10);

	length += make_line(text + length, "Long: ", HEADER_FIELDS_LINE_MAX);
	CHECK_INT(header_fields_parse(slice_make(text, length), &fields), HEADER_FIELDS_OK);
	CHECK_INT(fields.count, 2);
	length = make_line(text + 12, " ", HEADER_FIELDS_LINE_MAX + 1) + 12;
	CHECK_INT(header_fields_parse(slice_make(text, length), &fields), HEADER_FIELDS_LINE_TOO_LONG);
	CHECK_INT(fields.error_offset, 12);
	CHECK_INT(fields.count, 1);
}

static void test_field_count_limit(void)
{
	static char text[(HEADER_FIELDS_MAX + 1) * 6 + 2];
	static struct header_fields fields;
	size_t length = 0;

	for (size_t i = 0; i < HEADER_FIELDS_MAX; i++)
		length += make_line(text + length, "A:", 4);
	CHECK_INT(header_fields_parse(slice_make(text, length), &fields), HEADER_FIELDS_OK);
	CHECK_INT(fields.count, HEADER_FIELDS_MAX);
	length += make_line(text + length, "A:", 4);
	CHECK_INT(header_fields_parse(slice_make(text, length), &fields), HEADER_FIELDS_TOO_MANY);
	CHECK_INT(fields.error_offset, HEADER_FIELDS_MAX * 6);
}

static void test_rfc5322_1_2_2_find_is_case_insensitive(void)
{
	static const char text[] = "To: a@b\r\ncc: c@d\r\nTO: e@f\r\nX: y\r\n\r\n";
	static struct header_fields fields;

	CHECK_INT(header_fields_parse(slice_make(text, sizeof text - 1), &fields), HEADER_FIELDS_OK);
	CHECK_INT(header_fields_find(&fields, "to", 0), 0);
	CHECK_INT(header_fields_find(&fields, "to", 1), 2);
	CHECK_INT(header_fields_find(&fields, "to", 3), -1);
	CHECK_INT(header_fields_find(&fields, "Cc", 0), 1);
	CHECK_INT(header_fields_find(&fields, "Bcc", 0), -1);
	CHECK_INT(header_fields_find(&fields, "T", 0), -1);
	CHECK_INT(header_fields_find(&fields, "X", 99), -1);
}

static void test_rfc5322_2_2_3_unfold_respects_maximum(void)
{
	static const char text[] = "Subject: ab\r\n cd\r\n";
	static struct header_fields fields;
	struct buffer out;

	CHECK_INT(header_fields_parse(slice_make(text, sizeof text - 1), &fields), HEADER_FIELDS_OK);
	buffer_init(&out, 7);
	CHECK(buffer_append_string(&out, "xy"));
	CHECK(!header_fields_unfold(&fields.fields[0], &out)); /* " ab cd" is 6 octets: 2 + 6 > 7 */
	CHECK_STR(out.data, "xy");
	buffer_clear(&out);
	CHECK(buffer_append_string(&out, "x"));
	CHECK(header_fields_unfold(&fields.fields[0], &out));
	CHECK_STR(out.data, "x ab cd");
	CHECK(!header_fields_unfold(&fields.fields[0], &out));
	CHECK_STR(out.data, "x ab cd");
	buffer_free(&out);
}

int main(void)
{
	RUN(test_header_cases);
	RUN(test_rfc5322_2_1_1_line_length_limit);
	RUN(test_field_count_limit);
	RUN(test_rfc5322_1_2_2_find_is_case_insensitive);
	RUN(test_rfc5322_2_2_3_unfold_respects_maximum);
	return check_summary("test_header_fields");
}
