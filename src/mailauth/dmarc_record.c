/* dmarc_record: RFC 7489 §6.3 (the tags, their defaults, v=DMARC1 first) and §6.4 (the ABNF:
 * tag "=" value separated by ";" with WSP around both, dmarc-uri lists with "!size"), over the
 * tag-list conventions of RFC 6376 §3.2 that §6.4 follows (no duplicate tags, unknown tags
 * ignored). Strict: the first fault is returned, nothing is repaired; only a bad or missing p=
 * or sp= lets parsing carry on, because §6.6.3 step 6 needs rua= even then.
 * Not here: DNS, report sending, the §7.1 external-destination check. */
#include "mailauth/dmarc_record.h"

#include <string.h>

#include "mailauth/dkim_tag_list.h"

enum known_tag {
	TAG_V,
	TAG_P,
	TAG_SP,
	TAG_ADKIM,
	TAG_ASPF,
	TAG_PCT,
	TAG_RUA,
	TAG_RUF,
	TAG_FO,
	TAG_RF,
	TAG_RI,
	TAG_COUNT
};

static const char *const tag_names[TAG_COUNT] = {"v",   "p",   "sp", "adkim", "aspf", "pct",
                                                 "rua", "ruf", "fo", "rf",    "ri"};

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static struct slice trim_wsp(struct slice s)
{
	while (s.length > 0 && is_wsp(s.data[0]))
		s = slice_skip(s, 1);
	while (s.length > 0 && is_wsp(s.data[s.length - 1]))
		s.length--;
	return s;
}

/* §6.4 is ASCII: printable characters and WSP. A NUL, CR, LF or 8-bit byte is not a record. */
static bool bytes_are_valid(struct slice text)
{
	for (size_t i = 0; i < text.length; i++) {
		unsigned char c = (unsigned char)text.data[i];
		if (!is_wsp((char)c) && (c < 0x21 || c > 0x7E))
			return false;
	}
	return true;
}

bool dmarc_record_is_dmarc(struct slice text)
{
	struct slice rest;

	if (text.length == 0 || (text.data[0] != 'v' && text.data[0] != 'V'))
		return false;
	rest = trim_wsp(slice_skip(text, 1));
	if (rest.length == 0 || rest.data[0] != '=')
		return false;
	rest = trim_wsp(slice_skip(rest, 1));
	if (rest.length < 6 || memcmp(rest.data, "DMARC1", 6) != 0) /* §6.3 v: "MUST match precisely" */
		return false;
	rest = trim_wsp(slice_skip(rest, 6));
	return rest.length == 0 || rest.data[0] == ';';
}

static bool parse_policy(struct slice value, enum dmarc_policy *policy)
{
	if (slice_equal_string_nocase(value, "none"))
		*policy = DMARC_POLICY_NONE;
	else if (slice_equal_string_nocase(value, "quarantine"))
		*policy = DMARC_POLICY_QUARANTINE;
	else if (slice_equal_string_nocase(value, "reject"))
		*policy = DMARC_POLICY_REJECT;
	else
		return false;
	return true;
}

static bool parse_alignment(struct slice value, enum dmarc_alignment *alignment)
{
	if (slice_equal_string_nocase(value, "r"))
		*alignment = DMARC_ALIGNMENT_RELAXED;
	else if (slice_equal_string_nocase(value, "s"))
		*alignment = DMARC_ALIGNMENT_STRICT;
	else
		return false;
	return true;
}

static bool parse_number(struct slice value, size_t max_digits, unsigned *number)
{
	if (value.length == 0 || value.length > max_digits)
		return false;
	*number = 0;
	for (size_t i = 0; i < value.length; i++) {
		if (!is_digit(value.data[i]))
			return false;
		*number = *number * 10 + (unsigned)(value.data[i] - '0');
	}
	return true;
}

/* RFC 3986 §2: the characters a URI may hold, but "!" and "," which §6.3 says MUST be
 * percent-encoded in a DMARC URI, and ";" which ends the tag. */
static bool is_uri_char(char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("-._~:/?#[]@$&'()*+=%", c) != NULL);
}

/* §6.4 dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ], URI as RFC 3986 §3:
 * scheme ":" and something after it. */
