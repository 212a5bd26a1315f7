/* dkim_check: RFC 6376 §6.1 for one signature. §6.1.1: the field parses (dkim_signature does
 * the tag rules) and its times hold; §6.1.3: the body hash over the canonical body cut at l=
 * (§3.4.5), the header hash input of the h= fields bottom-up (§5.4.2, shared with the signer)
 * and the field itself with the b= value deleted, canonicalized, without its CRLF (§3.7);
 * §6.1.2: the key record's tags; then the signature, RSASSA-PKCS1-v1_5 over SHA-256 (§3.3.1,
 * RFC 8301) or Ed25519 over the SHA-256 of the input (RFC 8463 §3). The order of the verdicts
 * is §6.1's: key faults before a body hash mismatch, that before a bad signature.
 * Not here: DNS (dkim_verify), the Authentication-Results header (the caller). */
#include "mailauth/dkim_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_key.h"
#include "mailauth/dkim_sign.h"
#include "util/base64.h"
#include "util/xalloc.h"

/* Octets of header hash input: the at most DKIM_SIGNATURE_HEADERS_MAX fields h= selects and the
 * signature field. A sane cap, far above real mail; past it the signature is a permerror. */
#define DATA_MAX           (256u * 1024)
#define ED25519_KEY_OCTETS 32 /* RFC 8032 §5.1.5 */

static void set_result(struct dkim_check *check, enum dkim_check_status status, const char *format, const char *detail)
{
	check->result.status = status;
	snprintf(check->result.reason, sizeof check->result.reason, format, detail);
}

static const char *signature_error(enum dkim_signature_result result)
{
	static const char *const texts[] = {
	    [DKIM_SIGNATURE_OK] = "valid",
	    [DKIM_SIGNATURE_BAD_SYNTAX] = "signature syntax error",
	    [DKIM_SIGNATURE_DUPLICATE_TAG] = "signature has a duplicate tag",
	    [DKIM_SIGNATURE_MISSING_TAG] = "signature lacks a required tag",
	    [DKIM_SIGNATURE_BAD_VERSION] = "signature version is not 1",
	    [DKIM_SIGNATURE_BAD_ALGORITHM] = "signature algorithm not accepted (RFC 8301: not rsa-sha1)",
	    [DKIM_SIGNATURE_BAD_VALUE] = "signature tag value invalid",
	    [DKIM_SIGNATURE_FROM_NOT_SIGNED] = "signature does not cover From",
	    [DKIM_SIGNATURE_BAD_IDENTITY] = "signature i= is not within d=",
	    [DKIM_SIGNATURE_BAD_QUERY] = "signature q= names no known method",
	    [DKIM_SIGNATURE_BAD_TIMES] = "signature x= is not after t=",
	};
	return texts[result];
}

static void copy_slice(char *out, size_t size, struct slice slice)
{
	snprintf(out, size, "%.*s", (int)slice.length, slice.data);
}

/* d=, s=, i=, a= and the start of b= for the result (RFC 8601 §2.7.1, RFC 6008). */
static void describe(struct dkim_check *check, const struct dkim_signature *signature)
{
	struct buffer b;

	copy_slice(check->result.domain, sizeof check->result.domain, signature->domain);
	copy_slice(check->result.selector, sizeof check->result.selector, signature->selector);
	if (signature->has_identity)
		copy_slice(check->result.identity, sizeof check->result.identity, signature->identity);
	check->result.algorithm = dkim_signature_algorithm_name(signature->algorithm);
	buffer_init(&b, base64_encoded_length(signature->signature_length) + 1);
	base64_encode(slice_make((const char *)signature->signature, signature->signature_length), &b);
	copy_slice(check->result.header_b, sizeof check->result.header_b,
	           slice_sub(buffer_slice(&b), 0, DKIM_CHECK_HEADER_B));
	buffer_free(&b);
	check->algorithm = signature->algorithm;
	check->signature_length = signature->signature_length;
	memcpy(check->signature, signature->signature, signature->signature_length);
}

/* §3.5 t= and x=: a verifier MAY refuse a signature from the future, and an expired one. */
static bool times_hold(struct dkim_check *check, const struct dkim_signature *signature, uint64_t now)
{
	if (signature->has_expiration && signature->expiration + DKIM_CHECK_CLOCK_SKEW < now) {
		set_result(check, DKIM_CHECK_POLICY, "signature expired (x= has passed)%s", "");
		return false;
	}
	if (signature->has_timestamp && signature->timestamp > now + DKIM_CHECK_CLOCK_SKEW) {
		set_result(check, DKIM_CHECK_POLICY, "signature timestamp t= is in the future%s", "");
		return false;
	}
	return true;
}

