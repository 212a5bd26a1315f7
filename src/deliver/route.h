/* route: where mail for a domain goes (RFC 5321 §5.1): its MX hosts in the order to try, each
 * with its addresses; or the verdict that it takes no mail (null MX, RFC 7505), that it has
 * no host, or that DNS is in trouble and the message must wait. */
#ifndef TERN_ROUTE_H
#define TERN_ROUTE_H

#include <stddef.h>
#include <sys/socket.h>

#include "dns/resolver.h"

#define ROUTE_HOSTS_MAX     32
#define ROUTE_ADDRESSES_MAX 8 /* per host */

struct route_host {
	char name[DNS_NAME_MAX + 1]; /* the MX exchange (or the domain, or the address literal) */
	unsigned preference;
	size_t address_count;
	struct sockaddr_storage addresses[ROUTE_ADDRESSES_MAX]; /* AAAA ones first, then A */
	socklen_t lengths[ROUTE_ADDRESSES_MAX];
};

enum route_status {
	ROUTE_OK,
	ROUTE_NULL_MX, /* RFC 7505: bounce with 5.1.10 */
	ROUTE_NO_HOST, /* NXDOMAIN, or no usable host: bounce 5.1.2 */
	ROUTE_TEMPFAIL /* DNS trouble: defer, never bounce */
};

/* Where the hosts of an OK route came from. */
enum route_source {
	ROUTE_FROM_MX,             /* the domain's MX records */
	ROUTE_FROM_IMPLICIT_MX,    /* no MX: the domain's own addresses (RFC 5321 §5.1) */
	ROUTE_FROM_ADDRESS_LITERAL, /* "[192.0.2.1]": that address (RFC 5321 §4.1.3) */
	ROUTE_FROM_HOST             /* route_lookup_host: the named host's own addresses, no MX */
};

struct route {
	enum route_status status;
	enum route_source source;
	char why[256]; /* for a failure: why, in words; for OK: notes ("" when none), e.g. skipped hosts */
	size_t host_count;
	struct route_host hosts[ROUTE_HOSTS_MAX];
};

/* Looks up the route for domain (an ASCII name, A-labels for an international one; or an
 * address literal "[192.0.2.1]" / "[IPv6:2001:db8::1]", RFC 5321 §4.1.3, which routes straight
 * to that address); every address gets port. done runs once, later, on the loop thread (even
 * for an address literal or a malformed domain); the route is valid during the callback only.
 * There is no cancel: free the resolver only when no lookup is in flight (their callbacks
 * would never run, and their state would leak). */
void route_lookup(struct resolver *resolver, const char *domain, unsigned port,
                  void (*done)(void *context, const struct route *route), void *context);

/* Like route_lookup, for one named host (a smarthost): its AAAA and A addresses, no MX. */
void route_lookup_host(struct resolver *resolver, const char *host, unsigned port,
                       void (*done)(void *context, const struct route *route), void *context);

#endif
