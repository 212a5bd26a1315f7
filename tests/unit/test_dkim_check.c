/* test_dkim_check: one signature against its key record (RFC 6376 §6.1), named after the rule
 * each case checks: the RFC 8463 appendix A message (both signatures), messages signed here by
 * dkim_sign with fresh keys and then changed, key records that do not fit (§6.1.2, RFC 8301
 * §3.2), times (§3.5 t=, x=), l= (§3.4.5), header selection (§5.4.2), and b= deleted from the
 * middle of a field (§3.7). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"
#include "mailauth/dkim_check.h"
#include "mailauth/dkim_sign.h"
#include "util/base64.h"

#define NOW 1700000000u

/* clang-format off */
static const char rfc8463_message[] =
	"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
	" subject : date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
	" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
	" date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
	" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
	" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
	"From: Joe SixPack <joe@football.example.com>\r\n"
	"To: Suzie Q <suzie@shopping.example.net>\r\n"
	"Subject: Is dinner ready?\r\n"
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
	"\r\n"
	"Hi.\r\n"
	"\r\n"
	"We lost the game.  Are you hungry yet?\r\n"
	"\r\n"
	"Joe.\r\n";
static const char rfc8463_ed25519_record[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char rfc8463_rsa_record[] =
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
	"J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIK"
	"T+l/K4w3QIDAQAB";

static const char plain_message[] =
	"From: Alice <alice@example.com>\r\n"
	"To: bob@example.org\r\n"
	"Subject: a test\r\n"
	"Date: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
	"\r\n"
	"Hello Bob.\r\n";
/* clang-format on */

static EVP_PKEY *rsa_2048, *rsa_512, *ed25519;

struct outcome {
	enum dkim_check_status status;
	char reason[DKIM_CHECK_REASON_MAX];
	bool prepared; /* a key was asked for */
	struct dkim_check_result result;
};

/* Checks the index-th DKIM-Signature of message with record as its key (NULL: none asked). */
static struct outcome check_nth(const char *message, size_t length, size_t nth, const char *record, uint64_t now)
{
	struct header_fields *fields = malloc(sizeof *fields);
	struct dkim_check *check = malloc(sizeof *check);
	struct outcome outcome = {.status = DKIM_CHECK_PASS, .prepared = false};
	struct slice text = slice_make(message, length);

	CHECK_INT(header_fields_parse(text, fields), HEADER_FIELDS_OK);
	for (size_t i = 0; i < fields->count; i++) {
		if (!slice_equal_string_nocase(fields->fields[i].name, "DKIM-Signature") || nth-- > 0)
			continue;
		outcome.prepared = dkim_check_prepare(check, text, fields, i, now);
		if (outcome.prepared && record != NULL)
			dkim_check_key(check, slice_from_string(record));
		outcome.status = check->result.status;
		snprintf(outcome.reason, sizeof outcome.reason, "%s", check->result.reason);
		outcome.result = check->result;
		dkim_check_free(check);
		break;
	}
	free(check);
	free(fields);
	return outcome;
}

static struct outcome check_first(const char *message, const char *record)
{
	return check_nth(message, strlen(message), 0, record, NOW);
}

/* "v=DKIM1; k=...; p=..." for key, with extra tags first. */
static char *record_for(EVP_PKEY *key, const char *extra)
{
	struct buffer record;
	unsigned char raw[32], *der = NULL;
	size_t raw_length = sizeof raw;
	int der_length;

	buffer_init(&record, 8192);
	buffer_printf(&record, "v=DKIM1; %sk=%s; p=", extra,
	              EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? "ed25519" : "rsa");
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		EVP_PKEY_get_raw_public_key(key, raw, &raw_length);
		base64_encode(slice_make((const char *)raw, raw_length), &record);
	} else {
		der_length = i2d_PUBKEY(key, &der);
		base64_encode(slice_make((const char *)der, (size_t)der_length), &record);
		OPENSSL_free(der);
	}
	return record.data;
}