/* §3.7 body hash, at most l= octets of the canonical body (§3.4.5). */
static bool hash_body(struct dkim_check *check, const struct dkim_signature *signature, struct slice body)
{
	struct dkim_canon_body canon;
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned length = 0;

	if (!dkim_canon_body_init(&canon, signature->body_canon, EVP_sha256(),
	                          signature->has_length ? signature->length : DKIM_CANON_NO_LIMIT))
		return false;
	if (!dkim_canon_body_update(&canon, body)) {
		dkim_canon_body_free(&canon);
		return false;
	}
	if (!dkim_canon_body_finish(&canon, hash, &length))
		return false;
	check->body_too_short = signature->has_length && dkim_canon_body_length(&canon) < signature->length;
	check->body_matches = length == signature->body_hash_length && memcmp(hash, signature->body_hash, length) == 0;
	return true;
}

/* §3.7: the field as it stands, with the value of b= deleted (whitespace around it too), and
 * without its final CRLF. The field parsed, so it has exactly one b= tag. */
static struct slice without_b_value(struct slice whole, struct buffer *out)
{
	struct slice field = slice_sub(whole, 0, whole.length - 2), rest;
	long colon = slice_find_byte(field, ':');
	size_t offset = (size_t)colon + 1;

	for (rest = slice_skip(field, offset);;) {
		long semicolon = slice_find_byte(rest, ';');
		size_t length = semicolon < 0 ? rest.length : (size_t)semicolon;
		struct slice spec = slice_sub(rest, 0, length);
		long equals = slice_find_byte(spec, '=');
		struct slice name = slice_sub(spec, 0, equals < 0 ? 0 : (size_t)equals);
		while (name.length > 0 && strchr(" \t\r\n", name.data[0]) != NULL)
			name = slice_skip(name, 1);
		while (name.length > 0 && strchr(" \t\r\n", name.data[name.length - 1]) != NULL)
			name.length--;
		if (slice_equal(name, slice_from_string("b"))) {
			size_t value_start = offset + (size_t)equals + 1;
			buffer_append(out, field.data, value_start);
			buffer_append_slice(out, slice_skip(field, offset + length));
			return buffer_slice(out);
		}
		if (semicolon < 0)
			return field; /* unreachable after a parse: b= is required */
		offset += length + 1;
		rest = slice_skip(rest, length + 1);
	}
}

static bool build_data(struct dkim_check *check, const struct header_fields *fields,
                       const struct dkim_signature *signature, struct slice whole)
{
	struct buffer stripped;
	bool ok;

	buffer_init(&stripped, whole.length);
	buffer_init(&check->data, DATA_MAX);
	ok = dkim_sign_header_input(fields, signature, &check->data) &&
	     dkim_canon_header(signature->header_canon, without_b_value(whole, &stripped), &check->data);
	buffer_free(&stripped);
	return ok;
}

bool dkim_check_prepare(struct dkim_check *check, struct slice message, const struct header_fields *fields,
                        size_t index, uint64_t now)
{
	const struct header_field *field = &fields->fields[index];
	struct dkim_signature *signature = xcalloc(1, sizeof *signature);
	enum dkim_signature_result parsed;
	bool needs_key = false;

	memset(check, 0, sizeof *check);
	check->result.algorithm = "";
	parsed = dkim_signature_parse(field->value, signature);
	if (parsed != DKIM_SIGNATURE_OK) {
		set_result(check, DKIM_CHECK_NEUTRAL, "%s", signature_error(parsed)); /* §6.1.1 */
		goto done;
	}
	describe(check, signature);
	if (!times_hold(check, signature, now))
		goto done;
	if (!hash_body(check, signature, slice_skip(message, fields->body_offset))) {
		set_result(check, DKIM_CHECK_TEMPERROR, "%s", "OpenSSL could not hash the body");
		goto done;
	}
	if (!build_data(check, fields, signature, field->whole)) {
		set_result(check, DKIM_CHECK_PERMERROR, "%s", "signed header fields over our size cap");
		goto done;
	}
	needs_key = true;
done:
	free(signature);
	return needs_key;
}

void dkim_check_key_name(const struct dkim_check *check, char *name, size_t size)
{
	snprintf(name, size, "%s._domainkey.%s", check->result.selector, check->result.domain); /* §3.6.2.1 */
}

/* §6.1.2 steps on the key record's tags; true when the key may verify this signature. */
static bool key_fits(struct dkim_check *check, const struct dkim_key *key)
{
	enum dkim_key_type wanted = check->algorithm == DKIM_SIGNATURE_ED25519_SHA256 ? DKIM_KEY_ED25519 : DKIM_KEY_RSA;
	const char *at = strrchr(check->result.identity, '@');

	if (!key->sha256_acceptable)
		set_result(check, DKIM_CHECK_PERMERROR, "%s", "key h= does not allow sha256");
	else if (key->type != wanted)
		set_result(check, DKIM_CHECK_PERMERROR, "key k= does not match a=%s", check->result.algorithm);
	else if (!key->email_service)
		set_result(check, DKIM_CHECK_PERMERROR, "%s", "key s= is not for email");
	else if (key->revoked)
		set_result(check, DKIM_CHECK_PERMERROR, "%s", "key revoked (empty p=)");
	else if (key->strict_identity && at != NULL && strcasecmp(at + 1, check->result.domain) != 0)
		set_result(check, DKIM_CHECK_PERMERROR, "%s", "key t=s forbids an i= in a subdomain of d=");
	else
		return true;
	return false;
}

