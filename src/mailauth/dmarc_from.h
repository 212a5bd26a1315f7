/* dmarc_from: the Author Domain of RFC 7489 §3.1 and §6.6.1, the domain of the one address
 * in the one From field of a message's header section (RFC 5322 §3.6.2). Pure: no I/O, no
 * globals. A message with no From field, several From fields, or a From field naming several
 * mailboxes (or a group, or an address literal) is unusable for DMARC, as §6.6.1 says:
 * RFC 5322 §3.6 allows exactly one From field, and a multi-address From is left to the
 * receiver; we treat each of these as DMARC permerror (dmarc_policy.h), and a receiver that
 * enforces DMARC rejects it (§6.6.1: such messages are "typically rejected"). */
#ifndef TERN_DMARC_FROM_H
#define TERN_DMARC_FROM_H

#include <stddef.h>

#include "util/buffer.h"

#define DMARC_FROM_DOMAIN_SIZE 256 /* RFC 5321 §4.5.3.1.2: 255 octets and the NUL */

enum dmarc_from_result {
	DMARC_FROM_OK,
	DMARC_FROM_MISSING,           /* no From field (RFC 5322 §3.6: exactly one is required) */
	DMARC_FROM_SEVERAL_FIELDS,    /* more than one From field (§3.6, RFC 7489 §6.6.1) */
	DMARC_FROM_SEVERAL_ADDRESSES, /* one From field with several mailboxes (§6.6.1) */
	DMARC_FROM_UNUSABLE,          /* a header section or From field that does not parse, an
	                               * empty From, or a domain that is an address literal */
};

/* Finds the one From field in message (its header section at the start, as
 * header_fields_parse reads it) and writes the domain of its one address, lower-cased, into
 * domain. Returns DMARC_FROM_OK, or why there is no Author Domain (domain is then ""). */
enum dmarc_from_result dmarc_from_domain(struct slice message, char domain[DMARC_FROM_DOMAIN_SIZE]);

/* In words, for a reason: "no From field", "several From fields", ... */
const char *dmarc_from_result_name(enum dmarc_from_result result);

#endif
