/* address: parses SMTP paths and bare mailboxes, and formats them back for the wire.
 * RFC 5321 §4.1.2 (Path, Mailbox, Local-part, Domain, address-literal), §4.1.3 (address
 * literals; IPv4 and IPv6 are checked with inet_pton), §4.5.3.1 (length limits), RFC 6531 §3.3
 * (UTF-8 in atoms, quoted strings and sub-domains), RFC 3629 §4 (well-formed UTF-8 only).
 * It does not do IDNA: a U-label is checked only for well-formed UTF-8 and LDH shape (libidn2
 * does the rest elsewhere). It lowercases nothing, and a source route is parsed, then dropped.
 * It rejects NUL, CR, LF, every C0/C1 control and DEL outside what the grammar allows. */
#include "smtp/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define LABEL_MAX      63 /* RFC 1035 §2.3.4: octets per label */
#define IP_LITERAL_MAX 45 /* INET6_ADDRSTRLEN - 1: the longest text inet_pton can accept */

/* Where the parser is in the text. */
struct parser {
	struct slice text;
	size_t position;
	bool saw_utf8;
};

/* Where a decoded local part goes: maximum bytes, plus a NUL that is always kept. */
struct sink {
	char *data;
	size_t length;
	size_t maximum;
};

/* Where address_format writes: snprintf-like, it counts what did not fit. */
struct writer {
	char *out;
	size_t size;
	size_t length;
};

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
/* Let-dig = ALPHA / DIGIT (RFC 5321 §4.1.2) */
static bool is_let_dig(int c) { return is_alpha(c) || is_digit(c); }

/* atext (RFC 5322 §3.2.3, used by RFC 5321 §4.1.2 Atom) */
static bool is_atext(int c) { return is_let_dig(c) || (c > 0 && c < 0x80 && strchr("!#$%&'*+-/=?^_`{|}~", c)); }

/* qtextSMTP = %d32-33 / %d35-91 / %d93-126 (RFC 5321 §4.1.2) */
static bool is_qtext(int c) { return c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126); }

/* dcontent = %d33-90 / %d94-126 (RFC 5321 §4.1.3) */
static bool is_dcontent(int c) { return (c >= 33 && c <= 90) || (c >= 94 && c <= 126); }

/* The byte offset bytes ahead, or -1 past the end. */
static int parser_peek_at(const struct parser *parser, size_t offset)
{
	if (offset >= parser->text.length - parser->position)
		return -1;
	return (unsigned char)parser->text.data[parser->position + offset];
}

static int parser_peek(const struct parser *parser) { return parser_peek_at(parser, 0); }

static bool parser_accept(struct parser *parser, int c)
{
	if (parser_peek(parser) != c)
		return false;
	parser->position++;
	return true;
}

/* The bytes from start up to the current position. */
static struct slice parser_span(const struct parser *parser, size_t start)
{
	return slice_sub(parser->text, start, parser->position - start);
}

static struct slice parser_rest(const struct parser *parser) { return slice_skip(parser->text, parser->position); }

/* Appends one byte; false when the sink is full. A NULL sink discards. */
static bool sink_put(struct sink *sink, int c)
{
	if (sink == NULL)
		return true;
	if (sink->length >= sink->maximum)
		return false;
	sink->data[sink->length++] = (char)c;
	sink->data[sink->length] = '\0';
	return true;
}

/* Moves one ASCII byte from the text to the sink. */
static enum address_result take_ascii(struct parser *parser, struct sink *sink)
{
	if (!sink_put(sink, parser_peek(parser)))
		return ADDRESS_TOO_LONG; /* RFC 5321 §4.5.3.1.1 */
	parser->position++;
	return ADDRESS_OK;
}

/* The length of the well-formed UTF-8 sequence at the position, 0 if it is not one.
 * RFC 3629 §4: shortest form only (no overlongs), no surrogates, nothing past U+10FFFF. */