/* p=: RSA as a SubjectPublicKeyInfo (§3.6.1), or, as some publish it, a bare RSAPublicKey;
 * Ed25519 as the raw 32-octet key (RFC 8463 §4.2). NULL, with the result set, if unusable. */
EVP_PKEY *dkim_check_public_key(const struct dkim_key *key)
{
	const unsigned char *der = key->public_key;
	EVP_PKEY *pkey;

	if (key->revoked)
		return NULL;
	if (key->type == DKIM_KEY_ED25519)
		return key->public_key_length == ED25519_KEY_OCTETS
		           ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->public_key, ED25519_KEY_OCTETS)
		           : NULL;
	if (key->type != DKIM_KEY_RSA)
		return NULL;
	/* SubjectPublicKeyInfo as RFC 6376 §3.6.1 says, or the bare RSAPublicKey some publish */
	pkey = d2i_PUBKEY(NULL, &der, (long)key->public_key_length);
	if (pkey == NULL || der != key->public_key + key->public_key_length) {
		EVP_PKEY_free(pkey);
		der = key->public_key;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &der, (long)key->public_key_length);
	}
	if (pkey != NULL && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

static EVP_PKEY *decode_key(struct dkim_check *check, const struct dkim_key *key)
{
	EVP_PKEY *pkey = dkim_check_public_key(key);

	if (pkey == NULL) {
		set_result(check, DKIM_CHECK_PERMERROR, "%s",
		           key->type == DKIM_KEY_ED25519 ? "key p= is not an Ed25519 public key"
		                                         : "key p= is not an RSA public key");
		return NULL;
	}
	if (key->type == DKIM_KEY_RSA && EVP_PKEY_get_bits(pkey) < DKIM_CHECK_RSA_BITS_MIN) {
		char bits[16];
		snprintf(bits, sizeof bits, "%d", EVP_PKEY_get_bits(pkey));
		set_result(check, DKIM_CHECK_PERMERROR, "RSA key of %s bits, under RFC 8301's 1024", bits);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* RSA verifies the input with SHA-256 (§3.3.1); Ed25519 verifies the input's SHA-256 (RFC 8463 §3). */
static bool signature_verifies(struct dkim_check *check, EVP_PKEY *pkey)
{
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	unsigned char digest[SHA256_DIGEST_LENGTH];
	struct slice input = dkim_sign_algorithm_input(check->algorithm, buffer_slice(&check->data), digest);
	bool ed25519 = check->algorithm == DKIM_SIGNATURE_ED25519_SHA256;
	bool ok;

	if (context == NULL)
		return false;
	ok = EVP_DigestVerifyInit(context, NULL, ed25519 ? NULL : EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(context, check->signature, check->signature_length, (const unsigned char *)input.data,
	                      input.length) == 1;
	EVP_MD_CTX_free(context);
	return ok;
}

void dkim_check_key(struct dkim_check *check, struct slice record)
{
	struct dkim_key *key = xmalloc(sizeof *key);
	enum dkim_key_result parsed = dkim_key_parse(record, key);
	EVP_PKEY *pkey = NULL;

	if (parsed != DKIM_KEY_OK) {
		set_result(check, DKIM_CHECK_PERMERROR, "%s", dkim_key_result_text(parsed)); /* §6.1.2 */
		goto done;
	}
	check->result.testing = key->testing;
	if (!key_fits(check, key) || (pkey = decode_key(check, key)) == NULL)
		goto done;
	if (check->body_too_short)
		set_result(check, DKIM_CHECK_FAIL, "%s", "l= is longer than the body"); /* §3.4.5 */
	else if (!check->body_matches)
		set_result(check, DKIM_CHECK_FAIL, "%s", "body hash did not verify"); /* §6.1.3 */
	else if (!signature_verifies(check, pkey))
		set_result(check, DKIM_CHECK_FAIL, "%s", "signature did not verify");
	else
		set_result(check, DKIM_CHECK_PASS, "%s", "signature verified");
	if (key->testing) /* §3.6.1 t=y: the result stands; the caller may discount it */
		strncat(check->result.reason, " (key in testing mode)",
		        sizeof check->result.reason - strlen(check->result.reason) - 1);
done:
	EVP_PKEY_free(pkey);
	free(key);
	ERR_clear_error(); /* a failed decode leaves errors no one else should see */
}

void dkim_check_no_key(struct dkim_check *check, enum dkim_check_status status, const char *reason)
{
	set_result(check, status, "%s", reason);
}

void dkim_check_free(struct dkim_check *check) { buffer_free(&check->data); }

const char *dkim_check_status_name(enum dkim_check_status status)
{
	static const char *const names[] = {
	    [DKIM_CHECK_PASS] = "pass",     [DKIM_CHECK_FAIL] = "fail",           [DKIM_CHECK_NEUTRAL] = "neutral",
	    [DKIM_CHECK_POLICY] = "policy", [DKIM_CHECK_TEMPERROR] = "temperror", [DKIM_CHECK_PERMERROR] = "permerror",
	};
	return names[status];
}
