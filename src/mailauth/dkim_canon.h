/* dkim_canon: the "simple" and "relaxed" canonicalizations of DKIM (RFC 6376 §3.4), of one
 * header field at a time and of the body as a stream of chunks that ends in its hash (§3.7),
 * with the body length limit of the l= tag (§3.4.5). Only CRLF ends a line: a bare CR or LF in
 * the body is an ordinary byte. It does not choose which fields to sign (dkim_sign does). */
#ifndef TERN_DKIM_CANON_H
#define TERN_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "util/buffer.h"

enum dkim_canon_algorithm {
	DKIM_CANON_SIMPLE,  /* RFC 6376 §3.4.1 (headers), §3.4.3 (body) */
	DKIM_CANON_RELAXED, /* RFC 6376 §3.4.2 (headers), §3.4.4 (body) */
};

#define DKIM_CANON_NO_LIMIT UINT64_MAX /* no l= tag: the whole body is hashed */
#define DKIM_CANON_PENDING  512        /* canonical bytes gathered before each digest update */

/* Appends the canonical form of one header field to out. whole is the field as it stands,
 * from its name through its final CRLF (as header_fields gives it); it may also lack the final
 * CRLF, as the DKIM-Signature field being signed or verified does (§3.7), and the output then
 * lacks it too. whole must contain a colon. Returns false, leaving out unchanged, when there is
 * no colon or out's maximum would be exceeded. */
bool dkim_canon_header(enum dkim_canon_algorithm algorithm, struct slice whole, struct buffer *out);

/* The state of one body being canonicalized and hashed. Fields are private. */
struct dkim_canon_body {
	enum dkim_canon_algorithm algorithm;
	EVP_MD_CTX *digest;
	uint64_t limit;        /* canonical octets to hash at most (l=), or DKIM_CANON_NO_LIMIT */
	uint64_t length;       /* canonical octets produced so far, hashed or not */
	size_t blank_lines;    /* empty lines held back: they count only if content follows */
	bool line_has_content; /* the current line has produced output */
	bool space_pending;    /* relaxed: WSP seen after the line's last output */
	bool cr_pending;       /* the last byte fed was a CR, maybe the start of a CRLF */
	bool any_output;       /* simple: something was produced (an empty body becomes CRLF) */
	size_t pending_length;
	unsigned char pending[DKIM_CANON_PENDING];
};

/* Starts a body with the given canonicalization and hash (EVP_sha256() for both of DKIM's
 * algorithms, RFC 8301 §3.1) and limit. The state owns an OpenSSL context: end it with
 * dkim_canon_body_finish or dkim_canon_body_free. Returns false if OpenSSL fails. */
bool dkim_canon_body_init(struct dkim_canon_body *body, enum dkim_canon_algorithm algorithm, const EVP_MD *md,
                          uint64_t limit);

/* Feeds the next chunk of the body (bytes after the empty line that ends the header). Chunks
 * may split lines, and CRLF pairs, anywhere. Returns false if OpenSSL fails. */
bool dkim_canon_body_update(struct dkim_canon_body *body, struct slice chunk);

/* Ends the body: writes its hash to hash (EVP_MAX_MD_SIZE bytes of room) and its size to
 * *hash_length, and frees the context. Returns false if OpenSSL fails (freed all the same). */
bool dkim_canon_body_finish(struct dkim_canon_body *body, unsigned char *hash, unsigned *hash_length);

/* Octets of the canonical body so far, counting those past the limit; after finish, the whole
 * canonical body: a signer's l= value, or what a verifier compares l= with. */
uint64_t dkim_canon_body_length(const struct dkim_canon_body *body);

/* Frees the context of a body not finished. A finished or zeroed body, or NULL, is a no-op. */
void dkim_canon_body_free(struct dkim_canon_body *body);

#endif
