/* dkim_sign: makes the DKIM-Signature header field for a message (RFC 6376 §5), rsa-sha256 or
 * ed25519-sha256 (RFC 8463) after the key's type. No I/O: the caller loads the key and prepends
 * the field; dual signing is two calls over the same message. */
#ifndef TERN_DKIM_SIGN_H
#define TERN_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_signature.h"
#include "mailauth/header_fields.h"
#include "util/buffer.h"

#define DKIM_SIGN_RSA_BITS_MIN 1024 /* RFC 8301 §3.2: signers MUST use at least 1024 bits */
#define DKIM_SIGN_FIELD_MAX    16384 /* octets of the field we write: far above any real one */

enum dkim_sign_result {
	DKIM_SIGN_OK,
	DKIM_SIGN_BAD_MESSAGE,    /* the header section does not frame (header_fields_parse) */
	DKIM_SIGN_NO_FROM,        /* no From field: RFC 6376 §5.4 says it MUST be signed */
	DKIM_SIGN_BAD_KEY,        /* neither RSA of DKIM_SIGN_RSA_BITS_MIN bits and up nor Ed25519 */
	DKIM_SIGN_BAD_ARGUMENT,   /* domain, selector, identity or header list does not fit a tag */
	DKIM_SIGN_CRYPTO_FAILED,  /* OpenSSL failed */
};

struct dkim_sign_options {
	const char *domain;                   /* d= */
	const char *selector;                 /* s= */
	EVP_PKEY *key;                        /* borrowed; RSA or Ed25519 */
	const char *const *headers;           /* names to sign, or NULL for dkim_sign's default list */
	size_t header_count;
	enum dkim_canon_algorithm header_canon; /* c=, relaxed/relaxed after dkim_sign_options_init */
	enum dkim_canon_algorithm body_canon;
	int64_t timestamp;                    /* t=, seconds since the epoch; negative: no t= */
	uint64_t expire_after;                /* x= is t= plus this many seconds; 0: no x= */
	const char *identity;                 /* i=, or NULL */
	bool body_length;                     /* write l= (the whole canonical body); risky, off */
};

/* Fills options with the defaults: relaxed/relaxed, the default header list, no t=, no x=,
 * no i=, no l=. The caller then sets domain, selector, key and, usually, timestamp. */
void dkim_sign_options_init(struct dkim_sign_options *options);

/* Signs message (header, empty line, body, with CRLF line endings) and appends the complete
 * field, "DKIM-Signature: ...\r\n", folded to 78 columns, to out, for the caller to prepend.
 * With headers NULL the names signed are those present of RFC 6376 §5.4.1's list (From,
 * Reply-To, Subject, Date, To, Cc, Resent-*, In-Reply-To, References, List-*, Message-ID,
 * MIME-Version, Content-Type, Content-Transfer-Encoding), each as many times as it occurs,
 * and From once more, so no From can be added (§5.4.2, §8.15). With an explicit list the names
 * are signed as given. Returns DKIM_SIGN_OK, or why not, leaving out unchanged. */
enum dkim_sign_result dkim_sign(struct slice message, const struct dkim_sign_options *options, struct buffer *out);

/* Appends to data the header fields that signature's h= selects, canonicalized by its c=, in
 * h= order (§3.7): a name listed n times takes the n instances from the bottom up, and a name
 * with no instance left adds nothing (§5.4.2). The signer and the verifier (dkim_check) share
 * it, so both select alike. Returns false, leaving data partly written, past its maximum. */
bool dkim_sign_header_input(const struct header_fields *fields, const struct dkim_signature *signature,
                            struct buffer *data);

/* What the key signs or verifies (§3.7): data itself for rsa-sha256 (the SHA-256 is the
 * signature scheme's, §3.3.1), data's SHA-256 for ed25519-sha256 (RFC 8463 §3: PureEdDSA over
 * the hash), written to digest. The view points into data or digest. */
struct slice dkim_sign_algorithm_input(enum dkim_signature_algorithm algorithm, struct slice data,
                                       unsigned char digest[SHA256_DIGEST_LENGTH]);

#endif
