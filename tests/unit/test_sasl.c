/* test_sasl: the AUTH argument (RFC 4954 §4: mechanism, optional initial response, "=" for an
 * empty one), PLAIN messages (RFC 4616 §2: [authzid] NUL authcid NUL passwd) and LOGIN lines,
 * with "*" cancelling (RFC 4954 §4) and every malformed form refused, never repaired. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "smtp/sasl.h"
#include "util/base64.h"

struct auth_case {
	const char *name;
	const char *argument;
	size_t length;
	enum sasl_result result;
	enum sasl_mechanism mechanism;
	bool has_initial;
	const char *initial;
};

#define AUTH(name_, argument_, result_, mechanism_, has_initial_, initial_)                                            \
	{                                                                                                              \
		name_, argument_, sizeof(argument_) - 1, result_, mechanism_, has_initial_, initial_                   \
	}

static const struct auth_case auth_cases[] = {
    AUTH("rfc4954_4_plain_without_initial", "PLAIN", SASL_OK, SASL_PLAIN, false, ""),
    AUTH("rfc4954_4_login_without_initial", "LOGIN", SASL_OK, SASL_LOGIN, false, ""),
    AUTH("rfc4954_4_mechanism_any_case", "pLaIn", SASL_OK, SASL_PLAIN, false, ""),
    AUTH("rfc4954_4_lower_case_login", "login", SASL_OK, SASL_LOGIN, false, ""),
    AUTH("rfc4954_4_plain_with_initial", "PLAIN AGFsaWNlAHNlY3JldA==", SASL_OK, SASL_PLAIN, true,
         "AGFsaWNlAHNlY3JldA=="),
    AUTH("rfc4954_4_login_with_initial_user", "LOGIN YWxpY2U=", SASL_OK, SASL_LOGIN, true, "YWxpY2U="),
    AUTH("rfc4954_4_equals_is_empty_initial", "PLAIN =", SASL_OK, SASL_PLAIN, true, ""),
    AUTH("rfc4954_4_unknown_mechanism_is_ok_unknown", "CRAM-MD5", SASL_OK, SASL_UNKNOWN, false, ""),
    AUTH("rfc4954_4_unknown_mechanism_with_initial", "SCRAM-SHA-256 biwsbj1h", SASL_OK, SASL_UNKNOWN, true, "biwsbj1h"),
    AUTH("rfc4422_3_1_twenty_characters", "ABCDEFGHIJ_123456789", SASL_OK, SASL_UNKNOWN, false, ""),
    AUTH("rfc4422_3_1_twenty_one_characters", "ABCDEFGHIJ_1234567890", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc4422_3_1_bad_mechanism_character", "PLA.IN", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc4422_3_1_plain_prefix_is_not_plain", "PLAINX", SASL_OK, SASL_UNKNOWN, false, ""),
    AUTH("rfc4954_4_empty_argument", "", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc4954_4_leading_space", " PLAIN", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc4954_4_trailing_space", "PLAIN ", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc4954_4_two_spaces", "PLAIN  AGFsaWNl", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc4954_4_space_inside_initial", "PLAIN AGFs aWNl", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc4954_4_tab_separator", "PLAIN\tAGFsaWNl", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc5321_2_3_8_crlf_in_argument", "PLAIN\r\nAGFs", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("rfc5321_2_3_8_bare_lf_in_initial", "PLAIN AGFs\naWNl", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("nul_in_mechanism", "PL\0AIN", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
    AUTH("nul_in_initial", "PLAIN AG\0Fs", SASL_SYNTAX, SASL_UNKNOWN, false, ""),
};

static void rfc4954_4_auth_argument(void)
{
	for (size_t i = 0; i < sizeof auth_cases / sizeof *auth_cases; i++) {
		const struct auth_case *c = &auth_cases[i];
		enum sasl_mechanism mechanism = SASL_LOGIN;
		bool has_initial = true;
		struct slice initial = slice_from_string("junk");
		enum sasl_result result =
		    sasl_parse_auth(slice_make(c->argument, c->length), &mechanism, &has_initial, &initial);
		int failures = check_failures_in_test;
		CHECK_INT(result, c->result);
		CHECK_INT(mechanism, c->mechanism);
		CHECK_INT(has_initial, c->has_initial);
		CHECK(slice_equal(initial, slice_from_string(c->initial)));
		if (check_failures_in_test != failures)
			fprintf(stderr, "  in case %s\n", c->name);
	}
}

static void rfc4954_4_initial_response_length_limit(void)
{
	size_t length = 6 + SASL_RESPONSE_MAX + 4;
	char *argument = malloc(length);
	enum sasl_mechanism mechanism;
	bool has_initial;
	struct slice initial;

	memcpy(argument, "PLAIN ", 6);
	memset(argument + 6, 'A', length - 6);
	CHECK_INT(sasl_parse_auth(slice_make(argument, 6 + SASL_RESPONSE_MAX), &mechanism, &has_initial, &initial),
	          SASL_OK);
	CHECK_INT(initial.length, SASL_RESPONSE_MAX);
	CHECK_INT(sasl_parse_auth(slice_make(argument, length), &mechanism, &has_initial, &initial), SASL_TOO_LONG);
	CHECK(!has_initial && initial.length == 0);
	free(argument);
}

struct plain_case {
	const char *name;
	const char *response;
	enum sasl_result result;
	const char *authzid, *user, *password;
};

static const struct plain_case plain_cases[] = {
    {"rfc4616_2_no_authzid", "AGFsaWNlAHNlY3JldA==", SASL_OK, "", "alice", "secret"},
    {"rfc4616_2_authzid_same_as_user", "YWxpY2UAYWxpY2UAc2VjcmV0", SASL_OK, "alice", "alice", "secret"},
    {"rfc4616_2_authzid_other_user", "Ym9iAGFsaWNlAHB3", SASL_OK, "bob", "alice", "pw"},
    {"rfc4616_2_utf8_fields", "AMOpbMOodmUAcMOkc3M=", SASL_OK, "", "\xc3\xa9l\xc3\xa8ve", "p\xc3\xa4ss"},
    {"rfc4616_2_password_with_spaces", "AGFsaWNlAHNlY3JldCB3aXRoIHNwYWNlcw==", SASL_OK, "", "alice",
     "secret with spaces"},
    {"rfc4616_2_empty_authcid", "AABzZWNyZXQ=", SASL_SYNTAX, "", "", ""},
    {"rfc4616_2_empty_passwd", "AGFsaWNlAA==", SASL_SYNTAX, "", "", ""},
    {"rfc4616_2_one_nul_only", "YWxpY2UAc2VjcmV0", SASL_SYNTAX, "", "", ""},
    {"rfc4616_2_no_nul", "YWxpY2U=", SASL_SYNTAX, "", "", ""},
    {"rfc4616_2_empty_message", "", SASL_SYNTAX, "", "", ""},
    {"rfc4616_2_nul_in_authcid", "AGFsAGljZQBzZWNyZXQ=", SASL_SYNTAX, "", "", ""},
    {"rfc4616_2_nul_in_passwd", "AGFsaWNlAHNlYwByZXQ=", SASL_SYNTAX, "", "", ""},
    {"rfc4616_2_trailing_nul", "AGFsaWNlAHNlY3JldAA=", SASL_SYNTAX, "", "", ""},
    {"cr_in_user_refused", "AGFsaQ1jZQBzZWNyZXQ=", SASL_SYNTAX, "", "", ""},
    {"lf_in_password_refused", "AGFsaWNlAHNlYwpyZXQ=", SASL_SYNTAX, "", "", ""},
    {"rfc4954_4_star_cancels", "*", SASL_CANCELLED, "", "", ""},
    {"rfc4648_bad_base64", "AGFsaWNlAHNlY3JldA=", SASL_BAD_BASE64, "", "", ""},
    {"rfc4648_base64_with_space", "AGFsaWNl AHNlY3JldA==", SASL_BAD_BASE64, "", "", ""},
    {"rfc4648_base64_with_crlf", "AGFsaWNlAHNlY3JldA==\r\n", SASL_BAD_BASE64, "", "", ""},
    {"star_with_more_is_not_cancel", "**", SASL_BAD_BASE64, "", "", ""},
};

static void rfc4616_2_plain_messages(void)
{
	for (size_t i = 0; i < sizeof plain_cases / sizeof *plain_cases; i++) {
		const struct plain_case *c = &plain_cases[i];
		struct sasl_credentials credentials;
		int failures = check_failures_in_test;
		memset(&credentials, 'x', sizeof credentials);
		CHECK_INT(sasl_decode_plain(slice_from_string(c->response), &credentials), c->result);
		CHECK_STR(credentials.authzid, c->authzid);
		CHECK_STR(credentials.user, c->user);
		CHECK_STR(credentials.password, c->password);
		if (check_failures_in_test != failures)
			fprintf(stderr, "  in case %s\n", c->name);
	}
}

/* Encodes authzid NUL user NUL password (lengths given) into base64 text. */
static void encode_plain(size_t authzid, size_t user, size_t password, struct buffer *text)
{
	struct buffer message;

	buffer_init(&message, 1 << 16);
	for (size_t i = 0; i < authzid; i++)
		buffer_append(&message, "z", 1);
	buffer_append(&message, "", 1);
	for (size_t i = 0; i < user; i++)
		buffer_append(&message, "u", 1);
	buffer_append(&message, "", 1);
	for (size_t i = 0; i < password; i++)
		buffer_append(&message, "p", 1);
	buffer_init(text, 1 << 17);
	base64_encode(buffer_slice(&message), text);
	buffer_free(&message);
}