static size_t utf8_sequence_length(const struct parser *parser)
{
	int first = parser_peek(parser), low = 0x80, high = 0xBF;
	size_t length;

	if (first >= 0xC2 && first <= 0xDF)
		length = 2; /* UTF8-2; 0xC0 and 0xC1 only start overlongs */
	else if (first >= 0xE0 && first <= 0xEF)
		length = 3; /* UTF8-3 */
	else if (first >= 0xF0 && first <= 0xF4)
		length = 4; /* UTF8-4; 0xF5 and up are past U+10FFFF */
	else
		return 0;
	if (first == 0xE0)
		low = 0xA0; /* %xE0 %xA0-BF: no overlong 3-byte forms */
	if (first == 0xED)
		high = 0x9F; /* %xED %x80-9F: no surrogates U+D800-DFFF */
	if (first == 0xF0)
		low = 0x90; /* %xF0 %x90-BF: no overlong 4-byte forms */
	if (first == 0xF4)
		high = 0x8F; /* %xF4 %x80-8F: nothing past U+10FFFF */
	for (size_t i = 1; i < length; i++) {
		int c = parser_peek_at(parser, i);
		if (c < (i == 1 ? low : 0x80) || c > (i == 1 ? high : 0xBF))
			return 0;
	}
	return length;
}

/* Moves one UTF8-non-ascii character (RFC 6531 §3.3) from the text to the sink. */
static enum address_result take_utf8(struct parser *parser, struct sink *sink)
{
	size_t length = utf8_sequence_length(parser);

	if (length == 0)
		return ADDRESS_BAD_UTF8;
	if (parser_peek(parser) == 0xC2 && parser_peek_at(parser, 1) < 0xA0)
		return ADDRESS_SYNTAX; /* U+0080-009F are C1 controls, rejected like C0 ones */
	for (size_t i = 0; i < length; i++)
		if (take_ascii(parser, sink) != ADDRESS_OK)
			return ADDRESS_TOO_LONG;
	parser->saw_utf8 = true;
	return ADDRESS_OK;
}

/* Atom = 1*atext (RFC 5321 §4.1.2), atext =/ UTF8-non-ascii (RFC 6531 §3.3) */
static enum address_result parse_atom(struct parser *parser, struct sink *sink)
{
	size_t start = parser->position;
	enum address_result result = ADDRESS_OK;
	int c;

	while (result == ADDRESS_OK && (c = parser_peek(parser)) >= 0 && (c >= 0x80 || is_atext(c)))
		result = c >= 0x80 ? take_utf8(parser, sink) : take_ascii(parser, sink);
	if (result == ADDRESS_OK && parser->position == start)
		return ADDRESS_SYNTAX;
	return result;
}

/* Dot-string = Atom *("." Atom) (RFC 5321 §4.1.2) */
static enum address_result parse_dot_string(struct parser *parser, struct sink *sink)
{
	enum address_result result;

	while ((result = parse_atom(parser, sink)) == ADDRESS_OK && parser_peek(parser) == '.')
		if ((result = take_ascii(parser, sink)) != ADDRESS_OK)
			break;
	return result;
}

/* quoted-pairSMTP = %d92 %d32-126 (RFC 5321 §4.1.2): the backslash is dropped. */
static enum address_result take_quoted_pair(struct parser *parser, struct sink *sink)
{
	int c;

	parser->position++;
	c = parser_peek(parser);
	if (c < 32 || c > 126)
		return ADDRESS_SYNTAX; /* RFC 5321 §4.1.2 quoted-pairSMTP */
	return take_ascii(parser, sink);
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE (RFC 5321 §4.1.2), qtextSMTP =/ UTF8-non-ascii
 * (RFC 6531 §3.3). The quotes are dropped. */
static enum address_result parse_quoted_string(struct parser *parser, struct sink *sink)
{
	enum address_result result = ADDRESS_OK;
	int c;

	parser->position++;
	while (result == ADDRESS_OK && (c = parser_peek(parser)) != '"') {
		if (c == '\\')
			result = take_quoted_pair(parser, sink);
		else if (c >= 0x80)
			result = take_utf8(parser, sink);
		else if (is_qtext(c))
			result = take_ascii(parser, sink);
		else
			result = ADDRESS_SYNTAX; /* controls, a bare backslash, or no closing DQUOTE */
	}
	if (result == ADDRESS_OK)
		parser->position++;
	return result;
}

/* Local-part = Dot-string / Quoted-string (RFC 5321 §4.1.2), decoded into address->local. */
static enum address_result parse_local_part(struct parser *parser, struct address *address)
{
	struct sink sink = {address->local, 0, ADDRESS_LOCAL_MAX};
	size_t start = parser->position;
	enum address_result result;