/* message with a DKIM-Signature by key put on top; options as given, d=example.com s=sel. */
static char *signed_with(const char *message, EVP_PKEY *key, struct dkim_sign_options *options)
{
	struct buffer out;

	buffer_init(&out, 1 << 20);
	options->domain = "example.com";
	options->selector = "sel";
	options->key = key;
	CHECK_INT(dkim_sign(slice_from_string(message), options, &out), DKIM_SIGN_OK);
	buffer_append_string(&out, message);
	return out.data;
}

static char *signed_default(const char *message, EVP_PKEY *key)
{
	struct dkim_sign_options options;

	dkim_sign_options_init(&options);
	options.timestamp = NOW;
	return signed_with(message, key, &options);
}

/* The signed text with the first occurrence of from replaced by to. */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out = malloc(strlen(text) + strlen(to) + 1);

	CHECK(at != NULL);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

static void test_rfc8463_appendix_a(void)
{
	struct outcome ed = check_nth(rfc8463_message, strlen(rfc8463_message), 0, rfc8463_ed25519_record, NOW);
	struct outcome rsa = check_nth(rfc8463_message, strlen(rfc8463_message), 1, rfc8463_rsa_record, NOW);

	CHECK_INT(ed.status, DKIM_CHECK_PASS);
	CHECK_STR(ed.result.domain, "football.example.com");
	CHECK_STR(ed.result.selector, "brisbane");
	CHECK_STR(ed.result.identity, "@football.example.com");
	CHECK_STR(ed.result.algorithm, "ed25519-sha256");
	CHECK_STR(ed.result.header_b, "/gCrinpcQOoI");
	CHECK_INT(rsa.status, DKIM_CHECK_PASS); /* a 1024-bit key: the least RFC 8301 allows */
	CHECK_STR(rsa.result.selector, "test");
	/* each key verifies only its own signature */
	CHECK_INT(check_nth(rfc8463_message, strlen(rfc8463_message), 0, rfc8463_rsa_record, NOW).status,
	          DKIM_CHECK_PERMERROR);
}

static void test_rfc6376_6_1_3_pass_and_tampering(void)
{
	EVP_PKEY *keys[] = {rsa_2048, ed25519};

	for (size_t i = 0; i < 2; i++) {
		char *record = record_for(keys[i], "");
		char *message = signed_default(plain_message, keys[i]);
		char *body = replaced(message, "Hello Bob.", "Hello Bob!");
		char *header = replaced(message, "Subject: a test", "Subject: a tost");
		char *added_from = malloc(strlen(message) + 64);
		sprintf(added_from, "From: mallory@example.net\r\n%s", message);
		CHECK_INT(check_first(message, record).status, DKIM_CHECK_PASS);
		CHECK_INT(check_first(body, record).status, DKIM_CHECK_FAIL);
		CHECK_STR(check_first(body, record).reason, "body hash did not verify");
		CHECK_INT(check_first(header, record).status, DKIM_CHECK_FAIL);
		CHECK_STR(check_first(header, record).reason, "signature did not verify");
		/* §5.4.2: From is over-signed, so a From added on top breaks the signature */
		CHECK_INT(check_first(added_from, record).status, DKIM_CHECK_FAIL);
		free(added_from);
		free(header);
		free(body);
		free(message);
		free(record);
	}
}

