/* check_self: the hostname's addresses first (everything else compares with them), then the
 * PTR of each outbound address, SPF of each domain from each outbound address, and the MX
 * records, all at once; the DKIM keys and certificates need no addresses and start at once. */
#include "check/check_self.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/check_self_dkim.h"
#include "check/check_self_mx.h"
#include "check/check_self_tls.h"
#include "dns/rdata.h"
#include "mailauth/spf.h"
#include "util/xalloc.h"

#define SECTION_HOST "Host"
#define SECTION_PTR  "Reverse DNS"
#define SECTION_SPF  "SPF"

struct self_query {
	struct check_self *self;
	size_t index;                  /* the outbound address */
	char domain[DNS_NAME_MAX + 1]; /* SPF: the local domain */
};

void check_self_hold(struct check_self *self)
{
	self->references++;
	check_state_hold(self->check);
}

void check_self_release(struct check_self *self)
{
	struct check_state *check = self->check;

	if (--self->references == 0) {
		for (size_t i = 0; i < self->certificate_count; i++)
			X509_free(self->certificates[i]);
		free(self->certificates);
		free(self);
	}
	check_state_release(check);
}

static bool in_list(const struct self_address *list, size_t count, const unsigned char *bytes, size_t length)
{
	for (size_t i = 0; i < count; i++)
		if (list[i].length == length && memcmp(list[i].bytes, bytes, length) == 0)
			return true;
	return false;
}

bool check_self_is_ours(const struct check_self *self, const unsigned char *bytes, size_t length)
{
	return in_list(self->host, self->host_count, bytes, length) ||
	       in_list(self->outbound, self->outbound_count, bytes, length);
}

static void add_address(struct self_address *list, size_t *count, const unsigned char *bytes, size_t length)
{
	struct self_address *address;

	if (*count == CHECK_SELF_ADDRESSES_MAX || in_list(list, *count, bytes, length))
		return;
	address = &list[(*count)++];
	address->length = length;
	memcpy(address->bytes, bytes, length);
	inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes, address->text, sizeof address->text);
}

/* RFC 1035 §3.5, RFC 3596 §2.5 */
static void reverse_name(const struct self_address *address, char out[DNS_NAME_MAX + 1])
{
	const unsigned char *b = address->bytes;
	size_t used = 0;

	if (address->length == 4) {
		snprintf(out, DNS_NAME_MAX + 1, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
		return;
	}
	for (size_t i = 16; i > 0; i--)
		used += (size_t)snprintf(out + used, DNS_NAME_MAX + 1 - used, "%x.%x.", b[i - 1] & 0xf, b[i - 1] >> 4);
	snprintf(out + used, DNS_NAME_MAX + 1 - used, "ip6.arpa");
}

static void on_ptr(void *context, const struct dns_answer *answer)
{
	struct self_query *query = context;
	struct check_self *self = query->self;
	const struct self_address *address = &self->outbound[query->index];
	struct findings *findings = &self->check->findings;
	const char *other = NULL;
	bool named = false;
	char fix[DNS_NAME_MAX + 96];

	snprintf(fix, sizeof fix, "ask whoever runs the address to set its PTR to %s", self->hostname);
	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		if (answer->records[i].type != DNS_PTR)
			continue;
		if (strcasecmp(answer->records[i].name, self->hostname) == 0)
			named = true;
		else
			other = answer->records[i].name;
	}
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS)
		findings_add(findings, SECTION_PTR, address->text, FINDING_WARN, "fix the reverse zone's DNS servers",
		             "PTR lookup failed: %s", answer->why);
	else if (named && in_list(self->host, self->host_count, address->bytes, address->length))
		findings_add(findings, SECTION_PTR, address->text, FINDING_OK, NULL,
		             "PTR %s, which resolves back to %s (forward-confirmed)", self->hostname, address->text);
	else if (named)
		findings_add(findings, SECTION_PTR, address->text, FINDING_FAIL,
		             "add the address to the hostname's A/AAAA records",
		             "PTR %s, but %s does not resolve to %s: not forward-confirmed", self->hostname,
		             self->hostname, address->text);
	else if (other != NULL)
		findings_add(findings, SECTION_PTR, address->text, FINDING_FAIL, fix,
		             "PTR %s, not the hostname %s: receivers see a mismatch with the HELO name", other,
		             self->hostname);
	else
		findings_add(findings, SECTION_PTR, address->text, FINDING_FAIL, fix,
		             "no PTR record: many receivers refuse mail from addresses without one");
	free(query);
	check_self_release(self);
}