	address->local[0] = '\0';
	address->was_quoted = parser_peek(parser) == '"';
	result = address->was_quoted ? parse_quoted_string(parser, &sink) : parse_dot_string(parser, &sink);
	if (result == ADDRESS_OK && parser->position - start > ADDRESS_LOCAL_MAX)
		return ADDRESS_TOO_LONG; /* RFC 5321 §4.5.3.1.1: counted as written, quotes included */
	return result;
}

/* sub-domain = Let-dig [Ldh-str] (RFC 5321 §4.1.2), sub-domain =/ U-label (RFC 6531 §3.3) */
static enum address_result parse_sub_domain(struct parser *parser)
{
	size_t start = parser->position;
	enum address_result result = ADDRESS_OK;
	int c, last = -1;

	while (result == ADDRESS_OK && (c = parser_peek(parser)) >= 0 && (is_let_dig(c) || c == '-' || c >= 0x80)) {
		if (c == '-' && parser->position == start)
			return ADDRESS_SYNTAX; /* RFC 5321 §4.1.2: starts with Let-dig */
		result = c >= 0x80 ? take_utf8(parser, NULL) : take_ascii(parser, NULL);
		last = c;
	}
	if (result != ADDRESS_OK)
		return result;
	if (parser->position == start || last == '-')
		return ADDRESS_SYNTAX; /* RFC 5321 §4.1.2: Ldh-str ends with Let-dig; no empty label */
	if (parser->position - start > LABEL_MAX)
		return ADDRESS_TOO_LONG; /* RFC 1035 §2.3.4 */
	return ADDRESS_OK;
}

/* Domain = sub-domain *("." sub-domain) (RFC 5321 §4.1.2): no empty label, no trailing dot. */
static enum address_result parse_domain_name(struct parser *parser)
{
	enum address_result result;

	while ((result = parse_sub_domain(parser)) == ADDRESS_OK && parser_accept(parser, '.'))
		;
	return result;
}

/* Whether text is an address inet_pton(3) accepts for family. */
static bool is_ip_address(int family, struct slice text)
{
	char copy[IP_LITERAL_MAX + 1];
	unsigned char binary[sizeof(struct in6_addr)];

	if (text.length == 0 || text.length > IP_LITERAL_MAX)
		return false;
	memcpy(copy, text.data, text.length);
	copy[text.length] = '\0';
	return inet_pton(family, copy, binary) == 1;
}

/* Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig (RFC 5321 §4.1.2) */
static bool is_ldh_str(struct slice text)
{
	if (text.length == 0 || !is_let_dig((unsigned char)text.data[text.length - 1]))
		return false;
	for (size_t i = 0; i < text.length; i++)
		if (!is_let_dig((unsigned char)text.data[i]) && text.data[i] != '-')
			return false;
	return true;
}

/* The inside of "[...]": IPv4, "IPv6:" IPv6-addr, or Standardized-tag ":" 1*dcontent. */
static enum address_result classify_literal(struct slice content, enum address_domain_kind *kind)
{
	long colon = slice_find_byte(content, ':');
	struct slice tag, value;

	if (colon < 0) {
		*kind = ADDRESS_DOMAIN_IPV4; /* RFC 5321 §4.1.3 IPv4-address-literal */
		return is_ip_address(AF_INET, content) ? ADDRESS_OK : ADDRESS_SYNTAX;
	}
	tag = slice_sub(content, 0, (size_t)colon);
	value = slice_skip(content, (size_t)colon + 1);
	if (slice_equal_string_nocase(tag, "IPv6")) {
		*kind = ADDRESS_DOMAIN_IPV6; /* RFC 5321 §4.1.3 IPv6-address-literal */
		return is_ip_address(AF_INET6, value) ? ADDRESS_OK : ADDRESS_SYNTAX;
	}
	*kind = ADDRESS_DOMAIN_GENERAL; /* RFC 5321 §4.1.3 General-address-literal */
	return is_ldh_str(tag) && value.length > 0 ? ADDRESS_OK : ADDRESS_SYNTAX;
}

/* address-literal = "[" ( IPv4 / IPv6 / General-address-literal ) "]" (RFC 5321 §4.1.3) */
static enum address_result parse_address_literal(struct parser *parser, enum address_domain_kind *kind)
{
	size_t start;
	struct slice content;

