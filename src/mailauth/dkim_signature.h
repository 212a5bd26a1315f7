/* dkim_signature: the DKIM-Signature field's tag-list (RFC 6376 §3.2, §3.5), parsed strictly
 * into a struct and formatted back, folded. Pure: no I/O, no globals; textual values are views
 * into the caller's bytes, b= and bh= are decoded into the struct. It does not verify or sign
 * anything, nor decode the dkim-quoted-printable of i= (it is kept as written). */
#ifndef TERN_DKIM_SIGNATURE_H
#define TERN_DKIM_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mailauth/dkim_canon.h"
#include "util/buffer.h"

#define DKIM_SIGNATURE_B_MAX       1024 /* octets of b=: an 8192-bit RSA signature; RFC 8301 §3.2
                                         * asks verifiers for 4096 bits at most */
#define DKIM_SIGNATURE_BH_MAX      64   /* octets of bh=: the largest digest OpenSSL makes */
#define DKIM_SIGNATURE_HEADERS_MAX 128  /* names in h=: a sane cap, several times what signers use */
#define DKIM_SIGNATURE_VALUE_MAX   8192 /* octets of the whole field value: a sane cap */
#define DKIM_SIGNATURE_DOMAIN_MAX  253  /* RFC 1035 §2.3.4, d= and s= (as a name) */
#define DKIM_SIGNATURE_LABEL_MAX   63   /* RFC 1035 §2.3.4 */
#define DKIM_SIGNATURE_TIME_DIGITS 12   /* RFC 6376 §3.5 sig-t-tag, sig-x-tag: 1*12DIGIT */
#define DKIM_SIGNATURE_LENGTH_DIGITS 18 /* l= (1*76DIGIT, §3.5) kept within uint64_t */
#define DKIM_SIGNATURE_COLUMNS     78   /* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters */

enum dkim_signature_result {
	DKIM_SIGNATURE_OK,
	DKIM_SIGNATURE_BAD_SYNTAX,      /* not a tag-list (§3.2), a byte outside it, or too long */
	DKIM_SIGNATURE_DUPLICATE_TAG,   /* §3.2: tags with duplicate names MUST NOT occur */
	DKIM_SIGNATURE_MISSING_TAG,     /* §3.5: v, a, b, bh, d, h and s are required */
	DKIM_SIGNATURE_BAD_VERSION,     /* §3.5: v= is "1" */
	DKIM_SIGNATURE_BAD_ALGORITHM,   /* a= is not rsa-sha256 or ed25519-sha256 (RFC 8301 §3.1:
	                                 * rsa-sha1 is not accepted; RFC 8463 §3) */
	DKIM_SIGNATURE_BAD_VALUE,       /* another tag's value breaks its grammar or a cap (§3.5) */
	DKIM_SIGNATURE_FROM_NOT_SIGNED, /* §5.4, §6.1.1: h= must include From */
	DKIM_SIGNATURE_BAD_IDENTITY,    /* §3.5, §6.1.1: i='s domain is not d= or below it */
	DKIM_SIGNATURE_BAD_QUERY,       /* §3.5, §6.1.1: q= lists no method we know (dns/txt) */
	DKIM_SIGNATURE_BAD_TIMES,       /* §3.5: x= must be greater than t= */
};

enum dkim_signature_algorithm {
	DKIM_SIGNATURE_RSA_SHA256,     /* RFC 6376 §3.3.2 */
	DKIM_SIGNATURE_ED25519_SHA256, /* RFC 8463 §3 */
};

struct dkim_signature {
	enum dkim_signature_algorithm algorithm;         /* a= */
	enum dkim_canon_algorithm header_canon;          /* c=, default simple/simple (§3.5) */
	enum dkim_canon_algorithm body_canon;
	struct slice domain;                             /* d= */
	struct slice selector;                           /* s= */
	size_t header_count;                             /* h=, in order, as written */
	struct slice headers[DKIM_SIGNATURE_HEADERS_MAX];
	bool has_identity;                               /* i=, as written (dkim-quoted-printable) */
	struct slice identity;
	bool has_length;                                 /* l= */
	uint64_t length;
	bool has_query;                                  /* q= was there (always dns/txt) */
	bool has_timestamp;                              /* t= */
	uint64_t timestamp;
	bool has_expiration;                             /* x= */
	uint64_t expiration;
	size_t body_hash_length;                         /* bh=, decoded */
	unsigned char body_hash[DKIM_SIGNATURE_BH_MAX];
	size_t signature_length;                         /* b=, decoded; 0 only when formatting the
	                                                  * field to sign, never after a parse */
	unsigned char signature[DKIM_SIGNATURE_B_MAX];
	struct slice error_tag;                          /* on failure: the tag at fault, if any */
};

/* Parses value, the field body after "DKIM-Signature:" up to, not including, its final CRLF;
 * it may still be folded (CRLF followed by WSP). Unknown tags are checked against the tag-list
 * grammar and ignored (§3.2); tags are ASCII (8-bit values are refused). The slices in
 * *signature point into value, which must outlive them. Returns DKIM_SIGNATURE_OK, or the
 * first error found, with error_tag naming the tag when one is at fault. */
enum dkim_signature_result dkim_signature_parse(struct slice value, struct dkim_signature *signature);

/* Appends the whole field, "DKIM-Signature: v=1; a=...; ...; b=...\r\n", to out: tags in a fixed
 * order, folded with CRLF TAB so that lines are at most DKIM_SIGNATURE_COLUMNS characters
 * (a single domain or selector longer than a line is the one exception), b= last, on a line
 * of its own. Everything before the b= value is independent of b=, so a signer formats with
 * signature_length 0, hashes that field without its final CRLF (§3.7), then formats again
 * with the signature. The input is assumed valid (as parse gives it). Returns false, leaving
 * out unchanged, past out's maximum. */
bool dkim_signature_format(const struct dkim_signature *signature, struct buffer *out);

/* The a= name of an algorithm, for messages: "rsa-sha256" or "ed25519-sha256". */
const char *dkim_signature_algorithm_name(enum dkim_signature_algorithm algorithm);

#endif
