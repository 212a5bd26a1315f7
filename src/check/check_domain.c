/* check_domain: the checks of one domain, and the one finding that needs two of them. */
#include "check/check_domain.h"

#include <stdlib.h>
#include <string.h>

#include "check/check_dkim.h"
#include "check/check_dmarc.h"
#include "check/check_mta_sts.h"
#include "check/check_mx.h"
#include "check/check_spf.h"
#include "util/xalloc.h"

struct domain_check {
	struct check_state *check;
	unsigned waiting; /* of the two answers below */
	bool have_policy;
	struct mta_sts_policy policy;
	struct check_mx_hosts hosts;
};

static void cover(struct domain_check *domain)
{
	struct findings *findings = &domain->check->findings;
	const struct mta_sts_policy *policy = &domain->policy;

	if (!domain->have_policy || !domain->hosts.known || domain->hosts.null_mx || policy->mode == MTA_STS_MODE_NONE)
		return;
	for (size_t i = 0; i < domain->hosts.count; i++) {
		const char *host = domain->hosts.names[i];
		if (mta_sts_policy_matches(policy, host))
			findings_add(findings, "MTA-STS", host, FINDING_OK, NULL,
			             "covered by the policy's mx patterns");
		else
			findings_add(findings, "MTA-STS", host,
			             policy->mode == MTA_STS_MODE_ENFORCE ? FINDING_FAIL : FINDING_WARN,
			             "add an \"mx:\" line for this host to the policy (and change its id in DNS)",
			             "not covered by the policy's mx patterns: %s",
			             policy->mode == MTA_STS_MODE_ENFORCE
			                 ? "senders that enforce MTA-STS will not deliver to it"
			                 : "senders would report failures (mode testing)");
	}
}

static void answered(struct domain_check *domain)
{
	if (--domain->waiting > 0)
		return;
	cover(domain);
	check_state_release(domain->check);
	free(domain);
}

static void on_hosts(void *context, const struct check_mx_hosts *hosts)
{
	struct domain_check *domain = context;

	domain->hosts = *hosts;
	answered(domain);
}

static void on_policy(void *context, const struct mta_sts_policy *policy)
{
	struct domain_check *domain = context;

	if (policy != NULL) {
		domain->policy = *policy;
		domain->have_policy = true;
	}
	answered(domain);
}

void check_domain_start(struct check_state *check, const char *domain_name)
{
	struct domain_check *domain = xcalloc(1, sizeof *domain);

	domain->check = check;
	domain->waiting = 2;
	check_state_hold(check);
	check_mx_start(check, domain_name, on_hosts, domain);
	check_mta_sts_start(check, domain_name, on_policy, domain);
	check_spf_start(check, domain_name);
	check_dmarc_start(check, domain_name);
	check_dkim_start(check, domain_name, check->options->selectors);
}
