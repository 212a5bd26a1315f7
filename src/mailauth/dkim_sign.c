/* dkim_sign: the signer's side of RFC 6376 §5: choose the fields (§5.4, From over-signed as
 * §8.15 advises), hash the canonical body (§3.7, bh=), hash the chosen fields bottom-up (§5.4.2)
 * and then the new DKIM-Signature field with an empty b= and no final CRLF (§3.7), and sign:
 * RSASSA-PKCS1-v1_5 over SHA-256 (§3.3.1, RFC 8301 §3.1), or Ed25519 over the SHA-256 of the
 * same data (RFC 8463 §3). The field written is parsed back before it is returned.
 * Not here: key loading, choosing which domain signs, verification. */
#include "mailauth/dkim_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "mailauth/dkim_signature.h"
#include "mailauth/header_fields.h"
#include "util/xalloc.h"

/* RFC 6376 §5.4.1's list; a trailing '*' stands for every field name with that prefix. */
static const char *const default_headers[] = {
	"From",       "Reply-To",     "Subject",      "Date",         "To",
	"Cc",         "Resent-*",     "In-Reply-To",  "References",   "List-*",
	"Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};

void dkim_sign_options_init(struct dkim_sign_options *options)
{
	memset(options, 0, sizeof *options);
	options->header_canon = DKIM_CANON_RELAXED;
	options->body_canon = DKIM_CANON_RELAXED;
	options->timestamp = -1;
}

static size_t count_fields(const struct header_fields *fields, struct slice name)
{
	size_t count = 0;

	for (size_t i = 0; i < fields->count; i++)
		count += slice_equal_nocase(fields->fields[i].name, name);
	return count;
}

static void add_name(struct dkim_signature *signature, struct slice name, size_t times)
{
	for (; times > 0 && signature->header_count < DKIM_SIGNATURE_HEADERS_MAX; times--)
		signature->headers[signature->header_count++] = name;
}

static bool already_listed(const struct dkim_signature *signature, struct slice name)
{
	for (size_t i = 0; i < signature->header_count; i++)
		if (slice_equal_nocase(signature->headers[i], name))
			return true;
	return false;
}

/* Every field name starting with prefix, in order of first appearance, each as often as it
 * occurs, spelled as it first appears. */
static void add_prefixed(struct dkim_signature *signature, const struct header_fields *fields, const char *prefix)
{
	for (size_t i = 0; i < fields->count; i++) {
		struct slice name = fields->fields[i].name;
		if (slice_has_prefix_nocase(name, prefix) && !already_listed(signature, name))
			add_name(signature, name, count_fields(fields, name));
	}
}

/* §5.4.1's list: the names present, as often as present; From once more (§5.4.2, §8.15). */
static void choose_default_headers(struct dkim_signature *signature, const struct header_fields *fields)
{
	for (size_t i = 0; i < sizeof default_headers / sizeof *default_headers; i++) {
		struct slice name = slice_from_string(default_headers[i]);
		if (name.data[name.length - 1] == '*') {
			char prefix[16];
			snprintf(prefix, sizeof prefix, "%.*s", (int)name.length - 1, name.data);
			add_prefixed(signature, fields, prefix);
			continue;
		}
		add_name(signature, name, count_fields(fields, name) + (i == 0 ? 1 : 0));
	}
}

static enum dkim_sign_result choose_headers(struct dkim_signature *signature, const struct header_fields *fields,
                                            const struct dkim_sign_options *options)
{
	if (header_fields_find(fields, "From", 0) < 0)
		return DKIM_SIGN_NO_FROM; /* §5.4: the From field MUST be signed */
	if (options->headers == NULL) {
		choose_default_headers(signature, fields);
		return DKIM_SIGN_OK;
	}
	if (options->header_count > DKIM_SIGNATURE_HEADERS_MAX)
		return DKIM_SIGN_BAD_ARGUMENT;
	for (size_t i = 0; i < options->header_count; i++)
		add_name(signature, slice_from_string(options->headers[i]), 1);
	return DKIM_SIGN_OK;
}

/* The field that the index-th name of h= selects: the names that occur several times pick
 * their instances from the bottom up (§5.4.2); NULL when there is no such instance (an
 * over-signed name hashes as nothing). */
static const struct header_field *select_field(const struct header_fields *fields,
                                               const struct dkim_signature *signature, size_t index)
{
	struct slice name = signature->headers[index];
	size_t earlier = 0;

	for (size_t i = 0; i < index; i++)
		earlier += slice_equal_nocase(signature->headers[i], name);
	for (size_t i = fields->count; i-- > 0;)
		if (slice_equal_nocase(fields->fields[i].name, name) && earlier-- == 0)
			return &fields->fields[i];
	return NULL;
}

bool dkim_sign_header_input(const struct header_fields *fields, const struct dkim_signature *signature,
                            struct buffer *data)
{
	for (size_t i = 0; i < signature->header_count; i++) {
		const struct header_field *field = select_field(fields, signature, i);
		if (field != NULL && !dkim_canon_header(signature->header_canon, field->whole, data))
			return false;
	}
	return true;
}

/* bh= (§3.7), and the canonical body length for l=. */
static bool hash_body(struct slice body, struct dkim_signature *signature, bool with_length)
{
	struct dkim_canon_body canon;
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned length = 0;

	if (!dkim_canon_body_init(&canon, signature->body_canon, EVP_sha256(), DKIM_CANON_NO_LIMIT))
		return false;
	if (!dkim_canon_body_update(&canon, body)) {
		dkim_canon_body_free(&canon);
		return false;
	}
	if (!dkim_canon_body_finish(&canon, hash, &length) || length > sizeof signature->body_hash)
		return false;
	signature->has_length = with_length;
	signature->length = with_length ? dkim_canon_body_length(&canon) : 0; /* §3.5 l= */
	memcpy(signature->body_hash, hash, length);
	signature->body_hash_length = length;
	return true;
}

/* b=: RSA signs the data with SHA-256 (§3.3.1); Ed25519 signs the data's SHA-256 (RFC 8463
 * §3: PureEdDSA over the hash). */
static bool sign_data(EVP_PKEY *key, struct slice data, struct dkim_signature *signature)
{
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	bool ed25519 = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	enum dkim_signature_algorithm algorithm = ed25519 ? DKIM_SIGNATURE_ED25519_SHA256 : DKIM_SIGNATURE_RSA_SHA256;
	struct slice signed_data = dkim_sign_algorithm_input(algorithm, data, digest);
	const unsigned char *input = (const unsigned char *)signed_data.data;
	size_t input_length = signed_data.length, length = 0;
	bool ok = false;

	if (context == NULL)
		return false;
	if (EVP_DigestSignInit(context, NULL, ed25519 ? NULL : EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(context, NULL, &length, input, input_length) != 1 || length > sizeof signature->signature)
		goto done;
	ok = EVP_DigestSign(context, signature->signature, &length, input, input_length) == 1;
	signature->signature_length = ok ? length : 0;
done:
	EVP_MD_CTX_free(context);
	return ok;
}

static bool key_is_usable(EVP_PKEY *key, struct dkim_signature *signature)
{
	if (key == NULL)
		return false;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		signature->algorithm = DKIM_SIGNATURE_ED25519_SHA256;
		return true;
	}
	signature->algorithm = DKIM_SIGNATURE_RSA_SHA256;
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= DKIM_SIGN_RSA_BITS_MIN;
}

static void set_tags(struct dkim_signature *signature, const struct dkim_sign_options *options)
{
	signature->header_canon = options->header_canon;
	signature->body_canon = options->body_canon;
	signature->domain = slice_from_string(options->domain);
	signature->selector = slice_from_string(options->selector);
	signature->has_identity = options->identity != NULL;
	signature->identity = options->identity != NULL ? slice_from_string(options->identity) : slice_make(NULL, 0);
	signature->has_timestamp = options->timestamp >= 0;
	signature->timestamp = options->timestamp >= 0 ? (uint64_t)options->timestamp : 0;
	signature->has_expiration = signature->has_timestamp && options->expire_after > 0;
	signature->expiration = signature->timestamp + options->expire_after;
}

struct slice dkim_sign_algorithm_input(enum dkim_signature_algorithm algorithm, struct slice data,
                                       unsigned char digest[SHA256_DIGEST_LENGTH])
{
	if (algorithm != DKIM_SIGNATURE_ED25519_SHA256)
		return data;
	SHA256((const unsigned char *)data.data, data.length, digest);
	return slice_make((const char *)digest, SHA256_DIGEST_LENGTH);
}

/* The field with an empty b=, canonicalized without its final CRLF, closes the data (§3.7). */
static bool hash_input_signature(const struct dkim_signature *signature, struct buffer *data)
{
	struct buffer field;
	bool ok;

	buffer_init(&field, DKIM_SIGN_FIELD_MAX);
	ok = dkim_signature_format(signature, &field) &&
	     dkim_canon_header(signature->header_canon, slice_sub(buffer_slice(&field), 0, field.length - 2), data);
	buffer_free(&field);
	return ok;
}

/* The field written must be one that a verifier's parser accepts: bad arguments show here. */
static bool parses_back(struct slice field)
{
	struct dkim_signature *again = xmalloc(sizeof *again);
	long colon = slice_find_byte(field, ':');
	bool ok = colon >= 0 && field.length >= (size_t)colon + 3 &&
	          dkim_signature_parse(slice_sub(field, (size_t)colon + 1, field.length - (size_t)colon - 3), again) ==
	                  DKIM_SIGNATURE_OK;

	free(again);
	return ok;
}

static enum dkim_sign_result sign_parsed(struct slice message, const struct header_fields *fields,
                                         const struct dkim_sign_options *options, struct dkim_signature *signature,
                                         struct buffer *out)
{
	struct buffer data;
	enum dkim_sign_result result = DKIM_SIGN_CRYPTO_FAILED;
	size_t start = out->length;

	if (!key_is_usable(options->key, signature))
		return DKIM_SIGN_BAD_KEY; /* RFC 8301 §3.2 */
	if (options->domain == NULL || options->selector == NULL)
		return DKIM_SIGN_BAD_ARGUMENT;
	set_tags(signature, options);
	if ((result = choose_headers(signature, fields, options)) != DKIM_SIGN_OK)
		return result;
	if (!hash_body(slice_skip(message, fields->body_offset), signature, options->body_length))
		return DKIM_SIGN_CRYPTO_FAILED;
	buffer_init(&data, fields->header_length + DKIM_SIGN_FIELD_MAX);
	result = DKIM_SIGN_BAD_ARGUMENT;
	if (!dkim_sign_header_input(fields, signature, &data) || !hash_input_signature(signature, &data))
		goto done;
	result = DKIM_SIGN_CRYPTO_FAILED;
	if (!sign_data(options->key, buffer_slice(&data), signature))
		goto done;
	result = DKIM_SIGN_BAD_ARGUMENT;
	if (!dkim_signature_format(signature, out))
		goto done;
	if (!parses_back(slice_skip(buffer_slice(out), start))) {
		out->length = start;
		out->data[start] = '\0';
		goto done;
	}
	result = DKIM_SIGN_OK;
done:
	buffer_free(&data);
	return result;
}

enum dkim_sign_result dkim_sign(struct slice message, const struct dkim_sign_options *options, struct buffer *out)
{
	struct header_fields *fields = xmalloc(sizeof *fields);
	struct dkim_signature *signature = xcalloc(1, sizeof *signature);
	enum dkim_sign_result result = DKIM_SIGN_BAD_MESSAGE;

	if (header_fields_parse(message, fields) == HEADER_FIELDS_OK)
		result = sign_parsed(message, fields, options, signature, out);
	free(signature);
	free(fields);
	return result;
}
