/* address_list: reads an address-list, RFC 5322 §3.4 (address, mailbox, name-addr, angle-addr,
 * group), §3.2.2 (FWS, nested comments, CFWS), §3.2.3 (atoms), §3.2.4 (quoted strings),
 * §3.2.5 (phrases), §3.4.1 (addr-spec, domain-literal), §4.4 (obsolete forms: empty elements,
 * routes, CFWS around dots), RFC 6532 §3.2 (UTF-8 in atoms and quoted strings).
 * Each addr-spec is rebuilt without its CFWS and checked by address_parse_mailbox (RFC 5321
 * §4.1.2), which is stricter than RFC 5322: a domain-literal must be an address literal, and a
 * local part of several quoted words is refused. obs-NO-WS-CTL controls are refused.
 * It does not decode display names (RFC 2047) and keeps nothing of them. */
#include "mailauth/address_list.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

enum token_kind { TOKEN_END, TOKEN_ATOM, TOKEN_QUOTED, TOKEN_LITERAL, TOKEN_SPECIAL };

struct token {
	enum token_kind kind;
	struct slice text; /* raw: quotes and brackets included; one byte for TOKEN_SPECIAL */
};

/* An addr-spec rebuilt from its tokens, CFWS left out. */
struct spec {
	char data[ADDRESS_PATH_MAX];
	size_t length;
	bool too_long;
};

/* A run of words and dots, which the token after it makes a display-name or a local part. */
struct words {
	size_t count;
	bool is_phrase;     /* phrase = 1*word / obs-phrase: starts with a word (§3.2.5, §4.1) */
	bool is_local_part; /* word *("." word), dot-atom or obs-local-part (§3.4.1, §4.4) */
};

struct parser {
	struct slice text;
	size_t position;    /* of the byte after the current token */
	struct token token; /* the current token */
	const char *unqualified_domain;
	struct address_list *list;
};

#define TRY(expression)                                                                                                \
	do {                                                                                                           \
		enum address_list_result try_result = (expression);                                                    \
		if (try_result != ADDRESS_LIST_OK)                                                                     \
			return try_result;                                                                             \
	} while (0)

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

/* atext (§3.2.3), with UTF8-non-ascii (RFC 6532 §3.2) */
static bool is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* §3.2.2: CR and LF only as a fold (CRLF WSP); no NUL nor any other control but HTAB. */
static bool bytes_are_clean(struct slice text)
{
	for (size_t i = 0; i < text.length; i++) {
		unsigned char c = (unsigned char)text.data[i];
		if (c == '\r') {
			if (i + 2 >= text.length || text.data[i + 1] != '\n' || !is_wsp(text.data[i + 2]))
				return false;
			i++;
		} else if ((c < 0x20 && c != '\t') || c == 0x7F) {
			return false;
		}
	}
	return true;
}

/* A quoted-pair (§3.2.1) at i: the backslash and one more byte, which is no part of a fold. */
static bool is_quoted_pair(struct slice text, size_t i)
{
	return i + 1 < text.length && text.data[i + 1] != '\r' && text.data[i + 1] != '\n';
}

/* comment = "(" *([FWS] ccontent) [FWS] ")", ccontent including nested comments (§3.2.2). */
static bool skip_comment(struct parser *p)
{
	size_t depth = 0;

	for (; p->position < p->text.length; p->position++) {
		char c = p->text.data[p->position];
		if (c == '\\') {
			if (!is_quoted_pair(p->text, p->position))
				return false;
			p->position++;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			p->position++;
			return true;
		}
	}
	return false;
}

static bool skip_cfws(struct parser *p)
{
	while (p->position < p->text.length) {
		char c = p->text.data[p->position];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			p->position++;
		else if (c != '(')
			return true;
		else if (!skip_comment(p))
			return false;
	}
	return true;
}

/* quoted-string (§3.2.4) or domain-literal (§3.4.1) from start; *end is past the closing byte. */
static bool scan_enclosed(struct slice text, size_t start, char close, size_t *end)
{
	for (size_t i = start + 1; i < text.length; i++) {
		char c = text.data[i];
		if (c == close) {
			*end = i + 1;
			return true;
		}
		if (close == ']' && (c == '[' || c == '\\'))
			return false; /* dtext excludes both; obs-dtext quoted-pairs are not taken */
		if (c == '\\') {
			if (!is_quoted_pair(text, i))
				return false;
			i++;
		}
	}
	return false;
}

