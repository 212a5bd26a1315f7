/* dkim_signature: the DKIM-Signature tag-list, RFC 6376 §3.2 (the grammar walked by
 * dkim_tag_list; unknown tags ignored here) and §3.5 (each tag's grammar, required tags,
 * i= within d=, q=dns/txt, x= after t=), algorithms per RFC 8301 §3.1 and RFC 8463 §3. Strict:
 * the first fault is returned, nothing is repaired. Formatting writes tags in a fixed order and
 * folds at FWS (§3.5 allows FWS inside h=, b= and bh=) to RFC 5322 §2.1.1's 78 characters.
 * Not here: z= (ignored as unknown), the i= quoted-printable decoding, UTF-8 (RFC 8616). */
#include "mailauth/dkim_signature.h"

#include <stdio.h>
#include <string.h>

#include "mailauth/dkim_tag_list.h"
#include "mailauth/header_fold.h"
#include "util/base64.h"


enum known_tag { TAG_V, TAG_A, TAG_B, TAG_BH, TAG_C, TAG_D, TAG_H, TAG_I, TAG_L, TAG_Q, TAG_S, TAG_T, TAG_X, TAG_COUNT };

static const char *const tag_names[TAG_COUNT] = {"v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t", "x"};

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool has_fws(struct slice s)
{
	for (size_t i = 0; i < s.length; i++)
		if (dkim_tag_list_is_fws(s.data[i]))
			return true;
	return false;
}

static bool slice_is(struct slice s, const char *text) { return slice_equal(s, slice_from_string(text)); }

/* RFC 6376 §3.5 / RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str], at most 63 octets. */
static bool label_is_valid(struct slice label)
{
	if (label.length == 0 || label.length > DKIM_SIGNATURE_LABEL_MAX)
		return false;
	for (size_t i = 0; i < label.length; i++) {
		char c = label.data[i];
		if (!is_alpha(c) && !is_digit(c) && !(c == '-' && i > 0 && i + 1 < label.length))
			return false;
	}
	return true;
}

/* Dot-separated labels, at least minimum_labels of them, at most 253 octets in all. */
static bool name_is_valid(struct slice name, size_t minimum_labels)
{
	size_t labels = 0;

	if (name.length > DKIM_SIGNATURE_DOMAIN_MAX)
		return false;
	for (;;) {
		long dot = slice_find_byte(name, '.');
		size_t length = dot < 0 ? name.length : (size_t)dot;
		if (!label_is_valid(slice_sub(name, 0, length)))
			return false;
		labels++;
		if (dot < 0)
			return labels >= minimum_labels;
		name = slice_skip(name, length + 1);
	}
}

static bool parse_number(struct slice value, size_t max_digits, uint64_t *number)
{
	if (value.length == 0 || value.length > max_digits)
		return false;
	*number = 0;
	for (size_t i = 0; i < value.length; i++) {
		if (!is_digit(value.data[i]))
			return false;
		*number = *number * 10 + (uint64_t)(value.data[i] - '0');
	}
	return true;
}

static bool parse_canon_word(struct slice word, enum dkim_canon_algorithm *algorithm)
{
	if (slice_is(word, "simple"))
		*algorithm = DKIM_CANON_SIMPLE;
	else if (slice_is(word, "relaxed"))
		*algorithm = DKIM_CANON_RELAXED;
	else
		return false;
	return true;
}

/* §3.5 sig-c-tag: header-canon ["/" body-canon]; the body defaults to simple. */
static bool parse_canon(struct slice value, struct dkim_signature *signature)
{
	long slash = slice_find_byte(value, '/');

	signature->body_canon = DKIM_CANON_SIMPLE;
	if (slash < 0)
		return parse_canon_word(value, &signature->header_canon);
	return parse_canon_word(slice_sub(value, 0, (size_t)slash), &signature->header_canon) &&
	       parse_canon_word(slice_skip(value, (size_t)slash + 1), &signature->body_canon);
}

/* §3.5 base64string: FWS may sit anywhere inside; the rest is strict base64 (RFC 4648 §4). */
static bool parse_base64(struct slice value, unsigned char *bytes, size_t maximum, size_t *length)
{
	char text[DKIM_SIGNATURE_VALUE_MAX];
	size_t text_length = 0;
	struct buffer decoded;
	bool ok;

	for (size_t i = 0; i < value.length; i++)
		if (!dkim_tag_list_is_fws(value.data[i]))
			text[text_length++] = value.data[i];
	buffer_init(&decoded, maximum);
	ok = text_length > 0 && base64_decode(slice_make(text, text_length), &decoded);
	if (ok) {
		memcpy(bytes, decoded.data, decoded.length);
		*length = decoded.length;
	}
	buffer_free(&decoded);
	return ok;
}

