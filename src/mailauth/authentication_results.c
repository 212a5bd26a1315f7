/* authentication_results: RFC 8601 §2.2 (the field's grammar: authserv-id, resinfo, pvalue,
 * CFWS of RFC 5322 §3.2.2), §2.7 (method properties), §5 (removing fields that claim our
 * authserv-id), RFC 6008 §4 (header.b prefix), RFC 7489 §11.2 (dmarc, header.from). Values
 * are written as RFC 2045 §5.1 tokens when they can be, else quoted-strings; lines are folded
 * with CRLF TAB at spaces. Reading stops after the authserv-id and its version: that is all §5
 * needs. Not here: registering new methods, ARC. */
#include "mailauth/authentication_results.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailauth/header_fold.h"

#define HEADER_NAME "Authentication-Results:"

/* RFC 2045 §5.1 tspecials, which a token must not hold. */
static bool is_tspecial(char c) { return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL; }
static bool is_token_char(char c) { return c > 0x20 && c < 0x7f && !is_tspecial(c); }
static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

static bool is_token(const char *text, size_t length)
{
	if (length == 0)
		return false;
	for (size_t i = 0; i < length; i++)
		if (!is_token_char(text[i]))
			return false;
	return true;
}

/* RFC 5322 §3.2.3 atext. */
static bool is_atext(char c) { return (c > 0x20 && c < 0x7f && strchr("()<>[]:;@\\,.\"", c) == NULL); }

/* RFC 5322 §3.2.4 quoted-string without CFWS: DQUOTE *(qtext / quoted-pair) DQUOTE. */
static bool is_quoted_string(const char *text, size_t length)
{
	if (length < 2 || text[0] != '"' || text[length - 1] != '"')
		return false;
	for (size_t i = 1; i + 1 < length; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f || c == '"')
			return false;
		if (c == '\\' && ++i + 1 >= length)
			return false; /* the pair would swallow the closing quote */
	}
	return true;
}

/* RFC 5322 §3.2.3 dot-atom-text. */
static bool is_dot_atom(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (!is_atext(text[i]) && !(text[i] == '.' && i > 0 && i + 1 < length && text[i - 1] != '.'))
			return false;
	return true;
}

/* §2.2 pvalue: [ [ local-part ] "@" ] domain-name, the local part a dot-atom or a quoted-string
 * (RFC 5322 §3.4.1), as RFC 5321 writes a mailbox. */
static bool is_address(const char *value)
{
	const char *at = strrchr(value, '@');
	size_t local_length;

	if (at == NULL || !is_token(at + 1, strlen(at + 1)))
		return false;
	local_length = (size_t)(at - value);
	return is_dot_atom(value, local_length) || is_quoted_string(value, local_length);
}

void authentication_results_spf(struct authentication_results_method *method, const char *result, const char *mailfrom,
                                const char *helo, const char *reason)
{
	*method = (struct authentication_results_method){.method = "spf", .result = result, .reason = reason};
	method->properties[0] = (struct authentication_results_property){"smtp.mailfrom", mailfrom};
	method->properties[1] = (struct authentication_results_property){"smtp.helo", helo};
	method->property_count = 2;
}

void authentication_results_dkim(struct authentication_results_method *method, const char *result, const char *domain,
                                 const char *selector, const char *b, const char *algorithm, const char *reason,
                                 char prefix[AUTHENTICATION_RESULTS_B_PREFIX + 1])
{
	size_t length = 0;

	/* RFC 6008 §4: the first characters of b= with FWS taken out */
	for (size_t i = 0; b != NULL && b[i] != '\0' && length < AUTHENTICATION_RESULTS_B_PREFIX; i++)
		if (!is_wsp(b[i]) && b[i] != '\r' && b[i] != '\n')
			prefix[length++] = b[i];
	prefix[length] = '\0';
	*method = (struct authentication_results_method){.method = "dkim", .result = result, .reason = reason};
	method->properties[0] = (struct authentication_results_property){"header.d", domain};
	method->properties[1] = (struct authentication_results_property){"header.s", selector};
	method->properties[2] = (struct authentication_results_property){"header.a", algorithm};
	method->properties[3] = (struct authentication_results_property){"header.b", prefix};
	method->property_count = 4;
}

void authentication_results_dmarc(struct authentication_results_method *method, const char *result,
                                  const char *from_domain, const char *policy, const char *reason)
{
	*method = (struct authentication_results_method){.method = "dmarc", .result = result, .reason = reason};
	method->properties[0] = (struct authentication_results_property){"header.from", from_domain};
	method->properties[1] = (struct authentication_results_property){"policy.dmarc", policy};
	method->property_count = 2;
}

