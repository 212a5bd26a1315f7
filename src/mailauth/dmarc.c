/* dmarc: RFC 7489 §6.6.3 policy discovery over resolver.h, steps 1-5: ask _dmarc.<Author
 * Domain> for TXT, keep the records that start with v=DMARC1, and only when none is left ask
 * _dmarc.<Organizational Domain> (if it differs); exactly one record is a policy, several are
 * none. NXDOMAIN and NODATA are "no record"; SERVFAIL, timeouts and DNSSEC failures are
 * temperror (the receiver's choice, §6.6.3, so that enforcement defers rather than rejects).
 * The verdict is dmarc_policy_evaluate's, made by the caller (inbound_auth) once DKIM is in too.
 * Not here: the DNS itself, reports. */
#include "mailauth/dmarc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dmarc_record.h"
#include "util/xalloc.h"

#define DMARC_PREFIX "_dmarc."

struct dmarc_lookup {
	struct resolver *resolver;
	dmarc_found found;
	void *context;
	char from_domain[DMARC_POLICY_DOMAIN_SIZE];
	char org_domain[DMARC_POLICY_DOMAIN_SIZE];
	bool asking_org_domain;
};

static void finish(struct dmarc_lookup *lookup, const struct dmarc_discovery *discovery)
{
	lookup->found(lookup->context, discovery);
	free(lookup);
}

static void ask(struct dmarc_lookup *lookup);

static void on_answer(void *context, const struct dns_answer *answer)
{
	struct dmarc_lookup *lookup = context;
	const char *asked = lookup->asking_org_domain ? lookup->org_domain : lookup->from_domain;
	struct dmarc_discovery discovery = {DMARC_DISCOVERY_NONE, NULL, asked, lookup->asking_org_domain, NULL};
	size_t found = 0;

	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		discovery.status = DMARC_DISCOVERY_TEMPERROR;
		discovery.why = answer->why[0] ? answer->why : "temporary DNS error";
		finish(lookup, &discovery);
		return;
	}
	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		/* §6.6.3 steps 2 and 4: other TXT records are discarded; a NUL inside cannot be one */
		if (record->type != DNS_TXT || strlen(record->text) != record->text_length ||
		    !dmarc_record_is_dmarc(slice_make(record->text, record->text_length)))
			continue;
		if (found++ == 0)
			discovery.record = record->text;
	}
	if (found == 0 && !lookup->asking_org_domain && strcmp(lookup->org_domain, lookup->from_domain) != 0) {
		lookup->asking_org_domain = true; /* §6.6.3 step 3 */
		ask(lookup);
		return;
	}
	discovery.status = found == 0   ? DMARC_DISCOVERY_NONE
	                   : found == 1 ? DMARC_DISCOVERY_FOUND
	                                : DMARC_DISCOVERY_SEVERAL;
	finish(lookup, &discovery);
}

/* A name too long to ask (RFC 1035 §2.3.4) has no record there: go on as NODATA would, later. */
static void on_name_too_long(void *context)
{
	struct dns_answer empty = {.status = DNS_NODATA};

	on_answer(context, &empty);
}

static void ask(struct dmarc_lookup *lookup)
{
	const char *domain = lookup->asking_org_domain ? lookup->org_domain : lookup->from_domain;
	char name[DNS_NAME_MAX + 1];

	if ((size_t)snprintf(name, sizeof name, DMARC_PREFIX "%s", domain) > DNS_NAME_MAX - 2) {
		resolver_later(lookup->resolver, on_name_too_long, lookup);
		return;
	}
	resolver_query(lookup->resolver, name, DNS_TXT, on_answer, lookup);
}

static void on_no_domain(void *context)
{
	struct dmarc_discovery discovery = {DMARC_DISCOVERY_NONE, NULL, "", false, NULL};

	finish(context, &discovery);
}

/* The Author Domain as the Organizational Domain is written: lower case, no trailing dot. */
static void normalize(char *out, size_t size, const char *domain)
{
	size_t length;

	snprintf(out, size, "%s", domain ? domain : "");
	for (char *c = out; *c != '\0'; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + ('a' - 'A') : *c);
	length = strlen(out);
	if (length > 0 && out[length - 1] == '.')
		out[length - 1] = '\0';
}

void dmarc_discover(struct resolver *resolver, const struct org_domain *list, const char *from_domain,
                    dmarc_found found, void *context)
{
	struct dmarc_lookup *lookup = xcalloc(1, sizeof *lookup);

	*lookup = (struct dmarc_lookup){.resolver = resolver, .found = found, .context = context};
	normalize(lookup->from_domain, sizeof lookup->from_domain, from_domain);
	if (!org_domain_find(list, lookup->from_domain, lookup->org_domain, sizeof lookup->org_domain)) {
		/* no usable Author Domain: reported (as none, domain "") later on the loop */
		resolver_later(resolver, on_no_domain, lookup);
		return;
	}
	ask(lookup);
}
