/* test_authentication_results: the Authentication-Results writer against golden files
 * (tests/unit/golden/authentication_results_NAME.txt, exact bytes, read from the repository
 * root where make runs the tests), its properties (78 columns, values quoted per RFC 8601
 * §2.2, no injected line), the authserv-id reader (§2.2: CFWS, comments, quoted-strings,
 * version), and §5's removal of fields claiming our authserv-id.
 * TERN_UPDATE_GOLDEN=1 rewrites the golden files from the current output (then review the diff). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_golden.h"
#include "mailauth/authentication_results.h"
#include "util/buffer.h"
#include "util/xalloc.h"

#define AUTHSERV_ID      "mx.example.org"

#define B_RSA   "dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR"
#define B_SLASH "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw=="

static char prefixes[4][AUTHENTICATION_RESULTS_B_PREFIX + 1];

static size_t all_pass(struct authentication_results_method *m)
{
	authentication_results_iprev(&m[0], "pass", "192.0.2.10", NULL);
	authentication_results_spf(&m[1], "pass", "alice@example.com", "mail.example.com", NULL);
	authentication_results_dkim(&m[2], "pass", "example.com", "s1", B_RSA, "rsa-sha256", NULL, prefixes[0]);
	authentication_results_dkim(&m[3], "pass", "example.com", "ed1", " /gCr\r\n inpc" B_SLASH, "ed25519-sha256",
	                            NULL, prefixes[1]);
	authentication_results_dmarc(&m[4], "pass", "example.com", NULL, NULL);
	return 5;
}

static size_t dmarc_fail(struct authentication_results_method *m)
{
	authentication_results_spf(&m[0], "softfail", "bounce+tag=x@bounces.example.net", "out.example.net",
	                           "192.0.2.99 is not one of example.net's designated senders");
	authentication_results_dkim(&m[1], "fail", "example.net", "2024.eu-1", B_RSA, "rsa-sha256",
	                            "body hash did not verify", prefixes[2]);
	authentication_results_dmarc(
	    &m[2], "fail", "example.com", "reject",
	    "no aligned pass for example.com: SPF pass for other.test, 0 DKIM passes; p=reject");
	return 3;
}

static size_t null_sender(struct authentication_results_method *m)
{
	authentication_results_spf(&m[0], "pass", NULL, "mail.example.com", NULL); /* null reverse-path */
	authentication_results_dkim(&m[1], "none", NULL, NULL, NULL, NULL, NULL, prefixes[3]);
	authentication_results_dmarc(&m[2], "permerror", NULL, NULL, "several From fields");
	return 3;
}

static size_t quoting(struct authentication_results_method *m)
{
	authentication_results_spf(&m[0], "temperror", "\"odd local\"@example.com", "[192.0.2.1]",
	                           "SERVFAIL \"quoted\" back\\slash\r\nX-Injected: yes");
	authentication_results_dmarc(&m[1], "none", "example.com", NULL, "no DMARC record for example.com");
	return 2;
}

static size_t none(struct authentication_results_method *m) { return (void)m, 0; }

struct golden_case {
	const char *name;
	size_t (*fill)(struct authentication_results_method *methods);
};

static const struct golden_case golden_cases[] = {
    {"all_pass", all_pass}, {"dmarc_fail", dmarc_fail}, {"null_sender", null_sender}, {"quoting", quoting},
    {"none", none},
};

/* Every line within 78 columns (a TAB as 8) unless it is one word, every CRLF but the last
 * followed by WSP (a fold), no other CR or LF, no control. */