static void test_rfc6376_6_1_2_key_does_not_fit(void)
{
	char *message = signed_default(plain_message, rsa_2048);
	char *ed_record = record_for(ed25519, "");
	char *small = record_for(rsa_512, "");
	struct {
		const char *name, *extra, *reason;
	} cases[] = {
	    {"h_sha1_only", "h=sha1; ", "key h= does not allow sha256"},
	    {"s_not_email", "s=other; ", "key s= is not for email"},
	    {"t_s_no_identity_ok", "t=s; ", NULL},
	    {"h_with_sha256", "h=sha1:sha256; s=email; ", NULL},
	    {"notes_ignored", "n=x; ", NULL},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *record = record_for(rsa_2048, cases[i].extra);
		struct outcome outcome = check_first(message, record);
		CHECK_INT(outcome.status, cases[i].reason ? DKIM_CHECK_PERMERROR : DKIM_CHECK_PASS);
		if (cases[i].reason)
			CHECK_STR(outcome.reason, cases[i].reason);
		if (check_failures_in_test)
			fprintf(stderr, "  in case %s\n", cases[i].name);
		free(record);
	}
	CHECK_INT(check_first(message, "v=DKIM1; k=rsa; p=").status, DKIM_CHECK_PERMERROR);
	CHECK_STR(check_first(message, "v=DKIM1; k=rsa; p=").reason, "key revoked (empty p=)");
	CHECK_INT(check_first(message, "v=DKIM1; k=dsa; p=MTIz").status, DKIM_CHECK_PERMERROR);
	CHECK_INT(check_first(message, "v=DKIM1; p=MTIz").status, DKIM_CHECK_PERMERROR); /* not DER */
	CHECK_INT(check_first(message, "v=DKIM2; p=MTIz").status, DKIM_CHECK_PERMERROR);
	CHECK_INT(check_first(message, ed_record).status, DKIM_CHECK_PERMERROR); /* k= is not a= */
	CHECK_STR(check_first(message, small).reason, "RSA key of 512 bits, under RFC 8301's 1024");
	free(small);
	free(ed_record);
	free(message);
}

static void test_rfc6376_3_6_1_t_s(void)
{
	struct dkim_sign_options options;
	char *record = record_for(ed25519, "t=s; ");
	char *exact, *below;

	dkim_sign_options_init(&options);
	options.identity = "alice@example.com";
	exact = signed_with(plain_message, ed25519, &options);
	options.identity = "alice@mail.example.com";
	below = signed_with(plain_message, ed25519, &options);
	CHECK_INT(check_first(exact, record).status, DKIM_CHECK_PASS);
	CHECK_INT(check_first(below, record).status, DKIM_CHECK_PERMERROR);
	CHECK_STR(check_first(below, "v=DKIM1; k=ed25519; t=y; p=MTIz").result.identity, "alice@mail.example.com");
	free(below);
	free(exact);
	free(record);
}

static void test_rfc6376_3_5_times(void)
{
	struct dkim_sign_options options;
	char *record = record_for(ed25519, "");
	char *message;

	dkim_sign_options_init(&options);
	options.timestamp = NOW;
	options.expire_after = 3600;
	message = signed_with(plain_message, ed25519, &options);
	CHECK_INT(check_nth(message, strlen(message), 0, record, NOW + 3600).status, DKIM_CHECK_PASS);
	CHECK_INT(check_nth(message, strlen(message), 0, record, NOW + 3600 + DKIM_CHECK_CLOCK_SKEW + 1).status,
	          DKIM_CHECK_POLICY);
	CHECK_INT(check_nth(message, strlen(message), 0, record, NOW - DKIM_CHECK_CLOCK_SKEW).status, DKIM_CHECK_PASS);
	CHECK_INT(check_nth(message, strlen(message), 0, record, NOW - DKIM_CHECK_CLOCK_SKEW - 1).status,
	          DKIM_CHECK_POLICY);
	CHECK(!check_nth(message, strlen(message), 0, record, NOW - 4000).prepared); /* no lookup */
	free(message);
	free(record);
}

