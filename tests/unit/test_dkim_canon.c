/* test_dkim_canon: table-driven cases for DKIM canonicalization, each named after the rule it
 * checks: RFC 6376 §3.4.5's examples exactly, §3.4.1/§3.4.2 header fields, §3.4.3/§3.4.4 body
 * (empty body, trailing empty lines, WSP runs, missing final CRLF), §3.4.5 l=. A body case
 * gives the expected canonical bytes; the module's hash must equal their SHA-256 whatever the
 * chunk size the body is fed in. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "mailauth/dkim_canon.h"

#define TEXT(literal) literal, sizeof(literal) - 1

struct header_case {
	const char *name;
	enum dkim_canon_algorithm algorithm;
	const char *field;
	size_t field_length;
	const char *expected; /* NULL: refused */
};

/* clang-format off */
static const struct header_case header_cases[] = {
	{"rfc6376_3_4_5_relaxed_first", DKIM_CANON_RELAXED, TEXT("A: X\r\n"), "a:X\r\n"},
	{"rfc6376_3_4_5_relaxed_second", DKIM_CANON_RELAXED, TEXT("B : Y\t\r\n\tZ  \r\n"), "b:Y Z\r\n"},
	{"rfc6376_3_4_5_simple_first", DKIM_CANON_SIMPLE, TEXT("A: X\r\n"), "A: X\r\n"},
	{"rfc6376_3_4_5_simple_second", DKIM_CANON_SIMPLE, TEXT("B : Y\t\r\n\tZ  \r\n"), "B : Y\t\r\n\tZ  \r\n"},
	{"rfc6376_3_4_2_name_lowercased", DKIM_CANON_RELAXED, TEXT("SuBjEcT: Hello World\r\n"), "subject:Hello World\r\n"},
	{"rfc6376_3_4_2_value_case_kept", DKIM_CANON_RELAXED, TEXT("X: AbC\r\n"), "x:AbC\r\n"},
	{"rfc6376_3_4_2_unfold_then_reduce", DKIM_CANON_RELAXED, TEXT("To: a,\r\n   b,\r\n\t c\r\n"), "to:a, b, c\r\n"},
	{"rfc6376_3_4_2_wsp_runs", DKIM_CANON_RELAXED, TEXT("X:\t a \t\t b  c\r\n"), "x:a b c\r\n"},
	{"rfc6376_3_4_2_empty_value", DKIM_CANON_RELAXED, TEXT("X-Empty:\r\n"), "x-empty:\r\n"},
	{"rfc6376_3_4_2_blank_value", DKIM_CANON_RELAXED, TEXT("X-Blank: \t \r\n"), "x-blank:\r\n"},
	{"rfc6376_3_4_2_folded_blank_value", DKIM_CANON_RELAXED, TEXT("X-Blank:\r\n \r\n"), "x-blank:\r\n"},
	{"rfc6376_3_4_2_8bit_value_kept", DKIM_CANON_RELAXED, TEXT("Subject:  caf\xc3\xa9  \r\n"), "subject:caf\xc3\xa9\r\n"},
	{"rfc6376_3_4_2_colon_in_value", DKIM_CANON_RELAXED, TEXT("Date: 12 : 00\r\n"), "date:12 : 00\r\n"},
	{"rfc6376_3_7_signature_without_crlf_relaxed", DKIM_CANON_RELAXED,
	 TEXT("DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb="), "dkim-signature:v=1; a=rsa-sha256; b="},
	{"rfc6376_3_7_signature_without_crlf_simple", DKIM_CANON_SIMPLE,
	 TEXT("DKIM-Signature: v=1;\r\n\tb="), "DKIM-Signature: v=1;\r\n\tb="},
	{"no_colon_refused", DKIM_CANON_RELAXED, TEXT("Not a field\r\n"), NULL},
	{"no_colon_refused_simple", DKIM_CANON_SIMPLE, TEXT("Not a field\r\n"), NULL},
};

struct body_case {
	const char *name;
	enum dkim_canon_algorithm algorithm;
	const char *body;
	size_t body_length;
	const char *expected;
	size_t expected_length;
};

#define SIMPLE  DKIM_CANON_SIMPLE
#define RELAXED DKIM_CANON_RELAXED

