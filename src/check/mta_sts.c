/* mta_sts: MTA-STS policy and record text (RFC 8461 §3.1, §3.2, §4.1) and the TLS-RPT record
 * (RFC 8460 §3). Pure: it reads exactly the bytes it is given and never repairs them. */
#include "check/mta_sts.h"

#include <string.h>
#include <strings.h>

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }
static bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* A view of part of the input. */
struct span {
	const char *data;
	size_t length;
};

static struct span trim(struct span s)
{
	while (s.length > 0 && is_wsp(s.data[0]))
		s.data++, s.length--;
	while (s.length > 0 && is_wsp(s.data[s.length - 1]))
		s.length--;
	return s;
}

static bool equals(struct span s, const char *word)
{
	return s.length == strlen(word) && memcmp(s.data, word, s.length) == 0;
}

static bool equals_nocase(struct span s, const char *word)
{
	return s.length == strlen(word) && strncasecmp(s.data, word, s.length) == 0;
}

/* RFC 8461 §3.2 sts-policy-domain: labels of letters, digits and hyphens (no leading or
 * trailing hyphen), 1-63 octets each, optionally "*." first. */
static bool valid_pattern(struct span s)
{
	size_t label = 0;

	if (s.length >= 2 && s.data[0] == '*' && s.data[1] == '.')
		s.data += 2, s.length -= 2;
	if (s.length == 0 || s.length > DNS_NAME_MAX - 2 || s.data[s.length - 1] == '.')
		return false;
	for (size_t i = 0; i < s.length; i++) {
		char c = s.data[i];
		if (c == '.') {
			if (label == 0 || s.data[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return s.data[s.length - 1] != '-';
}

static enum mta_sts_result take_max_age(struct span value, unsigned long *max_age)
{
	unsigned long age = 0;

	if (value.length == 0 || value.length > MTA_STS_MAX_AGE_DIGITS)
		return MTA_STS_BAD_MAX_AGE;
	for (size_t i = 0; i < value.length; i++) {
		if (value.data[i] < '0' || value.data[i] > '9')
			return MTA_STS_BAD_MAX_AGE;
		age = age * 10 + (unsigned long)(value.data[i] - '0');
	}
	if (age > MTA_STS_MAX_AGE_MAX)
		return MTA_STS_BAD_MAX_AGE;
	*max_age = age;
	return MTA_STS_OK;
}

struct seen {
	bool version, mode, max_age;
};

static enum mta_sts_result take_field(struct span key, struct span value, struct mta_sts_policy *policy,
                                      struct seen *seen)
{
	if (equals(key, "version")) {
		if (!seen->version && !equals(value, "STSv1"))
			return MTA_STS_BAD_VERSION;
		seen->version = true;
	} else if (equals(key, "mode") && !seen->mode) {
		if (equals(value, "enforce"))
			policy->mode = MTA_STS_MODE_ENFORCE;
		else if (equals(value, "testing"))
			policy->mode = MTA_STS_MODE_TESTING;
		else if (equals(value, "none"))
			policy->mode = MTA_STS_MODE_NONE;
		else
			return MTA_STS_BAD_MODE;
		seen->mode = true;
	} else if (equals(key, "max_age") && !seen->max_age) {
		seen->max_age = true;
		return take_max_age(value, &policy->max_age);
	} else if (equals(key, "mx")) {
		if (!valid_pattern(value))
			return MTA_STS_BAD_MX;
		if (policy->mx_count == MTA_STS_MX_MAX)
			return MTA_STS_TOO_MANY_MX;
		for (size_t i = 0; i < value.length; i++)
			policy->mx[policy->mx_count][i] = lower(value.data[i]);
		policy->mx[policy->mx_count++][value.length] = '\0';
	}
	return MTA_STS_OK;
}

/* One line (its terminator removed): "key:" *WSP value *WSP; an empty line is skipped. */
static enum mta_sts_result take_line(struct span line, struct mta_sts_policy *policy, struct seen *seen)
{
	size_t colon = 0;

	if (trim(line).length == 0)
		return MTA_STS_OK;
	while (colon < line.length && (is_alnum(line.data[colon]) || line.data[colon] == '_'))
		colon++;
	if (colon == 0 || colon == line.length || line.data[colon] != ':')
		return MTA_STS_MALFORMED;
	return take_field((struct span){line.data, colon},
	                  trim((struct span){line.data + colon + 1, line.length - colon - 1}), policy, seen);
}

enum mta_sts_result mta_sts_policy_parse(const char *text, size_t length, struct mta_sts_policy *policy)
{
	struct seen seen = {false, false, false};
	size_t start = 0;

	memset(policy, 0, sizeof *policy);
	if (length > MTA_STS_POLICY_SIZE_MAX)
		return MTA_STS_TOO_LONG;
	while (start < length) {
		const char *newline = memchr(text + start, '\n', length - start);
		size_t end = newline ? (size_t)(newline - text) : length;
		size_t content_end = end > start && text[end - 1] == '\r' && newline ? end - 1 : end;
		struct span line = {text + start, content_end - start};
		enum mta_sts_result result;

		if (memchr(line.data, '\0', line.length) || memchr(line.data, '\r', line.length))
			return MTA_STS_MALFORMED; /* NUL, or a CR not before LF */
		result = take_line(line, policy, &seen);
		if (result != MTA_STS_OK)
			return result;
		start = end + 1;
	}
	if (!seen.version)
		return MTA_STS_BAD_VERSION;
	if (!seen.mode)
		return MTA_STS_BAD_MODE;
	if (!seen.max_age)
		return MTA_STS_BAD_MAX_AGE;
	if (policy->mx_count == 0 && policy->mode != MTA_STS_MODE_NONE)
		return MTA_STS_NO_MX;
	return MTA_STS_OK;
}

static bool pattern_matches(const char *pattern, const char *host, size_t host_length)
{
	const char *dot;
	size_t suffix_length;

	if (pattern[0] != '*') /* §4.1: a plain pattern is the name itself */
		return strlen(pattern) == host_length && strncasecmp(pattern, host, host_length) == 0;
	dot = memchr(host, '.', host_length); /* "*." stands for exactly the leftmost label */
	if (dot == NULL || dot == host)
		return false;
	suffix_length = host_length - (size_t)(dot + 1 - host);
	return strlen(pattern + 2) == suffix_length && strncasecmp(pattern + 2, dot + 1, suffix_length) == 0;
}

bool mta_sts_policy_matches(const struct mta_sts_policy *policy, const char *host)
{
	size_t length = strlen(host);

	if (length > 0 && host[length - 1] == '.')
		length--;
	for (size_t i = 0; i < policy->mx_count; i++)
		if (pattern_matches(policy->mx[i], host, length))
			return true;
	return false;
}

/* The next "key=value" field of a TXT record, after "; " delimiters (RFC 8461 §3.1
 * sts-field-delim, RFC 8460 §3 field-delim); false at the end. */
static bool next_field(struct span *rest, struct span *key, struct span *value)
{
	size_t end = 0, equal;

	while (rest->length > 0 && (is_wsp(rest->data[0]) || rest->data[0] == ';'))
		rest->data++, rest->length--;
	if (rest->length == 0)
		return false;
	while (end < rest->length && rest->data[end] != ';')
		end++;
	for (equal = 0; equal < end && rest->data[equal] != '='; equal++)
		;
	*key = trim((struct span){rest->data, equal});
	*value = equal < end ? trim((struct span){rest->data + equal + 1, end - equal - 1}) : (struct span){"", 0};
	rest->data += end, rest->length -= end;
	return true;
}

/* The record starts with version (then a delimiter or the end). */
static bool starts_with_version(struct span record, const char *version)
{
	size_t length = strlen(version);

	if (record.length < length || memcmp(record.data, version, length) != 0)
		return false;
	return record.length == length || record.data[length] == ';' || is_wsp(record.data[length]);
}

enum mta_sts_record_result mta_sts_record_parse(const char *text, size_t length, char id[MTA_STS_ID_MAX + 1])
{
	struct span rest = {text, length}, key, value;
	bool found = false;

	id[0] = '\0';
	if (!starts_with_version(rest, "v=STSv1"))
		return MTA_STS_RECORD_OTHER;
	if (memchr(text, '\0', length))
		return MTA_STS_RECORD_MALFORMED;
	next_field(&rest, &key, &value); /* the version */
	while (next_field(&rest, &key, &value)) {
		if (!equals(key, "id") || found)
			continue;
		if (value.length == 0 || value.length > MTA_STS_ID_MAX)
			return MTA_STS_RECORD_MALFORMED;
		for (size_t i = 0; i < value.length; i++)
			if (!is_alnum(value.data[i]))
				return MTA_STS_RECORD_MALFORMED;
		memcpy(id, value.data, value.length);
		id[value.length] = '\0';
		found = true;
	}
	return found ? MTA_STS_RECORD_OK : MTA_STS_RECORD_MALFORMED;
}

/* RFC 8460 §3: each rua URI is mailto: or https:, separated by commas. */
static bool valid_rua(struct span value)
{
	size_t start = 0;

	if (value.length == 0)
		return false;
	while (start <= value.length) {
		const char *comma = memchr(value.data + start, ',', value.length - start);
		size_t end = comma ? (size_t)(comma - value.data) : value.length;
		struct span uri = trim((struct span){value.data + start, end - start});
		struct span scheme = {uri.data, uri.length < 7 ? uri.length : 7};
		struct span https = {uri.data, uri.length < 8 ? uri.length : 8};

		if (!(equals_nocase(scheme, "mailto:") && uri.length > 7) &&
		    !(equals_nocase(https, "https://") && uri.length > 8))
			return false;
		start = end + 1;
	}
	return true;
}

enum mta_sts_record_result mta_sts_tlsrpt_parse(const char *text, size_t length)
{
	struct span rest = {text, length}, key, value;
	bool found = false;

	if (!starts_with_version(rest, "v=TLSRPTv1"))
		return MTA_STS_RECORD_OTHER;
	if (memchr(text, '\0', length))
		return MTA_STS_RECORD_MALFORMED;
	next_field(&rest, &key, &value);
	while (next_field(&rest, &key, &value)) {
		if (!equals(key, "rua"))
			continue;
		if (found || !valid_rua(value))
			return MTA_STS_RECORD_MALFORMED;
		found = true;
	}
	return found ? MTA_STS_RECORD_OK : MTA_STS_RECORD_MALFORMED;
}

const char *mta_sts_mode_name(enum mta_sts_mode mode)
{
	static const char *const names[] = {"none", "testing", "enforce"};
	return names[mode];
}

const char *mta_sts_result_text(enum mta_sts_result result)
{
	static const char *const texts[] = {
	    [MTA_STS_OK] = "valid",
	    [MTA_STS_MALFORMED] = "a line is not \"key: value\" (or holds NUL or a bare CR)",
	    [MTA_STS_BAD_VERSION] = "no \"version: STSv1\" line",
	    [MTA_STS_BAD_MODE] = "mode missing or not enforce, testing or none",
	    [MTA_STS_BAD_MAX_AGE] = "max_age missing, not a number, or over 31557600 (a year)",
	    [MTA_STS_BAD_MX] = "an mx value is not a host name or \"*.\" pattern",
	    [MTA_STS_NO_MX] = "no mx lines (required unless mode is none)",
	    [MTA_STS_TOO_MANY_MX] = "more than 64 mx lines",
	    [MTA_STS_TOO_LONG] = "over 64 KiB",
	};
	return texts[result];
}