/* A colon-separated list with FWS around the colons (§3.5 sig-h-tag, sig-q-tag): calls
 * item for each element, trimmed; an empty element is an error. */
static bool split_colons(struct slice value, bool (*item)(struct slice, void *), void *context)
{
	for (;;) {
		long colon = slice_find_byte(value, ':');
		size_t length = colon < 0 ? value.length : (size_t)colon;
		struct slice element = dkim_tag_list_trim(slice_sub(value, 0, length));
		if (element.length == 0 || has_fws(element) || !item(element, context))
			return false;
		if (colon < 0)
			return true;
		value = slice_skip(value, length + 1);
	}
}

/* §3.5 sig-h-tag: hdr-name is a field-name, 1*ftext (RFC 5322 §3.6.8): no colon, no WSP. */
static bool add_header_name(struct slice name, void *context)
{
	struct dkim_signature *signature = context;

	if (signature->header_count == DKIM_SIGNATURE_HEADERS_MAX)
		return false;
	signature->headers[signature->header_count++] = name;
	return true;
}

static bool note_dns_txt(struct slice method, void *context)
{
	if (slice_is(method, "dns/txt")) /* §3.5: the one query method defined */
		*(bool *)context = true;
	return true;
}

/* §3.5 sig-i-tag: [Local-part] "@" domain-name, the domain d= or a subdomain of it. */
static enum dkim_signature_result check_identity(const struct dkim_signature *signature)
{
	struct slice identity = signature->identity, domain;
	long at = -1;

	for (size_t i = 0; i < identity.length; i++)
		if (identity.data[i] == '@')
			at = (long)i;
	if (at < 0 || has_fws(identity))
		return DKIM_SIGNATURE_BAD_VALUE;
	domain = slice_skip(identity, (size_t)at + 1);
	if (!name_is_valid(domain, 1))
		return DKIM_SIGNATURE_BAD_VALUE;
	if (slice_equal_nocase(domain, signature->domain))
		return DKIM_SIGNATURE_OK;
	if (domain.length > signature->domain.length &&
	    domain.data[domain.length - signature->domain.length - 1] == '.' &&
	    slice_equal_nocase(slice_skip(domain, domain.length - signature->domain.length), signature->domain))
		return DKIM_SIGNATURE_OK;
	return DKIM_SIGNATURE_BAD_IDENTITY; /* §6.1.1: i= outside d= */
}

static enum dkim_signature_result parse_algorithm(struct slice value, struct dkim_signature *signature)
{
	if (slice_is(value, "rsa-sha256"))
		signature->algorithm = DKIM_SIGNATURE_RSA_SHA256;
	else if (slice_is(value, "ed25519-sha256"))
		signature->algorithm = DKIM_SIGNATURE_ED25519_SHA256; /* RFC 8463 §3 */
	else
		return DKIM_SIGNATURE_BAD_ALGORITHM; /* RFC 8301 §3.1: rsa-sha1 included */
	return DKIM_SIGNATURE_OK;
}

static enum dkim_signature_result parse_value(enum known_tag tag, struct slice value,
                                              struct dkim_signature *signature)
{
	bool ok = false, dns_txt = false;

	switch (tag) {
	case TAG_V:
		return slice_is(value, "1") ? DKIM_SIGNATURE_OK : DKIM_SIGNATURE_BAD_VERSION; /* §3.5 */
	case TAG_A:
		return parse_algorithm(value, signature);
	case TAG_B:
		ok = parse_base64(value, signature->signature, DKIM_SIGNATURE_B_MAX, &signature->signature_length);
		break;
	case TAG_BH:
		ok = parse_base64(value, signature->body_hash, DKIM_SIGNATURE_BH_MAX, &signature->body_hash_length);
		break;
	case TAG_C:
		ok = parse_canon(value, signature);
		break;
	case TAG_D:
		ok = name_is_valid(value, 2); /* §3.5: domain-name = sub-domain 1*("." sub-domain) */
		signature->domain = value;
		break;
	case TAG_H:
		ok = split_colons(value, add_header_name, signature);
		break;
	case TAG_I:
		ok = value.length > 0;
		signature->has_identity = true;
		signature->identity = value;
		break;
	case TAG_L:
		ok = signature->has_length = parse_number(value, DKIM_SIGNATURE_LENGTH_DIGITS, &signature->length);
		break;
	case TAG_Q:
		if (!split_colons(value, note_dns_txt, &dns_txt))
			return DKIM_SIGNATURE_BAD_VALUE;
		signature->has_query = true;
		return dns_txt ? DKIM_SIGNATURE_OK : DKIM_SIGNATURE_BAD_QUERY; /* §6.1.1 */
	case TAG_S:
		ok = name_is_valid(value, 1); /* §3.5: selector = sub-domain *("." sub-domain) */
		signature->selector = value;
		break;
	case TAG_T:
		ok = signature->has_timestamp =
			parse_number(value, DKIM_SIGNATURE_TIME_DIGITS, &signature->timestamp);
		break;
	case TAG_X:
		ok = signature->has_expiration =
			parse_number(value, DKIM_SIGNATURE_TIME_DIGITS, &signature->expiration);
		break;
	case TAG_COUNT:
		break;
	}
	return ok ? DKIM_SIGNATURE_OK : DKIM_SIGNATURE_BAD_VALUE;
}

