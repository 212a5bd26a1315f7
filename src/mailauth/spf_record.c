/* spf_record: the SPF record grammar of RFC 7208 §12 (record, terms, directive, qualifier,
 * the eight mechanisms, modifiers, dual-cidr-length, ip4-network with qnum) with §4.5 (version
 * "v=spf1", case-insensitive), §4.6.1 (terms separated by SP only), §5.6 (cidr ranges, no
 * leading zeros), §6 (redirect and exp at most once; unknown modifiers name "=" macro-string,
 * and never a known name with a bad value), §3.1 (7-bit ASCII). Strict: the first fault is
 * returned. Not here: selecting among several records (§4.5), evaluation, macro expansion. */
#include "mailauth/spf_record.h"

#include <arpa/inet.h>
#include <string.h>

#include "mailauth/spf_macro.h"

#define VERSION       "v=spf1" /* §4.5 */
#define IP6_TEXT_MAX  45       /* the longest IPv6 text: 8 groups with an IPv4 tail */

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool spf_record_is_spf(struct slice text)
{
	size_t length = strlen(VERSION);

	return slice_has_prefix_nocase(text, VERSION) && (text.length == length || text.data[length] == ' ');
}

const char *spf_record_qualifier_text(enum spf_qualifier qualifier)
{
	static const char *const texts[] = {"+", "-", "~", "?"};

	return texts[qualifier];
}

/* §12 ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), ip6-cidr-length = "/" ("0" / %x31-39
 * 0*2DIGIT): digits without a leading zero, at most maximum. */
static bool parse_cidr(struct slice digits, unsigned maximum, unsigned *value)
{
	if (digits.length == 0 || digits.length > 3 || (digits.data[0] == '0' && digits.length > 1))
		return false;
	*value = 0;
	for (size_t i = 0; i < digits.length; i++) {
		if (!is_digit(digits.data[i]))
			return false;
		*value = *value * 10 + (unsigned)(digits.data[i] - '0');
	}
	return *value <= maximum;
}

/* §12 ip4-network = qnum "." qnum "." qnum "." qnum; qnum is 0-255 without leading zeros. */
static bool parse_ip4(struct slice text, unsigned char address[4])
{
	size_t part = 0, i = 0;

	while (part < 4) {
		size_t start = i;
		unsigned value = 0;
		while (i < text.length && is_digit(text.data[i]) && i - start < 3)
			value = value * 10 + (unsigned)(text.data[i++] - '0');
		if (i == start || value > 255 || (text.data[start] == '0' && i - start > 1))
			return false;
		address[part++] = (unsigned char)value;
		if (part < 4) {
			if (i >= text.length || text.data[i] != '.')
				return false;
			i++;
		}
	}
	return i == text.length;
}

/* §12 ip6-network, the RFC 4291 §2.2 text forms. */
static bool parse_ip6(struct slice text, unsigned char address[16])
{
	char copy[IP6_TEXT_MAX + 1];

	if (text.length == 0 || text.length > IP6_TEXT_MAX)
		return false;
	for (size_t i = 0; i < text.length; i++)
		if (!is_digit(text.data[i]) && !strchr("abcdefABCDEF:.", text.data[i]))
			return false;
	memcpy(copy, text.data, text.length);
	copy[text.length] = '\0';
	return inet_pton(AF_INET6, copy, address) == 1;
}

/* ip4:/ip6: ip-network [ "/" cidr ] */
static bool parse_ip(struct slice rest, struct spf_mechanism *mechanism)
{
	bool six = mechanism->kind == SPF_MECHANISM_IP6;
	long slash;
	struct slice network;

	if (rest.length == 0 || rest.data[0] != ':')
		return false;
	rest = slice_skip(rest, 1);
	slash = slice_find_byte(rest, '/');
	network = slash < 0 ? rest : slice_sub(rest, 0, (size_t)slash);
	if (slash >= 0 && !parse_cidr(slice_skip(rest, (size_t)slash + 1), six ? SPF_RECORD_CIDR6_MAX : SPF_RECORD_CIDR4_MAX,
	                              six ? &mechanism->cidr6 : &mechanism->cidr4))
		return false;
	return six ? parse_ip6(network, mechanism->address) : parse_ip4(network, mechanism->address);
}

