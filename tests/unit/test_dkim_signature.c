/* test_dkim_signature: the DKIM-Signature tag-list, cases named after the rule they check
 * (RFC 6376 §3.2 tag-list grammar, §3.5 tags, §6.1.1 checks, RFC 8301 §3.1, RFC 8463 §3), the
 * RFC's own example fields (RFC 6376 §3.5 and appendix A.2, RFC 8463 appendix A), and the
 * formatter: a golden field, the 78-column fold, independence of everything before b= from
 * b=, and parse(format(x)) == x. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "mailauth/dkim_signature.h"

#define BH "bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;"  /* "1234...9012", 32 octets */
#define B  "b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR" /* 48 octets */
#define B64 "b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw=="
#define GOOD_HEAD "v=1; a=rsa-sha256; d=example.com; s=sel; h=From:To; "

struct parse_case {
	const char *name;
	const char *value;
	enum dkim_signature_result result;
	const char *error_tag; /* on failure, when a tag is at fault */
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	{"rfc6376_3_5_minimal", GOOD_HEAD BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_2_trailing_semicolon", GOOD_HEAD BH B ";", DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_2_trailing_semicolon_fws", GOOD_HEAD BH B ";\r\n ", DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_2_fws_around_everything", " v = 1 ;\r\n\ta\r\n =\r\n rsa-sha256 ; d=example.com; s=sel; h=From : To;"
	 " bh=MTIzNDU2Nzg5MDEy\r\n MzQ1Njc4OTAxMjM0NTY3ODkwMTI=; b = dzdV yOfA\tKCdL\r\n XdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR",
	 DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_2_unknown_tag_ignored", GOOD_HEAD "zz_1=any=thing!; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_2_unknown_tag_empty_value", GOOD_HEAD "y=; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_2_duplicate_tag", GOOD_HEAD "s=sel2; " BH B, DKIM_SIGNATURE_DUPLICATE_TAG, "s"},
	{"rfc6376_3_2_duplicate_unknown_tag", GOOD_HEAD "z=a; z=b; " BH B, DKIM_SIGNATURE_DUPLICATE_TAG, "z"},
	{"rfc6376_3_2_names_case_sensitive", "V=1; a=rsa-sha256; d=example.com; s=sel; h=From; " BH B,
	 DKIM_SIGNATURE_MISSING_TAG, "v"},
	{"rfc6376_3_2_tag_name_starts_with_alpha", GOOD_HEAD "1x=y; " BH B, DKIM_SIGNATURE_BAD_SYNTAX, "1x"},
	{"rfc6376_3_2_tag_name_alnumpunc", GOOD_HEAD "x-y=z; " BH B, DKIM_SIGNATURE_BAD_SYNTAX, "x-y"},
	{"rfc6376_3_2_no_equals", GOOD_HEAD "novalue; " BH B, DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_empty_spec", GOOD_HEAD ";; " BH B, DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_empty_name", GOOD_HEAD "=x; " BH B, DKIM_SIGNATURE_BAD_SYNTAX, ""},
	{"rfc6376_3_2_bare_lf", GOOD_HEAD "\n " BH B, DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_bare_cr", GOOD_HEAD "\r " BH B, DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc5322_3_2_2_crlf_without_wsp", GOOD_HEAD "\r\n" BH B, DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc5322_3_2_2_crlf_at_end", GOOD_HEAD BH B "\r\n", DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_8bit_refused", GOOD_HEAD "z=caf\xc3\xa9; " BH B, DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_control_refused", GOOD_HEAD "z=\x01; " BH B, DKIM_SIGNATURE_BAD_SYNTAX, NULL},
	{"rfc6376_3_5_empty", "", DKIM_SIGNATURE_MISSING_TAG, "v"},
	{"rfc6376_3_5_missing_v", "a=rsa-sha256; d=example.com; s=sel; h=From; " BH B, DKIM_SIGNATURE_MISSING_TAG, "v"},
	{"rfc6376_3_5_missing_a", "v=1; d=example.com; s=sel; h=From; " BH B, DKIM_SIGNATURE_MISSING_TAG, "a"},
	{"rfc6376_3_5_missing_b", GOOD_HEAD BH, DKIM_SIGNATURE_MISSING_TAG, "b"},
	{"rfc6376_3_5_missing_bh", GOOD_HEAD B, DKIM_SIGNATURE_MISSING_TAG, "bh"},
	{"rfc6376_3_5_missing_d", "v=1; a=rsa-sha256; s=sel; h=From; " BH B, DKIM_SIGNATURE_MISSING_TAG, "d"},
	{"rfc6376_3_5_missing_h", "v=1; a=rsa-sha256; d=example.com; s=sel; " BH B, DKIM_SIGNATURE_MISSING_TAG, "h"},
	{"rfc6376_3_5_missing_s", "v=1; a=rsa-sha256; d=example.com; h=From; " BH B, DKIM_SIGNATURE_MISSING_TAG, "s"},
	{"rfc6376_3_5_v_is_1", "v=2; a=rsa-sha256; d=example.com; s=sel; h=From; " BH B, DKIM_SIGNATURE_BAD_VERSION, "v"},
	{"rfc6376_3_5_v_not_01", "v=01; a=rsa-sha256; d=example.com; s=sel; h=From; " BH B, DKIM_SIGNATURE_BAD_VERSION, "v"},
	{"rfc8301_3_1_rsa_sha1_refused", "v=1; a=rsa-sha1; d=example.com; s=sel; h=From; " BH B,
	 DKIM_SIGNATURE_BAD_ALGORITHM, "a"},
	{"rfc6376_3_5_unknown_algorithm", "v=1; a=dsa-sha256; d=example.com; s=sel; h=From; " BH B,
	 DKIM_SIGNATURE_BAD_ALGORITHM, "a"},
	{"rfc8463_3_ed25519_needs_64_octets", "v=1; a=ed25519-sha256; d=example.com; s=sel; h=From; " BH B,
	 DKIM_SIGNATURE_BAD_VALUE, "b"},
	{"rfc8463_3_ed25519", "v=1; a=ed25519-sha256; d=example.com; s=sel; h=From; " BH B64, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_b_empty", GOOD_HEAD BH "b=", DKIM_SIGNATURE_BAD_VALUE, "b"},
	{"rfc6376_3_5_b_not_base64", GOOD_HEAD BH "b=!!!!", DKIM_SIGNATURE_BAD_VALUE, "b"},
	{"rfc4648_3_5_b_nonzero_pad_bits", GOOD_HEAD BH "b=QR==", DKIM_SIGNATURE_BAD_VALUE, "b"},
	{"rfc6376_3_5_bh_not_sha256_size", GOOD_HEAD "bh=MTIz; " B, DKIM_SIGNATURE_BAD_VALUE, "bh"},
	{"rfc6376_3_5_c_default_body", GOOD_HEAD "c=relaxed; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_c_bad_word", GOOD_HEAD "c=relaxed/nowsp; " BH B, DKIM_SIGNATURE_BAD_VALUE, "c"},
	{"rfc6376_3_5_c_case_sensitive", GOOD_HEAD "c=Relaxed; " BH B, DKIM_SIGNATURE_BAD_VALUE, "c"},
	{"rfc6376_3_5_c_no_fws_in_value", GOOD_HEAD "c=relaxed / simple; " BH B, DKIM_SIGNATURE_BAD_VALUE, "c"},
	{"rfc6376_3_5_d_needs_two_labels", "v=1; a=rsa-sha256; d=com; s=sel; h=From; " BH B, DKIM_SIGNATURE_BAD_VALUE, "d"},
	{"rfc6376_3_5_d_label_hyphen", "v=1; a=rsa-sha256; d=-a.com; s=sel; h=From; " BH B, DKIM_SIGNATURE_BAD_VALUE, "d"},
	{"rfc6376_3_5_d_trailing_dot", "v=1; a=rsa-sha256; d=a.com.; s=sel; h=From; " BH B, DKIM_SIGNATURE_BAD_VALUE, "d"},
	{"rfc6376_3_5_d_label_64", "v=1; a=rsa-sha256; d=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com;"
	 " s=sel; h=From; " BH B, DKIM_SIGNATURE_BAD_VALUE, "d"},
	{"rfc6376_3_5_s_multiple_labels", "v=1; a=rsa-sha256; d=example.com; s=2024.eu-1; h=From; " BH B,
	 DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_s_underscore_refused", "v=1; a=rsa-sha256; d=example.com; s=a_b; h=From; " BH B,
	 DKIM_SIGNATURE_BAD_VALUE, "s"},
	{"rfc6376_5_4_from_required", "v=1; a=rsa-sha256; d=example.com; s=sel; h=To:Subject; " BH B,
	 DKIM_SIGNATURE_FROM_NOT_SIGNED, "h"},
	{"rfc6376_5_4_from_any_case", "v=1; a=rsa-sha256; d=example.com; s=sel; h=to:fROM; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_h_empty_name", "v=1; a=rsa-sha256; d=example.com; s=sel; h=From::To; " BH B,
	 DKIM_SIGNATURE_BAD_VALUE, "h"},
	{"rfc6376_3_5_h_trailing_colon", "v=1; a=rsa-sha256; d=example.com; s=sel; h=From:; " BH B,
	 DKIM_SIGNATURE_BAD_VALUE, "h"},
	{"rfc6376_3_5_h_no_wsp_in_name", "v=1; a=rsa-sha256; d=example.com; s=sel; h=From:X Y; " BH B,
	 DKIM_SIGNATURE_BAD_VALUE, "h"},
	{"rfc6376_3_5_i_subdomain", GOOD_HEAD "i=joe@mail.Example.COM; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_i_empty_local", GOOD_HEAD "i=@example.com; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_i_outside_d", GOOD_HEAD "i=joe@example.org; " BH B, DKIM_SIGNATURE_BAD_IDENTITY, "i"},
	{"rfc6376_3_5_i_suffix_not_subdomain", GOOD_HEAD "i=joe@badexample.com; " BH B, DKIM_SIGNATURE_BAD_IDENTITY, "i"},
	{"rfc6376_3_5_i_no_at", GOOD_HEAD "i=example.com; " BH B, DKIM_SIGNATURE_BAD_VALUE, "i"},
	{"rfc6376_3_5_l_digits", GOOD_HEAD "l=0; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_l_not_digits", GOOD_HEAD "l=12a; " BH B, DKIM_SIGNATURE_BAD_VALUE, "l"},
	{"rfc6376_3_5_l_too_long", GOOD_HEAD "l=1234567890123456789; " BH B, DKIM_SIGNATURE_BAD_VALUE, "l"},
	{"rfc6376_3_5_q_dns_txt", GOOD_HEAD "q=dns/txt; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_q_list_with_dns_txt", GOOD_HEAD "q=x-foo/bar : dns/txt; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_6_1_1_q_unknown_only", GOOD_HEAD "q=dns/foo; " BH B, DKIM_SIGNATURE_BAD_QUERY, "q"},
	{"rfc6376_3_5_t_12_digits", GOOD_HEAD "t=999999999999; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_t_13_digits", GOOD_HEAD "t=1000000000000; " BH B, DKIM_SIGNATURE_BAD_VALUE, "t"},
	{"rfc6376_3_5_x_after_t", GOOD_HEAD "t=100; x=101; " BH B, DKIM_SIGNATURE_OK, NULL},
	{"rfc6376_3_5_x_equal_t", GOOD_HEAD "t=100; x=100; " BH B, DKIM_SIGNATURE_BAD_TIMES, "x"},
	{"rfc6376_3_5_x_negative", GOOD_HEAD "x=-1; " BH B, DKIM_SIGNATURE_BAD_VALUE, "x"},
};

/* RFC 6376 §3.5's example, z= and its folded value included. */
static const char rfc6376_3_5_example[] =
	" v=1; a=rsa-sha256; d=example.net; s=brisbane;\r\n"
	"   c=simple; q=dns/txt; i=@eng.example.net;\r\n"
	"   t=1117574938; x=1118006938;\r\n"
	"   h=from:to:subject:date;\r\n"
	"   z=From:foo@eng.example.net|To:joe@example.com|\r\n"
	"     Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700;\r\n"
	"   bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;\r\n"
	"   b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR";

/* RFC 6376 appendix A.2. */
static const char rfc6376_a_2_example[] =
	" v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
	"      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
	"      h=Received : From : To : Subject : Date : Message-ID;\r\n"
	"      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	"      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
	"        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
	"        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
	"        4bmp/YzhwvcubU4=;";

/* RFC 8463 appendix A.3, the Ed25519 signature. */
static const char rfc8463_a_3_example[] =
	" v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
	" subject : date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
	" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
/* clang-format on */

static bool slice_is(struct slice s, const char *text) { return slice_equal(s, slice_from_string(text)); }

static void test_parse_cases(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct dkim_signature signature;
		enum dkim_signature_result result = dkim_signature_parse(slice_from_string(c->value), &signature);

		CHECK_INT(result, c->result);
		if (c->error_tag != NULL)
			CHECK(slice_is(signature.error_tag, c->error_tag));
		if (check_failures_in_test) {
			fprintf(stderr, "  in parse case %s\n", c->name);
			return;
		}
	}
}

static void test_rfc6376_3_5_example(void)
{
	struct dkim_signature s;

	CHECK_INT(dkim_signature_parse(slice_from_string(rfc6376_3_5_example), &s), DKIM_SIGNATURE_OK);
	CHECK_INT(s.algorithm, DKIM_SIGNATURE_RSA_SHA256);
	CHECK_INT(s.header_canon, DKIM_CANON_SIMPLE);
	CHECK_INT(s.body_canon, DKIM_CANON_SIMPLE); /* "c=simple": the body defaults to simple */
	CHECK(slice_is(s.domain, "example.net") && slice_is(s.selector, "brisbane"));
	CHECK(s.has_identity && slice_is(s.identity, "@eng.example.net"));
	CHECK(s.has_query && s.has_timestamp && s.has_expiration && !s.has_length);
	CHECK_INT(s.timestamp, 1117574938);
	CHECK_INT(s.expiration, 1118006938);
	CHECK_INT(s.header_count, 4);
	CHECK(slice_is(s.headers[0], "from") && slice_is(s.headers[3], "date"));
	CHECK(s.body_hash_length == 32 && memcmp(s.body_hash, "12345678901234567890123456789012", 32) == 0);
	CHECK_INT(s.signature_length, 48);
}

static void test_rfc6376_a_2_example(void)
{
	struct dkim_signature s;

	CHECK_INT(dkim_signature_parse(slice_from_string(rfc6376_a_2_example), &s), DKIM_SIGNATURE_OK);
	CHECK(slice_is(s.domain, "example.com") && slice_is(s.identity, "joe@football.example.com"));
	CHECK_INT(s.header_count, 6);
	CHECK(slice_is(s.headers[0], "Received") && slice_is(s.headers[5], "Message-ID"));
	CHECK_INT(s.signature_length, 128); /* RSA 1024 */
	CHECK(!s.has_timestamp);
}

static void test_rfc8463_example(void)
{
	struct dkim_signature s;

	CHECK_INT(dkim_signature_parse(slice_from_string(rfc8463_a_3_example), &s), DKIM_SIGNATURE_OK);
	CHECK_INT(s.algorithm, DKIM_SIGNATURE_ED25519_SHA256);
	CHECK_INT(s.header_canon, DKIM_CANON_RELAXED);
	CHECK_INT(s.body_canon, DKIM_CANON_RELAXED);
	CHECK_INT(s.header_count, 8);
	CHECK(slice_is(s.headers[5], "from") && slice_is(s.headers[7], "date"));
	CHECK_INT(s.signature_length, 64);
	CHECK_INT(s.timestamp, 1528637909);
}

/* Every line at most 78 columns (a TAB counted as 8), lines joined by CRLF TAB, one final CRLF. */
static bool folded_well(const struct buffer *field)
{
	size_t column = 0;

	if (field->length < 2 || memcmp(field->data + field->length - 2, "\r\n", 2) != 0)
		return false;
	for (size_t i = 0; i + 2 < field->length; i++) {
		if (field->data[i] == '\r') {
			if (field->data[i + 1] != '\n' || field->data[i + 2] != '\t')
				return false;
			i += 2;
			column = 8;
			continue;
		}
		if (++column > DKIM_SIGNATURE_COLUMNS)
			return false;
	}
	return true;
}

static void check_same(const struct dkim_signature *a, const struct dkim_signature *b)
{
	CHECK(a->algorithm == b->algorithm && a->header_canon == b->header_canon && a->body_canon == b->body_canon);
	CHECK(slice_equal(a->domain, b->domain) && slice_equal(a->selector, b->selector));
	CHECK(a->has_identity == b->has_identity && slice_equal(a->identity, b->identity));
	CHECK(a->header_count == b->header_count);
	for (size_t i = 0; i < a->header_count && i < b->header_count; i++)
		CHECK(slice_equal(a->headers[i], b->headers[i]));
	CHECK(a->has_length == b->has_length && a->length == b->length);
	CHECK(a->has_timestamp == b->has_timestamp && a->timestamp == b->timestamp);
	CHECK(a->has_expiration == b->has_expiration && a->expiration == b->expiration);
	CHECK(a->body_hash_length == b->body_hash_length && memcmp(a->body_hash, b->body_hash, 32) == 0);
	CHECK(a->signature_length == b->signature_length &&
	      memcmp(a->signature, b->signature, a->signature_length) == 0);
}

/* parse(format(parse(x))) == parse(x), and the output folds to 78 columns. */
static void round_trip(const char *value)
{
	struct dkim_signature first, second;
	struct buffer field;
	const size_t prefix = strlen("DKIM-Signature:");

	buffer_init(&field, 65536);
	CHECK_INT(dkim_signature_parse(slice_from_string(value), &first), DKIM_SIGNATURE_OK);
	CHECK(dkim_signature_format(&first, &field));
	CHECK(folded_well(&field));
	CHECK(field.length > prefix + 2 && memcmp(field.data, "DKIM-Signature:", prefix) == 0);
	CHECK_INT(dkim_signature_parse(slice_sub(buffer_slice(&field), prefix, field.length - prefix - 2), &second),
	          DKIM_SIGNATURE_OK);
	check_same(&first, &second);
	buffer_free(&field);
}

static void test_round_trips(void)
{
	round_trip(rfc6376_3_5_example);
	round_trip(rfc6376_a_2_example);
	round_trip(rfc8463_a_3_example);
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++)
		if (parse_cases[i].result == DKIM_SIGNATURE_OK)
			round_trip(parse_cases[i].value);
}

/* The golden field of a typical signature, as the signer writes it. */
static void test_format_golden(void)
{
	static const char expected[] =
		"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
		"\td=football.example.com; s=brisbane; i=@football.example.com;\r\n"
		"\tq=dns/txt; t=1528637909; h=from:to:subject:date:message-id:from:\r\n"
		"\tsubject:date; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
		"\tb=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU\r\n"
		"\t7ZbnKELq+eXdp1Q1Dw==\r\n";
	struct dkim_signature s;
	struct buffer field;

	buffer_init(&field, 4096);
	CHECK_INT(dkim_signature_parse(slice_from_string(rfc8463_a_3_example), &s), DKIM_SIGNATURE_OK);
	CHECK(dkim_signature_format(&s, &field));
	CHECK_STR(field.data, expected);
	buffer_free(&field);
}

/* §3.7: what precedes the b= value must not change when b= is filled in. */
static void test_format_before_b_is_stable(void)
{
	struct dkim_signature s;
	struct buffer empty, full;

	buffer_init(&empty, 4096);
	buffer_init(&full, 4096);
	CHECK_INT(dkim_signature_parse(slice_from_string(rfc6376_a_2_example), &s), DKIM_SIGNATURE_OK);
	CHECK(dkim_signature_format(&s, &full));
	s.signature_length = 0;
	CHECK(dkim_signature_format(&s, &empty));
	CHECK(memcmp(empty.data + empty.length - 7, "\r\n\tb=\r\n", 7) == 0);
	CHECK(full.length > empty.length && memcmp(full.data, empty.data, empty.length - 2) == 0);
	buffer_free(&empty);
	buffer_free(&full);
}

static void test_format_maximum(void)
{
	struct dkim_signature s;
	struct buffer field;

	buffer_init(&field, 100);
	buffer_append_string(&field, "kept");
	CHECK_INT(dkim_signature_parse(slice_from_string(rfc6376_a_2_example), &s), DKIM_SIGNATURE_OK);
	CHECK(!dkim_signature_format(&s, &field));
	CHECK_STR(field.data, "kept");
	buffer_free(&field);
}

int main(void)
{
	RUN(test_parse_cases);
	RUN(test_rfc6376_3_5_example);
	RUN(test_rfc6376_a_2_example);
	RUN(test_rfc8463_example);
	RUN(test_round_trips);
	RUN(test_format_golden);
	RUN(test_format_before_b_is_stable);
	RUN(test_format_maximum);
	return check_summary("test_dkim_signature");
}
