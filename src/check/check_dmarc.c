/* check_dmarc: _dmarc.DOMAIN, then, only when it has no record, _dmarc.ORG. */
#include "check/check_dmarc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/rdata.h"
#include "mailauth/dmarc_record.h"
#include "mailauth/org_domain.h"
#include "util/xalloc.h"

#define SECTION "DMARC"

struct dmarc_check {
	struct check_state *check;
	char domain[DNS_NAME_MAX + 1];
	char org[DNS_NAME_MAX + 1]; /* set while the Organizational Domain's record is asked */
};

enum selection { SELECTED, NO_RECORD, LOOKUP_FAILED, SEVERAL };

/* §6.6.3 steps 2, 4, 5: the one TXT record that starts "v=DMARC1". */
static enum selection select_record(const struct dns_answer *answer, struct slice *text, size_t *count)
{
	*count = 0;
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS)
		return LOOKUP_FAILED;
	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		struct slice candidate = slice_make(record->text, record->text_length);
		if (record->type == DNS_TXT && dmarc_record_is_dmarc(candidate)) {
			*text = candidate;
			++*count;
		}
	}
	return *count == 0 ? NO_RECORD : *count > 1 ? SEVERAL : SELECTED;
}

static void judge(struct dmarc_check *dmarc, const char *subject, const struct dmarc_record *record)
{
	struct findings *findings = &dmarc->check->findings;
	const char *owner = subject[0] ? subject : dmarc->domain;

	if (record->policy == DMARC_POLICY_NONE)
		findings_add(findings, SECTION, subject, FINDING_WARN,
		             "once the reports show your mail passes, move to p=quarantine, then p=reject",
		             "p=none: monitoring only, receivers deliver mail that fails DMARC as usual");
	else
		findings_add(findings, SECTION, subject, FINDING_OK, NULL, "p=%s: receivers %s mail that fails DMARC",
		             dmarc_record_policy_name(record->policy),
		             record->policy == DMARC_POLICY_REJECT ? "refuse" : "put in spam");
	if (record->has_subdomain_policy)
		findings_add(findings, SECTION, subject, FINDING_INFO, NULL, "sp=%s: the policy for subdomains of %s",
		             dmarc_record_policy_name(record->subdomain_policy), owner);
	if (record->percent < DMARC_RECORD_PERCENT_MAX)
		findings_add(findings, SECTION, subject, FINDING_WARN, "raise pct= to 100 (or remove it)",
		             "pct=%u: the policy applies to only %u%% of failing mail", record->percent,
		             record->percent);
	if (record->aggregate_uri_count == 0)
		findings_add(findings, SECTION, subject, FINDING_WARN, "add rua=mailto:dmarc-reports@DOMAIN",
		             "no rua=: you get no aggregate reports, so you cannot see who sends as you");
	else
		findings_add(findings, SECTION, subject, FINDING_OK, NULL, "aggregate reports go to %.*s",
		             (int)record->aggregate_uris.length, record->aggregate_uris.data);
	if (record->dkim_alignment == DMARC_ALIGNMENT_STRICT)
		findings_add(findings, SECTION, subject, FINDING_INFO, "use adkim=r unless subdomains must not align",
		             "adkim=s: a DKIM d= must equal the From domain exactly, subdomains do not align");
	if (record->spf_alignment == DMARC_ALIGNMENT_STRICT)
		findings_add(findings, SECTION, subject, FINDING_INFO, "use aspf=r unless subdomains must not align",
		             "aspf=s: the MAIL FROM domain must equal the From domain exactly");
}

/* Parses and judges the one record; false when it does not parse. */
static bool parse(struct dmarc_check *dmarc, const char *subject, struct slice text, struct dmarc_record *record)
{
	enum dmarc_record_result result = dmarc_record_parse(text, record);

	if (result == DMARC_RECORD_OK)
		return true;
	findings_add(&dmarc->check->findings, SECTION, subject, FINDING_FAIL,
	             "fix the record (RFC 7489 §6.4), e.g. \"v=DMARC1; p=none; rua=mailto:dmarc@DOMAIN\"",
	             "record at _dmarc.%s: %s%s%.*s%s", subject[0] ? subject : dmarc->domain,
	             dmarc_record_result_name(result), record->error_tag.length ? " (at \"" : "",
	             (int)record->error_tag.length, record->error_tag.data, record->error_tag.length ? "\")" : "");
	return false;
}

static void finish(struct dmarc_check *dmarc)
{
	check_state_release(dmarc->check);
	free(dmarc);
}

