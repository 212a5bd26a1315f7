/* dmarc_policy: RFC 7489 §6.6.2 (alignment of the SPF and DKIM identifiers with the Author
 * Domain, §3.1), §6.6.3 steps 5-6 (several records, a record without a valid p=), §6.3 (p= for
 * the domain, sp= for its subdomains, adkim=, aspf=, pct=) and §6.6.4 (sampling: a message
 * sampled out gets the next less strict policy). Not here: discovery (dmarc.c), reports. */
#include "mailauth/dmarc_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void copy_name(char *out, const char *name) { snprintf(out, DMARC_POLICY_DOMAIN_SIZE, "%s", name ? name : ""); }

static unsigned sample(const struct dmarc_sampler *sampler)
{
	if (sampler == NULL || sampler->next == NULL)
		return arc4random_uniform(DMARC_RECORD_PERCENT_MAX);
	return sampler->next(sampler->context) % DMARC_RECORD_PERCENT_MAX;
}

/* §6.6.4: "reject" sampled out is treated as "quarantine", "quarantine" as "none". */
static enum dmarc_policy lighter(enum dmarc_policy policy)
{
	return policy == DMARC_POLICY_REJECT ? DMARC_POLICY_QUARANTINE : DMARC_POLICY_NONE;
}

/* The record to apply, or false with the outcome filled (none or permerror). */
static bool read_record(const struct dmarc_discovery *discovery, struct dmarc_record *record,
                        struct dmarc_outcome *outcome)
{
	enum dmarc_record_result parsed = dmarc_record_parse(slice_from_string(discovery->record), record);

	if (parsed == DMARC_RECORD_OK)
		return true;
	if ((parsed == DMARC_RECORD_MISSING_POLICY || parsed == DMARC_RECORD_BAD_POLICY) &&
	    record->aggregate_uri_count > 0) {
		/* §6.6.3 step 6.1: as if the record said p=none, with its other tags */
		record->has_policy = true;
		record->policy = DMARC_POLICY_NONE;
		record->has_subdomain_policy = false;
		return true;
	}
	if (parsed == DMARC_RECORD_MISSING_POLICY || parsed == DMARC_RECORD_BAD_POLICY) {
		outcome->result = DMARC_RESULT_NONE; /* §6.6.3 step 6.2: no DMARC processing */
		snprintf(outcome->why, sizeof outcome->why,
		         "record at _dmarc.%s has %s and no valid rua=", discovery->domain,
		         dmarc_record_result_name(parsed));
		return false;
	}
	outcome->result = DMARC_RESULT_PERMERROR; /* RFC 7489 §11.2: a syntactically incorrect record */
	snprintf(outcome->why, sizeof outcome->why, "record at _dmarc.%s: %s%s%.*s", discovery->domain,
	         dmarc_record_result_name(parsed), record->error_tag.length ? " " : "",
	         (int)(record->error_tag.length > 32 ? 32 : record->error_tag.length),
	         record->error_tag.data ? record->error_tag.data : "");
	return false;
}

static void align(const struct org_domain *list, const struct dmarc_inputs *inputs, const struct dmarc_record *record,
                  struct dmarc_outcome *outcome)
{
	bool strict_spf = record->spf_alignment == DMARC_ALIGNMENT_STRICT;
	bool strict_dkim = record->dkim_alignment == DMARC_ALIGNMENT_STRICT;

	outcome->spf_aligned = inputs->spf_pass && inputs->spf_domain != NULL &&
	                       org_domain_aligned(list, inputs->spf_domain, inputs->from_domain, strict_spf);
	for (size_t i = 0; i < inputs->dkim_count && !outcome->dkim_aligned; i++)
		if (inputs->dkim_domains[i] != NULL &&
		    org_domain_aligned(list, inputs->dkim_domains[i], inputs->from_domain, strict_dkim)) {
			outcome->dkim_aligned = true;
			copy_name(outcome->dkim_domain, inputs->dkim_domains[i]);
		}
}

