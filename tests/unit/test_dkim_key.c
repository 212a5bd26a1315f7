/* test_dkim_key: the DKIM key record, cases named after the rule they check (RFC 6376 §3.2
 * tag-list grammar, §3.6.1 tags and defaults, RFC 8463 §4 Ed25519 keys), and the records of
 * RFC 6376 appendix C and RFC 8463 appendix A.2. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "mailauth/dkim_key.h"

#define P_ED    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" /* RFC 8463 A.2, 32 octets */
#define P_SHORT "p=MTIz"                                         /* "123" */

struct key_case {
	const char *name;
	const char *record;
	enum dkim_key_result result;
	const char *error_tag; /* on failure, when a tag is at fault */
};

/* clang-format off */
static const struct key_case key_cases[] = {
	{"rfc6376_3_6_1_only_p", P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_v_first", "v=DKIM1; " P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_v_not_first", "k=rsa; v=DKIM1; " P_SHORT, DKIM_KEY_BAD_VERSION, "v"},
	{"rfc6376_3_6_1_v_other_value", "v=DKIM2; " P_SHORT, DKIM_KEY_BAD_VERSION, "v"},
	{"rfc6376_3_2_v_value_case_sensitive", "v=dkim1; " P_SHORT, DKIM_KEY_BAD_VERSION, "v"},
	{"rfc6376_3_6_1_p_required", "v=DKIM1; k=rsa", DKIM_KEY_MISSING_KEY, "p"},
	{"rfc6376_3_6_1_p_empty_is_revoked", "v=DKIM1; p=", DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_p_fws_inside", "p=MTIz\r\n MTIz MTIz\t", DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_p_not_base64", "p=!!!!", DKIM_KEY_BAD_VALUE, "p"},
	{"rfc4648_3_5_p_nonzero_pad_bits", "p=QR==", DKIM_KEY_BAD_VALUE, "p"},
	{"rfc6376_3_6_1_p_unpadded", "p=MTI", DKIM_KEY_BAD_VALUE, "p"},
	{"rfc6376_3_2_trailing_semicolon", "v=DKIM1; " P_SHORT ";", DKIM_KEY_OK, NULL},
	{"rfc6376_3_2_trailing_semicolon_fws", P_SHORT "; ", DKIM_KEY_OK, NULL},
	{"rfc6376_3_2_empty_spec", "v=DKIM1;; " P_SHORT, DKIM_KEY_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_no_equals", "v=DKIM1; junk; " P_SHORT, DKIM_KEY_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_duplicate_tag", P_SHORT "; " P_SHORT, DKIM_KEY_DUPLICATE_TAG, "p"},
	{"rfc6376_3_2_duplicate_unknown_tag", "z=1; z=2; " P_SHORT, DKIM_KEY_DUPLICATE_TAG, "z"},
	{"rfc6376_3_2_unknown_tag_ignored", "v=DKIM1; zz_9=any:thing=!; " P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_2_names_case_sensitive", "P=MTIz", DKIM_KEY_MISSING_KEY, "p"},
	{"rfc6376_3_2_tag_name_alpha_first", "1p=x; " P_SHORT, DKIM_KEY_BAD_SYNTAX, "1p"},
	{"rfc6376_3_2_fws_around_tags", " v = DKIM1 ;\r\n\tk = rsa ; p = MTIz ", DKIM_KEY_OK, NULL},
	{"rfc5322_3_2_2_crlf_without_wsp", "v=DKIM1;\r\n" P_SHORT, DKIM_KEY_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_bare_lf", "v=DKIM1;\n " P_SHORT, DKIM_KEY_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_8bit_refused", "n=caf\xc3\xa9; " P_SHORT, DKIM_KEY_BAD_SYNTAX, NULL},
	{"rfc6376_3_2_nul_refused", "n=a\x01; " P_SHORT, DKIM_KEY_BAD_SYNTAX, NULL},
	{"rfc6376_3_6_1_k_unknown_is_not_an_error", "k=dsa; " P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_k_malformed", "k=rsa-; " P_SHORT, DKIM_KEY_BAD_VALUE, "k"},
	{"rfc6376_3_6_1_h_list", "h=sha1 : sha256; " P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_h_empty", "h=; " P_SHORT, DKIM_KEY_BAD_VALUE, "h"},
	{"rfc6376_3_6_1_h_empty_element", "h=sha256::sha1; " P_SHORT, DKIM_KEY_BAD_VALUE, "h"},
	{"rfc6376_3_6_1_s_star", "s=*; " P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_s_bad_word", "s=e mail; " P_SHORT, DKIM_KEY_BAD_VALUE, "s"},
	{"rfc6376_3_6_1_t_flags", "t=y:s:x-future; " P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_t_bad_flag", "t=y:1; " P_SHORT, DKIM_KEY_BAD_VALUE, "t"},
	{"rfc6376_3_6_1_n_notes_free_text", "n=a note, with=signs and (parentheses); " P_SHORT, DKIM_KEY_OK, NULL},
	{"rfc6376_3_6_1_empty_record", "", DKIM_KEY_MISSING_KEY, "p"},
	{"rfc8463_4_ed25519", "v=DKIM1; k=ed25519; " P_ED, DKIM_KEY_OK, NULL},
};
/* clang-format on */

static bool slice_is(struct slice s, const char *text) { return slice_equal(s, slice_from_string(text)); }

static void test_key_cases(void)
{
	for (size_t i = 0; i < sizeof key_cases / sizeof *key_cases; i++) {
		const struct key_case *c = &key_cases[i];
		struct dkim_key key;

		CHECK_INT(dkim_key_parse(slice_from_string(c->record), &key), c->result);
		if (c->error_tag != NULL)
			CHECK(slice_is(key.error_tag, c->error_tag));
		if (check_failures_in_test) {
			fprintf(stderr, "  in key case %s\n", c->name);
			return;
		}
	}
}

static void test_rfc6376_3_6_1_defaults(void)
{
	struct dkim_key key;

	CHECK_INT(dkim_key_parse(slice_from_string(P_SHORT), &key), DKIM_KEY_OK);
	CHECK_INT(key.type, DKIM_KEY_RSA);
	CHECK(key.sha256_acceptable && key.email_service && !key.testing && !key.strict_identity && !key.revoked);
	CHECK(key.public_key_length == 3 && memcmp(key.public_key, "123", 3) == 0);
}

static void test_rfc6376_3_6_1_lists(void)
{
	struct dkim_key key;

	CHECK_INT(dkim_key_parse(slice_from_string("h=sha1; s=other:x; t=s; k=dsa; " P_SHORT), &key), DKIM_KEY_OK);
	CHECK(!key.sha256_acceptable && !key.email_service && key.strict_identity && !key.testing);
	CHECK_INT(key.type, DKIM_KEY_UNKNOWN);
	CHECK_INT(dkim_key_parse(slice_from_string("h=sha1:sha256; s=email; t=y; " P_SHORT), &key), DKIM_KEY_OK);
	CHECK(key.sha256_acceptable && key.email_service && key.testing && !key.strict_identity);
	CHECK_INT(dkim_key_parse(slice_from_string("h=SHA256; " P_SHORT), &key), DKIM_KEY_OK);
	CHECK(!key.sha256_acceptable); /* §3.2: values are case-sensitive */
}

static void test_rfc6376_3_6_1_revoked(void)
{
	struct dkim_key key;

	CHECK_INT(dkim_key_parse(slice_from_string("v=DKIM1; k=rsa; p= ; n=gone"), &key), DKIM_KEY_OK);
	CHECK(key.revoked && key.public_key_length == 0);
}

static void test_rfc8463_a_2_record(void)
{
	static const unsigned char first[] = {0xd7, 0x5a, 0x98, 0x01}; /* RFC 8032 §7.1 test 1 */
	struct dkim_key key;

	CHECK_INT(dkim_key_parse(slice_from_string("v=DKIM1; k=ed25519; " P_ED), &key), DKIM_KEY_OK);
	CHECK_INT(key.type, DKIM_KEY_ED25519);
	CHECK_INT(key.public_key_length, 32);
	CHECK(memcmp(key.public_key, first, sizeof first) == 0);
}

static void test_limits(void)
{
	char record[DKIM_KEY_RECORD_MAX + 2];
	struct dkim_key key;

	memset(record, 'A', sizeof record);
	memcpy(record, "p=", 2);
	CHECK_INT(dkim_key_parse(slice_make(record, DKIM_KEY_RECORD_MAX + 1), &key), DKIM_KEY_BAD_SYNTAX);
	/* 2052 base64 characters decode to 1539 octets: fits; 2736 decode to 2052: over the cap */
	CHECK_INT(dkim_key_parse(slice_make(record, 2 + 2052), &key), DKIM_KEY_OK);
	CHECK_INT(key.public_key_length, 1539);
	CHECK_INT(dkim_key_parse(slice_make(record, 2 + 2736), &key), DKIM_KEY_BAD_VALUE);
}

int main(void)
{
	RUN(test_key_cases);
	RUN(test_rfc6376_3_6_1_defaults);
	RUN(test_rfc6376_3_6_1_lists);
	RUN(test_rfc6376_3_6_1_revoked);
	RUN(test_rfc8463_a_2_record);
	RUN(test_limits);
	return check_summary("test_dkim_key");
}