static enum sasl_result plain_of_lengths(size_t authzid, size_t user, size_t password)
{
	struct sasl_credentials credentials;
	struct buffer text;
	enum sasl_result result;

	encode_plain(authzid, user, password, &text);
	result = sasl_decode_plain(buffer_slice(&text), &credentials);
	if (result == SASL_OK)
		CHECK(strlen(credentials.authzid) == authzid && strlen(credentials.user) == user &&
		      strlen(credentials.password) == password);
	buffer_free(&text);
	return result;
}

static void rfc4616_2_field_limits(void)
{
	CHECK_INT(plain_of_lengths(255, 255, 1023), SASL_OK);
	CHECK_INT(plain_of_lengths(256, 5, 5), SASL_SYNTAX);
	CHECK_INT(plain_of_lengths(0, 256, 5), SASL_SYNTAX);
	CHECK_INT(plain_of_lengths(0, 5, 1024), SASL_SYNTAX);
	CHECK_INT(plain_of_lengths(0, 5, 9000), SASL_SYNTAX);
	/* 9214 bytes of message: 12288 characters of base64, the RFC 4954 §4 maximum */
	CHECK_INT(plain_of_lengths(0, 5, 9207), SASL_SYNTAX);
	CHECK_INT(plain_of_lengths(0, 5, 9300), SASL_TOO_LONG);
}

