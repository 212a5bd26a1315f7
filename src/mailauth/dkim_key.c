/* dkim_key: the key record of RFC 6376 §3.6.1 (tag-list of §3.2: tag=value; FWS around; names
 * case-sensitive, no duplicates, unknown tags ignored), with k=ed25519 of RFC 8463 §4. Values
 * are case-sensitive (§3.2). Lists (h=, s=, t=) keep what we know and ignore other well-formed
 * words (§3.6.1: unrecognized ones MUST be ignored). Strict: the first fault is returned.
 * Not here: n= decoding (notes for people), decoding the key material (dkim_check). */
#include "mailauth/dkim_key.h"

#include <string.h>

#include "util/base64.h"

#define KEY_TAGS_MAX 32 /* tag-specs per record: a sane cap (7 are defined) */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_number(char c) { return c >= '0' && c <= '9'; }

static bool same(struct slice s, const char *text) { return slice_equal(s, slice_from_string(text)); }

/* Printable ASCII, WSP, and CR only as the start of CRLF WSP (FWS, RFC 5322 §3.2.2). */
static bool record_bytes_are_valid(struct slice record)
{
	for (size_t i = 0; i < record.length; i++) {
		unsigned char c = (unsigned char)record.data[i];
		bool folded = c == '\r' && i + 2 < record.length && record.data[i + 1] == '\n' &&
		              (record.data[i + 2] == ' ' || record.data[i + 2] == '\t');
		if (folded)
			i++;
		else if (c != ' ' && c != '\t' && (c < 0x21 || c > 0x7E))
			return false;
	}
	return true;
}

static struct slice trimmed(struct slice s)
{
	size_t start = 0, end = s.length;

	while (start < end && is_space(s.data[start]))
		start++;
	while (end > start && is_space(s.data[end - 1]))
		end--;
	return slice_sub(s, start, end - start);
}

/* §3.6.1 hyphenated-word = ALPHA [ *(ALPHA / DIGIT / "-") (ALPHA / DIGIT) ] */
static bool is_hyphenated_word(struct slice word)
{
	if (word.length == 0 || !is_letter(word.data[0]) || word.data[word.length - 1] == '-')
		return false;
	for (size_t i = 1; i < word.length; i++)
		if (!is_letter(word.data[i]) && !is_number(word.data[i]) && word.data[i] != '-')
			return false;
	return true;
}

/* The words of a colon list (§3.6.1 h=, s=, t=: FWS around the colons). wanted[] names the
 * words to look for; found[i] says whether wanted[i] was listed. "*" is a word only when
 * wanted (s=). Returns false on an empty or malformed word. */
static bool scan_words(struct slice value, const char *const *wanted, bool *found, size_t count)
{
	struct slice rest = value;

	for (;;) {
		long colon = slice_find_byte(rest, ':');
		struct slice word = trimmed(slice_sub(rest, 0, colon < 0 ? rest.length : (size_t)colon));
		bool known = false;
		for (size_t i = 0; i < count; i++)
			if (same(word, wanted[i]))
				known = found[i] = true;
		if (!known && !is_hyphenated_word(word))
			return false;
		if (colon < 0)
			return true;
		rest = slice_skip(rest, (size_t)colon + 1);
	}
}

/* §3.6.1 key-p-tag = "p=" [base64string]: FWS may sit inside; empty means revoked. */
static bool parse_public_key(struct slice value, struct dkim_key *key)
{
	char text[DKIM_KEY_RECORD_MAX];
	size_t length = 0;
	struct buffer decoded;
	bool ok;

	for (size_t i = 0; i < value.length; i++)
		if (!is_space(value.data[i]))
			text[length++] = value.data[i];
	key->revoked = length == 0;
	if (key->revoked)
		return true;
	buffer_init(&decoded, DKIM_KEY_PUBLIC_MAX);
	ok = base64_decode(slice_make(text, length), &decoded) && decoded.length > 0;
	if (ok) {
		memcpy(key->public_key, decoded.data, decoded.length);
		key->public_key_length = decoded.length;
	}
	buffer_free(&decoded);
	return ok;
}

static bool parse_key_type(struct slice value, struct dkim_key *key)
{
	if (same(value, "rsa"))
		key->type = DKIM_KEY_RSA;
	else if (same(value, "ed25519"))
		key->type = DKIM_KEY_ED25519; /* RFC 8463 §4 */
	else if (is_hyphenated_word(value))
		key->type = DKIM_KEY_UNKNOWN; /* a type we cannot use; the record itself is fine */
	else
		return false;
	return true;
}