void authentication_results_iprev(struct authentication_results_method *method, const char *result, const char *address,
                                  const char *reason)
{
	*method = (struct authentication_results_method){.method = "iprev", .result = result, .reason = reason};
	method->properties[0] = (struct authentication_results_property){"policy.iprev", address};
	method->property_count = 1;
}

/* A value as a token, an address (only where §2.2 pvalue allows one: not the authserv-id nor
 * a result), or a quoted-string (RFC 5322 §3.2.4); controls dropped. */
static void format_value(const char *value, bool address_allowed, struct buffer *word)
{
	bool bare = is_token(value, strlen(value)) || (address_allowed && is_address(value));

	if (!bare)
		buffer_append(word, "\"", 1);
	for (size_t i = 0; value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		if (!bare && (c == '"' || c == '\\'))
			buffer_append(word, "\\", 1);
		buffer_append(word, value + i, 1);
	}
	if (!bare)
		buffer_append(word, "\"", 1);
}

/* Writes word from the current column, folding at its own spaces (those of a quoted-string,
 * RFC 5322 §3.2.4 qcontent with FWS) where a line would grow past the limit: the CRLF goes
 * before the space, so unfolding gives the value back as it was. */
static void put_folding(struct header_fold *fold, const char *word, size_t length)
{
	for (size_t start = 0; start < length;) {
		const char *space = memchr(word + start + 1, ' ', length - start - 1);
		size_t end = space ? (size_t)(space - word) : length;
		if (start > 0 && fold->column + (end - start) > AUTHENTICATION_RESULTS_COLUMNS) {
			header_fold_put(fold, "\r\n", 2);
			fold->column = 0;
		}
		header_fold_put(fold, word + start, end - start);
		start = end;
	}
}

/* One word, " name=value": on this line if it fits, else on the next. */
static void put_word(struct header_fold *fold, const char *name, const char *value)
{
	struct buffer word;

	buffer_init(&word, fold->out->maximum);
	buffer_printf(&word, "%s=", name);
	format_value(value, strcmp(name, "reason") != 0, &word);
	if (fold->column + 1 + word.length + 1 > AUTHENTICATION_RESULTS_COLUMNS) /* + the ";" after */
		header_fold_new_line(fold);
	else
		header_fold_put(fold, " ", 1);
	put_folding(fold, word.data, word.length);
	buffer_free(&word);
}

static void put_method(struct header_fold *fold, const struct authentication_results_method *method)
{
	struct buffer word;

	buffer_init(&word, fold->out->maximum);
	buffer_printf(&word, "%s=", method->method);
	format_value(method->result, false, &word);
	header_fold_put(fold, word.data, word.length);
	buffer_free(&word);
	if (method->reason != NULL && method->reason[0] != '\0')
		put_word(fold, "reason", method->reason); /* §2.2: reasonspec before the propspecs */
	for (size_t i = 0; i < method->property_count; i++)
		if (method->properties[i].value != NULL && method->properties[i].value[0] != '\0')
			put_word(fold, method->properties[i].name, method->properties[i].value);
}

bool authentication_results_format(const char *authserv_id, const struct authentication_results_method *methods,
                                   size_t count, struct buffer *out)
{
	size_t start = out->length;
	struct header_fold fold = header_fold_start(out);
	struct buffer id;

	buffer_init(&id, AUTHENTICATION_RESULTS_ID_MAX * 2 + 3);
	format_value(authserv_id, false, &id);
	header_fold_put(&fold, HEADER_NAME " ", strlen(HEADER_NAME) + 1);
	header_fold_put(&fold, id.data, id.length);
	buffer_free(&id);
	if (count == 0)
		header_fold_put(&fold, "; none", 6); /* §2.2 no-result */
	for (size_t i = 0; i < count; i++) {
		header_fold_put(&fold, ";", 1);
		header_fold_new_line(&fold);
		put_method(&fold, &methods[i]);
	}
	header_fold_put(&fold, "\r\n", 2);
	if (!fold.ok)
		out->length = start, out->data[start] = '\0';
	return fold.ok;
}

/* Reading. A cursor over the field body. */
struct reader {
	struct slice text;
	size_t at;
};

static char peek(const struct reader *r) { return r->at < r->text.length ? r->text.data[r->at] : '\0'; }

/* FWS (RFC 5322 §3.2.2): WSP, and CRLF only when WSP follows. */
static bool skip_fws(struct reader *r)
{
	for (;;) {
		if (is_wsp(peek(r))) {
			r->at++;
		} else if (peek(r) == '\r' && r->at + 2 < r->text.length && r->text.data[r->at + 1] == '\n' &&
		           is_wsp(r->text.data[r->at + 2])) {
			r->at += 3;
		} else {
			return true;
		}
	}
}

/* CFWS: FWS and comments, nested up to AUTHENTICATION_RESULTS_COMMENT_DEPTH (§3.2.2). */
static enum authentication_results_result skip_cfws(struct reader *r)
{
	size_t depth = 0;