/* Moves to the next token, past any CFWS. */
static enum address_list_result next_token(struct parser *p)
{
	size_t start, end;
	unsigned char c;

	if (!skip_cfws(p))
		return ADDRESS_LIST_SYNTAX;
	start = end = p->position;
	p->token.kind = TOKEN_END;
	if (start < p->text.length) {
		c = (unsigned char)p->text.data[start];
		if (is_atext(c)) {
			p->token.kind = TOKEN_ATOM;
			while (end < p->text.length && is_atext((unsigned char)p->text.data[end]))
				end++;
		} else if (c == '"' || c == '[') {
			p->token.kind = c == '"' ? TOKEN_QUOTED : TOKEN_LITERAL;
			if (!scan_enclosed(p->text, start, c == '"' ? '"' : ']', &end))
				return ADDRESS_LIST_SYNTAX;
		} else if (memchr("<>:;@,.", c, 7) != NULL) {
			p->token.kind = TOKEN_SPECIAL;
			end = start + 1;
		} else {
			return ADDRESS_LIST_SYNTAX; /* ")", "]" or "\" out of place */
		}
	}
	p->token.text = slice_sub(p->text, start, end - start);
	p->position = end;
	return ADDRESS_LIST_OK;
}

static bool is_special(const struct parser *p, char c)
{
	return p->token.kind == TOKEN_SPECIAL && p->token.text.data[0] == c;
}

/* Appends text to the addr-spec, unfolding (§3.2.2: a fold's CRLF is not part of the text). */
static void spec_append(struct spec *spec, struct slice text)
{
	for (size_t i = 0; i < text.length; i++) {
		if (text.data[i] == '\r' || text.data[i] == '\n')
			continue;
		if (spec->length == sizeof spec->data) {
			spec->too_long = true;
			return;
		}
		spec->data[spec->length++] = text.data[i];
	}
}

static enum address_list_result read_words(struct parser *p, struct spec *spec, struct words *words)
{
	bool expect_word = true;

	words->count = 0;
	words->is_phrase = true;
	words->is_local_part = true;
	for (;;) {
		bool dot = is_special(p, '.');
		if (p->token.kind != TOKEN_ATOM && p->token.kind != TOKEN_QUOTED && !dot)
			break;
		if (words->count == 0 && dot)
			words->is_phrase = false;
		if (dot == expect_word)
			words->is_local_part = false;
		expect_word = dot;
		spec_append(spec, p->token.text);
		words->count++;
		TRY(next_token(p));
	}
	if (expect_word)
		words->is_local_part = false; /* empty, or ends with a dot */
	return ADDRESS_LIST_OK;
}

/* domain = dot-atom / domain-literal (§3.4.1); obs-domain = atom *("." atom) (§4.4). */
static enum address_list_result read_domain(struct parser *p, struct spec *spec)
{
	if (p->token.kind == TOKEN_LITERAL) {
		spec_append(spec, p->token.text);
		return next_token(p);
	}
	for (;;) {
		if (p->token.kind != TOKEN_ATOM)
			return ADDRESS_LIST_SYNTAX;
		spec_append(spec, p->token.text);
		TRY(next_token(p));
		if (!is_special(p, '.'))
			return ADDRESS_LIST_OK;
		spec_append(spec, p->token.text);
		TRY(next_token(p));
	}
}

static enum address_list_result add_mailbox(struct parser *p, const struct spec *spec)
{
	struct address_list *list = p->list;
	struct address address;
	enum address_result result = ADDRESS_TOO_LONG;

	if (!spec->too_long)
		result = address_parse_mailbox(slice_make(spec->data, spec->length), ADDRESS_ALLOW_UTF8, &address);
	if (result != ADDRESS_OK) {
		list->address_result = result;
		return ADDRESS_LIST_BAD_ADDRESS;
	}
	if (list->count == list->maximum)
		return ADDRESS_LIST_TOO_MANY;
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 8;
		if (list->capacity > list->maximum)
			list->capacity = list->maximum;
		list->addresses = xrealloc(list->addresses, list->capacity * sizeof *list->addresses);
	}
	list->addresses[list->count++] = address;
	return ADDRESS_LIST_OK;
}

