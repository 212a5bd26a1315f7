/* spf_macro: RFC 7208 §7. Syntax per §7.1 (macro-string, macro-expand, macro-literal,
 * transformers, delimiters, domain-end and toplabel); letters per §7.2 (c, r and t only in
 * explanation text); expansion per §7.3 (split on the delimiters, "r" reverses, the digit
 * keeps that many right-hand parts, rejoin with "."; an upper-case letter URL-escapes per
 * RFC 3986 §2.1) and §7.4 (i as dotted nibbles for IPv6; names cut to 253 characters from the
 * left). Not here: looking up p (the caller does), checking the expanded name's labels. */
#include "mailauth/spf_macro.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define DIGITS_MAX 3     /* a digit transformer above 999 keeps every part of any value that fits */
#define VALUE_MAX  1024  /* a letter's value: RFC 5321 §4.5.3.1.3 caps a path at 256 octets */
#define PARTS_MAX  (VALUE_MAX / 2 + 1)

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static char lower(char c) { return is_upper(c) ? (char)(c - 'A' + 'a') : c; }

/* §7.1 delimiter */
static bool is_delimiter(char c) { return c != '\0' && strchr(".-+,/_=", c) != NULL; }

/* §7.1 macro-literal (%x21-24 / %x26-7E), and SP in explain-string (§6.2). */
static bool is_literal(char c, enum spf_macro_kind kind)
{
	unsigned char byte = (unsigned char)c;

	if (byte == ' ')
		return kind == SPF_MACRO_EXPLANATION;
	return byte >= 0x21 && byte <= 0x7e && byte != '%';
}

/* §7.2: c, r and t appear only in exp text. */
static bool letter_is_allowed(char letter, enum spf_macro_kind kind)
{
	letter = lower(letter);
	if (letter == 'c' || letter == 'r' || letter == 't')
		return kind != SPF_MACRO_DOMAIN;
	return letter != '\0' && strchr("slodiphv", letter) != NULL;
}

/* One parsed "%{...}". */
struct expand {
	char letter;   /* as written: upper case means URL-escape */
	unsigned keep; /* right-hand parts to keep; 0: all */
	bool reverse;
	char delimiters[8];
};

/* Parses "%{" letter *DIGIT ["r"] *delimiter "}" at text[at] (which is "%{"); returns the
 * index after "}", or 0 on a syntax error. */
static size_t parse_expand(struct slice text, size_t at, enum spf_macro_kind kind, struct expand *expand)
{
	size_t i = at + 2, digits = 0, delimiters = 0;

	memset(expand, 0, sizeof *expand);
	if (i >= text.length || !letter_is_allowed(text.data[i], kind))
		return 0;
	expand->letter = text.data[i++];
	while (i < text.length && is_digit(text.data[i])) {
		if (digits++ < DIGITS_MAX)
			expand->keep = expand->keep * 10 + (unsigned)(text.data[i] - '0');
		i++;
	}
	if (digits > DIGITS_MAX)
		expand->keep = 0; /* more than any value has: all of them */
	else if (digits > 0 && expand->keep == 0)
		return 0; /* §7.3: a digit transformer of zero is not allowed */
	if (i < text.length && lower(text.data[i]) == 'r') {
		expand->reverse = true;
		i++;
	}
	while (i < text.length && is_delimiter(text.data[i])) {
		if (strchr(expand->delimiters, text.data[i]) == NULL && delimiters < sizeof expand->delimiters - 1)
			expand->delimiters[delimiters++] = text.data[i];
		i++;
	}
	if (i >= text.length || text.data[i] != '}')
		return 0;
	return i + 1;
}

/* Walks text; for each piece calls nothing, only checks. last_expand_end gets the index just
 * after the last macro-expand (0 when none). */
