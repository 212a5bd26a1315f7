/* dnsbl_codes: one table of return codes. Spamhaus's codes apply to its public zones
 * (*.spamhaus.org) and its Data Query Service (*.spamhaus.net); the error codes in
 * 127.255.255.0/24 are Spamhaus's too, and other lists have adopted them. */
#include "check/dnsbl_codes.h"

#include <string.h>
#include <strings.h>

static const struct dnsbl_code {
	bool spamhaus; /* only for Spamhaus's zones */
	unsigned char code[4];
	bool error;
	const char *meaning;
} dnsbl_codes[] = {
    /* Spamhaus, "DNSBL return codes" (docs.spamhaus.com) */
    {true, {127, 0, 0, 2}, false, "SBL: a known spam source or spam operation"},
    {true, {127, 0, 0, 3}, false, "SBL CSS: a snowshoe spam or low-reputation sender"},
    {true, {127, 0, 0, 4}, false, "XBL: an infected or exploited host (botnet, open proxy)"},
    {true, {127, 0, 0, 5}, false, "XBL: an infected or exploited host"},
    {true, {127, 0, 0, 6}, false, "XBL: an infected or exploited host"},
    {true, {127, 0, 0, 7}, false, "XBL: an infected or exploited host"},
    {true, {127, 0, 0, 9}, false, "SBL DROP: a hijacked or spam-only network"},
    {true, {127, 0, 0, 10}, false, "PBL (ISP): an end-user address that should not send mail directly"},
    {true, {127, 0, 0, 11}, false, "PBL (Spamhaus): an end-user address that should not send mail directly"},
    {false, {127, 255, 255, 252}, true, "the query was malformed (a typing error in the zone name?)"},
    {false, {127, 255, 255, 254}, true, "queries through a public or open resolver are refused: use your own"},
    {false, {127, 255, 255, 255}, true, "too many queries: the list refuses to answer (register for a feed)"},
    {false, {127, 0, 0, 1}, true, "127.0.0.1 is not a listing (RFC 5782 §5: a test or error answer)"},
};

static bool ends_with(const char *zone, const char *suffix)
{
	size_t length = strlen(zone), suffix_length = strlen(suffix);

	if (length > 0 && zone[length - 1] == '.')
		length--;
	return length >= suffix_length && strncasecmp(zone + length - suffix_length, suffix, suffix_length) == 0 &&
	       (length == suffix_length || zone[length - suffix_length - 1] == '.');
}

const char *dnsbl_codes_meaning(const char *zone, const unsigned char code[4], bool *error)
{
	bool spamhaus = ends_with(zone, "spamhaus.org") || ends_with(zone, "spamhaus.net");

	*error = false;
	for (size_t i = 0; i < sizeof dnsbl_codes / sizeof *dnsbl_codes; i++) {
		const struct dnsbl_code *row = &dnsbl_codes[i];
		if ((!row->spamhaus || spamhaus) && memcmp(row->code, code, 4) == 0) {
			*error = row->error;
			return row->meaning;
		}
	}
	if (code[0] != 127) { /* RFC 5782 §2.1: listings answer within 127.0.0.0/8 */
		*error = true;
		return "an answer outside 127.0.0.0/8: the zone does not behave like a DNSBL (a wildcard?)";
	}
	return "listed";
}