static void check_shape(const struct buffer *field)
{
	size_t start = 0;

	CHECK(field->length > 2 && memcmp(field->data + field->length - 2, "\r\n", 2) == 0);
	while (start < field->length) {
		const char *end = strstr(field->data + start, "\r\n");
		size_t length = end ? (size_t)(end - field->data) - start : field->length - start;
		size_t columns = 0;
		bool spaces = false;

		for (size_t i = start; i < start + length; i++) {
			unsigned char c = (unsigned char)field->data[i];
			CHECK(c >= 0x20 || c == '\t');
			columns += c == '\t' ? 8 : 1;
			spaces = spaces || (c == ' ' && i > start);
		}
		CHECK(columns <= AUTHENTICATION_RESULTS_COLUMNS || !spaces);
		start += length + 2;
		if (start < field->length)
			CHECK(field->data[start] == '\t' || field->data[start] == ' ');
	}
}

static void test_golden_files(void)
{
	for (size_t i = 0; i < sizeof golden_cases / sizeof *golden_cases; i++) {
		struct authentication_results_method methods[8];
		size_t count = golden_cases[i].fill(methods);
		struct buffer out;
		char name[128];

		buffer_init(&out, 1 << 16);
		CHECK(authentication_results_format(AUTHSERV_ID, methods, count, &out));
		snprintf(name, sizeof name, "authentication_results_%s.txt", golden_cases[i].name);
		check_golden(name, buffer_slice(&out));
		check_shape(&out);
		buffer_free(&out);
	}
}

/* RFC 6008 §4: the first 8 characters of b=, FWS taken out. */
static void test_b_prefix(void)
{
	struct authentication_results_method m;
	char prefix[AUTHENTICATION_RESULTS_B_PREFIX + 1];

	authentication_results_dkim(&m, "pass", "example.com", "s", " ab\r\n\tcd ef gh ij", "rsa-sha256", NULL, prefix);
	CHECK_STR(prefix, "abcdefgh");
	authentication_results_dkim(&m, "pass", "example.com", "s", "abc", "rsa-sha256", NULL, prefix);
	CHECK_STR(prefix, "abc");
}

static void test_too_small(void)
{
	struct authentication_results_method methods[8];
	size_t count = all_pass(methods);
	struct buffer out;

	buffer_init(&out, 40);
	buffer_append_string(&out, "kept");
	CHECK(!authentication_results_format(AUTHSERV_ID, methods, count, &out));
	CHECK_STR(out.data, "kept");
	buffer_free(&out);
}

/* The field we write reads back as ours. */
static void test_round_trip(void)
{
	struct authentication_results_method methods[8];
	size_t count = dmarc_fail(methods);
	struct buffer out;
	char id[AUTHENTICATION_RESULTS_ID_MAX + 1];
	size_t name = strlen("Authentication-Results:");

	buffer_init(&out, 1 << 16);
	CHECK(authentication_results_format("\"odd id\"", methods, count, &out));
	CHECK_INT(authentication_results_parse_id(slice_sub(buffer_slice(&out), name, out.length - name - 2), id),
	          AUTHENTICATION_RESULTS_OK);
	CHECK_STR(id, "\"odd id\"");
	buffer_free(&out);
}

struct id_case {
	const char *name;
	const char *value;
	enum authentication_results_result result;
	const char *id;
};