static bool scan(struct slice text, enum spf_macro_kind kind, size_t *last_expand_end)
{
	struct expand expand;

	*last_expand_end = 0;
	for (size_t i = 0; i < text.length;) {
		char c = text.data[i];
		if (c != '%') {
			if (!is_literal(c, kind))
				return false;
			i++;
			continue;
		}
		if (i + 1 >= text.length)
			return false; /* §7.1: a lone "%" at the end */
		if (text.data[i + 1] == '%' || text.data[i + 1] == '_' || text.data[i + 1] == '-') {
			i += 2;
		} else if (text.data[i + 1] == '{') {
			i = parse_expand(text, i, kind, &expand);
			if (i == 0)
				return false;
		} else {
			return false; /* §7.1: "%" followed by anything else */
		}
		*last_expand_end = i;
	}
	return true;
}

bool spf_macro_is_valid(struct slice text, enum spf_macro_kind kind)
{
	size_t last;

	return scan(text, kind, &last);
}

/* §7.1 toplabel: ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool is_toplabel(struct slice label)
{
	bool alpha = false, hyphen = false;

	if (label.length == 0 || label.data[0] == '-' || label.data[label.length - 1] == '-')
		return false;
	for (size_t i = 0; i < label.length; i++) {
		char c = label.data[i];
		if (c == '-')
			hyphen = true;
		else if (is_alpha(c))
			alpha = true;
		else if (!is_digit(c))
			return false;
	}
	return alpha || hyphen;
}

bool spf_macro_is_domain_spec(struct slice text)
{
	size_t last_expand_end, end = text.length;

	if (!scan(text, SPF_MACRO_DOMAIN, &last_expand_end) || text.length == 0)
		return false;
	if (last_expand_end == text.length)
		return true; /* domain-end = macro-expand */
	if (text.data[end - 1] == '.')
		end--; /* domain-end = "." toplabel [ "." ] */
	for (size_t dot = end; dot > last_expand_end; dot--) {
		if (text.data[dot - 1] == '.')
			return is_toplabel(slice_sub(text, dot, end - dot));
	}
	return false;
}

bool spf_macro_uses_validated(struct slice text)
{
	struct expand expand;

	for (size_t i = 0; i + 2 < text.length; i++) {
		if (text.data[i] != '%')
			continue;
		if (text.data[i + 1] == '{' && parse_expand(text, i, SPF_MACRO_EXPLANATION, &expand) &&
		    lower(expand.letter) == 'p')
			return true;
		i++; /* skip what follows the "%", so "%%{p}" is not taken for a macro */
	}
	return false;
}

/* §7.4: the "i" of an IPv6 address is its 32 nibbles, dot-separated. */
static void nibbles(const unsigned char address[16], char out[64])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < 16; i++) {
		out[i * 4] = hex[address[i] >> 4];
		out[i * 4 + 1] = '.';
		out[i * 4 + 2] = hex[address[i] & 15];
		out[i * 4 + 3] = i == 15 ? '\0' : '.';
	}
}

/* The value of a letter (§7.2) into scratch, or a borrowed string. */
static const char *letter_value(char letter, const struct spf_macro_values *values, char scratch[64])
{
	switch (lower(letter)) {
	case 's': return values->sender;
	case 'l': return values->local_part;
	case 'o': return values->sender_domain;
	case 'd': return values->domain;
	case 'h': return values->helo;
	case 'p': return values->validated ? values->validated : "unknown"; /* §7.3 */
	case 'r': return values->receiver ? values->receiver : "unknown";   /* §7.3 */
	case 'v': return values->ipv6 ? "ip6" : "in-addr";
	case 't': snprintf(scratch, 64, "%llu", values->now); return scratch;
	case 'c':
		return inet_ntop(values->ipv6 ? AF_INET6 : AF_INET, values->address, scratch, 64); /* RFC 5952 */
	default: /* 'i' */
		if (values->ipv6)
			nibbles(values->address, scratch);
		else
			inet_ntop(AF_INET, values->address, scratch, 64);
		return scratch;
	}
}

