/* sasl: the pure parsing half of SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN
 * mechanisms: the AUTH command's argument, and the client's base64 responses. It decides
 * nothing about who may log in; the session checks the credentials and keeps the dialog. */
#ifndef TERN_SASL_H
#define TERN_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

/* RFC 4954 §4: a server must take responses (and initial responses) up to 12288 octets of
 * base64; longer ones are refused without decoding. */
#define SASL_RESPONSE_MAX 12288
/* RFC 4422 §3.1: a mechanism name is 1 to 20 characters. */
#define SASL_MECHANISM_MAX 20

enum sasl_mechanism { SASL_UNKNOWN, SASL_PLAIN, SASL_LOGIN };

enum sasl_result {
	SASL_OK,
	SASL_SYNTAX,     /* 501 5.5.2: malformed argument or message */
	SASL_BAD_BASE64, /* 501 5.5.2: the response is not strict base64 */
	SASL_CANCELLED,  /* the client sent "*" (RFC 4954 §4): 501 5.0.0 */
	SASL_TOO_LONG    /* more than SASL_RESPONSE_MAX octets of base64 */
};

/* Parses the argument of AUTH, the bytes after "AUTH ": a mechanism name (RFC 4422 §3.1
 * characters, any ASCII case), then optionally one space and an initial response, where "="
 * stands for an empty one (RFC 4954 §4). On SASL_OK sets *mechanism (SASL_UNKNOWN for a
 * well-formed name tern does not offer: the session replies 504 5.5.4), *has_initial, and
 * *initial, a view into argument (empty for "="; not yet decoded nor checked as base64).
 * Returns SASL_SYNTAX for an empty or malformed name, extra spaces, or a control byte
 * (NUL, CR, LF...), SASL_TOO_LONG for an initial response over SASL_RESPONSE_MAX. */
enum sasl_result sasl_parse_auth(struct slice argument, enum sasl_mechanism *mechanism, bool *has_initial,
                                 struct slice *initial);

/* What a PLAIN message carries, each NUL-terminated. authzid is "" when the client asks to act
 * as itself; a non-empty authzid other than user is for the session to refuse. */
struct sasl_credentials {
	char authzid[256];
	char user[256];
	char password[1024];
};

/* Decodes a PLAIN response (RFC 4616 §2: [authzid] NUL authcid NUL passwd) from its base64.
 * Returns SASL_CANCELLED for "*", SASL_TOO_LONG, SASL_BAD_BASE64, or SASL_SYNTAX when there are
 * not exactly two NULs, user or password is empty, a field does not fit its array, or a field
 * holds CR or LF. On anything but SASL_OK *out is zeroed. The caller wipes *out after use
 * (OPENSSL_cleanse); temporary copies made here are wiped. Names are not checked as UTF-8 nor
 * prepared (RFC 4013): they are compared byte for byte against the users file. */
enum sasl_result sasl_decode_plain(struct slice base64_response, struct sasl_credentials *out);

/* Decodes one LOGIN response (the user name, then the password) from its base64 into out, a
 * string of size bytes. Returns SASL_CANCELLED for "*", SASL_TOO_LONG, SASL_BAD_BASE64, or
 * SASL_SYNTAX when the value is empty, holds NUL, CR or LF, or does not fit in size - 1 bytes.
 * On anything but SASL_OK out is "" (when size > 0). Temporary copies made here are wiped. */
enum sasl_result sasl_decode_line(struct slice base64_response, char *out, size_t size);

#endif