static void report_failure(struct dmarc_check *dmarc, const char *name, enum selection selection, size_t count,
                           const char *why)
{
	if (selection == LOOKUP_FAILED)
		findings_add(&dmarc->check->findings, SECTION, "", FINDING_WARN, "fix the domain's DNS servers",
		             "_dmarc.%s lookup failed: %s", name, why);
	else
		findings_add(&dmarc->check->findings, SECTION, "", FINDING_FAIL, "keep exactly one v=DMARC1 record",
		             "%zu DMARC records at _dmarc.%s: receivers ignore them all (RFC 7489 §6.6.3)", count,
		             name);
}

static void on_org_record(void *context, const struct dns_answer *answer)
{
	struct dmarc_check *dmarc = context;
	struct dmarc_record record;
	struct slice text;
	size_t count;
	enum selection selection = select_record(answer, &text, &count);

	if (selection == NO_RECORD)
		findings_add(&dmarc->check->findings, SECTION, "", FINDING_WARN,
		             "publish \"v=DMARC1; p=none; rua=mailto:dmarc-reports@DOMAIN\" at _dmarc.DOMAIN",
		             "no DMARC record at _dmarc.%s nor at _dmarc.%s: receivers cannot act on forged mail",
		             dmarc->domain, dmarc->org);
	else if (selection != SELECTED)
		report_failure(dmarc, dmarc->org, selection, count, answer->why);
	else if (parse(dmarc, dmarc->org, text, &record)) {
		enum dmarc_policy policy = record.has_subdomain_policy ? record.subdomain_policy : record.policy;
		findings_add(
		    &dmarc->check->findings, SECTION, "", policy == DMARC_POLICY_NONE ? FINDING_WARN : FINDING_OK,
		    policy == DMARC_POLICY_NONE ? "publish a record of its own at _dmarc.DOMAIN, or raise sp=" : NULL,
		    "no record at _dmarc.%s: covered by the organizational domain's record at _dmarc.%s, "
		    "whose %s gives p=%s",
		    dmarc->domain, dmarc->org, record.has_subdomain_policy ? "sp=" : "p= (no sp=)",
		    dmarc_record_policy_name(policy));
		judge(dmarc, dmarc->org, &record);
	}
	finish(dmarc);
}

static void ask_org(struct dmarc_check *dmarc)
{
	char error[128], name[DNS_NAME_MAX + 16];
	struct org_domain *list = org_domain_load(NULL, error, sizeof error);
	bool found = list != NULL && org_domain_find(list, dmarc->domain, dmarc->org, sizeof dmarc->org);

	org_domain_free(list);
	if (!found || strcmp(dmarc->org, dmarc->domain) == 0) {
		findings_add(&dmarc->check->findings, SECTION, "", FINDING_WARN,
		             "publish \"v=DMARC1; p=none; rua=mailto:dmarc-reports@DOMAIN\" at _dmarc.DOMAIN",
		             "no DMARC record at _dmarc.%s: receivers cannot act on forged mail%s%s", dmarc->domain,
		             list == NULL ? " (no public suffix list: " : "", list == NULL ? error : "");
		finish(dmarc);
		return;
	}
	snprintf(name, sizeof name, "_dmarc.%s", dmarc->org); /* RFC 7489 §6.6.3 step 3 */
	resolver_query(dmarc->check->resolver, name, DNS_TXT, on_org_record, dmarc);
}

static void on_record(void *context, const struct dns_answer *answer)
{
	struct dmarc_check *dmarc = context;
	struct dmarc_record record;
	struct slice text;
	size_t count;
	enum selection selection = select_record(answer, &text, &count);

	if (selection == NO_RECORD) {
		ask_org(dmarc);
		return;
	}
	if (selection != SELECTED)
		report_failure(dmarc, dmarc->domain, selection, count, answer->why);
	else if (parse(dmarc, "", text, &record))
		judge(dmarc, "", &record);
	finish(dmarc);
}

void check_dmarc_start(struct check_state *check, const char *domain)
{
	struct dmarc_check *dmarc = xcalloc(1, sizeof *dmarc);
	char name[DNS_NAME_MAX + 16];

	dmarc->check = check;
	rdata_name_normalize(domain, dmarc->domain);
	findings_section(&check->findings, SECTION);
	check_state_hold(check);
	snprintf(name, sizeof name, "_dmarc.%s", dmarc->domain); /* RFC 7489 §6.1 */
	resolver_query(check->resolver, name, DNS_TXT, on_record, dmarc);
}
