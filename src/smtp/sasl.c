/* sasl: parses the AUTH command's argument (RFC 4954 §4) and decodes the client's responses
 * for PLAIN (RFC 4616 §2) and LOGIN (draft-murchison-sasl-login: one base64 line for the user
 * name, one for the password). Pure: libc, util and OpenSSL's wiping only; no I/O, no state
 * between calls. Decoded bytes may be passwords: every temporary copy is wiped before it is
 * freed. Not here: challenges, the dialog, checking passwords, other mechanisms. */
#include "smtp/sasl.h"

#include <string.h>

#include <openssl/crypto.h>

#include "util/base64.h"

/* The most bytes SASL_RESPONSE_MAX characters of base64 decode to. */
#define SASL_DECODED_MAX (SASL_RESPONSE_MAX / 4 * 3)

static bool is_mechanism_char(char c)
{
	/* RFC 4422 §3.1: upper-alpha / digit / "-" / "_"; RFC 4954 §4 compares names in any case. */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool has_control(struct slice text)
{
	for (size_t i = 0; i < text.length; i++)
		if ((unsigned char)text.data[i] < 0x20 || text.data[i] == 0x7f)
			return true;
	return false;
}

static enum sasl_mechanism mechanism_from_name(struct slice name)
{
	if (slice_equal_string_nocase(name, "PLAIN"))
		return SASL_PLAIN;
	if (slice_equal_string_nocase(name, "LOGIN"))
		return SASL_LOGIN;
	return SASL_UNKNOWN;
}

enum sasl_result sasl_parse_auth(struct slice argument, enum sasl_mechanism *mechanism, bool *has_initial,
                                 struct slice *initial)
{
	long space = slice_find_byte(argument, ' ');
	struct slice name = space < 0 ? argument : slice_sub(argument, 0, (size_t)space);
	struct slice response = space < 0 ? slice_make(argument.data, 0) : slice_skip(argument, (size_t)space + 1);

	*mechanism = SASL_UNKNOWN;
	*has_initial = false;
	*initial = slice_make(argument.data, 0);
	if (has_control(argument))
		return SASL_SYNTAX;
	if (name.length == 0 || name.length > SASL_MECHANISM_MAX)
		return SASL_SYNTAX;
	for (size_t i = 0; i < name.length; i++)
		if (!is_mechanism_char(name.data[i]))
			return SASL_SYNTAX;
	/* RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; one space, no trailing one. */
	if (space >= 0 && (response.length == 0 || slice_find_byte(response, ' ') >= 0))
		return SASL_SYNTAX;
	if (response.length > SASL_RESPONSE_MAX)
		return SASL_TOO_LONG;
	*mechanism = mechanism_from_name(name);
	*has_initial = space >= 0;
	/* RFC 4954 §4: "=" is an initial response of zero length. */
	if (*has_initial && !(response.length == 1 && response.data[0] == '='))
		*initial = response;
	return SASL_OK;
}

static void wipe_buffer(struct buffer *buffer)
{
	if (buffer->data != NULL)
		OPENSSL_cleanse(buffer->data, buffer->capacity + 1);
	buffer_free(buffer);
}

/* The checks common to every response: "*" cancels (RFC 4954 §4), the length limit, base64.
 * On SASL_OK decoded holds the bytes; the caller wipes it in every case. */
static enum sasl_result decode_response(struct slice text, struct buffer *decoded)
{
	if (text.length == 1 && text.data[0] == '*')
		return SASL_CANCELLED;
	if (text.length > SASL_RESPONSE_MAX)
		return SASL_TOO_LONG;
	if (!base64_decode(text, decoded))
		return SASL_BAD_BASE64;
	return SASL_OK;
}

/* Copies a field into a string array: it must be non-empty unless allow_empty, fit with its NUL,
 * and hold no NUL, CR or LF (they would end up in logs and lookups). */
static bool copy_field(struct slice field, char *out, size_t size, bool allow_empty)
{
	if (field.length == 0 && !allow_empty)
		return false;
	if (field.length >= size)
		return false;
	for (size_t i = 0; i < field.length; i++)
		if (field.data[i] == '\0' || field.data[i] == '\r' || field.data[i] == '\n')
			return false;
	if (field.length > 0)
		memcpy(out, field.data, field.length);
	out[field.length] = '\0';
	return true;
}

/* RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd; passwd holds no NUL. */
static bool split_plain(struct slice message, struct sasl_credentials *out)
{
	long first = slice_find_byte(message, '\0'), second;
	struct slice rest;

	if (first < 0)
		return false;
	rest = slice_skip(message, (size_t)first + 1);
	if ((second = slice_find_byte(rest, '\0')) < 0)
		return false;
	return copy_field(slice_sub(message, 0, (size_t)first), out->authzid, sizeof out->authzid, true) &&
	       copy_field(slice_sub(rest, 0, (size_t)second), out->user, sizeof out->user, false) &&
	       copy_field(slice_skip(rest, (size_t)second + 1), out->password, sizeof out->password, false);
}

enum sasl_result sasl_decode_plain(struct slice base64_response, struct sasl_credentials *out)
{
	struct buffer decoded;
	enum sasl_result result;

	memset(out, 0, sizeof *out);
	buffer_init(&decoded, SASL_DECODED_MAX);
	result = decode_response(base64_response, &decoded);
	if (result == SASL_OK && !split_plain(buffer_slice(&decoded), out))
		result = SASL_SYNTAX;
	if (result != SASL_OK)
		OPENSSL_cleanse(out, sizeof *out);
	wipe_buffer(&decoded);
	return result;
}

enum sasl_result sasl_decode_line(struct slice base64_response, char *out, size_t size)
{
	struct buffer decoded;
	enum sasl_result result;

	if (size > 0)
		out[0] = '\0';
	buffer_init(&decoded, SASL_DECODED_MAX);
	result = decode_response(base64_response, &decoded);
	if (result == SASL_OK && !copy_field(buffer_slice(&decoded), out, size, false))
		result = SASL_SYNTAX;
	if (result != SASL_OK && size > 0)
		OPENSSL_cleanse(out, size);
	wipe_buffer(&decoded);
	return result;
}
