/* check_ip: PTR, then A/AAAA of each PTR name; DNSBL queries for every zone at once. */
#include "check/check_ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/dnsbl_codes.h"
#include "check/dynamic_name.h"
#include "util/xalloc.h"

#define SECTION_PTR     "Reverse DNS"
#define SECTION_DNSBL   "DNSBL"
#define SECTION_INBOUND "Inbound SMTP"

struct ip_check {
	struct check_state *check;
	unsigned char address[16];
	size_t address_length; /* 4 or 16 */
	char text[INET6_ADDRSTRLEN];
	char reverse[DNS_NAME_MAX + 1]; /* the address's labels, reversed, without the suffix */
	size_t name_count;
	char names[CHECK_PTR_NAMES_MAX][DNS_NAME_MAX + 1];
	bool confirmed[CHECK_PTR_NAMES_MAX];
	unsigned forward_waiting;
	unsigned references;
};

struct forward_query {
	struct ip_check *ip;
	size_t index;
};

struct dnsbl_query {
	struct ip_check *ip;
	char zone[DNS_NAME_MAX + 1];
};

/* The PTR chain and each DNSBL query hold the shared state; the last one out frees it. */
static void hold(struct ip_check *ip)
{
	ip->references++;
	check_state_hold(ip->check);
}

static void release(struct ip_check *ip)
{
	struct check_state *check = ip->check;

	if (--ip->references == 0)
		free(ip);
	check_state_release(check);
}

static void reverse_name(struct ip_check *ip)
{
	size_t used = 0;

	if (ip->address_length == 4) {
		snprintf(ip->reverse, sizeof ip->reverse, "%u.%u.%u.%u", ip->address[3], ip->address[2], ip->address[1],
		         ip->address[0]);
		return;
	}
	for (size_t i = 16; i > 0; i--) /* RFC 3596 §2.5: nibbles, low first */
		used += (size_t)snprintf(ip->reverse + used, sizeof ip->reverse - used, "%s%x.%x", used ? "." : "",
		                         ip->address[i - 1] & 0xf, ip->address[i - 1] >> 4);
}

static void report_names(struct ip_check *ip)
{
	struct findings *findings = &ip->check->findings;
	const char *helo = ip->check->options->helo_name;
	bool helo_matches = false;
	char why[160];

	for (size_t i = 0; i < ip->name_count; i++) {
		const char *name = ip->names[i];
		if (ip->confirmed[i])
			findings_add(findings, SECTION_PTR, name, FINDING_OK, NULL,
			             "forward-confirmed: %s resolves back to %s", name, ip->text);
		else
			findings_add(findings, SECTION_PTR, name, FINDING_FAIL,
			             "add an A/AAAA record for the PTR name pointing at the address (or fix the PTR)",
			             "not forward-confirmed: %s does not resolve to %s (receivers treat it as no name)",
			             name, ip->text);
		if (dynamic_name_check(name, ip->address, ip->address_length, why, sizeof why))
			findings_add(findings, SECTION_PTR, name, FINDING_WARN,
			             "ask the provider for a PTR naming your mail host, e.g. mail.example.org",
			             "looks like a dynamic/residential name: %s", why);
		else
			findings_add(findings, SECTION_PTR, name, FINDING_OK, NULL,
			             "does not look dynamic or residential");
		if (helo != NULL && strcasecmp(helo, name) == 0)
			helo_matches = true;
	}
	if (helo == NULL || ip->name_count == 0)
		return;
	if (helo_matches)
		findings_add(findings, SECTION_PTR, "HELO", FINDING_OK, NULL, "HELO name %s matches the PTR name",
		             helo);
	else
		findings_add(findings, SECTION_PTR, "HELO", FINDING_WARN,
		             "make the server's HELO name (ternd: hostname) the PTR name, or the PTR the HELO name",
		             "HELO name %s is not the PTR name %s", helo, ip->names[0]);
}

static void on_forward(void *context, const struct dns_answer *answer)
{
	struct forward_query *query = context;
	struct ip_check *ip = query->ip;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		size_t length = record->type == DNS_A ? 4 : record->type == DNS_AAAA ? 16 : 0;
		if (length == ip->address_length && memcmp(record->address, ip->address, length) == 0)
			ip->confirmed[query->index] = true;
	}
	free(query);
	if (--ip->forward_waiting > 0)
		return;
	report_names(ip);
	release(ip);
}