static bool uri_is_valid(struct slice uri)
{
	long bang = slice_find_byte(uri, '!');
	size_t length = bang < 0 ? uri.length : (size_t)bang;
	long colon = slice_find_byte(slice_sub(uri, 0, length), ':');

	if (colon <= 0 || (size_t)colon + 1 >= length || !is_alpha(uri.data[0]))
		return false;
	for (long i = 1; i < colon; i++) /* RFC 3986 §3.1 scheme */
		if (!is_alpha(uri.data[i]) && !is_digit(uri.data[i]) && uri.data[i] != '+' && uri.data[i] != '-' &&
		    uri.data[i] != '.')
			return false;
	for (size_t i = (size_t)colon + 1; i < length; i++)
		if (!is_uri_char(uri.data[i]))
			return false;
	if (bang >= 0) {
		struct slice size = slice_skip(uri, length + 1);
		char unit = size.length > 0 ? size.data[size.length - 1] : '\0';
		if (unit == 'k' || unit == 'm' || unit == 'g' || unit == 't')
			size.length--;
		if (size.length == 0)
			return false;
		for (size_t i = 0; i < size.length; i++)
			if (!is_digit(size.data[i]))
				return false;
	}
	return true;
}

/* Calls item for each element of a list separated by separator with WSP around it (§6.4
 * rua, ruf, fo, rf); an empty element is an error. */
static bool split_list(struct slice value, char separator, bool (*item)(struct slice, void *), void *context)
{
	for (;;) {
		long at = slice_find_byte(value, separator);
		size_t length = at < 0 ? value.length : (size_t)at;
		struct slice element = trim_wsp(slice_sub(value, 0, length));
		if (element.length == 0 || !item(element, context))
			return false;
		if (at < 0)
			return true;
		value = slice_skip(value, length + 1);
	}
}

static bool count_uri(struct slice uri, void *context)
{
	for (size_t i = 0; i < uri.length; i++)
		if (is_wsp(uri.data[i]))
			return false;
	if (!uri_is_valid(uri))
		return false;
	(*(size_t *)context)++;
	return true;
}

static bool add_failure_option(struct slice option, void *context)
{
	static const char letters[] = "01ds";
	char letter = option.length == 1 ? (char)(option.data[0] | 0x20) : '\0';
	const char *at = letter != '\0' ? strchr(letters, letter) : NULL;

	if (at == NULL)
		return false;
	*(unsigned *)context |= 1u << (at - letters);
	return true;
}

/* §6.4 dmarc-rfmt: Keyword *(":" Keyword), Keyword per RFC 5321 §4.1.2: Let-dig [Ldh-str]. */
static bool note_report_format(struct slice format, void *context)
{
	for (size_t i = 0; i < format.length; i++)
		if (!is_alpha(format.data[i]) && !is_digit(format.data[i]) &&
		    !(format.data[i] == '-' && i > 0 && i + 1 < format.length))
			return false;
	if (slice_equal_string_nocase(format, "afrf"))
		*(bool *)context = true;
	return true;
}

static bool parse_value(enum known_tag tag, struct slice value, struct dmarc_record *record)
{
	switch (tag) {
	case TAG_V:
		return false; /* only first, which the caller checked */
	case TAG_P:
		return record->has_policy = parse_policy(value, &record->policy);
	case TAG_SP:
		return record->has_subdomain_policy = parse_policy(value, &record->subdomain_policy);
	case TAG_ADKIM:
		return parse_alignment(value, &record->dkim_alignment);
	case TAG_ASPF:
		return parse_alignment(value, &record->spf_alignment);
	case TAG_PCT:
		return parse_number(value, 3, &record->percent) && record->percent <= DMARC_RECORD_PERCENT_MAX;
	case TAG_RUA:
		record->aggregate_uris = value;
		return split_list(value, ',', count_uri, &record->aggregate_uri_count);
	case TAG_RUF:
		record->failure_uris = value;
		return split_list(value, ',', count_uri, &record->failure_uri_count);
	case TAG_FO:
		record->failure_options = 0;
		return split_list(value, ':', add_failure_option, &record->failure_options);
	case TAG_RF:
		record->report_format_afrf = false;
		return split_list(value, ':', note_report_format, &record->report_format_afrf);
	case TAG_RI:
		return parse_number(value, DMARC_RECORD_INTERVAL_DIGITS, &record->report_interval);
	case TAG_COUNT:
		break;
	}
	return false;
}