/* clang-format off */
static const struct id_case id_cases[] = {
	{"rfc8601_2_2_token", " mx.example.org; spf=pass", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_no_result", " mx.example.org; none", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_version", " mx.example.org 1; spf=pass", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_version_cfws", " mx.example.org 1 (v) ; spf=pass", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_quoted", " \"mx.example.org\"; none", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_quoted_pair", " \"mx\\.ex\\\"ample\"; none", AUTHENTICATION_RESULTS_OK, "mx.ex\"ample"},
	{"rfc8601_2_2_comment_first", " (from outside (nested)) mx.example.org; none", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_folded", "\r\n mx.example.org\r\n\t;\r\n spf=pass", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_comment_after", " mx.example.org(comment); none", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc7601_id_alone", " mx.example.org", AUTHENTICATION_RESULTS_OK, "mx.example.org"},
	{"rfc8601_2_2_empty", "", AUTHENTICATION_RESULTS_SYNTAX, ""},
	{"rfc8601_2_2_only_comment", " (mx.example.org)", AUTHENTICATION_RESULTS_SYNTAX, ""},
	{"rfc8601_2_2_unclosed_comment", " (mx.example.org; none", AUTHENTICATION_RESULTS_SYNTAX, ""},
	{"rfc8601_2_2_unclosed_quote", " \"mx.example.org; none", AUTHENTICATION_RESULTS_SYNTAX, ""},
	{"rfc8601_2_2_empty_quote", " \"\"; none", AUTHENTICATION_RESULTS_SYNTAX, ""},
	{"rfc8601_2_2_two_words", " mx.example.org evil; none", AUTHENTICATION_RESULTS_SYNTAX, NULL},
	{"rfc8601_2_2_tspecial", " mx.example.org/x; none", AUTHENTICATION_RESULTS_SYNTAX, NULL},
	{"rfc5322_3_2_2_bare_lf", " mx.example.org;\n spf=pass", AUTHENTICATION_RESULTS_BAD_BYTES, ""},
	{"rfc5322_3_2_2_crlf_without_wsp", " mx.example.org;\r\nspf=pass", AUTHENTICATION_RESULTS_BAD_BYTES, ""},
	{"rfc5322_3_2_2_control", " mx.exa\x01mple.org; none", AUTHENTICATION_RESULTS_BAD_BYTES, ""},
	{"nested_comments_capped", " ((((((((((((((((((x)))))))))))))))))) mx; none", AUTHENTICATION_RESULTS_TOO_LONG, ""},
};
/* clang-format on */

static void test_parse_id(void)
{
	for (size_t i = 0; i < sizeof id_cases / sizeof *id_cases; i++) {
		const struct id_case *c = &id_cases[i];
		char id[AUTHENTICATION_RESULTS_ID_MAX + 1];

		CHECK_INT(authentication_results_parse_id(slice_from_string(c->value), id), c->result);
		if (c->id != NULL)
			CHECK_STR(id, c->id);
		if (check_failures_in_test) {
			fprintf(stderr, "  in id case %s\n", c->name);
			return;
		}
	}
}

static void test_id_too_long(void)
{
	char value[600], id[AUTHENTICATION_RESULTS_ID_MAX + 1];

	memset(value, 'a', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	CHECK_INT(authentication_results_parse_id(slice_from_string(value), id), AUTHENTICATION_RESULTS_TOO_LONG);
	value[AUTHENTICATION_RESULTS_ID_MAX] = '\0';
	CHECK_INT(authentication_results_parse_id(slice_from_string(value), id), AUTHENTICATION_RESULTS_OK);
}

/* RFC 8601 §5: ours (any case, quoted or not) and broken ones go; others' stay. */
static void test_to_remove(void)
{
	static const char message[] = "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=a@b.example\r\n"
	                              "Received: from x\r\n"
	                              "Authentication-Results: upstream.example.net; dkim=pass header.d=example.net\r\n"
	                              "authentication-results: (forged) \"MX.Example.ORG\" 1;\r\n dmarc=pass\r\n"
	                              "Authentication-Results: ;broken\r\n"
	                              "Authentication-Results: mx.example.org.evil.test; none\r\n"
	                              "From: a@example.org\r\n"
	                              "\r\nbody\r\n";
	struct header_fields *fields = xmalloc(sizeof *fields);
	size_t drop[HEADER_FIELDS_MAX];
	size_t count;

	CHECK_INT(header_fields_parse(slice_from_string(message), fields), HEADER_FIELDS_OK);
	count = authentication_results_to_remove(fields, "mx.example.org", drop);
	CHECK_INT(count, 3);
	CHECK_INT(drop[0], 0);
	CHECK_INT(drop[1], 3);
	CHECK_INT(drop[2], 4);
	free(fields);
}

int main(void)
{
	RUN(test_golden_files);
	RUN(test_b_prefix);
	RUN(test_too_small);
	RUN(test_round_trip);
	RUN(test_parse_id);
	RUN(test_id_too_long);
	RUN(test_to_remove);
	return check_summary("test_authentication_results");
}