/* The length of text without a trailing dual-cidr-length ([ "/" digits ] [ "//" digits ]).
 * A domain-spec never ends in "/" and digits (its domain-end is a toplabel or a macro), so
 * such a tail is always the cidr. */
static size_t without_cidr(struct slice text, struct slice *cidr4, struct slice *cidr6)
{
	size_t end = text.length, i = end;

	*cidr4 = *cidr6 = slice_make(NULL, 0);
	while (i > 0 && is_digit(text.data[i - 1]))
		i--;
	if (i < end && i >= 2 && text.data[i - 1] == '/' && text.data[i - 2] == '/') {
		*cidr6 = slice_sub(text, i, end - i);
		end = i - 2;
	}
	i = end;
	while (i > 0 && is_digit(text.data[i - 1]))
		i--;
	if (i < end && i >= 1 && text.data[i - 1] == '/' && !(i >= 2 && text.data[i - 2] == '/')) {
		*cidr4 = slice_sub(text, i, end - i);
		end = i - 1;
	}
	return end;
}

/* a and mx: [ ":" domain-spec ] [ dual-cidr-length ] (§5.3, §5.4) */
static bool parse_host_mechanism(struct slice rest, struct spf_mechanism *mechanism)
{
	struct slice cidr4, cidr6;
	size_t end = without_cidr(rest, &cidr4, &cidr6);

	if (cidr4.data && !parse_cidr(cidr4, SPF_RECORD_CIDR4_MAX, &mechanism->cidr4))
		return false;
	if (cidr6.data && !parse_cidr(cidr6, SPF_RECORD_CIDR6_MAX, &mechanism->cidr6))
		return false;
	rest = slice_sub(rest, 0, end);
	if (rest.length == 0)
		return true;
	if (rest.data[0] != ':')
		return false;
	mechanism->domain_spec = slice_skip(rest, 1);
	return spf_macro_is_domain_spec(mechanism->domain_spec);
}

/* include, exists (required) and ptr (optional): ":" domain-spec */
static bool parse_domain_argument(struct slice rest, bool required, struct spf_mechanism *mechanism)
{
	if (rest.length == 0)
		return !required;
	if (rest.data[0] != ':')
		return false;
	mechanism->domain_spec = slice_skip(rest, 1);
	return spf_macro_is_domain_spec(mechanism->domain_spec);
}

static const struct {
	const char *name;
	enum spf_mechanism_kind kind;
} mechanism_names[] = {
	{"all", SPF_MECHANISM_ALL},   {"include", SPF_MECHANISM_INCLUDE}, {"a", SPF_MECHANISM_A},
	{"mx", SPF_MECHANISM_MX},     {"ptr", SPF_MECHANISM_PTR},         {"ip4", SPF_MECHANISM_IP4},
	{"ip6", SPF_MECHANISM_IP6},   {"exists", SPF_MECHANISM_EXISTS},
};

/* §12 directive = [ qualifier ] mechanism */
static bool parse_directive(struct slice term, struct spf_mechanism *mechanism)
{
	static const char qualifiers[] = "+-~?";
	const char *qualifier = term.length ? strchr(qualifiers, term.data[0]) : NULL;
	size_t name_length = 0;
	struct slice name, rest;

	memset(mechanism, 0, sizeof *mechanism);
	mechanism->term = term;
	mechanism->cidr4 = SPF_RECORD_CIDR4_MAX;
	mechanism->cidr6 = SPF_RECORD_CIDR6_MAX;
	if (qualifier && *qualifier) {
		mechanism->qualifier = (enum spf_qualifier)(qualifier - qualifiers);
		term = slice_skip(term, 1);
	}
	while (name_length < term.length && (is_alpha(term.data[name_length]) || is_digit(term.data[name_length])))
		name_length++;
	name = slice_sub(term, 0, name_length);
	rest = slice_skip(term, name_length);
	for (size_t i = 0; i < sizeof mechanism_names / sizeof *mechanism_names; i++) {
		if (!slice_equal_string_nocase(name, mechanism_names[i].name))
			continue;
		mechanism->kind = mechanism_names[i].kind;
		switch (mechanism->kind) {
		case SPF_MECHANISM_ALL: return rest.length == 0;
		case SPF_MECHANISM_INCLUDE:
		case SPF_MECHANISM_EXISTS: return parse_domain_argument(rest, true, mechanism);
		case SPF_MECHANISM_PTR: return parse_domain_argument(rest, false, mechanism);
		case SPF_MECHANISM_A:
		case SPF_MECHANISM_MX: return parse_host_mechanism(rest, mechanism);
		case SPF_MECHANISM_IP4:
		case SPF_MECHANISM_IP6: return parse_ip(rest, mechanism);
		}
	}
	return false;
}