struct line_case {
	const char *name;
	const char *response;
	size_t size;
	enum sasl_result result;
	const char *out;
};

static const struct line_case line_cases[] = {
    {"login_user", "YWxpY2U=", 256, SASL_OK, "alice"},
    {"login_password_with_spaces", "c2VjcmV0IHdpdGggc3BhY2Vz", 1024, SASL_OK, "secret with spaces"},
    {"login_exact_fit", "YWxpY2U=", 6, SASL_OK, "alice"},
    {"login_one_byte_too_long", "YWxpY2U=", 5, SASL_SYNTAX, ""},
    {"login_size_zero", "YWxpY2U=", 0, SASL_SYNTAX, NULL},
    {"rfc4954_4_star_cancels", "*", 256, SASL_CANCELLED, ""},
    {"login_empty_response", "", 256, SASL_SYNTAX, ""},
    {"login_decoded_nul", "YQBi", 256, SASL_SYNTAX, ""},
    {"login_decoded_cr", "YQ0=", 256, SASL_SYNTAX, ""},
    {"login_bad_base64", "YWxpY2U", 256, SASL_BAD_BASE64, ""},
    {"login_base64_trailing_lf", "YWxpY2U=\n", 256, SASL_BAD_BASE64, ""},
};

static void login_lines(void)
{
	for (size_t i = 0; i < sizeof line_cases / sizeof *line_cases; i++) {
		const struct line_case *c = &line_cases[i];
		char out[1024];
		int failures = check_failures_in_test;
		memset(out, 'x', sizeof out);
		CHECK_INT(sasl_decode_line(slice_from_string(c->response), out, c->size), c->result);
		if (c->out != NULL)
			CHECK_STR(out, c->out);
		else
			CHECK(out[0] == 'x'); /* size 0: nothing written */
		if (check_failures_in_test != failures)
			fprintf(stderr, "  in case %s\n", c->name);
	}
}

static void rfc4954_4_login_line_length_limit(void)
{
	char *text = malloc(SASL_RESPONSE_MAX + 4);
	char out[16];

	memset(text, 'A', SASL_RESPONSE_MAX + 4);
	CHECK_INT(sasl_decode_line(slice_make(text, SASL_RESPONSE_MAX + 4), out, sizeof out), SASL_TOO_LONG);
	CHECK_INT(sasl_decode_line(slice_make(text, SASL_RESPONSE_MAX), out, sizeof out), SASL_SYNTAX);
	free(text);
}

int main(void)
{
	RUN(rfc4954_4_auth_argument);
	RUN(rfc4954_4_initial_response_length_limit);
	RUN(rfc4616_2_plain_messages);
	RUN(rfc4616_2_field_limits);
	RUN(login_lines);
	RUN(rfc4954_4_login_line_length_limit);
	return check_summary("test_sasl");
}
