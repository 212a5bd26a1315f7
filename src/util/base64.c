/* base64: RFC 4648 §4 base64 on OpenSSL's block codec, which does the arithmetic. OpenSSL's
 * decoder is lenient (it skips surrounding whitespace, takes '=' anywhere in the last group and
 * ignores non-zero pad bits), so the text is checked here first: alphabet, length a multiple of
 * 4, one or two '=' only at the end, zero pad bits (§3.5). Its output counts padding as zero
 * bytes, which are dropped. Decoded bytes may be passwords: temporary copies are wiped.
 * Not here: the URL-safe alphabet (§5), line-wrapped MIME base64 (RFC 2045 §6.8). */
#include "util/base64.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/xalloc.h"

/* Characters per call of OpenSSL's codec (it takes an int): a multiple of 4, so each chunk
 * decodes to whole bytes. */
#define CHUNK_TEXT  4096
#define CHUNK_BYTES (CHUNK_TEXT / 4 * 3)

size_t base64_encoded_length(size_t length) { return length / 3 * 4 + (length % 3 ? 4 : 0); }

/* The 6-bit value of an alphabet character (RFC 4648 §4 Table 1), or -1. */
static int alphabet_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The number of '=' at the end (0, 1 or 2) if text is canonical base64, or -1. */
static int canonical_padding(struct slice text)
{
	size_t length = text.length;
	int padding = 0;

	if (length % 4 != 0)
		return -1;
	while (padding < 2 && length > 0 && text.data[length - 1] == '=') {
		padding++;
		length--;
	}
	for (size_t i = 0; i < length; i++)
		if (alphabet_value(text.data[i]) < 0)
			return -1;
	/* RFC 4648 §3.5: the bits the last character carries beyond the data must be zero. */
	if (padding == 1 && (alphabet_value(text.data[length - 1]) & 0x3) != 0)
		return -1;
	if (padding == 2 && (alphabet_value(text.data[length - 1]) & 0xF) != 0)
		return -1;
	return padding;
}

bool base64_decode(struct slice text, struct buffer *out)
{
	int padding = canonical_padding(text);
	unsigned char *bytes;
	size_t decoded_length;

	if (padding < 0)
		return false;
	decoded_length = text.length / 4 * 3 - (size_t)padding;
	if (decoded_length > out->maximum - out->length)
		return false;
	bytes = xmalloc(text.length / 4 * 3 + 1);
	for (size_t offset = 0; offset < text.length; offset += CHUNK_TEXT) {
		struct slice chunk = slice_sub(text, offset, CHUNK_TEXT);
		/* The text was checked: failing here would be a broken invariant. */
		if (EVP_DecodeBlock(bytes + offset / 4 * 3, (const unsigned char *)chunk.data, (int)chunk.length) < 0)
			abort();
	}
	/* One append, so an empty out is allocated once and no copy is left in freed memory. The
	 * padding decoded as zero bytes at the end, which are not data. */
	if (!buffer_append(out, bytes, decoded_length))
		abort(); /* the room was checked above */
	OPENSSL_cleanse(bytes, text.length / 4 * 3);
	free(bytes);
	return true;
}

void base64_encode(struct slice data, struct buffer *out)
{
	unsigned char text[CHUNK_TEXT + 1]; /* EVP_EncodeBlock writes a NUL after the text */

	if (base64_encoded_length(data.length) > out->maximum - out->length)
		return;
	for (size_t offset = 0; offset < data.length; offset += CHUNK_BYTES) {
		struct slice chunk = slice_sub(data, offset, CHUNK_BYTES);
		int count = EVP_EncodeBlock(text, (const unsigned char *)chunk.data, (int)chunk.length);
		if (count < 0 || !buffer_append(out, text, (size_t)count))
			abort(); /* the room was checked above */
	}
	OPENSSL_cleanse(text, sizeof text);
}
