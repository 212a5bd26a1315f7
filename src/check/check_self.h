/* check_self: `tern check --self -c FILE`: ternd's own configuration against the world. The
 * hostname must resolve (A/AAAA); then, concurrently: each outbound address (source-address,
 * else the hostname's addresses) must have a PTR naming the hostname that resolves back to it
 * (forward-confirmed, RFC 8601 §3 iprev); SPF (RFC 7208 check_host, spf_check) of each local
 * domain must pass for each outbound address; each configured DKIM key must be the one
 * published at SELECTOR._domainkey.DOMAIN (check_self_dkim); the MX records of each local
 * domain must point at this host and the configured certificates must cover them and not be
 * near expiry (check_self_mx, check_self_tls). */
#ifndef TERN_CHECK_SELF_H
#define TERN_CHECK_SELF_H

#include <arpa/inet.h>
#include <openssl/x509.h>

#include "check/check_state.h"
#include "conf/config.h"

#define CHECK_SELF_ADDRESSES_MAX 16 /* ours: addresses kept per list */

struct self_address {
	size_t length; /* 4 or 16 */
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN];
};

struct check_self {
	struct check_state *check;
	const struct config *config;
	char hostname[DNS_NAME_MAX + 1];
	struct self_address host[CHECK_SELF_ADDRESSES_MAX]; /* the hostname's A/AAAA */
	size_t host_count;
	struct self_address outbound[CHECK_SELF_ADDRESSES_MAX];
	size_t outbound_count;
	X509 **certificates; /* the leaf of each "tls cert", NULL where unreadable */
	size_t certificate_count;
	unsigned host_waiting;
	unsigned references;
};

/* Starts every check of config on check's loop; config must outlive the loop. */
void check_self_start(struct check_state *check, const struct config *config);

/* Work in flight on self (and on the check): the last release frees self. */
void check_self_hold(struct check_self *self);
void check_self_release(struct check_self *self);

/* Whether the address (4 or 16 bytes) is one of the hostname's or an outbound one. */
bool check_self_is_ours(const struct check_self *self, const unsigned char *bytes, size_t length);

#endif
