/* identity_check: the hostname's A/AAAA must include the source address, and the source
 * address's PTR must name the hostname (RFC 1912 §2.1; what receivers call FCrDNS). Each
 * finding is one log line; nothing here changes what the daemon does. */
#include "deliver/identity_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"
#include "util/xalloc.h"

struct identity_check {
	char hostname[DNS_NAME_MAX + 1];
	char address_text[INET6_ADDRSTRLEN];
	int family; /* 0: no source address configured */
	unsigned char address[16];
	bool forward_ok;
};

void identity_check_free(struct identity_check *check) { free(check); }

static void on_forward(void *context, const struct dns_answer *answer)
{
	struct identity_check *check = context;
	size_t length = check->family == AF_INET6 ? 16 : 4;

	if (answer->status != DNS_OK)
		log_warning("hostname %s has no %s record (%s): receivers cannot check our EHLO name", check->hostname,
		            check->family == AF_INET6 ? "AAAA" : "A", answer->status == DNS_NXDOMAIN ? "no such name" : answer->why);
	for (size_t i = 0; check->family && i < answer->count; i++)
		check->forward_ok |= memcmp(answer->records[i].address, check->address, length) == 0;
	if (answer->status == DNS_OK && check->family && !check->forward_ok)
		log_warning("hostname %s does not resolve to the outbound address %s", check->hostname, check->address_text);
}

static void on_reverse(void *context, const struct dns_answer *answer)
{
	struct identity_check *check = context;
	bool matches = false;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++)
		matches |= strcasecmp(answer->records[i].name, check->hostname) == 0;
	if (answer->status != DNS_OK)
		log_warning("outbound address %s has no PTR record: many receivers refuse such senders; ask whoever "
		            "runs the address to set it to %s", check->address_text, check->hostname);
	else if (!matches)
		log_warning("the PTR record of %s does not name %s: set it to %s (forward-confirmed reverse DNS)",
		            check->address_text, check->hostname, check->hostname);
}

/* The reverse-lookup name of an address (RFC 1035 §3.5, RFC 3596 §2.5). */
static void reverse_name(const struct identity_check *check, char *out, size_t size)
{
	size_t used = 0;

	if (check->family == AF_INET) {
		snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", check->address[3], check->address[2], check->address[1],
		         check->address[0]);
		return;
	}
	for (int i = 15; i >= 0 && used + 4 < size; i--)
		used += (size_t)snprintf(out + used, size - used, "%x.%x.", check->address[i] & 15, check->address[i] >> 4);
	snprintf(out + used, size - used, "ip6.arpa");
}

struct identity_check *identity_check_start(struct resolver *resolver, const char *hostname,
                                            const struct sockaddr *source)
{
	struct identity_check *check = xcalloc(1, sizeof *check);
	char reverse[128];

	snprintf(check->hostname, sizeof check->hostname, "%s", hostname);
	if (source != NULL) {
		check->family = source->sa_family;
		if (check->family == AF_INET6)
			memcpy(check->address, &((const struct sockaddr_in6 *)source)->sin6_addr, 16);
		else
			memcpy(check->address, &((const struct sockaddr_in *)source)->sin_addr, 4);
		inet_ntop(check->family, check->address, check->address_text, sizeof check->address_text);
	}
	resolver_query(resolver, hostname, check->family == AF_INET6 ? DNS_AAAA : DNS_A, on_forward, check);
	if (source != NULL) {
		reverse_name(check, reverse, sizeof reverse);
		resolver_query(resolver, reverse, DNS_PTR, on_reverse, check);
	}
	return check;
}
