/* dkim_canon: DKIM canonicalization, RFC 6376 §3.4. Header fields: simple keeps the bytes
 * (§3.4.1); relaxed lowercases the name, unfolds, reduces WSP runs to one SP and trims the
 * value (§3.4.2). The body is a byte-at-a-time state machine so chunks may split lines anywhere:
 * empty lines are held back until content follows (§3.4.3, §3.4.4), relaxed WSP until a
 * non-WSP byte follows on the same line; output is gathered and hashed, stopping at l= (§3.4.5).
 * Not here: choosing the fields to hash, and the DKIM-Signature b= blanking (§3.7). */
#include "mailauth/dkim_canon.h"

#include <string.h>

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* RFC 6376 §3.4.2: "name:value" with the name lowercased and WSP before the colon gone, the
 * value unfolded, WSP runs reduced to one SP, and WSP at its start and end removed. */
static bool relaxed_header(struct slice name, struct slice value, bool crlf, struct buffer *out)
{
	size_t start = out->length;
	bool space = false, started = false;

	while (name.length > 0 && is_wsp(name.data[name.length - 1]))
		name.length--; /* §3.4.2: delete WSP before the colon */
	for (size_t i = 0; i < name.length; i++) {
		char c = lower(name.data[i]); /* §3.4.2: field names to lowercase */
		if (!buffer_append(out, &c, 1))
			goto fail;
	}
	if (!buffer_append(out, ":", 1))
		goto fail;
	for (size_t i = 0; i < value.length; i++) {
		char c = value.data[i];
		if (c == '\r' || c == '\n')
			continue; /* §3.4.2: unfold (only CRLF WSP reaches here from header_fields) */
		if (is_wsp(c)) {
			space = started; /* §3.4.2: WSP after the colon is deleted, runs become one SP */
			continue;
		}
		if ((space && !buffer_append(out, " ", 1)) || !buffer_append(out, &c, 1))
			goto fail;
		space = false; /* §3.4.2: trailing WSP is deleted: never written unless content follows */
		started = true;
	}
	if (crlf && !buffer_append(out, "\r\n", 2))
		goto fail;
	return true;
fail:
	out->length = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return false;
}

bool dkim_canon_header(enum dkim_canon_algorithm algorithm, struct slice whole, struct buffer *out)
{
	long colon = slice_find_byte(whole, ':');
	bool crlf = whole.length >= 2 && whole.data[whole.length - 2] == '\r' && whole.data[whole.length - 1] == '\n';
	struct slice value;

	if (colon < 0)
		return false;
	if (algorithm == DKIM_CANON_SIMPLE)
		return buffer_append_slice(out, whole); /* §3.4.1: no change at all */
	value = slice_sub(whole, (size_t)colon + 1, whole.length - (size_t)colon - 1 - (crlf ? 2 : 0));
	return relaxed_header(slice_sub(whole, 0, (size_t)colon), value, crlf, out);
}

bool dkim_canon_body_init(struct dkim_canon_body *body, enum dkim_canon_algorithm algorithm, const EVP_MD *md,
                          uint64_t limit)
{
	memset(body, 0, sizeof *body);
	body->algorithm = algorithm;
	body->limit = limit;
	body->digest = EVP_MD_CTX_new();
	if (body->digest == NULL || EVP_DigestInit_ex(body->digest, md, NULL) != 1) {
		dkim_canon_body_free(body);
		return false;
	}
	return true;
}

static bool flush(struct dkim_canon_body *body)
{
	bool ok = body->pending_length == 0 || EVP_DigestUpdate(body->digest, body->pending, body->pending_length) == 1;

	body->pending_length = 0;
	return ok;
}

/* One canonical octet: counted always, hashed only within the limit (§3.4.5, l=). */
static bool emit(struct dkim_canon_body *body, char c)
{
	body->any_output = true;
	if (body->length++ >= body->limit)
		return true;
	body->pending[body->pending_length++] = (unsigned char)c;
	return body->pending_length < sizeof body->pending || flush(body);
}

/* A byte that is line content: the empty lines and the WSP held back before it count now. */
static bool content(struct dkim_canon_body *body, char c)
{
	for (; body->blank_lines > 0; body->blank_lines--)
		if (!emit(body, '\r') || !emit(body, '\n'))
			return false;
	if (body->space_pending && !emit(body, ' ')) /* §3.4.4: a WSP run becomes one SP */
		return false;
	body->space_pending = false;
	body->line_has_content = true;
	return emit(body, c);
}

/* A CRLF: it ends a line with content at once; an empty line waits (§3.4.3, §3.4.4: empty
 * lines at the end of the body are ignored). */
static bool end_of_line(struct dkim_canon_body *body)
{
	body->space_pending = false; /* §3.4.4: WSP at the end of a line is ignored */
	if (!body->line_has_content) {
		body->blank_lines++;
		return true;
	}
	body->line_has_content = false;
	return emit(body, '\r') && emit(body, '\n');
}

static bool feed(struct dkim_canon_body *body, char c)
{
	if (body->cr_pending) {
		body->cr_pending = false;
		if (c == '\n')
			return end_of_line(body);
		if (!content(body, '\r')) /* a bare CR is not a line ending: it is content */
			return false;
	}
	if (c == '\r') {
		body->cr_pending = true;
		return true;
	}
	if (body->algorithm == DKIM_CANON_RELAXED && is_wsp(c)) {
		body->space_pending = true; /* §3.4.4: written as one SP only if content follows */
		return true;
	}
	return content(body, c);
}

bool dkim_canon_body_update(struct dkim_canon_body *body, struct slice chunk)
{
	for (size_t i = 0; i < chunk.length; i++)
		if (!feed(body, chunk.data[i]))
			return false;
	return true;
}

/* The end of the body: a last line without CRLF gets one (§3.4.3, §3.4.4); an empty body is
 * CRLF in simple (§3.4.3) and nothing in relaxed (§3.4.4). */
static bool end_of_body(struct dkim_canon_body *body)
{
	if (body->cr_pending) {
		body->cr_pending = false;
		if (!content(body, '\r'))
			return false;
	}
	if (body->line_has_content)
		return end_of_line(body);
	if (body->algorithm == DKIM_CANON_SIMPLE && !body->any_output)
		return emit(body, '\r') && emit(body, '\n'); /* §3.4.3: an empty body is one CRLF */
	return true;
}

bool dkim_canon_body_finish(struct dkim_canon_body *body, unsigned char *hash, unsigned *hash_length)
{
	bool ok = end_of_body(body) && flush(body) && EVP_DigestFinal_ex(body->digest, hash, hash_length) == 1;

	dkim_canon_body_free(body);
	return ok;
}

uint64_t dkim_canon_body_length(const struct dkim_canon_body *body) { return body->length; }

void dkim_canon_body_free(struct dkim_canon_body *body)
{
	if (body == NULL)
		return;
	EVP_MD_CTX_free(body->digest);
	body->digest = NULL;
}
