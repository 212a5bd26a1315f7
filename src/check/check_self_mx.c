/* check_self_mx: the MX lookup, then A and AAAA of every MX name at once. */
#include "check/check_self_mx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/check_self_tls.h"
#include "dns/rdata.h"
#include "util/xalloc.h"

#define SECTION "MX"

struct self_mx {
	struct check_self *self;
	char domain[DNS_NAME_MAX + 1];
	size_t count;
	char names[CHECK_SELF_MX_MAX][DNS_NAME_MAX + 1];
	bool ours[CHECK_SELF_MX_MAX];
	unsigned waiting;
};

struct address_query {
	struct self_mx *mx;
	size_t index;
};

static void finish(struct self_mx *mx)
{
	struct check_self *self = mx->self;
	struct findings *findings = &self->check->findings;
	size_t ours = 0;

	for (size_t i = 0; i < mx->count; i++) {
		if (mx->ours[i]) {
			ours++;
			findings_add(findings, SECTION, mx->domain, FINDING_OK, NULL, "MX %s points at this host",
			             mx->names[i]);
			check_self_tls_cover(self, mx->names[i]);
		} else {
			findings_add(findings, SECTION, mx->domain, FINDING_INFO, NULL,
			             "MX %s is another host (not %s nor one of its addresses)", mx->names[i],
			             self->hostname);
		}
	}
	if (mx->count > 0 && ours == 0)
		findings_add(findings, SECTION, mx->domain, FINDING_FAIL, "publish \"MX 10 HOSTNAME\" for the domain",
		             "no MX of %s points at this host (%s): its mail goes elsewhere", mx->domain,
		             self->hostname);
	free(mx);
	check_self_release(self);
}

static void on_address(void *context, const struct dns_answer *answer)
{
	struct address_query *query = context;
	struct self_mx *mx = query->mx;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		size_t length = record->type == DNS_A ? 4 : record->type == DNS_AAAA ? 16 : 0;
		if (length && check_self_is_ours(mx->self, record->address, length))
			mx->ours[query->index] = true;
	}
	free(query);
	if (--mx->waiting == 0)
		finish(mx);
}

static void on_mx(void *context, const struct dns_answer *answer)
{
	struct self_mx *mx = context;
	struct check_self *self = mx->self;
	struct findings *findings = &self->check->findings;

	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		findings_add(findings, SECTION, mx->domain, FINDING_WARN, "fix the domain's DNS servers",
		             "MX lookup of %s failed: %s", mx->domain, answer->why);
	} else if (answer->status != DNS_OK || answer->count == 0) {
		findings_add(findings, SECTION, mx->domain, FINDING_FAIL, "publish \"MX 10 HOSTNAME\" for the domain",
		             "%s has no MX records: senders fall back to its own address, if any (RFC 5321 §5.1)",
		             mx->domain);
	} else {
		for (size_t i = 0; i < answer->count && mx->count < CHECK_SELF_MX_MAX; i++) {
			const struct dns_record *record = &answer->records[i];
			if (record->type != DNS_MX)
				continue;
			if (record->name[0] == '\0') {
				findings_add(findings, SECTION, mx->domain, FINDING_FAIL,
				             "remove the null MX (\".\") if ternd is to receive for the domain",
				             "null MX (RFC 7505): %s says it receives no mail, yet ternd serves it",
				             mx->domain);
				continue;
			}
			snprintf(mx->names[mx->count], sizeof mx->names[0], "%s", record->name);
			mx->ours[mx->count] = strcasecmp(record->name, self->hostname) == 0;
			mx->count++;
		}
		mx->waiting = 1; /* until every lookup is started */
		for (size_t i = 0; i < mx->count; i++) {
			for (int family = 0; family < 2 && !mx->ours[i]; family++) {
				struct address_query *query = xcalloc(1, sizeof *query);
				query->mx = mx;
				query->index = i;
				mx->waiting++;
				resolver_query(self->check->resolver, mx->names[i], family ? DNS_AAAA : DNS_A,
				               on_address, query);
			}
		}
		if (--mx->waiting == 0)
			finish(mx);
		return;
	}
	free(mx);
	check_self_release(self);
}

void check_self_mx_start(struct check_self *self, const char *domain)
{
	struct self_mx *mx = xcalloc(1, sizeof *mx);

	mx->self = self;
	rdata_name_normalize(domain, mx->domain);
	check_self_hold(self);
	resolver_query(self->check->resolver, mx->domain, DNS_MX, on_mx, mx);
}
