/* check_mx: MX records, then per host A, AAAA and TLSA at once, then a probe per address. */
#include "check/check_mx.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_smtp.h"
#include "deliver/route_order.h"
#include "dns/rdata.h"
#include "util/xalloc.h"

#define SECTION      "MX"
#define SECTION_DANE "DANE"

struct mx_lookup {
	struct check_state *check;
	char domain[DNS_NAME_MAX + 1];
	bool implicit; /* no MX: the domain is its own host (RFC 5321 §5.1) */
	void (*on_hosts)(void *context, const struct check_mx_hosts *hosts);
	void *context;
};

enum host_query { HOST_AAAA, HOST_A, HOST_TLSA, HOST_QUERIES };

struct host_lookup {
	struct check_state *check;
	char name[DNS_NAME_MAX + 1];
	bool implicit;
	unsigned outstanding;
	enum dns_status status[HOST_QUERIES];
	char why[HOST_QUERIES][128];
	char canonical[DNS_NAME_MAX + 1];
	unsigned char aaaa[ROUTE_ADDRESSES_MAX][16];
	unsigned char a[ROUTE_ADDRESSES_MAX][4];
	size_t aaaa_count, a_count;
	bool tlsa_secure;
	struct check_tlsa tlsa;
};

struct host_query_context {
	struct host_lookup *host;
	enum host_query which;
};

static void report_tlsa(struct host_lookup *host)
{
	struct findings *findings = &host->check->findings;
	enum dns_status status = host->status[HOST_TLSA];

	if (status == DNS_NODATA || status == DNS_NXDOMAIN) {
		findings_add(findings, SECTION_DANE, host->name, FINDING_INFO,
		             "optional: publish TLSA records at _25._tcp in a DNSSEC-signed zone (RFC 7672)",
		             "no TLSA records at _25._tcp.%s: DANE is not used", host->name);
	} else if (status != DNS_OK) {
		findings_add(findings, SECTION_DANE, host->name, FINDING_WARN,
		             "a DANE-validating sender defers mail while this lookup fails: fix the zone's servers",
		             "TLSA lookup at _25._tcp.%s failed: %s", host->name, host->why[HOST_TLSA]);
	} else if (!host->tlsa_secure) {
		findings_add(
		    findings, SECTION_DANE, host->name, FINDING_WARN,
		    "sign the zone with DNSSEC (and publish its DS): senders use TLSA only from a secure answer",
		    "%zu TLSA record%s at _25._tcp.%s, but the answer is not DNSSEC-validated (RFC 7672 §2.2)",
		    host->tlsa.count, host->tlsa.count == 1 ? "" : "s", host->name);
	} else {
		findings_add(findings, SECTION_DANE, host->name, FINDING_OK, NULL,
		             "%zu TLSA record%s at _25._tcp.%s, DNSSEC-validated", host->tlsa.count,
		             host->tlsa.count == 1 ? "" : "s", host->name);
	}
}

static const char *address_text(const struct sockaddr_storage *address, char *out, size_t size)
{
	if (address->ss_family == AF_INET6)
		return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, out, (socklen_t)size);
	return inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, out, (socklen_t)size);
}

/* Whether the host's address lookups give no address, and why in words; NULL when it has some. */
static const char *no_address_reason(const struct host_lookup *host)
{
	if (host->aaaa_count + host->a_count > 0)
		return NULL;
	if (host->status[HOST_A] == DNS_NXDOMAIN)
		return "the name does not exist (NXDOMAIN)";
	if (host->status[HOST_A] == DNS_TEMPFAIL || host->status[HOST_A] == DNS_BOGUS)
		return host->why[HOST_A];
	if (host->status[HOST_AAAA] == DNS_TEMPFAIL || host->status[HOST_AAAA] == DNS_BOGUS)
		return host->why[HOST_AAAA];
	return "no A or AAAA records";
}