/* RFC 3986 §2.3 unreserved */
static bool is_unreserved(char c) { return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("-._~", c)); }

static bool append_escaped(struct buffer *out, const char *text, size_t length, bool escape)
{
	for (size_t i = 0; i < length; i++) {
		bool ok = escape && !is_unreserved(text[i]) ? buffer_printf(out, "%%%02X", (unsigned char)text[i])
		                                            : buffer_append(out, &text[i], 1);
		if (!ok)
			return false;
	}
	return true;
}

/* §7.3: split on the delimiters, reverse, keep the right-hand parts, rejoin with ".". */
static bool append_transformed(struct buffer *out, const char *value, const struct expand *expand)
{
	const char *delimiters = expand->delimiters[0] ? expand->delimiters : ".";
	size_t starts[PARTS_MAX + 1], lengths[PARTS_MAX], count = 0, first;
	size_t length = value ? strlen(value) : 0;
	bool escape = is_upper(expand->letter);

	if (length > VALUE_MAX)
		return false;
	starts[0] = 0;
	for (size_t i = 0; i <= length; i++) {
		if (i == length || strchr(delimiters, value[i])) {
			lengths[count] = i - starts[count];
			count++;
			starts[count] = i + 1;
		}
	}
	if (value == NULL)
		return true;
	first = expand->keep > 0 && expand->keep < count ? count - expand->keep : 0;
	for (size_t k = first; k < count; k++) {
		size_t part = expand->reverse ? count - 1 - k : k; /* reversed, then the right-hand ones */
		if (k > first && !buffer_append(out, ".", 1))
			return false;
		if (!append_escaped(out, value + starts[part], lengths[part], escape))
			return false;
	}
	return true;
}

enum spf_macro_result spf_macro_expand(struct slice text, enum spf_macro_kind kind,
                                       const struct spf_macro_values *values, struct buffer *out)
{
	struct expand expand;
	char scratch[64];
	bool ok = true;

	if (!spf_macro_is_valid(text, kind))
		return SPF_MACRO_SYNTAX;
	for (size_t i = 0; i < text.length && ok;) {
		if (text.data[i] != '%') {
			ok = buffer_append(out, &text.data[i++], 1);
			continue;
		}
		switch (text.data[i + 1]) {
		case '%': ok = buffer_append_string(out, "%"); i += 2; break;  /* §7.1 */
		case '_': ok = buffer_append_string(out, " "); i += 2; break;
		case '-': ok = buffer_append_string(out, "%20"); i += 2; break;
		default:
			i = parse_expand(text, i, kind, &expand);
			ok = append_transformed(out, letter_value(expand.letter, values, scratch), &expand);
		}
	}
	return ok ? SPF_MACRO_OK : SPF_MACRO_TOO_LONG;
}

enum spf_macro_result spf_macro_expand_domain(struct slice domain_spec, const struct spf_macro_values *values,
                                              char out[SPF_MACRO_DOMAIN_MAX + 1])
{
	struct buffer expanded;
	struct slice name;
	enum spf_macro_result result;

	out[0] = '\0';
	buffer_init(&expanded, SPF_MACRO_OUTPUT_MAX);
	result = spf_macro_expand(domain_spec, SPF_MACRO_DOMAIN, values, &expanded);
	if (result != SPF_MACRO_OK)
		goto done;
	name = buffer_slice(&expanded);
	if (name.length > 0 && name.data[name.length - 1] == '.')
		name.length--; /* a trailing dot names the same domain */
	while (name.length > SPF_MACRO_DOMAIN_MAX) { /* §7.3: drop labels from the left */
		long dot = slice_find_byte(name, '.');
		if (dot < 0) {
			result = SPF_MACRO_TOO_LONG;
			goto done;
		}
		name = slice_skip(name, (size_t)dot + 1);
	}
	if (name.length > 0)
		memcpy(out, name.data, name.length);
	out[name.length] = '\0';
done:
	buffer_free(&expanded);
	return result;
}