static int known_tag_index(struct slice name)
{
	for (int i = 0; i < TAG_COUNT; i++)
		if (slice_equal_string_nocase(name, tag_names[i])) /* RFC 5234 §2.3 */
			return i;
	return -1;
}

struct tag_walk {
	struct dmarc_record *record;
	bool first;                            /* the next tag is v=, checked already */
	enum dmarc_record_result value_error;  /* a bad value that stops the walk */
	enum dmarc_record_result policy_error; /* a bad p= or sp=, reported once all is read */
	struct slice policy_error_tag;
};

static bool take_tag(struct slice name, struct slice value, void *context)
{
	struct tag_walk *walk = context;
	int known;

	if (walk->first) {
		walk->first = false;
		return true;
	}
	if ((known = known_tag_index(name)) < 0)
		return true; /* §6.3: unknown tags MUST be ignored */
	if (parse_value((enum known_tag)known, value, walk->record))
		return true;
	if (known == TAG_P || known == TAG_SP) {
		if (walk->policy_error == DMARC_RECORD_OK) {
			walk->policy_error = DMARC_RECORD_BAD_POLICY;
			walk->policy_error_tag = name;
		}
		return true;
	}
	walk->value_error = DMARC_RECORD_BAD_VALUE;
	return false;
}

enum dmarc_record_result dmarc_record_parse(struct slice text, struct dmarc_record *record)
{
	struct tag_walk walk = {.record = record, .first = true, .policy_error = DMARC_RECORD_OK};

	memset(record, 0, sizeof *record);
	record->percent = DMARC_RECORD_PERCENT_MAX;              /* §6.3 pct default */
	record->report_interval = DMARC_RECORD_INTERVAL_DEFAULT; /* §6.3 ri default */
	record->failure_options = DMARC_RECORD_FO_ALL;           /* §6.3 fo default "0" */
	record->report_format_afrf = true;                       /* §6.3 rf default "afrf" */
	if (text.length > DMARC_RECORD_LENGTH_MAX || !bytes_are_valid(text))
		return DMARC_RECORD_BAD_SYNTAX;
	if (!dmarc_record_is_dmarc(text)) {
		record->error_tag = slice_from_string("v");
		return DMARC_RECORD_NOT_DMARC; /* §6.3 v: MUST be the first tag */
	}
	/* §6.4: tags joined by dmarc-sep, and one optional dmarc-sep at the end */
	switch (dkim_tag_list_parse_nocase(text, take_tag, &walk, &record->error_tag)) {
	case DKIM_TAG_LIST_OK:
		break;
	case DKIM_TAG_LIST_DUPLICATE:
		return DMARC_RECORD_DUPLICATE_TAG;
	case DKIM_TAG_LIST_REFUSED:
		return walk.value_error;
	case DKIM_TAG_LIST_BAD_SYNTAX:
		return DMARC_RECORD_BAD_SYNTAX;
	}
	if (walk.policy_error != DMARC_RECORD_OK) {
		record->error_tag = walk.policy_error_tag;
		return walk.policy_error;
	}
	if (!record->has_policy) {
		record->error_tag = slice_from_string("p");
		return DMARC_RECORD_MISSING_POLICY; /* §6.3 p: REQUIRED for policy records */
	}
	record->error_tag = slice_make(NULL, 0);
	return DMARC_RECORD_OK;
}

const char *dmarc_record_policy_name(enum dmarc_policy policy)
{
	switch (policy) {
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	case DMARC_POLICY_NONE:
		break;
	}
	return "none";
}

const char *dmarc_record_result_name(enum dmarc_record_result result)
{
	static const char *const names[] = {
	    [DMARC_RECORD_OK] = "valid",
	    [DMARC_RECORD_NOT_DMARC] = "not a DMARC1 record",
	    [DMARC_RECORD_BAD_SYNTAX] = "not a tag-list",
	    [DMARC_RECORD_DUPLICATE_TAG] = "duplicate tag",
	    [DMARC_RECORD_MISSING_POLICY] = "missing p= tag",
	    [DMARC_RECORD_BAD_POLICY] = "bad policy value",
	    [DMARC_RECORD_BAD_VALUE] = "bad tag value",
	};
	return result <= DMARC_RECORD_BAD_VALUE ? names[result] : "unknown";
}