/* §12 name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ): the length of a modifier's name
 * before its "=", or 0 when term is not a modifier. */
static size_t modifier_name_length(struct slice term)
{
	size_t i = 0;

	if (term.length == 0 || !is_alpha(term.data[0]))
		return 0;
	while (i < term.length && (is_alpha(term.data[i]) || is_digit(term.data[i]) || strchr("-_.", term.data[i])))
		i++;
	return i < term.length && term.data[i] == '=' ? i : 0;
}

static enum spf_record_result parse_modifier(struct slice term, size_t name_length, struct spf_record *record)
{
	struct slice name = slice_sub(term, 0, name_length), value = slice_skip(term, name_length + 1);
	bool redirect = slice_equal_string_nocase(name, "redirect"), exp = slice_equal_string_nocase(name, "exp");

	if (!redirect && !exp) /* §6: unknown-modifier = name "=" macro-string, then ignored */
		return spf_macro_is_valid(value, SPF_MACRO_MODIFIER) ? SPF_RECORD_OK : SPF_RECORD_BAD_TERM;
	if (redirect ? record->has_redirect : record->has_explanation)
		return SPF_RECORD_DUPLICATE; /* §6: at most once each */
	if (!spf_macro_is_domain_spec(value)) /* §6.1, §6.2: "=" domain-spec, never an unknown one */
		return SPF_RECORD_BAD_TERM;
	if (redirect) {
		record->has_redirect = true;
		record->redirect = value;
	} else {
		record->has_explanation = true;
		record->explanation = value;
	}
	return SPF_RECORD_OK;
}

static enum spf_record_result parse_term(struct slice term, struct spf_record *record)
{
	size_t name_length = modifier_name_length(term);

	if (name_length > 0)
		return parse_modifier(term, name_length, record);
	if (record->mechanism_count == SPF_RECORD_TERMS_MAX)
		return SPF_RECORD_TOO_MANY;
	if (!parse_directive(term, &record->mechanisms[record->mechanism_count]))
		return SPF_RECORD_BAD_TERM;
	record->mechanism_count++;
	return SPF_RECORD_OK;
}

enum spf_record_result spf_record_parse(struct slice text, struct spf_record *record)
{
	struct slice rest;
	enum spf_record_result result;

	memset(record, 0, sizeof *record);
	if (!spf_record_is_spf(text))
		return SPF_RECORD_NOT_SPF;
	rest = slice_skip(text, strlen(VERSION));
	for (;;) {
		struct slice term;
		size_t length = 0;
		while (rest.length > 0 && rest.data[0] == ' ') /* §4.6.1: 1*SP between terms */
			rest = slice_skip(rest, 1);
		if (rest.length == 0)
			return SPF_RECORD_OK;
		while (length < rest.length && rest.data[length] != ' ')
			length++;
		term = slice_sub(rest, 0, length);
		rest = slice_skip(rest, length);
		for (size_t i = 0; i < term.length; i++) {
			unsigned char byte = (unsigned char)term.data[i];
			if (byte < 0x21 || byte > 0x7e) { /* §3.1, §4.6.1: control and 8-bit bytes */
				record->error_term = term;
				return SPF_RECORD_BAD_TERM;
			}
		}
		result = parse_term(term, record);
		if (result != SPF_RECORD_OK) {
			record->error_term = term;
			return result;
		}
	}
}