/* After the local part: "@" domain, or nothing when an unqualified name may be completed. */
static enum address_list_result finish_mailbox(struct parser *p, struct spec *spec, const struct words *words)
{
	if (!words->is_local_part)
		return ADDRESS_LIST_SYNTAX;
	if (is_special(p, '@')) {
		spec_append(spec, p->token.text);
		TRY(next_token(p));
		TRY(read_domain(p, spec));
	} else if (p->unqualified_domain != NULL) {
		spec_append(spec, slice_from_string("@"));
		spec_append(spec, slice_from_string(p->unqualified_domain));
	} else {
		return ADDRESS_LIST_SYNTAX;
	}
	return add_mailbox(p, spec);
}

/* obs-route = obs-domain-list ":" (§4.4), read and dropped as RFC 5321 §4.1.2 does. */
static enum address_list_result skip_route(struct parser *p)
{
	struct spec scratch;

	while (is_special(p, '@') || is_special(p, ',')) {
		bool at = is_special(p, '@');
		TRY(next_token(p));
		scratch.length = 0;
		if (at)
			TRY(read_domain(p, &scratch));
	}
	if (!is_special(p, ':'))
		return ADDRESS_LIST_SYNTAX;
	return next_token(p);
}

/* angle-addr = [CFWS] "<" addr-spec ">" [CFWS], or obs-angle-addr (§3.4, §4.4). */
static enum address_list_result read_angle_addr(struct parser *p)
{
	struct spec spec = {.length = 0, .too_long = false};
	struct words words;

	TRY(next_token(p));
	if (is_special(p, '@'))
		TRY(skip_route(p));
	TRY(read_words(p, &spec, &words));
	if (words.count == 0)
		return ADDRESS_LIST_SYNTAX; /* "<>" names nobody */
	TRY(finish_mailbox(p, &spec, &words));
	if (!is_special(p, '>'))
		return ADDRESS_LIST_SYNTAX;
	return next_token(p);
}

static enum address_list_result read_address(struct parser *p, bool allow_group);

/* group = display-name ":" [group-list] ";" [CFWS] (§3.4); obs-mbox-list empty elements. */
static enum address_list_result read_group(struct parser *p)
{
	TRY(next_token(p));
	for (;;) {
		while (is_special(p, ','))
			TRY(next_token(p));
		if (is_special(p, ';'))
			return next_token(p);
		TRY(read_address(p, false));
		if (!is_special(p, ',') && !is_special(p, ';'))
			return ADDRESS_LIST_SYNTAX;
	}
}

/* address = mailbox / group; mailbox = name-addr / addr-spec (§3.4). */
static enum address_list_result read_address(struct parser *p, bool allow_group)
{
	struct spec spec = {.length = 0, .too_long = false};
	struct words words;

	TRY(read_words(p, &spec, &words));
	if (is_special(p, '<')) {
		if (words.count > 0 && !words.is_phrase)
			return ADDRESS_LIST_SYNTAX;
		return read_angle_addr(p);
	}
	if (is_special(p, ':') && allow_group) {
		if (words.count == 0 || !words.is_phrase)
			return ADDRESS_LIST_SYNTAX;
		return read_group(p);
	}
	return finish_mailbox(p, &spec, &words);
}

/* address-list, with the empty elements of obs-addr-list (§4.4). */
static enum address_list_result read_list(struct parser *p)
{
	bool any = false;

	if (!bytes_are_clean(p->text))
		return ADDRESS_LIST_BAD_BYTES;
	TRY(next_token(p));
	for (;;) {
		while (is_special(p, ','))
			TRY(next_token(p));
		if (p->token.kind == TOKEN_END)
			return any ? ADDRESS_LIST_OK : ADDRESS_LIST_EMPTY;
		TRY(read_address(p, true));
		any = true;
		if (p->token.kind != TOKEN_END && !is_special(p, ','))
			return ADDRESS_LIST_SYNTAX;
	}
}

void address_list_init(struct address_list *list, size_t maximum)
{
	list->addresses = NULL;
	list->count = 0;
	list->capacity = 0;
	list->maximum = maximum;
	list->address_result = ADDRESS_OK;
}

void address_list_free(struct address_list *list)
{
	if (list == NULL)
		return;
	free(list->addresses);
	list->addresses = NULL;
	list->count = 0;
	list->capacity = 0;
}

enum address_list_result address_list_parse(struct slice text, const char *unqualified_domain,
                                            struct address_list *list)
{
	struct parser p = {.text = text, .unqualified_domain = unqualified_domain, .list = list};
	size_t before = list->count;
	enum address_list_result result = read_list(&p);

	if (result != ADDRESS_LIST_OK)
		list->count = before;
	return result;
}
