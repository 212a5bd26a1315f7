/* message_signing: picks the signing domain from the From field (RFC 5322 §3.6.2) and signs
 * with dkim_sign's defaults: relaxed/relaxed, the RFC 6376 §5.4.1 header list with From
 * over-signed, t= now. It never changes the message; the caller prepends the fields. */
#include "mailauth/message_signing.h"

#include <stdlib.h>
#include <time.h>

#include "mailauth/address_list.h"
#include "mailauth/dkim_sign.h"
#include "mailauth/header_fields.h"
#include "util/xalloc.h"

const struct config_domain *message_signing_domain(const struct config *config, struct slice message)
{
	struct header_fields *fields = xmalloc(sizeof *fields);
	const struct config_domain *domain = NULL;
	struct address_list from;
	struct buffer value;
	long index;

	address_list_init(&from, 2);
	buffer_init(&value, 64 * 1024);
	if (header_fields_parse(message, fields) == HEADER_FIELDS_OK &&
	    (index = header_fields_find(fields, "From", 0)) >= 0 && header_fields_find(fields, "From", (size_t)index + 1) < 0 &&
	    header_fields_unfold(&fields->fields[index], &value) &&
	    address_list_parse(buffer_slice(&value), NULL, &from) == ADDRESS_LIST_OK && from.count == 1 &&
	    from.addresses[0].domain_kind == ADDRESS_DOMAIN_NAME)
		domain = config_find_domain(config, slice_from_string(from.addresses[0].domain));
	if (domain != NULL && domain->dkim_key_count == 0)
		domain = NULL;
	address_list_free(&from);
	buffer_free(&value);
	free(fields);
	return domain;
}

bool message_signing_sign(const struct config_domain *domain, struct slice message, struct buffer *out)
{
	for (size_t i = 0; i < domain->dkim_key_count; i++) {
		struct dkim_sign_options options;

		dkim_sign_options_init(&options);
		options.domain = domain->name;
		options.selector = domain->dkim_keys[i].selector;
		options.key = domain->dkim_keys[i].key;
		options.timestamp = (int64_t)time(NULL);
		if (dkim_sign(message, &options, out) != DKIM_SIGN_OK)
			return false;
	}
	return true;
}