static void host_done(struct host_lookup *host)
{
	struct findings *findings = &host->check->findings;
	struct route_host addresses = {0};
	const char *missing = no_address_reason(host);
	char list[ROUTE_ADDRESSES_MAX * (INET6_ADDRSTRLEN + 1)] = "";
	char text[INET6_ADDRSTRLEN];

	if (host->canonical[0] && !host->implicit)
		findings_add(findings, SECTION, host->name, FINDING_FAIL,
		             "point the MX record at the canonical name, or replace the CNAME with A/AAAA records",
		             "is an alias (CNAME) of %s: an MX must name a host, not an alias (RFC 2181 §10.3, RFC "
		             "5321 §5.1)",
		             host->canonical);
	if (missing != NULL) {
		findings_add(findings, SECTION, host->name, FINDING_FAIL,
		             host->implicit ? "publish an MX record naming a host that has an address"
		                            : "publish an A and/or AAAA record for this name, or remove the MX record",
		             "has no address: %s", missing);
	} else {
		route_order_addresses(&addresses, (const unsigned char(*)[16])host->aaaa, host->aaaa_count,
		                      (const unsigned char(*)[4])host->a, host->a_count, host->check->options->port);
		for (size_t i = 0; i < addresses.address_count; i++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s", i ? " " : "",
			         address_text(&addresses.addresses[i], text, sizeof text));
		}
		findings_add(findings, SECTION, host->name, FINDING_OK, NULL, "resolves to %s", list);
	}
	report_tlsa(host);
	for (size_t i = 0; i < addresses.address_count && !host->check->options->no_probe; i++)
		check_smtp_probe(host->check, host->name, &addresses.addresses[i], addresses.lengths[i],
		                 host->status[HOST_TLSA] == DNS_OK ? &host->tlsa : NULL);
	check_tlsa_clear(&host->tlsa);
	check_state_release(host->check);
	free(host);
}

static void copy_answer(struct host_lookup *host, enum host_query which, const struct dns_answer *answer)
{
	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		if (which == HOST_AAAA && record->type == DNS_AAAA && host->aaaa_count < ROUTE_ADDRESSES_MAX)
			memcpy(host->aaaa[host->aaaa_count++], record->address, 16);
		else if (which == HOST_A && record->type == DNS_A && host->a_count < ROUTE_ADDRESSES_MAX)
			memcpy(host->a[host->a_count++], record->address, 4);
		else if (which == HOST_TLSA && record->type == DNS_TLSA)
			check_tlsa_add(&host->tlsa, record->data, record->data_length);
	}
}

static void on_host_answer(void *context, const struct dns_answer *answer)
{
	struct host_query_context *query = context;
	struct host_lookup *host = query->host;

	host->status[query->which] = answer->status;
	snprintf(host->why[query->which], sizeof host->why[query->which], "%s", answer->why);
	if (query->which != HOST_TLSA && answer->canonical[0])
		snprintf(host->canonical, sizeof host->canonical, "%s", answer->canonical);
	if (query->which == HOST_TLSA)
		host->tlsa_secure = answer->secure;
	copy_answer(host, query->which, answer);
	free(query);
	if (--host->outstanding == 0)
		host_done(host);
}

static void look_up_host(struct check_state *check, const char *name, bool implicit)
{
	static const enum dns_type types[HOST_QUERIES] = {DNS_AAAA, DNS_A, DNS_TLSA};
	struct host_lookup *host = xcalloc(1, sizeof *host);
	char tlsa_name[DNS_NAME_MAX + 16];

	host->check = check;
	host->implicit = implicit;
	snprintf(host->name, sizeof host->name, "%s", name);
	snprintf(tlsa_name, sizeof tlsa_name, "_25._tcp.%s", name); /* RFC 7672 §2.2.1 (port 25 always) */
	host->outstanding = HOST_QUERIES;
	check_state_hold(check);
	for (size_t i = 0; i < HOST_QUERIES; i++) {
		struct host_query_context *query = xcalloc(1, sizeof *query);
		query->host = host;
		query->which = (enum host_query)i;
		resolver_query(check->resolver, i == HOST_TLSA ? tlsa_name : name, types[i], on_host_answer, query);
	}
}

/* Findings about the records themselves: null MX, IP addresses as names. */
static size_t report_records(struct mx_lookup *lookup, const struct dns_answer *answer)
{
	struct findings *findings = &lookup->check->findings;
	unsigned char scratch[16];
	size_t null_count = 0;

	for (size_t i = 0; i < answer->count; i++) {
		const char *name = answer->records[i].name;
		if (answer->records[i].type != DNS_MX)
			continue;
		if (name[0] == '\0')
			null_count++;
		else if (inet_pton(AF_INET, name, scratch) == 1 || inet_pton(AF_INET6, name, scratch) == 1)
			findings_add(
			    findings, SECTION, name, FINDING_FAIL,
			    "give the host a name (A/AAAA records) and put that name in the MX record",
			    "MX record names an IP address: senders skip it (RFC 5321 §5.1 wants a host name)");
	}
	if (null_count > 0 && null_count < answer->count)
		findings_add(findings, SECTION, "", FINDING_FAIL,
		             "remove the \"0 .\" record, or the others if the domain is to take no mail",
		             "a null MX (\".\") among other MX records (RFC 7505 §3 forbids the mix)");
	return null_count;
}