static void test_rfc6376_3_4_5_body_length(void)
{
	struct dkim_sign_options options;
	char *record = record_for(rsa_2048, "");
	char *message, *appended, *shortened;

	dkim_sign_options_init(&options);
	options.body_length = true;
	message = signed_with(plain_message, rsa_2048, &options);
	appended = malloc(strlen(message) + 64);
	sprintf(appended, "%sP.S. appended after signing\r\n", message);
	shortened = replaced(message, "Hello Bob.\r\n", "Hello\r\n");
	CHECK_INT(check_first(message, record).status, DKIM_CHECK_PASS);
	CHECK_INT(check_first(appended, record).status, DKIM_CHECK_PASS); /* what l= allows (§8.2) */
	CHECK_INT(check_first(shortened, record).status, DKIM_CHECK_FAIL);
	CHECK_STR(check_first(shortened, record).reason, "l= is longer than the body");
	free(shortened);
	free(appended);
	free(message);
	free(record);
}

static void test_rfc6376_5_4_2_nonexistent_and_repeated_fields(void)
{
	static const char *const names[] = {"From", "X-Missing", "Received", "Received", "Received", "Subject"};
	static const char two_received[] = "Received: from a\r\nReceived: from b\r\nFrom: alice@example.com\r\n"
	                                   "Subject: s\r\n\r\nbody\r\n";
	struct dkim_sign_options options;
	char *record = record_for(ed25519, "");
	char *message, *swapped, *added;

	dkim_sign_options_init(&options);
	options.headers = names;
	options.header_count = sizeof names / sizeof *names;
	message = signed_with(two_received, ed25519, &options);
	swapped = replaced(message, "Received: from a\r\nReceived: from b", "Received: from b\r\nReceived: from a");
	added = replaced(message, "Subject: s\r\n", "Subject: s\r\nX-Missing: now here\r\n");
	CHECK_INT(check_first(message, record).status, DKIM_CHECK_PASS);
	CHECK_INT(check_first(swapped, record).status, DKIM_CHECK_FAIL); /* order bottom-up matters */
	CHECK_INT(check_first(added, record).status, DKIM_CHECK_FAIL);   /* a signed absence */
	free(added);
	free(swapped);
	free(message);
	free(record);
}

/* A field with b= in the middle, signed by hand: §3.7 deletes the value where it stands. */
static void test_rfc6376_3_7_b_in_the_middle(void)
{
	struct dkim_sign_options options;
	char *record = record_for(rsa_2048, "");
	char *message = NULL, *reference;
	const char *bh, *bh_end;
	struct buffer data, field, b64;
	unsigned char signature[512];
	size_t signature_length = sizeof signature;
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	struct header_fields *fields = malloc(sizeof *fields);
	struct dkim_signature *parsed = malloc(sizeof *parsed);

	dkim_sign_options_init(&options);
	options.header_canon = DKIM_CANON_SIMPLE;
	reference = signed_with(plain_message, rsa_2048, &options); /* only for its bh= */
	bh = strstr(reference, "bh=");
	bh_end = strchr(bh, ';');
	buffer_init(&field, 4096);
	buffer_printf(&field,
	              "DKIM-Signature: v=1; a=rsa-sha256; b=; c=simple/relaxed; d=example.com;\r\n"
	              "\ts=sel; h=From:Subject; %.*s",
	              (int)(bh_end - bh), bh);
	buffer_init(&data, 65536);
	header_fields_parse(slice_from_string(plain_message), fields);
	dkim_signature_parse(
	    slice_from_string("v=1; a=rsa-sha256; b=AAAA; bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;"
	                      " d=example.com; s=sel; h=From:Subject"),
	    parsed);
	parsed->header_canon = DKIM_CANON_SIMPLE;
	CHECK(dkim_sign_header_input(fields, parsed, &data));
	buffer_append_slice(&data, buffer_slice(&field));
	CHECK(EVP_DigestSignInit(context, NULL, EVP_sha256(), NULL, rsa_2048) == 1 &&
	      EVP_DigestSign(context, signature, &signature_length, (unsigned char *)data.data, data.length) == 1);
	buffer_init(&b64, 4096);
	base64_encode(slice_make((const char *)signature, signature_length), &b64);
	message = malloc(field.length + b64.length + sizeof plain_message + 16);
	sprintf(message,
	        "DKIM-Signature: v=1; a=rsa-sha256; b= %s ; c=simple/relaxed; d=example.com;\r\n"
	        "\ts=sel; h=From:Subject; %.*s\r\n%s",
	        b64.data, (int)(bh_end - bh), bh, plain_message);
	CHECK_INT(check_first(message, record).status, DKIM_CHECK_PASS);
	memcpy(strstr(message, "h=From:Subject"), "h=From:subject", 14); /* simple: every byte counts */
	CHECK_INT(check_first(message, record).status, DKIM_CHECK_FAIL);
	free(message);
	buffer_free(&b64);
	buffer_free(&data);
	buffer_free(&field);
	EVP_MD_CTX_free(context);
	free(parsed);
	free(fields);
	free(reference);
	free(record);
}