static int known_tag_index(struct slice name)
{
	for (int i = 0; i < TAG_COUNT; i++)
		if (slice_is(name, tag_names[i])) /* §3.2: tag names are case-sensitive */
			return i;
	return -1;
}

/* What the walk over the tag-list has found. */
struct tag_walk {
	struct dkim_signature *signature;
	unsigned seen; /* bit per known_tag */
	enum dkim_signature_result result;
};

static bool take_tag(struct slice name, struct slice value, void *context)
{
	struct tag_walk *walk = context;
	int known = known_tag_index(name);

	if (known < 0)
		return true; /* §3.2: unrecognized tags MUST be ignored */
	walk->seen |= 1u << known;
	walk->result = parse_value((enum known_tag)known, value, walk->signature);
	return walk->result == DKIM_SIGNATURE_OK;
}

static bool has_from(const struct dkim_signature *signature)
{
	for (size_t i = 0; i < signature->header_count; i++)
		if (slice_equal_string_nocase(signature->headers[i], "from"))
			return true;
	return false;
}

/* The checks across tags, once all are read (§3.5, §6.1.1). */
static enum dkim_signature_result check_whole(const struct tag_walk *walk, struct dkim_signature *signature)
{
	static const enum known_tag required[] = {TAG_V, TAG_A, TAG_B, TAG_BH, TAG_D, TAG_H, TAG_S};
	size_t expected_b = signature->algorithm == DKIM_SIGNATURE_ED25519_SHA256 ? 64 : 0;

	for (size_t i = 0; i < sizeof required / sizeof *required; i++)
		if (!(walk->seen & (1u << required[i]))) {
			signature->error_tag = slice_from_string(tag_names[required[i]]);
			return DKIM_SIGNATURE_MISSING_TAG; /* §3.5: REQUIRED */
		}
	signature->error_tag = slice_from_string("bh");
	if (signature->body_hash_length != 32) /* SHA-256 for both algorithms */
		return DKIM_SIGNATURE_BAD_VALUE;
	signature->error_tag = slice_from_string("b");
	if (expected_b && signature->signature_length != expected_b) /* RFC 8032 §5.1.6: 64 octets */
		return DKIM_SIGNATURE_BAD_VALUE;
	signature->error_tag = slice_from_string("h");
	if (!has_from(signature))
		return DKIM_SIGNATURE_FROM_NOT_SIGNED; /* §5.4, §6.1.1 */
	signature->error_tag = slice_from_string("x");
	if (signature->has_timestamp && signature->has_expiration && signature->expiration <= signature->timestamp)
		return DKIM_SIGNATURE_BAD_TIMES; /* §3.5 sig-x-tag */
	signature->error_tag = slice_from_string("i");
	if (signature->has_identity)
		return check_identity(signature);
	signature->error_tag = slice_make(NULL, 0);
	return DKIM_SIGNATURE_OK;
}

enum dkim_signature_result dkim_signature_parse(struct slice value, struct dkim_signature *signature)
{
	struct tag_walk walk = {.signature = signature, .seen = 0, .result = DKIM_SIGNATURE_OK};

	memset(signature, 0, sizeof *signature);
	signature->header_canon = signature->body_canon = DKIM_CANON_SIMPLE; /* §3.5 c= default */
	if (value.length > DKIM_SIGNATURE_VALUE_MAX)
		return DKIM_SIGNATURE_BAD_SYNTAX;
	switch (dkim_tag_list_parse(value, take_tag, &walk, &signature->error_tag)) {
	case DKIM_TAG_LIST_OK:
		break;
	case DKIM_TAG_LIST_BAD_SYNTAX:
		return DKIM_SIGNATURE_BAD_SYNTAX;
	case DKIM_TAG_LIST_DUPLICATE:
		return DKIM_SIGNATURE_DUPLICATE_TAG; /* §3.2 */
	case DKIM_TAG_LIST_REFUSED:
		return walk.result;
	}
	return check_whole(&walk, signature);
}