static void report_hosts(struct mx_lookup *lookup, const struct check_mx_hosts *hosts)
{
	if (lookup->on_hosts != NULL)
		lookup->on_hosts(lookup->context, hosts);
}

static uint32_t random_below(uint32_t bound) { return arc4random_uniform(bound); }

static void on_mx(void *context, const struct dns_answer *answer)
{
	struct mx_lookup *lookup = context;
	struct findings *findings = &lookup->check->findings;
	struct check_mx_hosts *hosts = xcalloc(1, sizeof *hosts);
	struct route_exchange exchanges[ROUTE_HOSTS_MAX];
	size_t count = 0;
	char why[256] = "";

	switch (answer->status) {
	case DNS_NXDOMAIN:
		findings_add(findings, SECTION, "", FINDING_FAIL, "register the domain, or check its spelling",
		             "%s does not exist (NXDOMAIN)", lookup->domain);
		break;
	case DNS_TEMPFAIL:
	case DNS_BOGUS:
		findings_add(findings, SECTION, "", FINDING_FAIL,
		             "senders defer mail while the MX lookup fails: fix the domain's DNS servers",
		             "MX lookup failed: %s", answer->why);
		break;
	case DNS_NODATA:
		findings_add(findings, SECTION, "", FINDING_WARN,
		             "publish an MX record naming your mail host (or \"0 .\" if the domain takes no mail)",
		             "no MX records: senders use the domain's own address as an implicit MX (RFC 5321 §5.1)");
		hosts->known = true;
		hosts->count = 1;
		snprintf(hosts->names[0], sizeof hosts->names[0], "%s", lookup->domain);
		look_up_host(lookup->check, lookup->domain, true);
		break;
	case DNS_OK:
		hosts->known = true;
		report_records(lookup, answer);
		switch (route_order_mx(answer->records, answer->count, random_below, exchanges, ROUTE_HOSTS_MAX, &count,
		                       why, sizeof why)) {
		case ROUTE_ORDER_NULL_MX:
			hosts->null_mx = true;
			findings_add(findings, SECTION, "", FINDING_OK, NULL,
			             "null MX (RFC 7505): this domain receives no mail");
			break;
		case ROUTE_ORDER_NO_HOST:
			findings_add(findings, SECTION, "", FINDING_FAIL, "publish an MX record naming a host",
			             "no usable MX host: %s", why);
			break;
		case ROUTE_ORDER_HOSTS:
			findings_add(findings, SECTION, "", FINDING_OK, NULL, "%zu MX host%s", count,
			             count == 1 ? "" : "s");
			for (size_t i = 0; i < count; i++) {
				snprintf(hosts->names[hosts->count++], sizeof hosts->names[0], "%.*s", DNS_NAME_MAX,
				         exchanges[i].name);
				look_up_host(lookup->check, exchanges[i].name, false);
			}
			break;
		}
		break;
	}
	report_hosts(lookup, hosts);
	free(hosts);
	check_state_release(lookup->check);
	free(lookup);
}

void check_mx_start(struct check_state *check, const char *domain,
                    void (*on_hosts)(void *context, const struct check_mx_hosts *hosts), void *context)
{
	struct mx_lookup *lookup = xcalloc(1, sizeof *lookup);

	lookup->check = check;
	rdata_name_normalize(domain, lookup->domain);
	lookup->on_hosts = on_hosts;
	lookup->context = context;
	findings_section(&check->findings, SECTION);
	findings_section(&check->findings, "SMTP");
	findings_section(&check->findings, "TLS");
	findings_section(&check->findings, "Open relay");
	findings_section(&check->findings, SECTION_DANE);
	check_state_hold(check);
	resolver_query(check->resolver, lookup->domain, DNS_MX, on_mx, lookup);
}