	parser->position++;
	start = parser->position;
	while (is_dcontent(parser_peek(parser)))
		parser->position++;
	content = parser_span(parser, start);
	if (!parser_accept(parser, ']'))
		return ADDRESS_SYNTAX;
	return classify_literal(content, kind);
}

/* ( Domain / address-literal ) (RFC 5321 §4.1.2), copied as written into address->domain. */
static enum address_result parse_domain(struct parser *parser, struct address *address)
{
	size_t start = parser->position;
	enum address_result result;
	struct slice domain;

	if (parser_peek(parser) == '[') {
		result = parse_address_literal(parser, &address->domain_kind);
	} else {
		address->domain_kind = ADDRESS_DOMAIN_NAME;
		result = parse_domain_name(parser);
	}
	if (result != ADDRESS_OK)
		return result;
	domain = parser_span(parser, start);
	if (domain.length > ADDRESS_DOMAIN_MAX)
		return ADDRESS_TOO_LONG; /* RFC 5321 §4.5.3.1.2 */
	memcpy(address->domain, domain.data, domain.length);
	address->domain[domain.length] = '\0';
	return ADDRESS_OK;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ) (RFC 5321 §4.1.2) */
static enum address_result parse_mailbox(struct parser *parser, struct address *address)
{
	enum address_result result = parse_local_part(parser, address);

	if (result != ADDRESS_OK)
		return result;
	if (!parser_accept(parser, '@'))
		return ADDRESS_SYNTAX;
	return parse_domain(parser, address);
}

/* A-d-l = At-domain *( "," At-domain ) ":" with At-domain = "@" Domain (RFC 5321 §4.1.2):
 * checked, then ignored as Appendix C says a receiver should. */
static enum address_result parse_source_route(struct parser *parser)
{
	enum address_result result;

	do {
		if (!parser_accept(parser, '@'))
			return ADDRESS_SYNTAX;
		if ((result = parse_domain_name(parser)) != ADDRESS_OK)
			return result;
	} while (parser_accept(parser, ','));
	return parser_accept(parser, ':') ? ADDRESS_OK : ADDRESS_SYNTAX;
}

static enum address_result set_null(struct address *address)
{
	address->is_null = true;
	return ADDRESS_OK;
}

/* The local part is stored in its canonical spelling, as address_format writes it. */
static enum address_result set_postmaster(struct address *address)
{
	address->is_postmaster = true;
	memcpy(address->local, "postmaster", sizeof "postmaster");
	return ADDRESS_OK;
}

/* Path = "<" [ A-d-l ":" ] Mailbox ">", Reverse-path =/ "<>" (RFC 5321 §4.1.2). */
static enum address_result parse_path(struct parser *parser, unsigned flags, struct address *address)
{
	enum address_result result;

	if (!parser_accept(parser, '<'))
		return ADDRESS_SYNTAX;
	if (parser_accept(parser, '>'))
		return (flags & ADDRESS_ALLOW_NULL) ? set_null(address) : ADDRESS_SYNTAX; /* §4.1.1.2 "<>" */
	if ((flags & ADDRESS_ALLOW_POSTMASTER) && slice_has_prefix_nocase(parser_rest(parser), "postmaster>")) {
		parser->position += strlen("postmaster>"); /* §4.1.1.3 "<Postmaster>", case-insensitive */
		return set_postmaster(address);
	}
	if (parser_peek(parser) == '@' && (result = parse_source_route(parser)) != ADDRESS_OK)
		return result;
	if ((result = parse_mailbox(parser, address)) != ADDRESS_OK)
		return result;
	return parser_accept(parser, '>') ? ADDRESS_OK : ADDRESS_SYNTAX;
}

static bool has_8bit(const char *string)
{
	for (; *string != '\0'; string++)
		if ((unsigned char)*string >= 0x80)
			return true;
	return false;
}

/* The common end of both entry points: UTF-8 only where the caller allows it. */
static enum address_result finish(const struct parser *parser, unsigned flags, struct address *address)
{
	if (parser->saw_utf8 && !(flags & ADDRESS_ALLOW_UTF8))
		return ADDRESS_UTF8_NOT_ALLOWED; /* RFC 6531 §3.3 applies only with SMTPUTF8 */
	address->has_utf8 = has_8bit(address->local) || has_8bit(address->domain);
	return ADDRESS_OK;
}

enum address_result address_parse_path(struct slice text, unsigned flags, struct address *address, size_t *consumed)
{
	struct parser parser = {text, 0, false};
	enum address_result result;