static void on_spf(void *context, const struct spf_outcome *outcome)
{
	struct self_query *query = context;
	struct check_self *self = query->self;
	const struct self_address *address = &self->outbound[query->index];

	if (outcome->result == SPF_PASS)
		findings_add(&self->check->findings, SECTION_SPF, query->domain, FINDING_OK, NULL, "pass for %s (%s)",
		             address->text, outcome->reason);
	else
		findings_add(&self->check->findings, SECTION_SPF, query->domain, FINDING_FAIL,
		             "add ip4:/ip6: with this address (or a:HOSTNAME) to the domain's SPF record",
		             "%s for %s sending as postmaster@%s: %s", spf_result_name(outcome->result), address->text,
		             query->domain, outcome->reason);
	free(query);
	check_self_release(self);
}

static struct self_query *query_new(struct check_self *self, size_t index, const char *domain)
{
	struct self_query *query = xcalloc(1, sizeof *query);

	query->self = self;
	query->index = index;
	snprintf(query->domain, sizeof query->domain, "%s", domain ? domain : "");
	check_self_hold(self);
	return query;
}

static void start_spf(struct check_self *self, size_t index, const char *domain)
{
	struct self_query *query = query_new(self, index, domain);
	char sender[DNS_NAME_MAX + 16];

	snprintf(sender, sizeof sender, "postmaster@%s", domain);
	if (spf_check(self->check->resolver, self->outbound[index].text, self->hostname, sender, on_spf, query) ==
	    NULL) {
		free(query);
		check_self_release(self);
	}
}

static void outbound_addresses(struct check_self *self)
{
	const struct sockaddr_storage *source = &self->config->source_address;

	if (source->ss_family == AF_INET)
		add_address(self->outbound, &self->outbound_count,
		            (const unsigned char *)&((const struct sockaddr_in *)source)->sin_addr, 4);
	else if (source->ss_family == AF_INET6)
		add_address(self->outbound, &self->outbound_count,
		            (const unsigned char *)&((const struct sockaddr_in6 *)source)->sin6_addr, 16);
	for (size_t i = 0; source->ss_family == 0 && i < self->host_count; i++)
		self->outbound[self->outbound_count++] = self->host[i];
}

/* The hostname's addresses are known: everything that compares with them starts. */
static void host_known(struct check_self *self)
{
	struct findings *findings = &self->check->findings;
	const struct config *config = self->config;
	char list[CHECK_SELF_ADDRESSES_MAX * (INET6_ADDRSTRLEN + 2)] = "";
	char reverse[DNS_NAME_MAX + 1];

	for (size_t i = 0; i < self->host_count; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", self->host[i].text);
	if (self->host_count == 0)
		findings_add(findings, SECTION_HOST, self->hostname, FINDING_FAIL,
		             "publish A (and AAAA) records for the hostname pointing at this server",
		             "the hostname has no A/AAAA record: receivers cannot confirm the HELO name");
	else
		findings_add(findings, SECTION_HOST, self->hostname, FINDING_OK, NULL, "resolves to %s", list);
	outbound_addresses(self);
	if (self->outbound_count == 0)
		findings_add(findings, SECTION_PTR, "", FINDING_FAIL,
		             "set source-address, or publish the hostname's A/AAAA",
		             "no outbound address known: neither source-address nor the hostname's addresses");
	for (size_t i = 0; i < self->outbound_count; i++) {
		reverse_name(&self->outbound[i], reverse);
		resolver_query(self->check->resolver, reverse, DNS_PTR, on_ptr, query_new(self, i, NULL));
		for (size_t d = 0; d < config->domain_count; d++)
			start_spf(self, i, config->domains[d].name);
	}
	for (size_t d = 0; d < config->domain_count; d++)
		check_self_mx_start(self, config->domains[d].name);
}

static void on_host(void *context, const struct dns_answer *answer)
{
	struct check_self *self = context;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		if (record->type == DNS_A || record->type == DNS_AAAA)
			add_address(self->host, &self->host_count, record->address, record->type == DNS_A ? 4 : 16);
	}
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS)
		findings_add(&self->check->findings, SECTION_HOST, self->hostname, FINDING_WARN,
		             "fix the hostname's DNS servers", "address lookup failed: %s", answer->why);
	if (--self->host_waiting == 0)
		host_known(self);
	check_self_release(self);
}

void check_self_start(struct check_state *check, const struct config *config)
{
	struct check_self *self = xcalloc(1, sizeof *self);
	struct findings *findings = &check->findings;

	self->check = check;
	self->config = config;
	rdata_name_normalize(config->hostname, self->hostname);
	findings_section(findings, SECTION_HOST);
	findings_section(findings, SECTION_PTR);
	findings_section(findings, SECTION_SPF);
	findings_section(findings, "DKIM");
	findings_section(findings, "MX");
	check_self_tls_load(self);
	self->host_waiting = 2;
	check_self_hold(self);
	resolver_query(check->resolver, self->hostname, DNS_A, on_host, self);
	check_self_hold(self);
	resolver_query(check->resolver, self->hostname, DNS_AAAA, on_host, self);
	for (size_t d = 0; d < config->domain_count; d++)
		check_self_dkim_start(self, &config->domains[d]);
}
