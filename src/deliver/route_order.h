/* route_order: the pure decisions of routing, apart from the lookups: which MX hosts to try
 * and in what order (RFC 5321 §5.1, RFC 7505), which addresses of a host, whether a domain
 * is an address literal (RFC 5321 §4.1.3) or a usable name. No I/O, no randomness of its own. */
#ifndef TERN_ROUTE_ORDER_H
#define TERN_ROUTE_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "deliver/route.h"

/* An MX host to look up. */
struct route_exchange {
	char name[DNS_NAME_MAX + 1];
	unsigned preference;
};

enum route_order_result {
	ROUTE_ORDER_HOSTS,   /* out holds at least one host */
	ROUTE_ORDER_NULL_MX, /* only "." records (RFC 7505 §3) */
	ROUTE_ORDER_NO_HOST  /* no usable exchange (e.g. all were address literals); why says */
};

/* Uniform in [0, bound), bound >= 1. route.c passes arc4random_uniform; tests pass their own. */
typedef uint32_t (*route_random)(uint32_t bound);

/* From the MX records (type DNS_MX) of a domain, fills out (maximum entries, *out_count used)
 * with the exchanges to try: by preference, equal preferences in random order (RFC 5321
 * §5.1); a "." record among others ignored (RFC 7505 §3 forbids the mix); an exchange
 * written as an IP address skipped (RFC 5321 §5.1: it must be a name); a repeated name kept
 * once, at its best preference; past maximum, dropped. Each skip adds a note to why
 * (route_order_note). */
enum route_order_result route_order_mx(const struct dns_record *records, size_t count, route_random random,
                                       struct route_exchange *out, size_t maximum, size_t *out_count, char *why,
                                       size_t why_size);

/* Fills host's addresses (each with port) from a host's AAAA (16 bytes each) and A (4 bytes
 * each) addresses: AAAA ones first, then A, at most ROUTE_ADDRESSES_MAX, keeping room for up
 * to half of them from each family so that a host with many of one still gets the other. */
void route_order_addresses(struct route_host *host, const unsigned char (*aaaa)[16], size_t aaaa_count,
                           const unsigned char (*a)[4], size_t a_count, unsigned port);

enum route_literal {
	ROUTE_LITERAL_NONE,    /* not bracketed: a domain name */
	ROUTE_LITERAL_ADDRESS, /* "[192.0.2.1]" or "[IPv6:2001:db8::1]": address filled in */
	ROUTE_LITERAL_INVALID  /* bracketed, but neither form (or another tag, RFC 5321 §4.1.3) */
};

/* Parses domain as an address literal, with port, into address and length. */
enum route_literal route_order_literal(const char *domain, unsigned port, struct sockaddr_storage *address,
                                       socklen_t *length);

/* Whether name is a usable ASCII domain: labels of letters, digits, '-' and '_' (RFC 1035
 * §2.3.1, with the underscore DNS allows), 1-63 bytes each, at most 253 in all (RFC 1035
 * §2.3.4: 255 octets on the wire), an optional trailing dot. */
bool route_order_valid_domain(const char *name);

/* Appends a note to why (size bytes), after "; " when why is not empty; truncates. */
void route_order_note(char *why, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