	memset(address, 0, sizeof *address);
	result = parse_path(&parser, flags, address);
	if (result == ADDRESS_OK && parser.position > ADDRESS_PATH_MAX)
		result = ADDRESS_TOO_LONG; /* RFC 5321 §4.5.3.1.3 */
	if (result == ADDRESS_OK)
		result = finish(&parser, flags, address);
	if (result == ADDRESS_OK)
		*consumed = parser.position;
	return result;
}

enum address_result address_parse_mailbox(struct slice text, unsigned flags, struct address *address)
{
	struct parser parser = {text, 0, false};
	enum address_result result;

	memset(address, 0, sizeof *address);
	if (text.length == 0 && (flags & ADDRESS_ALLOW_NULL))
		return set_null(address); /* what address_format writes for "<>" */
	if ((flags & ADDRESS_ALLOW_POSTMASTER) && slice_equal_string_nocase(text, "postmaster"))
		return set_postmaster(address);
	result = parse_mailbox(&parser, address);
	if (result == ADDRESS_OK && parser.position != text.length)
		result = ADDRESS_SYNTAX;
	if (result == ADDRESS_OK && text.length > ADDRESS_PATH_MAX - 2)
		result = ADDRESS_TOO_LONG; /* RFC 5321 §4.5.3.1.3: it must fit in a path */
	if (result == ADDRESS_OK)
		result = finish(&parser, flags, address);
	return result;
}

/* Whether local can go out as a Dot-string (RFC 5321 §4.1.2, atext per RFC 6531 §3.3). */
static bool is_dot_string(const char *local)
{
	bool in_atom = false;

	for (; *local != '\0'; local++) {
		int c = (unsigned char)*local;
		if (c == '.' && !in_atom)
			return false;
		if (c != '.' && !is_atext(c) && c < 0x80)
			return false;
		in_atom = c != '.';
	}
	return in_atom;
}

static void writer_put(struct writer *writer, char c)
{
	if (writer->length + 1 < writer->size)
		writer->out[writer->length] = c;
	writer->length++;
}

static void writer_put_string(struct writer *writer, const char *string)
{
	for (; *string != '\0'; string++)
		writer_put(writer, *string);
}

/* A Quoted-string with quoted-pairSMTP only where qtextSMTP cannot say it (RFC 5321 §4.1.2). */
static void writer_put_quoted(struct writer *writer, const char *local)
{
	writer_put(writer, '"');
	for (; *local != '\0'; local++) {
		if (*local == '"' || *local == '\\')
			writer_put(writer, '\\');
		writer_put(writer, *local);
	}
	writer_put(writer, '"');
}

size_t address_format(const struct address *address, char *out, size_t size)
{
	struct writer writer = {out, size, 0};

	if (address->is_postmaster) {
		writer_put_string(&writer, "postmaster");
	} else if (!address->is_null) {
		if (is_dot_string(address->local))
			writer_put_string(&writer, address->local);
		else
			writer_put_quoted(&writer, address->local);
		writer_put(&writer, '@');
		writer_put_string(&writer, address->domain);
	}
	if (size > 0)
		out[writer.length < size ? writer.length : size - 1] = '\0';
	return writer.length;
}

bool address_domain_is_valid(struct slice domain, bool allow_utf8)
{
	struct parser parser = {domain, 0, false};

	if (domain.length > ADDRESS_DOMAIN_MAX)
		return false; /* RFC 5321 §4.5.3.1.2 */
	return parse_domain_name(&parser) == ADDRESS_OK && parser.position == domain.length &&
	       (allow_utf8 || !parser.saw_utf8);
}
