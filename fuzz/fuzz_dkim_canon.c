/* fuzz_dkim_canon: message bodies are untrusted. Properties: for both algorithms, hashing the
 * body in one piece and split at an input-derived point gives the same hash and length (the
 * canonicalizer is a streaming automaton); relaxed header canonicalization of one well-formed
 * field (CR only in CRLF, each inner CRLF followed by WSP: what header_fields hands it)
 * unfolds it: no CR is left but in the final CRLF. */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dkim_canon.h"

/* One field as header_fields frames it: a name of printable ASCII up to the colon (RFC 5322
 * §2.2), CR and LF only as CRLF, inner CRLFs folding. */
static bool is_one_field(const char *text, size_t size)
{
	size_t colon = 0;

	while (colon < size && text[colon] != ':') {
		if (text[colon] <= ' ' || text[colon] > '~')
			return false;
		colon++;
	}
	if (colon == 0 || colon == size)
		return false;
	for (size_t i = 0; i < size; i++) {
		bool crlf = text[i] == '\r' && i + 1 < size && text[i + 1] == '\n';
		if ((text[i] == '\r' && !crlf) || (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')))
			return false;
		if (crlf && i + 2 < size && text[i + 2] != ' ' && text[i + 2] != '\t')
			return false;
	}
	return true;
}

static void body_hash(enum dkim_canon_algorithm algorithm, const uint8_t *data, size_t size, size_t split,
                      unsigned char hash[EVP_MAX_MD_SIZE], uint64_t *length)
{
	struct dkim_canon_body body;
	unsigned hash_length = 0;

	if (!dkim_canon_body_init(&body, algorithm, EVP_sha256(), DKIM_CANON_NO_LIMIT))
		abort();
	dkim_canon_body_update(&body, slice_make((const char *)data, split));
	dkim_canon_body_update(&body, slice_make((const char *)data + split, size - split));
	*length = dkim_canon_body_length(&body);
	if (!dkim_canon_body_finish(&body, hash, &hash_length) || hash_length != 32)
		abort();
	dkim_canon_body_free(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	size_t split = size ? data[0] % (size + 1) : 0;

	memcpy(copy, data, size);
	for (int algorithm = DKIM_CANON_SIMPLE; algorithm <= DKIM_CANON_RELAXED; algorithm++) {
		unsigned char whole[EVP_MAX_MD_SIZE], parts[EVP_MAX_MD_SIZE];
		uint64_t whole_length, parts_length;
		struct buffer header;

		body_hash(algorithm, (const uint8_t *)copy, size, size, whole, &whole_length);
		body_hash(algorithm, (const uint8_t *)copy, size, split, parts, &parts_length);
		if (whole_length != parts_length || memcmp(whole, parts, 32) != 0)
			abort();
		buffer_init(&header, 4 * size + 64);
		if (dkim_canon_header(algorithm, slice_make(copy, size), &header) && algorithm == DKIM_CANON_RELAXED &&
		    is_one_field(copy, size) && header.length >= 2) {
			for (size_t i = 0; i + 2 < header.length; i++)
				if (header.data[i] == '\r')
					abort();
		}
		buffer_free(&header);
	}
	free(copy);
	return 0;
}