static const struct body_case body_cases[] = {
	{"rfc6376_3_4_5_relaxed_body", RELAXED, TEXT(" C \r\nD \t E\r\n\r\n\r\n"), TEXT(" C\r\nD E\r\n")},
	{"rfc6376_3_4_5_simple_body", SIMPLE, TEXT(" C \r\nD \t E\r\n\r\n\r\n"), TEXT(" C \r\nD \t E\r\n")},
	{"rfc6376_3_4_3_empty_body_is_crlf", SIMPLE, TEXT(""), TEXT("\r\n")},
	{"rfc6376_3_4_4_empty_body_is_empty", RELAXED, TEXT(""), TEXT("")},
	{"rfc6376_3_4_3_only_empty_lines", SIMPLE, TEXT("\r\n\r\n\r\n"), TEXT("\r\n")},
	{"rfc6376_3_4_4_only_empty_lines", RELAXED, TEXT("\r\n\r\n\r\n"), TEXT("")},
	{"rfc6376_3_4_4_only_blank_lines", RELAXED, TEXT(" \r\n\t\t\r\n  \r\n"), TEXT("")},
	{"rfc6376_3_4_3_blank_line_is_not_empty", SIMPLE, TEXT("a\r\n \r\n\r\n"), TEXT("a\r\n \r\n")},
	{"rfc6376_3_4_3_trailing_empty_lines", SIMPLE, TEXT("a\r\n\r\n\r\n\r\n"), TEXT("a\r\n")},
	{"rfc6376_3_4_3_inner_empty_lines_kept", SIMPLE, TEXT("a\r\n\r\n\r\nb\r\n"), TEXT("a\r\n\r\n\r\nb\r\n")},
	{"rfc6376_3_4_4_inner_blank_line_kept_empty", RELAXED, TEXT("a\r\n \t\r\nb\r\n"), TEXT("a\r\n\r\nb\r\n")},
	{"rfc6376_3_4_3_no_final_crlf", SIMPLE, TEXT("abc"), TEXT("abc\r\n")},
	{"rfc6376_3_4_4_no_final_crlf", RELAXED, TEXT("abc"), TEXT("abc\r\n")},
	{"rfc6376_3_4_4_no_final_crlf_trailing_wsp", RELAXED, TEXT("abc \t"), TEXT("abc\r\n")},
	{"rfc6376_3_4_4_wsp_runs", RELAXED, TEXT("a \t  b\t\tc \r\n"), TEXT("a b c\r\n")},
	{"rfc6376_3_4_4_leading_wsp_one_space", RELAXED, TEXT(" \t a\r\n"), TEXT(" a\r\n")},
	{"rfc6376_3_4_3_wsp_kept", SIMPLE, TEXT(" \t a  \r\n"), TEXT(" \t a  \r\n")},
	{"rfc6376_3_4_4_8bit_kept", RELAXED, TEXT("caf\xc3\xa9  ol\xe9\r\n"), TEXT("caf\xc3\xa9 ol\xe9\r\n")},
	{"bare_lf_is_content", SIMPLE, TEXT("a\nb\r\n"), TEXT("a\nb\r\n")},
	{"bare_lf_is_content_relaxed", RELAXED, TEXT("a \n b\r\n"), TEXT("a \n b\r\n")},
	{"bare_cr_is_content", SIMPLE, TEXT("a\rb\r\n"), TEXT("a\rb\r\n")},
	{"bare_cr_at_end_is_content", SIMPLE, TEXT("a\r"), TEXT("a\r\r\n")},
	{"cr_cr_lf", RELAXED, TEXT("a\r\r\n\r\n"), TEXT("a\r\r\n")},
	{"empty_line_then_bare_lf", SIMPLE, TEXT("\r\n\n"), TEXT("\r\n\n\r\n")},
};
/* clang-format on */

static void test_headers(void)
{
	for (size_t i = 0; i < sizeof header_cases / sizeof *header_cases; i++) {
		const struct header_case *c = &header_cases[i];
		struct buffer out;
		bool ok;

		buffer_init(&out, 1024);
		buffer_append_string(&out, "kept|");
		ok = dkim_canon_header(c->algorithm, slice_make(c->field, c->field_length), &out);
		if (c->expected == NULL) {
			CHECK(!ok);
			CHECK_STR(out.data, "kept|");
		} else {
			CHECK(ok);
			CHECK(out.length == 5 + strlen(c->expected) && memcmp(out.data + 5, c->expected, out.length - 5) == 0);
		}
		if (check_failures_in_test)
			fprintf(stderr, "  in header case %s\n", c->name);
		buffer_free(&out);
	}
}

/* Past the buffer's maximum nothing is written, not even part of the field. */
static void test_header_maximum(void)
{
	struct buffer out;

	buffer_init(&out, 8);
	buffer_append_string(&out, "ab");
	CHECK(!dkim_canon_header(DKIM_CANON_RELAXED, slice_from_string("Subject: long value\r\n"), &out));
	CHECK_INT(out.length, 2);
	CHECK_STR(out.data, "ab");
	buffer_free(&out);
}

static void sha256(const char *data, size_t length, unsigned char *hash)
{
	unsigned hash_length = 0;

	EVP_Digest(data, length, hash, &hash_length, EVP_sha256(), NULL);
}