	for (;;) {
		skip_fws(r);
		if (peek(r) == '(') {
			if (++depth > AUTHENTICATION_RESULTS_COMMENT_DEPTH)
				return AUTHENTICATION_RESULTS_TOO_LONG;
			r->at++;
		} else if (depth > 0 && peek(r) == ')') {
			depth--;
			r->at++;
		} else if (depth > 0 && peek(r) == '\\' && r->at + 1 < r->text.length) {
			r->at += 2; /* quoted-pair */
		} else if (depth > 0 && r->at < r->text.length) {
			r->at++; /* ctext; the bytes were checked before */
		} else {
			return depth > 0 ? AUTHENTICATION_RESULTS_SYNTAX : AUTHENTICATION_RESULTS_OK;
		}
	}
}

/* NUL, controls other than HTAB, and a CR or LF outside CRLF WSP are refused. */
static bool bytes_are_valid(struct slice value)
{
	for (size_t i = 0; i < value.length; i++) {
		unsigned char c = (unsigned char)value.data[i];
		if (c == '\r') {
			if (i + 2 >= value.length || value.data[i + 1] != '\n' || !is_wsp(value.data[i + 2]))
				return false;
			i++;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return false;
		}
	}
	return true;
}

static enum authentication_results_result read_quoted(struct reader *r, char *id, size_t *length)
{
	r->at++;
	for (;;) {
		char c = peek(r);
		if (r->at >= r->text.length)
			return AUTHENTICATION_RESULTS_SYNTAX;
		if (c == '"') {
			r->at++;
			return *length > 0 ? AUTHENTICATION_RESULTS_OK : AUTHENTICATION_RESULTS_SYNTAX;
		}
		if (c == '\r') { /* FWS inside a quoted-string: the CRLF is not part of it */
			r->at += 2;
			continue;
		}
		if (c == '\\' && r->at + 1 < r->text.length)
			c = r->text.data[++r->at];
		if (c == '\r' || c == '\n')
			return AUTHENTICATION_RESULTS_SYNTAX; /* a quoted-pair of CR or LF is no character */
		if (*length == AUTHENTICATION_RESULTS_ID_MAX)
			return AUTHENTICATION_RESULTS_TOO_LONG;
		id[(*length)++] = c;
		r->at++;
	}
}

enum authentication_results_result authentication_results_parse_id(struct slice value,
                                                                   char id[AUTHENTICATION_RESULTS_ID_MAX + 1])
{
	struct reader r = {value, 0};
	enum authentication_results_result result;
	size_t length = 0;

	id[0] = '\0';
	if (!bytes_are_valid(value))
		return AUTHENTICATION_RESULTS_BAD_BYTES;
	if ((result = skip_cfws(&r)) != AUTHENTICATION_RESULTS_OK)
		return result;
	if (peek(&r) == '"') {
		if ((result = read_quoted(&r, id, &length)) != AUTHENTICATION_RESULTS_OK) {
			id[0] = '\0';
			return result;
		}
	} else {
		while (r.at < value.length && is_token_char(peek(&r))) {
			if (length == AUTHENTICATION_RESULTS_ID_MAX) {
				id[0] = '\0';
				return AUTHENTICATION_RESULTS_TOO_LONG;
			}
			id[length++] = value.data[r.at++];
		}
		if (length == 0)
			return AUTHENTICATION_RESULTS_SYNTAX;
	}
	id[length] = '\0';
	if ((result = skip_cfws(&r)) != AUTHENTICATION_RESULTS_OK)
		return result;
	if (peek(&r) >= '0' && peek(&r) <= '9') { /* §2.2 authres-version = 1*DIGIT [CFWS] */
		while (peek(&r) >= '0' && peek(&r) <= '9')
			r.at++;
		if ((result = skip_cfws(&r)) != AUTHENTICATION_RESULTS_OK)
			return result;
	}
	if (r.at < value.length && peek(&r) != ';')
		return AUTHENTICATION_RESULTS_SYNTAX;
	return AUTHENTICATION_RESULTS_OK;
}

size_t authentication_results_to_remove(const struct header_fields *fields, const char *authserv_id, size_t *drop)
{
	size_t count = 0;
	char id[AUTHENTICATION_RESULTS_ID_MAX + 1];

	for (long i = header_fields_find(fields, "Authentication-Results", 0); i >= 0;
	     i = header_fields_find(fields, "Authentication-Results", (size_t)i + 1)) {
		enum authentication_results_result result =
		    authentication_results_parse_id(fields->fields[i].value, id);
		if (result != AUTHENTICATION_RESULTS_OK || strcasecmp(id, authserv_id) == 0) /* §5 */
			drop[count++] = (size_t)i;
	}
	return count;
}
