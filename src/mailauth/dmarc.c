/* dmarc: RFC 7489 §6.6.3 policy discovery over resolver.h, steps 1-5: ask _dmarc.<Author
 * Domain> for TXT, keep the records that start with v=DMARC1, and only when none is left ask
 * _dmarc.<Organizational Domain> (if it differs); exactly one record is a policy, several are
 * none. NXDOMAIN and NODATA are "no record"; SERVFAIL, timeouts and DNSSEC failures are
 * temperror (the receiver's choice, §6.6.3, so that enforcement defers rather than rejects).
 * Then dmarc_policy_evaluate. Not here: the DNS itself, reports. */
#include "mailauth/dmarc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dmarc_record.h"
#include "util/xalloc.h"

#define DMARC_PREFIX "_dmarc."

struct dmarc_lookup {
	struct resolver *resolver;
	const struct org_domain *list;
	const struct dmarc_sampler *sampler;
	dmarc_done done;
	void *context;
	char from_domain[DMARC_POLICY_DOMAIN_SIZE];
	char org_domain[DMARC_POLICY_DOMAIN_SIZE];
	bool spf_pass;
	char spf_domain[DMARC_POLICY_DOMAIN_SIZE];
	size_t dkim_count;
	char dkim_domains[DMARC_SIGNATURES_MAX][DMARC_POLICY_DOMAIN_SIZE];
	bool asking_org_domain;
};

static void finish(struct dmarc_lookup *lookup, const struct dmarc_discovery *discovery)
{
	const char *domains[DMARC_SIGNATURES_MAX];
	struct dmarc_inputs inputs = {lookup->from_domain, lookup->spf_pass, lookup->spf_domain, lookup->dkim_count,
	                              domains};
	struct dmarc_outcome outcome;

	for (size_t i = 0; i < lookup->dkim_count; i++)
		domains[i] = lookup->dkim_domains[i];
	dmarc_policy_evaluate(lookup->list, &inputs, discovery, lookup->sampler, &outcome);
	lookup->done(lookup->context, &outcome);
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
static void on_name_too_long(evutil_socket_t fd, short events, void *context)
{
	struct dns_answer empty = {.status = DNS_NODATA};

	on_answer(context, &empty);
}

static void ask(struct dmarc_lookup *lookup)
{
	const char *domain = lookup->asking_org_domain ? lookup->org_domain : lookup->from_domain;
	char name[DNS_NAME_MAX + 1];

	if ((size_t)snprintf(name, sizeof name, DMARC_PREFIX "%s", domain) > DNS_NAME_MAX - 2) {
		event_base_once(resolver_base(lookup->resolver), -1, EV_TIMEOUT, on_name_too_long, lookup, NULL);
		return;
	}
	resolver_query(lookup->resolver, name, DNS_TXT, on_answer, lookup);
}

static void on_no_domain(evutil_socket_t fd, short events, void *context)
{
	struct dmarc_discovery discovery = {DMARC_DISCOVERY_NONE, NULL, "", false, NULL};

	finish(context, &discovery);
}

void dmarc_check(struct resolver *resolver, const struct org_domain *list, const struct dmarc_inputs *inputs,
                 const struct dmarc_sampler *sampler, dmarc_done done, void *context)
{
	struct dmarc_lookup *lookup = xcalloc(1, sizeof *lookup);

	*lookup = (struct dmarc_lookup){
	    .resolver = resolver, .list = list, .sampler = sampler, .done = done, .context = context};
	/* the Author Domain as the Organizational Domain is written: lower case, no trailing dot */
	snprintf(lookup->from_domain, sizeof lookup->from_domain, "%s", inputs->from_domain ? inputs->from_domain : "");
	for (char *c = lookup->from_domain; *c != '\0'; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + ('a' - 'A') : *c);
	if (lookup->from_domain[0] != '\0' && lookup->from_domain[strlen(lookup->from_domain) - 1] == '.')
		lookup->from_domain[strlen(lookup->from_domain) - 1] = '\0';
	lookup->spf_pass = inputs->spf_pass;
	snprintf(lookup->spf_domain, sizeof lookup->spf_domain, "%s", inputs->spf_domain ? inputs->spf_domain : "");
	for (size_t i = 0; i < inputs->dkim_count && lookup->dkim_count < DMARC_SIGNATURES_MAX; i++)
		if (inputs->dkim_domains[i] != NULL)
			snprintf(lookup->dkim_domains[lookup->dkim_count++], DMARC_POLICY_DOMAIN_SIZE, "%s",
			         inputs->dkim_domains[i]);
	if (!org_domain_find(list, lookup->from_domain, lookup->org_domain, sizeof lookup->org_domain)) {
		/* no usable Author Domain: permerror, still reported later on the loop */
		lookup->from_domain[0] = '\0';
		event_base_once(resolver_base(resolver), -1, EV_TIMEOUT, on_no_domain, lookup, NULL);
		return;
	}
	ask(lookup);
}
