/* route: the lookups behind a route (RFC 5321 §5.1): MX for the domain, then AAAA and A for
 * every exchange at once; no MX means the domain itself (implicit MX); "." alone means no
 * mail (RFC 7505); an address literal needs no lookup (RFC 5321 §4.1.3). Any DNS trouble on
 * the way is a TEMPFAIL, never a bounce. The ordering rules live in route_order.c.
 * Not here: connecting, TLS policy (MTA-STS, DANE), or caching beyond libunbound's. */
#include "deliver/route.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/route_order.h"
#include "dns/rdata.h"
#include "util/xalloc.h"

struct host_lookup;

/* One of an exchange's two queries; the callback's context. */
struct address_query {
	struct host_lookup *host;
	enum dns_type type;
	enum dns_status status;
};

/* One exchange's two lookups (AAAA and A, RFC 3596), sent at once, and what they gave. */
struct host_lookup {
	struct lookup *lookup;
	struct address_query queries[2]; /* AAAA, A */
	unsigned char aaaa[ROUTE_ADDRESSES_MAX][16];
	size_t aaaa_count;
	unsigned char a[ROUTE_ADDRESSES_MAX][4];
	size_t a_count;
	char canonical[DNS_NAME_MAX + 1];
	char why[128]; /* the first failure's */
};

struct lookup {
	struct resolver *resolver;
	char domain[DNS_NAME_MAX + 1];
	unsigned port;
	void (*done)(void *context, const struct route *route);
	void *context;
	size_t exchange_count;
	struct route_exchange exchanges[ROUTE_HOSTS_MAX];
	struct host_lookup hosts[ROUTE_HOSTS_MAX];
	unsigned outstanding;
	struct route route;
};

static void finish(struct lookup *lookup)
{
	lookup->done(lookup->context, &lookup->route);
	free(lookup);
}

static void on_deferred(void *context) { finish(context); }

/* Answers without a query, but later, on the loop, as route_lookup promises. */
static void finish_later(struct lookup *lookup)
{
	resolver_later(lookup->resolver, on_deferred, lookup);
}

static void fail(struct lookup *lookup, enum route_status status, const char *why)
{
	lookup->route.status = status;
	lookup->route.host_count = 0;
	snprintf(lookup->route.why, sizeof lookup->route.why, "%s", why);
}

static void copy_addresses(struct host_lookup *host, const struct dns_answer *answer)
{
	for (size_t i = 0; i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		if (record->type == DNS_AAAA && host->aaaa_count < ROUTE_ADDRESSES_MAX)
			memcpy(host->aaaa[host->aaaa_count++], record->address, 16);
		else if (record->type == DNS_A && host->a_count < ROUTE_ADDRESSES_MAX)
			memcpy(host->a[host->a_count++], record->address, 4);
	}
}

static bool is_trouble(enum dns_status status) { return status == DNS_TEMPFAIL || status == DNS_BOGUS; }

/* Why an exchange gave no address, for the notes. */
static void note_no_address(struct lookup *lookup, const struct host_lookup *host, const char *name)
{
	char *why = lookup->route.why;
	size_t size = sizeof lookup->route.why;

	if (host->why[0])
		route_order_note(why, size, "%s: %s", name, host->why);
	else if (host->queries[0].status == DNS_NXDOMAIN && host->queries[1].status == DNS_NXDOMAIN)
		route_order_note(why, size, "%s: no such host", name);
	else
		route_order_note(why, size, "%s: no AAAA or A records", name);
}

/* Every lookup is back: the hosts with addresses, in the order route_order_mx chose. */
static void assemble(struct lookup *lookup)
{
	struct route *route = &lookup->route;
	bool trouble = false;

	for (size_t i = 0; i < lookup->exchange_count; i++) {
		struct host_lookup *host = &lookup->hosts[i];
		struct route_host *out = &route->hosts[route->host_count];
		if (host->canonical[0] && route->source == ROUTE_FROM_MX)
			route_order_note(route->why, sizeof route->why,
			                 "%s is an alias (CNAME), RFC 2181 section 10.3: followed to %s",
			                 lookup->exchanges[i].name, host->canonical);
		trouble = trouble || is_trouble(host->queries[0].status) || is_trouble(host->queries[1].status);
		route_order_addresses(out, (const unsigned char(*)[16])host->aaaa, host->aaaa_count,
		                      (const unsigned char(*)[4])host->a, host->a_count, lookup->port);
		if (out->address_count == 0) {
			note_no_address(lookup, host, lookup->exchanges[i].name);
			continue;
		}
		snprintf(out->name, sizeof out->name, "%s", lookup->exchanges[i].name);
		out->preference = lookup->exchanges[i].preference;
		route->host_count++;
	}
	if (route->host_count > 0)
		return;
	char why[sizeof route->why];
	snprintf(why, sizeof why, "%s", route->why);
	if (route->source == ROUTE_FROM_IMPLICIT_MX && !trouble)
		snprintf(route->why, sizeof route->why,
		         "no MX, and no address for the domain itself (RFC 5321 section 5.1)");
	else
		snprintf(route->why, sizeof route->why, "%s: %.220s",
		         trouble ? "no address yet" : "no MX host has an address", why);
	route->status = trouble ? ROUTE_TEMPFAIL : ROUTE_NO_HOST;
}