static void test_rfc6376_6_1_1_bad_fields_are_neutral(void)
{
	static const char *const fields[] = {
	    "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=sel; h=From; "
	    "bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;"
	    " b=AAAA\r\n",
	    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=To; "
	    "bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;"
	    " b=AAAA\r\n",
	    "DKIM-Signature: garbage\r\n",
	};
	static const char *const reasons[] = {
	    "signature algorithm not accepted (RFC 8301: not rsa-sha1)",
	    "signature does not cover From",
	    "signature syntax error",
	};

	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		char message[1024];
		struct outcome outcome;
		snprintf(message, sizeof message, "%s%s", fields[i], plain_message);
		outcome = check_first(message, NULL);
		CHECK(!outcome.prepared);
		CHECK_INT(outcome.status, DKIM_CHECK_NEUTRAL);
		CHECK_STR(outcome.reason, reasons[i]);
		CHECK_STR(outcome.result.domain, "");
		CHECK_STR(outcome.result.algorithm, "");
	}
}

static void test_key_name_and_status_names(void)
{
	struct header_fields *fields = malloc(sizeof *fields);
	struct dkim_check check;
	char name[300];

	header_fields_parse(slice_from_string(rfc8463_message), fields);
	CHECK(dkim_check_prepare(&check, slice_from_string(rfc8463_message), fields, 1, NOW));
	dkim_check_key_name(&check, name, sizeof name);
	CHECK_STR(name, "test._domainkey.football.example.com");
	dkim_check_no_key(&check, DKIM_CHECK_TEMPERROR, "no answer");
	CHECK_STR(dkim_check_status_name(check.result.status), "temperror");
	CHECK_STR(check.result.reason, "no answer");
	dkim_check_free(&check);
	CHECK_STR(dkim_check_status_name(DKIM_CHECK_PERMERROR), "permerror");
	CHECK_STR(dkim_check_status_name(DKIM_CHECK_POLICY), "policy");
	free(fields);
}

int main(void)
{
	rsa_2048 = EVP_RSA_gen(2048);
	rsa_512 = EVP_RSA_gen(512);
	ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	RUN(test_rfc8463_appendix_a);
	RUN(test_rfc6376_6_1_3_pass_and_tampering);
	RUN(test_rfc6376_6_1_2_key_does_not_fit);
	RUN(test_rfc6376_3_6_1_t_s);
	RUN(test_rfc6376_3_5_times);
	RUN(test_rfc6376_3_4_5_body_length);
	RUN(test_rfc6376_5_4_2_nonexistent_and_repeated_fields);
	RUN(test_rfc6376_3_7_b_in_the_middle);
	RUN(test_rfc6376_6_1_1_bad_fields_are_neutral);
	RUN(test_key_name_and_status_names);
	EVP_PKEY_free(ed25519);
	EVP_PKEY_free(rsa_512);
	EVP_PKEY_free(rsa_2048);
	return check_summary("test_dkim_check");
}
