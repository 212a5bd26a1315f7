/* dkim_verify: RFC 6376 §6.1 over a whole message: the DKIM-Signature fields from the top
 * (at most DKIM_VERIFY_SIGNATURES_MAX, §6.1), each prepared by dkim_check, its key record
 * fetched (§3.6.2.2: the TXT strings joined; §6.1.2: no record or several is a permanent
 * error, a DNS failure a temporary one) and checked; the results go out together once every
 * lookup has answered. Not here: the checks (dkim_check), the Authentication-Results header. */
#include "mailauth/dkim_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailauth/header_fields.h"
#include "util/xalloc.h"

/* One signature, and who it belongs to: the context of its key lookup. */
struct slot {
	struct dkim_verification *owner;
	struct dkim_check check;
	bool needs_key; /* prepared: its key record decides */
};

struct dkim_verification {
	struct resolver *resolver;
	dkim_verify_callback done;
	void *context;
	size_t count;   /* signatures taken */
	size_t pending; /* key lookups in flight */
	struct slot slots[DKIM_VERIFY_SIGNATURES_MAX];
};

static void finish(struct dkim_verification *verification)
{
	struct dkim_check_result results[DKIM_VERIFY_SIGNATURES_MAX];

	for (size_t i = 0; i < verification->count; i++) {
		results[i] = verification->slots[i].check.result;
		dkim_check_free(&verification->slots[i].check);
	}
	verification->done(verification->context, results, verification->count);
	free(verification);
}

static void on_deferred(void *context) { finish(context); }

/* Answers without a lookup, but later, on the loop, as dkim_verify_message promises. */
static void finish_later(struct dkim_verification *verification)
{
	resolver_later(verification->resolver, on_deferred, verification);
}

/* §6.1.2: the key record, or why there is none. */
static void on_key(void *context, const struct dns_answer *answer)
{
	struct slot *slot = context;
	char why[sizeof answer->why + 32];

	switch (answer->status) {
	case DNS_OK:
		if (answer->count == 1)
			dkim_check_key(&slot->check,
			               slice_make(answer->records[0].text, answer->records[0].text_length));
		else
			dkim_check_no_key(&slot->check, DKIM_CHECK_PERMERROR, "several key records");
		break;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		dkim_check_no_key(&slot->check, DKIM_CHECK_PERMERROR, "no key record");
		break;
	case DNS_TEMPFAIL:
	case DNS_BOGUS:
		snprintf(why, sizeof why, "key lookup failed: %s", answer->why);
		dkim_check_no_key(&slot->check, DKIM_CHECK_TEMPERROR, why);
		break;
	}
	if (--slot->owner->pending == 0)
		finish(slot->owner);
}

static void look_up_key(struct dkim_verification *verification, struct slot *slot)
{
	char name[DNS_NAME_MAX + 2];

	dkim_check_key_name(&slot->check, name, sizeof name);
	if (strlen(name) > DNS_NAME_MAX) { /* RFC 1035 §2.3.4 */
		dkim_check_no_key(&slot->check, DKIM_CHECK_PERMERROR, "key name longer than DNS allows");
		return;
	}
	verification->pending++;
	resolver_query(verification->resolver, name, DNS_TXT, on_key, slot);
}

/* The signatures of a header that does not frame cannot be checked (§6.1.1: a PERMFAIL). */
static void refuse(struct dkim_check *check)
{
	memset(check, 0, sizeof *check);
	check->result.algorithm = "";
	dkim_check_no_key(check, DKIM_CHECK_PERMERROR, "the header section is malformed");
}

struct dkim_verification *dkim_verify_prepare(struct slice message)
{
	struct dkim_verification *verification = xcalloc(1, sizeof *verification);
	struct header_fields *fields = xmalloc(sizeof *fields);
	bool framed = header_fields_parse(message, fields) == HEADER_FIELDS_OK;
	uint64_t now = (uint64_t)time(NULL);

	for (size_t i = 0; i < fields->count && verification->count < DKIM_VERIFY_SIGNATURES_MAX; i++) {
		struct slot *slot;
		if (!slice_equal_string_nocase(fields->fields[i].name, "DKIM-Signature"))
			continue;
		slot = &verification->slots[verification->count++];
		slot->owner = verification;
		if (!framed)
			refuse(&slot->check);
		else
			slot->needs_key = dkim_check_prepare(&slot->check, message, fields, i, now);
	}
	free(fields);
	return verification;
}

void dkim_verify_finish(struct resolver *resolver, struct dkim_verification *verification,
                        dkim_verify_callback done, void *context)
{
	struct slot *lookups[DKIM_VERIFY_SIGNATURES_MAX];
	size_t lookup_count = 0;

	verification->resolver = resolver;
	verification->done = done;
	verification->context = context;
	for (size_t i = 0; i < verification->count; i++)
		if (verification->slots[i].needs_key)
			lookups[lookup_count++] = &verification->slots[i];
	for (size_t i = 0; i < lookup_count; i++)
		look_up_key(verification, lookups[i]);
	if (verification->pending == 0)
		finish_later(verification);
}

void dkim_verify_discard(struct dkim_verification *verification)
{
	if (verification == NULL)
		return;
	for (size_t i = 0; i < verification->count; i++)
		dkim_check_free(&verification->slots[i].check);
	free(verification);
}

void dkim_verify_message(struct resolver *resolver, struct slice message, dkim_verify_callback done, void *context)
{
	dkim_verify_finish(resolver, dkim_verify_prepare(message), done, context);
}