static void on_address(void *context, const struct dns_answer *answer)
{
	struct address_query *query = context;
	struct host_lookup *host = query->host;
	struct lookup *lookup = host->lookup;

	query->status = answer->status;
	if (answer->status == DNS_OK)
		copy_addresses(host, answer);
	if (answer->canonical[0])
		snprintf(host->canonical, sizeof host->canonical, "%s", answer->canonical);
	if (is_trouble(answer->status) && host->why[0] == '\0')
		snprintf(host->why, sizeof host->why, "%s", answer->why);
	if (--lookup->outstanding == 0) {
		assemble(lookup);
		finish(lookup);
	}
}

static void look_up_hosts(struct lookup *lookup)
{
	static const enum dns_type types[2] = {DNS_AAAA, DNS_A};

	lookup->outstanding = (unsigned)(2 * lookup->exchange_count);
	for (size_t i = 0; i < lookup->exchange_count; i++) {
		struct host_lookup *host = &lookup->hosts[i];
		host->lookup = lookup;
		for (size_t k = 0; k < 2; k++) {
			host->queries[k] = (struct address_query){host, types[k], DNS_TEMPFAIL};
			resolver_query(lookup->resolver, lookup->exchanges[i].name, types[k], on_address,
			               &host->queries[k]);
		}
	}
}

static uint32_t random_below(uint32_t bound) { return arc4random_uniform(bound); }

/* What the MX answer says when it gives no host to look up: false when hosts are in exchanges. */
static bool mx_answer_is_final(struct lookup *lookup, const struct dns_answer *answer)
{
	struct route *route = &lookup->route;
	char why[sizeof route->why];

	switch (answer->status) {
	case DNS_NXDOMAIN:
		fail(lookup, ROUTE_NO_HOST, "no such domain");
		return true;
	case DNS_TEMPFAIL:
	case DNS_BOGUS: /* never a bounce on DNS trouble */
		snprintf(why, sizeof why, "MX lookup for %.100s: %s", lookup->domain, answer->why);
		fail(lookup, ROUTE_TEMPFAIL, why);
		return true;
	case DNS_NODATA: /* RFC 5321 §5.1: the domain itself, as an MX of preference 0 */
		route->source = ROUTE_FROM_IMPLICIT_MX;
		snprintf(lookup->exchanges[0].name, sizeof lookup->exchanges[0].name, "%s", lookup->domain);
		lookup->exchange_count = 1;
		return false;
	case DNS_OK:
		break;
	}
	switch (route_order_mx(answer->records, answer->count, random_below, lookup->exchanges, ROUTE_HOSTS_MAX,
	                       &lookup->exchange_count, route->why, sizeof route->why)) {
	case ROUTE_ORDER_NULL_MX:
		fail(lookup, ROUTE_NULL_MX, "the domain accepts no mail (null MX, RFC 7505)");
		return true;
	case ROUTE_ORDER_NO_HOST:
		snprintf(why, sizeof why, "no usable MX host: %.230s", route->why);
		fail(lookup, ROUTE_NO_HOST, why);
		return true;
	case ROUTE_ORDER_HOSTS:
		break;
	}
	return false;
}

static void on_mx(void *context, const struct dns_answer *answer)
{
	struct lookup *lookup = context;

	if (mx_answer_is_final(lookup, answer))
		finish(lookup);
	else
		look_up_hosts(lookup);
}

static void route_address_literal(struct lookup *lookup, const char *domain)
{
	struct route_host *host = &lookup->route.hosts[0];

	lookup->route.source = ROUTE_FROM_ADDRESS_LITERAL;
	if (route_order_literal(domain, lookup->port, &host->addresses[0], &host->lengths[0]) ==
	    ROUTE_LITERAL_ADDRESS) {
		snprintf(host->name, sizeof host->name, "%s", domain);
		host->address_count = 1;
		lookup->route.host_count = 1;
	} else {
		fail(lookup, ROUTE_NO_HOST, "not an address literal tern can use (RFC 5321 section 4.1.3)");
	}
	finish_later(lookup);
}

static struct lookup *new_lookup(struct resolver *resolver, unsigned port,
                                 void (*done)(void *context, const struct route *route), void *context)
{
	struct lookup *lookup = xcalloc(1, sizeof *lookup);

	lookup->resolver = resolver;
	lookup->port = port;
	lookup->done = done;
	lookup->context = context;
	lookup->route.status = ROUTE_OK;
	return lookup;
}

void route_lookup_host(struct resolver *resolver, const char *host, unsigned port,
                       void (*done)(void *context, const struct route *route), void *context)
{
	struct lookup *lookup = new_lookup(resolver, port, done, context);

	if (host[0] == '[') {
		route_address_literal(lookup, host);
		return;
	}
	if (!route_order_valid_domain(host)) {
		fail(lookup, ROUTE_NO_HOST, "not a valid host name");
		finish_later(lookup);
		return;
	}
	lookup->route.source = ROUTE_FROM_HOST;
	rdata_name_normalize(host, lookup->domain);
	snprintf(lookup->exchanges[0].name, sizeof lookup->exchanges[0].name, "%s", lookup->domain);
	lookup->exchange_count = 1;
	look_up_hosts(lookup);
}

void route_lookup(struct resolver *resolver, const char *domain, unsigned port,
                  void (*done)(void *context, const struct route *route), void *context)
{
	struct lookup *lookup = new_lookup(resolver, port, done, context);

	if (domain[0] == '[') {
		route_address_literal(lookup, domain);
	} else if (!route_order_valid_domain(domain)) {
		fail(lookup, ROUTE_NO_HOST, "not a valid domain name");
		finish_later(lookup);
	} else {
		rdata_name_normalize(domain, lookup->domain);
		resolver_query(resolver, lookup->domain, DNS_MX, on_mx, lookup);
	}
}