static void explain(const struct dmarc_inputs *inputs, const struct dmarc_record *record, struct dmarc_outcome *outcome)
{
	const char *alignment;

	if (outcome->result == DMARC_RESULT_PASS) {
		alignment = outcome->spf_aligned && outcome->dkim_aligned ? "SPF and DKIM"
		            : outcome->spf_aligned                        ? "SPF"
		                                                          : "DKIM";
		snprintf(outcome->why, sizeof outcome->why, "%s aligned with %s (%s)", alignment, outcome->from_domain,
		         outcome->spf_aligned ? (record->spf_alignment ? "aspf=s" : "aspf=r")
		                              : (record->dkim_alignment ? "adkim=s" : "adkim=r"));
		return;
	}
	snprintf(outcome->why, sizeof outcome->why, "no aligned pass for %s: SPF %s%s%s, %zu DKIM pass%s%s; %s=%s%s",
	         outcome->from_domain, inputs->spf_pass ? "pass for " : "not pass",
	         inputs->spf_pass && inputs->spf_domain ? inputs->spf_domain : "",
	         record->spf_alignment ? " (aspf=s)" : "", inputs->dkim_count, inputs->dkim_count == 1 ? "" : "es",
	         record->dkim_alignment ? " (adkim=s)" : "", outcome->subdomain_policy ? "sp" : "p",
	         dmarc_record_policy_name(outcome->policy), outcome->sampled_out ? ", sampled out by pct=" : "");
}

void dmarc_policy_evaluate(const struct org_domain *list, const struct dmarc_inputs *inputs,
                           const struct dmarc_discovery *discovery, const struct dmarc_sampler *sampler,
                           struct dmarc_outcome *outcome)
{
	struct dmarc_record record;
	bool subdomain;

	memset(outcome, 0, sizeof *outcome);
	copy_name(outcome->from_domain, inputs->from_domain);
	if (outcome->from_domain[0] == '\0') {
		outcome->result = DMARC_RESULT_PERMERROR; /* §6.6.1: no single Author Domain */
		snprintf(outcome->why, sizeof outcome->why, "no usable RFC5322.From domain");
		return;
	}
	copy_name(outcome->record_domain, discovery->domain);
	switch (discovery->status) {
	case DMARC_DISCOVERY_TEMPERROR:
		outcome->result = DMARC_RESULT_TEMPERROR;
		snprintf(outcome->why, sizeof outcome->why, "DMARC lookup for _dmarc.%s failed: %s",
		         outcome->record_domain, discovery->why ? discovery->why : "temporary DNS error");
		return;
	case DMARC_DISCOVERY_NONE:
		snprintf(outcome->why, sizeof outcome->why, "no DMARC record for %s", outcome->from_domain);
		return;
	case DMARC_DISCOVERY_SEVERAL:
		snprintf(outcome->why, sizeof outcome->why, "several DMARC records at _dmarc.%s",
		         outcome->record_domain);
		return; /* §6.6.3 step 5: no DMARC processing */
	case DMARC_DISCOVERY_FOUND:
		break;
	}
	if (!read_record(discovery, &record, outcome))
		return;
	outcome->has_policy = true;
	/* §6.3 sp: the record of the Organizational Domain speaks for its subdomains with sp=, when
	 * it has one; the Author Domain's own record always with p=. */
	subdomain = discovery->at_org_domain && strcasecmp(outcome->record_domain, outcome->from_domain) != 0;
	outcome->subdomain_policy = subdomain && record.has_subdomain_policy;
	outcome->policy = outcome->subdomain_policy ? record.subdomain_policy : record.policy;
	align(list, inputs, &record, outcome);
	outcome->result = outcome->spf_aligned || outcome->dkim_aligned ? DMARC_RESULT_PASS : DMARC_RESULT_FAIL;
	outcome->disposition = DMARC_POLICY_NONE;
	if (outcome->result == DMARC_RESULT_FAIL) {
		outcome->disposition = outcome->policy;
		/* §6.3 pct, §6.6.4: only pct percent of failing messages get the policy */
		if (outcome->policy != DMARC_POLICY_NONE && record.percent < DMARC_RECORD_PERCENT_MAX &&
		    sample(sampler) >= record.percent) {
			outcome->sampled_out = true;
			outcome->disposition = lighter(outcome->policy);
		}
	}
	explain(inputs, &record, outcome);
}

const char *dmarc_policy_result_name(enum dmarc_result result)
{
	static const char *const names[] = {
	    [DMARC_RESULT_NONE] = "none",           [DMARC_RESULT_PASS] = "pass",
	    [DMARC_RESULT_FAIL] = "fail",           [DMARC_RESULT_TEMPERROR] = "temperror",
	    [DMARC_RESULT_PERMERROR] = "permerror",
	};
	return result <= DMARC_RESULT_PERMERROR ? names[result] : "none";
}