const char *dkim_signature_algorithm_name(enum dkim_signature_algorithm algorithm)
{
	return algorithm == DKIM_SIGNATURE_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

/* Puts text after a separator (" " or nothing), or on a new line if it would pass the limit. */
static void place(struct header_fold *fold, const char *text, size_t length, bool space)
{
	if (fold->column + (space ? 1 : 0) + length > DKIM_SIGNATURE_COLUMNS)
		header_fold_new_line(fold);
	else if (space)
		header_fold_put(fold, " ", 1);
	header_fold_put(fold, text, length);
}

static void place_tag(struct header_fold *fold, const char *tag, struct slice value)
{
	char text[DKIM_SIGNATURE_VALUE_MAX + 8];
	int length = snprintf(text, sizeof text, "%s=%.*s;", tag, (int)value.length, value.data);

	place(fold, text, (size_t)length < sizeof text ? (size_t)length : sizeof text - 1, true);
}

static void place_number(struct header_fold *fold, const char *tag, uint64_t number)
{
	char text[32];
	int length = snprintf(text, sizeof text, "%s=%llu;", tag, (unsigned long long)number);

	place(fold, text, (size_t)length, true);
}

/* h=Name:Name:...; folded after a colon when a name would pass the limit (§3.5: FWS is
 * allowed around the colons). */
static void place_headers(struct header_fold *fold, const struct dkim_signature *signature)
{
	char text[DKIM_SIGNATURE_VALUE_MAX];

	for (size_t i = 0; i < signature->header_count; i++) {
		struct slice name = signature->headers[i];
		bool last = i + 1 == signature->header_count;
		int length = snprintf(text, sizeof text, "%s%.*s%s", i == 0 ? "h=" : "", (int)name.length, name.data,
		                      last ? ";" : ":");
		place(fold, text, (size_t)length < sizeof text ? (size_t)length : sizeof text - 1, i == 0);
	}
}

/* tag=base64, split anywhere by FWS to fill lines (§3.5 base64string allows FWS inside). */
static void place_base64(struct header_fold *fold, const char *tag, const unsigned char *bytes, size_t length,
                         bool own_line, const char *end)
{
	struct buffer text;
	struct slice rest;

	buffer_init(&text, base64_encoded_length(length) + 1);
	base64_encode(slice_make((const char *)bytes, length), &text);
	if (own_line || fold->column + 1 + strlen(tag) + text.length + strlen(end) > DKIM_SIGNATURE_COLUMNS)
		header_fold_new_line(fold);
	else
		header_fold_put(fold, " ", 1);
	header_fold_put(fold, tag, strlen(tag));
	for (rest = buffer_slice(&text); rest.length > 0;) {
		size_t room = fold->column < DKIM_SIGNATURE_COLUMNS ? DKIM_SIGNATURE_COLUMNS - fold->column : 0;
		if (room == 0) {
			header_fold_new_line(fold);
			continue;
		}
		room = room < rest.length ? room : rest.length;
		header_fold_put(fold, rest.data, room);
		rest = slice_skip(rest, room);
	}
	header_fold_put(fold, end, strlen(end));
	buffer_free(&text);
}

static const char *canon_name(enum dkim_canon_algorithm algorithm)
{
	return algorithm == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

bool dkim_signature_format(const struct dkim_signature *signature, struct buffer *out)
{
	struct header_fold fold = header_fold_start(out);
	size_t start = out->length;
	char canon[32];

	header_fold_put(&fold, "DKIM-Signature: v=1;", 20);
	place_tag(&fold, "a", slice_from_string(dkim_signature_algorithm_name(signature->algorithm)));
	snprintf(canon, sizeof canon, "%s/%s", canon_name(signature->header_canon), canon_name(signature->body_canon));
	place_tag(&fold, "c", slice_from_string(canon));
	place_tag(&fold, "d", signature->domain);
	place_tag(&fold, "s", signature->selector);
	if (signature->has_identity)
		place_tag(&fold, "i", signature->identity);
	if (signature->has_query)
		place_tag(&fold, "q", slice_from_string("dns/txt"));
	if (signature->has_length)
		place_number(&fold, "l", signature->length);
	if (signature->has_timestamp)
		place_number(&fold, "t", signature->timestamp);
	if (signature->has_expiration)
		place_number(&fold, "x", signature->expiration);
	place_headers(&fold, signature);
	place_base64(&fold, "bh=", signature->body_hash, signature->body_hash_length, false, ";");
	place_base64(&fold, "b=", signature->signature, signature->signature_length, true, "\r\n");
	if (!fold.ok) {
		out->length = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return fold.ok;
}
