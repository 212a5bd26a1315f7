/* base64: strict base64 (RFC 4648 §4, the standard alphabet, with padding) over OpenSSL's
 * EVP_EncodeBlock and EVP_DecodeBlock. Decoding accepts only the canonical form: no whitespace
 * or line breaks, length a multiple of 4, '=' only as final padding, zero pad bits (§3.5), so
 * every accepted text is exactly what base64_encode would write for its bytes. */
#ifndef TERN_BASE64_H
#define TERN_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

/* How many characters base64_encode writes for length bytes: 4 * ceil(length / 3). */
size_t base64_encoded_length(size_t length);

/* Decodes text and appends the bytes to out. The empty text decodes to nothing (true).
 * Returns false, leaving out unchanged, when text is not strict base64 or the bytes would
 * exceed out's maximum. The bytes go in with one buffer_append, so an out that starts empty is
 * allocated once and its memory is the only copy left (temporaries are wiped: they may be
 * passwords). */
bool base64_decode(struct slice text, struct buffer *out);

/* Appends the base64 encoding of data to out. The caller gives out room for
 * base64_encoded_length(data.length) more bytes; if it has not, out is left unchanged. */
void base64_encode(struct slice data, struct buffer *out);

#endif
