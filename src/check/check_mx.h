/* check_mx: the MX section of `tern check DOMAIN`: the MX records (RFC 5321 §5.1; null MX,
 * RFC 7505; none: the implicit MX), and for each host that its name is a name (not an IP
 * address, §5.1), not an alias (RFC 2181 §10.3), resolves to addresses, and its TLSA records
 * at _25._tcp (RFC 7672 §2.2) with their DNSSEC status; then an SMTP probe of every address
 * (check_smtp). The routing rules are route_order's, the ones delivery uses. */
#ifndef TERN_CHECK_MX_H
#define TERN_CHECK_MX_H

#include "check/check_state.h"
#include "deliver/route.h"

/* The MX host names, for the checks that need them (MTA-STS coverage). */
struct check_mx_hosts {
	bool known;   /* false: the MX lookup failed, no list */
	bool null_mx; /* the domain takes no mail */
	size_t count;
	char names[ROUTE_HOSTS_MAX][DNS_NAME_MAX + 1];
};

/* Starts the MX checks of domain on check's loop (held until every lookup and probe is done).
 * on_hosts (may be NULL) runs once, when the MX answer is in. */
void check_mx_start(struct check_state *check, const char *domain,
                    void (*on_hosts)(void *context, const struct check_mx_hosts *hosts), void *context);

#endif
