/* address_key: IPv4-mapped IPv6 form (RFC 4291 §2.5.5.2) of a socket address. */
#include "util/address_key.h"

#include <netinet/in.h>
#include <string.h>

void address_key_from(const struct sockaddr *address, unsigned char key[16])
{
	memset(key, 0, 16);
	if (address->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)address)->sin6_addr, 16);
	} else if (address->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)address)->sin_addr, 4);
	}
}