/* The hash and canonical length of body fed in chunks of chunk octets. */
static bool hash_body(const struct body_case *c, size_t chunk, uint64_t limit, unsigned char *hash, uint64_t *length)
{
	struct dkim_canon_body body;
	unsigned hash_length = 0;

	if (!dkim_canon_body_init(&body, c->algorithm, EVP_sha256(), limit))
		return false;
	for (size_t offset = 0; offset < c->body_length; offset += chunk) {
		size_t size = c->body_length - offset < chunk ? c->body_length - offset : chunk;
		if (!dkim_canon_body_update(&body, slice_make(c->body + offset, size)))
			return false;
	}
	if (!dkim_canon_body_finish(&body, hash, &hash_length))
		return false;
	*length = dkim_canon_body_length(&body);
	return hash_length == 32;
}

static void test_bodies(void)
{
	static const size_t chunks[] = {1, 2, 3, 7, 4096};

	for (size_t i = 0; i < sizeof body_cases / sizeof *body_cases; i++) {
		const struct body_case *c = &body_cases[i];
		unsigned char expected[32], actual[32];
		uint64_t length = 0;

		sha256(c->expected, c->expected_length, expected);
		for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
			CHECK(hash_body(c, chunks[k], DKIM_CANON_NO_LIMIT, actual, &length));
			CHECK(memcmp(actual, expected, 32) == 0);
			CHECK_INT(length, c->expected_length);
			if (check_failures_in_test) {
				fprintf(stderr, "  in body case %s, chunks of %zu\n", c->name, chunks[k]);
				break;
			}
		}
	}
}

/* §3.4.5: l= counts canonical octets; only the first l are hashed, the length still counts all. */
static void test_length_limit(void)
{
	static const struct body_case c = {"rfc6376_3_4_5_length_limit", RELAXED, TEXT(" C \r\nD \t E\r\n\r\n"),
	                                   TEXT(" C\r\nD E\r\n")};
	unsigned char expected[32], actual[32];
	uint64_t length = 0;

	for (uint64_t limit = 0; limit <= c.expected_length + 2; limit++) {
		size_t cut = limit < c.expected_length ? (size_t)limit : c.expected_length;
		sha256(c.expected, cut, expected);
		for (size_t chunk = 1; chunk <= 4; chunk++) {
			CHECK(hash_body(&c, chunk, limit, actual, &length));
			CHECK(memcmp(actual, expected, 32) == 0);
			CHECK_INT(length, c.expected_length);
		}
	}
}

/* Known digests of the empty body (as in many published signatures). */
static void test_empty_body_known_hashes(void)
{
	static const unsigned char simple[32] = {
		0x7e, 0xb7, 0x02, 0x57, 0x59, 0x3d, 0xa0, 0x6f, 0x68, 0x2a, 0x3d, 0xdd, 0xa5, 0x4a, 0x9d, 0x26,
		0x0d, 0x4f, 0xc5, 0x14, 0xf6, 0x45, 0x23, 0x7f, 0x5c, 0xa7, 0x4b, 0x08, 0xf8, 0xda, 0x61, 0xa6};
	static const struct body_case c = {"empty", SIMPLE, TEXT(""), TEXT("\r\n")};
	unsigned char actual[32];
	uint64_t length = 0;

	CHECK(hash_body(&c, 1, DKIM_CANON_NO_LIMIT, actual, &length));
	CHECK(memcmp(actual, simple, 32) == 0); /* frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY= */
}

/* A long body crosses the internal gathering buffer many times. */
static void test_long_body(void)
{
	char body[20000], expected[20000];
	struct body_case c = {"long", RELAXED, body, sizeof body, expected, 0};
	unsigned char want[32], actual[32];
	uint64_t length = 0;

	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (i % 100 == 98) ? '\r' : (i % 100 == 99) ? '\n' : (i % 7 == 0) ? ' ' : 'x';
	for (size_t i = 0; i < sizeof body; i++) {
		if (body[i] == ' ' && (i + 1 == sizeof body || body[i + 1] == '\r'))
			continue;
		expected[c.expected_length++] = body[i];
	}
	sha256(expected, c.expected_length, want);
	CHECK(hash_body(&c, 1000, DKIM_CANON_NO_LIMIT, actual, &length));
	CHECK(memcmp(actual, want, 32) == 0);
	CHECK_INT(length, c.expected_length);
}

int main(void)
{
	RUN(test_headers);
	RUN(test_header_maximum);
	RUN(test_bodies);
	RUN(test_length_limit);
	RUN(test_empty_body_known_hashes);
	RUN(test_long_body);
	return check_summary("test_dkim_canon");
}