/* One known tag's value; the name is already checked. */
static enum dkim_key_result parse_tag(struct slice name, struct slice value, struct dkim_key *key)
{
	static const char *const hashes[] = {"sha256"};
	static const char *const services[] = {"email", "*"};
	static const char *const flags[] = {"y", "s"};
	bool found[2] = {false, false};
	bool ok = true;

	if (same(name, "h")) {
		ok = scan_words(value, hashes, found, 1);
		key->sha256_acceptable = found[0];
	} else if (same(name, "k")) {
		ok = parse_key_type(value, key);
	} else if (same(name, "p")) {
		ok = parse_public_key(value, key);
	} else if (same(name, "s")) {
		ok = scan_words(value, services, found, 2);
		key->email_service = found[0] || found[1];
	} else if (same(name, "t")) {
		ok = scan_words(value, flags, found, 2);
		key->testing = found[0];
		key->strict_identity = found[1];
	}
	/* n= is notes (qp-section) for people: any VALCHARs, ignored; so is every unknown tag */
	return ok ? DKIM_KEY_OK : DKIM_KEY_BAD_VALUE;
}

/* §3.2 tag-name = ALPHA *ALNUMPUNC */
static bool is_tag_name(struct slice name)
{
	if (name.length == 0 || !is_letter(name.data[0]))
		return false;
	for (size_t i = 1; i < name.length; i++)
		if (!is_letter(name.data[i]) && !is_number(name.data[i]) && name.data[i] != '_')
			return false;
	return true;
}

struct key_walk {
	struct slice names[KEY_TAGS_MAX];
	size_t count;
	bool has_key;
};

static enum dkim_key_result parse_spec(struct slice spec, struct key_walk *walk, struct dkim_key *key)
{
	long equals = slice_find_byte(spec, '=');
	struct slice name, value;

	if (equals < 0)
		return DKIM_KEY_BAD_SYNTAX;
	name = trimmed(slice_sub(spec, 0, (size_t)equals));
	value = trimmed(slice_skip(spec, (size_t)equals + 1));
	key->error_tag = name;
	if (!is_tag_name(name) || walk->count == KEY_TAGS_MAX)
		return DKIM_KEY_BAD_SYNTAX;
	for (size_t i = 0; i < walk->count; i++)
		if (slice_equal(walk->names[i], name))
			return DKIM_KEY_DUPLICATE_TAG; /* §3.2 */
	if (same(name, "v") && (walk->count > 0 || !same(value, "DKIM1")))
		return DKIM_KEY_BAD_VERSION; /* §3.6.1: "DKIM1", and the first tag */
	walk->names[walk->count++] = name;
	walk->has_key = walk->has_key || same(name, "p");
	return parse_tag(name, value, key);
}

enum dkim_key_result dkim_key_parse(struct slice record, struct dkim_key *key)
{
	struct key_walk walk = {.count = 0, .has_key = false};
	struct slice rest = record;
	enum dkim_key_result result;

	memset(key, 0, sizeof *key);
	key->type = DKIM_KEY_RSA;      /* §3.6.1 k= default */
	key->sha256_acceptable = true; /* §3.6.1 h= default: all algorithms */
	key->email_service = true;     /* §3.6.1 s= default: "*" */
	if (record.length > DKIM_KEY_RECORD_MAX || !record_bytes_are_valid(record))
		return DKIM_KEY_BAD_SYNTAX;
	for (;;) {
		long semicolon = slice_find_byte(rest, ';');
		struct slice spec = slice_sub(rest, 0, semicolon < 0 ? rest.length : (size_t)semicolon);
		/* §3.2 tag-list: tag-spec *(";" tag-spec) [";"]: only a last spec may be empty */
		bool last_and_empty = semicolon < 0 && trimmed(spec).length == 0;
		if (!last_and_empty && (result = parse_spec(spec, &walk, key)) != DKIM_KEY_OK)
			return result;
		if (semicolon < 0)
			break;
		rest = slice_skip(rest, (size_t)semicolon + 1);
	}
	key->error_tag = slice_make("p", 1);
	if (!walk.has_key)
		return DKIM_KEY_MISSING_KEY; /* §3.6.1: p= is REQUIRED */
	key->error_tag = slice_make(NULL, 0);
	return DKIM_KEY_OK;
}

const char *dkim_key_result_text(enum dkim_key_result result)
{
	switch (result) {
	case DKIM_KEY_OK:
		return "key record valid";
	case DKIM_KEY_BAD_SYNTAX:
		return "key record syntax error";
	case DKIM_KEY_DUPLICATE_TAG:
		return "key record has a duplicate tag";
	case DKIM_KEY_BAD_VERSION:
		return "key record version is not DKIM1 first";
	case DKIM_KEY_MISSING_KEY:
		return "key record has no p= tag";
	case DKIM_KEY_BAD_VALUE:
		break;
	}
	return "key record tag value invalid";
}
