/* dmarc_from: the RFC5322.From domain DMARC judges (RFC 7489 §3.1, §6.6.1), over
 * header_fields (framing, RFC 5322 §2.2) and address_list (the mailbox-list of §3.6.2, which
 * address-list parsing covers). Not here: RFC 2047 words (they are display names, dropped),
 * IDNA conversion of a UTF-8 domain (RFC 6532 §3.2 domains are kept as written). */
#include "mailauth/dmarc_from.h"

#include <stdlib.h>
#include <string.h>

#include "mailauth/address_list.h"
#include "mailauth/header_fields.h"
#include "util/xalloc.h"

#define FROM_ADDRESSES_MAX 16 /* enough to tell one mailbox from several */

static enum dmarc_from_result domain_of_field(const struct header_field *field, char domain[DMARC_FROM_DOMAIN_SIZE])
{
	struct address_list list;
	enum address_list_result parsed;
	enum dmarc_from_result result = DMARC_FROM_UNUSABLE;

	address_list_init(&list, FROM_ADDRESSES_MAX);
	parsed = address_list_parse(field->value, NULL, &list);
	if (parsed == ADDRESS_LIST_TOO_MANY || (parsed == ADDRESS_LIST_OK && list.count > 1)) {
		result = DMARC_FROM_SEVERAL_ADDRESSES; /* RFC 7489 §6.6.1 */
		goto done;
	}
	if (parsed != ADDRESS_LIST_OK || list.count != 1 || list.addresses[0].domain_kind != ADDRESS_DOMAIN_NAME)
		goto done;
	for (size_t i = 0; list.addresses[0].domain[i] != '\0'; i++) {
		char c = list.addresses[0].domain[i];
		domain[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
		domain[i + 1] = '\0';
	}
	result = DMARC_FROM_OK;
done:
	address_list_free(&list);
	return result;
}

enum dmarc_from_result dmarc_from_domain(struct slice message, char domain[DMARC_FROM_DOMAIN_SIZE])
{
	struct header_fields *fields = xmalloc(sizeof *fields);
	enum dmarc_from_result result = DMARC_FROM_UNUSABLE;
	long first, second;

	domain[0] = '\0';
	if (header_fields_parse(message, fields) != HEADER_FIELDS_OK)
		goto done;
	first = header_fields_find(fields, "From", 0);
	second = first < 0 ? -1 : header_fields_find(fields, "From", (size_t)first + 1);
	if (first < 0)
		result = DMARC_FROM_MISSING;
	else if (second >= 0)
		result = DMARC_FROM_SEVERAL_FIELDS; /* RFC 5322 §3.6: From occurs exactly once */
	else
		result = domain_of_field(&fields->fields[first], domain);
done:
	free(fields);
	return result;
}

const char *dmarc_from_result_name(enum dmarc_from_result result)
{
	static const char *const names[] = {
	    [DMARC_FROM_OK] = "one From address",
	    [DMARC_FROM_MISSING] = "no From field",
	    [DMARC_FROM_SEVERAL_FIELDS] = "several From fields",
	    [DMARC_FROM_SEVERAL_ADDRESSES] = "several From addresses",
	    [DMARC_FROM_UNUSABLE] = "unusable From field",
	};
	return result <= DMARC_FROM_UNUSABLE ? names[result] : "unknown";
}