static void on_ptr(void *context, const struct dns_answer *answer)
{
	struct ip_check *ip = context;
	struct findings *findings = &ip->check->findings;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count && ip->name_count < CHECK_PTR_NAMES_MAX; i++)
		if (answer->records[i].type == DNS_PTR && answer->records[i].name[0])
			snprintf(ip->names[ip->name_count++], DNS_NAME_MAX + 1, "%s", answer->records[i].name);
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		findings_add(findings, SECTION_PTR, "", FINDING_WARN, "try again; fix the reverse zone's servers",
		             "PTR lookup for %s failed: %s", ip->text, answer->why);
	} else if (ip->name_count == 0) {
		findings_add(findings, SECTION_PTR, "", FINDING_FAIL,
		             "ask whoever owns the address (your provider) to set a PTR naming your mail host",
		             "%s has no PTR record: many receivers refuse mail from it", ip->text);
	} else {
		findings_add(findings, SECTION_PTR, "", FINDING_OK, NULL, "PTR: %s -> %s%s", ip->text, ip->names[0],
		             ip->name_count > 1 ? " (and more: one name is best)" : "");
		ip->forward_waiting = (unsigned)ip->name_count;
		for (size_t i = 0; i < ip->name_count; i++) {
			struct forward_query *query = xcalloc(1, sizeof *query);
			query->ip = ip;
			query->index = i;
			resolver_query(ip->check->resolver, ip->names[i], ip->address_length == 4 ? DNS_A : DNS_AAAA,
			               on_forward, query);
		}
		return;
	}
	report_names(ip);
	release(ip);
}

static void on_dnsbl(void *context, const struct dns_answer *answer)
{
	struct dnsbl_query *query = context;
	struct ip_check *ip = query->ip;
	struct findings *findings = &ip->check->findings;
	bool reported = false;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const unsigned char *code = answer->records[i].address;
		bool error;
		const char *meaning;
		if (answer->records[i].type != DNS_A)
			continue;
		meaning = dnsbl_codes_meaning(query->zone, code, &error);
		reported = true;
		if (error)
			findings_add(findings, SECTION_DNSBL, query->zone, FINDING_WARN,
			             "check with your own resolver, or the list's terms of use",
			             "no verdict: %u.%u.%u.%u, %s", code[0], code[1], code[2], code[3], meaning);
		else
			findings_add(
			    findings, SECTION_DNSBL, query->zone, FINDING_FAIL,
			    "find and stop the cause, then ask the list to delist the address (see its web site)",
			    "%s is listed: %u.%u.%u.%u, %s", ip->text, code[0], code[1], code[2], code[3], meaning);
	}
	if (answer->status == DNS_NXDOMAIN || answer->status == DNS_NODATA)
		findings_add(findings, SECTION_DNSBL, query->zone, FINDING_OK, NULL, "not listed");
	else if (!reported)
		findings_add(findings, SECTION_DNSBL, query->zone, FINDING_WARN, "try again later", "no verdict: %s",
		             answer->status == DNS_OK ? "no A record in the answer" : answer->why);
	free(query);
	release(ip);
}

static void explain(struct findings *findings)
{
	findings_add(findings, SECTION_INBOUND, "", FINDING_INFO, NULL,
	             "a sending address need not accept inbound SMTP: receivers judge it by its PTR, forward "
	             "confirmation, HELO name, SPF and blocklists, never by connecting back to its port 25");
	findings_add(findings, SECTION_INBOUND, "", FINDING_INFO, NULL,
	             "port 25 must be open on the hosts named in a domain's MX records: check those with "
	             "\"tern check DOMAIN\"");
}

int check_ip_start(struct check_state *check, const char *address)
{
	struct ip_check *ip = xcalloc(1, sizeof *ip);
	const char *suffix;
	char name[2 * DNS_NAME_MAX + 2];

	if (inet_pton(AF_INET, address, ip->address) == 1) {
		ip->address_length = 4;
	} else if (inet_pton(AF_INET6, address, ip->address) == 1) {
		ip->address_length = 16;
	} else {
		free(ip);
		return -1;
	}
	ip->check = check;
	inet_ntop(ip->address_length == 4 ? AF_INET : AF_INET6, ip->address, ip->text, sizeof ip->text);
	reverse_name(ip);
	findings_section(&check->findings, SECTION_PTR);
	findings_section(&check->findings, SECTION_DNSBL);
	findings_section(&check->findings, SECTION_INBOUND);
	if (check->options->explain)
		explain(&check->findings);
	suffix = ip->address_length == 4 ? "in-addr.arpa" : "ip6.arpa"; /* RFC 1035 §3.5, RFC 3596 §2.5 */
	snprintf(name, sizeof name, "%s.%s", ip->reverse, suffix);
	hold(ip);
	resolver_query(check->resolver, name, DNS_PTR, on_ptr, ip);
	for (const char **zone = check->options->dnsbl_zones; *zone != NULL; zone++) {
		struct dnsbl_query *query = xcalloc(1, sizeof *query);
		query->ip = ip;
		snprintf(query->zone, sizeof query->zone, "%s", *zone);
		snprintf(name, sizeof name, "%s.%s", ip->reverse, *zone); /* RFC 5782 §2.1 */
		hold(ip);
		resolver_query(check->resolver, name, DNS_A, on_dnsbl, query);
	}
	return 0;
}
