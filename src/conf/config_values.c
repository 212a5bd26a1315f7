/* config_values: the value syntaxes of config directives: sizes with K/M/G suffixes, durations
 * with s/m/h suffixes, plain counts, listen addresses ("a.b.c.d:port", "[v6]:port") and CIDR
 * networks (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6), plus the trusted-network test.
 * Addresses are parsed with inet_pton only: host names are not resolved here or anywhere in
 * the config. It does not report file names or lines: config.c does. */
#include "conf/config_values.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define COUNT_MAX 1000000000u
#define DURATION_MAX (24u * 60 * 60) /* a day: any longer timeout is a typo */
#define PERIOD_MAX (365u * 24 * 60 * 60) /* queue lifetimes and retry intervals: up to a year */
#define PORT_MAX 65535u

enum number_problem { NUMBER_OK, NUMBER_NOT_A_NUMBER, NUMBER_BAD_SUFFIX, NUMBER_TOO_LARGE, NUMBER_ZERO };

/* Decimal digits, then at most one unit letter (one of units, scaling by factors[i]). */
static enum number_problem parse_number(const char *text, const char *units, const uint64_t *factors,
                                        uint64_t maximum, uint64_t *value)
{
	const char *p = text, *unit;

	if (*p < '0' || *p > '9')
		return NUMBER_NOT_A_NUMBER;
	for (*value = 0; *p >= '0' && *p <= '9'; p++) {
		if (*value > (maximum - (uint64_t)(*p - '0')) / 10)
			return NUMBER_TOO_LARGE;
		*value = *value * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0') {
		unit = strchr(units, *p);
		if (unit == NULL || p[1] != '\0')
			return NUMBER_BAD_SUFFIX;
		if (*value > maximum / factors[unit - units])
			return NUMBER_TOO_LARGE;
		*value *= factors[unit - units];
	}
	return *value == 0 ? NUMBER_ZERO : NUMBER_OK;
}

static const char *describe(enum number_problem problem, const char *bad_suffix, const char *too_large)
{
	switch (problem) {
	case NUMBER_OK:
		return NULL;
	case NUMBER_NOT_A_NUMBER:
		return "not a number";
	case NUMBER_BAD_SUFFIX:
		return bad_suffix;
	case NUMBER_TOO_LARGE:
		return too_large;
	case NUMBER_ZERO:
		break;
	}
	return "must be at least 1";
}

const char *config_values_parse_size(const char *text, size_t *size)
{
	static const uint64_t factors[] = {1u << 10, 1u << 20, 1u << 30, 1u << 10, 1u << 20, 1u << 30};
	uint64_t value = 0;
	enum number_problem problem = parse_number(text, "KMGkmg", factors, SIZE_MAX, &value);

	if (problem == NUMBER_OK)
		*size = (size_t)value;
	return describe(problem, "unknown suffix (use K, M or G)", "too large");
}

const char *config_values_parse_duration(const char *text, unsigned *seconds)
{
	static const uint64_t factors[] = {1, 60, 3600};
	uint64_t value = 0;
	enum number_problem problem = parse_number(text, "smh", factors, DURATION_MAX, &value);

	if (problem == NUMBER_OK)
		*seconds = (unsigned)value;
	return describe(problem, "unknown suffix (use s, m or h)", "too large (at most 24h)");
}

const char *config_values_parse_period(const char *text, unsigned *seconds)
{
	static const uint64_t factors[] = {1, 60, 3600, 86400};
	uint64_t value = 0;
	enum number_problem problem = parse_number(text, "smhd", factors, PERIOD_MAX, &value);

	if (problem == NUMBER_ZERO)
		problem = NUMBER_OK; /* a period may be zero: "no delay" */
	if (problem == NUMBER_OK)
		*seconds = (unsigned)value;
	return describe(problem, "unknown suffix (use s, m, h or d)", "too large (at most 365d)");
}

const char *config_values_parse_count(const char *text, unsigned *count)
{
	uint64_t value = 0;
	enum number_problem problem = parse_number(text, "", NULL, COUNT_MAX, &value);

	if (problem == NUMBER_OK)
		*count = (unsigned)value;
	return describe(problem, "not a number", "too large (at most 1000000000)");
}

static const char *parse_port(const char *text, in_port_t *port)
{
	uint64_t value = 0;

	if (parse_number(text, "", NULL, PORT_MAX, &value) != NUMBER_OK)
		return "port must be a number from 1 to 65535";
	*port = htons((uint16_t)value);
	return NULL;
}

static const char *parse_listen_ipv6(const char *text, struct sockaddr_storage *address, socklen_t *length)
{
	struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)address;
	const char *close = strchr(text, ']');
	char host[INET6_ADDRSTRLEN + 1];

	if (close == NULL || close[1] != ':')
		return "expected [IPv6]:PORT";
	if ((size_t)(close - text - 1) >= sizeof host)
		return "not an IPv6 address";
	memcpy(host, text + 1, (size_t)(close - text - 1));
	host[close - text - 1] = '\0';
	ipv6->sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, host, &ipv6->sin6_addr) != 1)
		return "not an IPv6 address";
	*length = sizeof *ipv6;
	return parse_port(close + 2, &ipv6->sin6_port);
}

static const char *parse_listen_ipv4(const char *text, struct sockaddr_storage *address, socklen_t *length)
{
	struct sockaddr_in *ipv4 = (struct sockaddr_in *)address;
	const char *colon = strrchr(text, ':');
	char host[INET_ADDRSTRLEN + 1];

	if (colon == NULL)
		return "expected ADDRESS:PORT";
	if (strchr(text, ':') != colon)
		return "an IPv6 address needs brackets, as in [::1]:25";
	if ((size_t)(colon - text) >= sizeof host)
		return "not an IPv4 address (host names are not allowed)";
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	ipv4->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &ipv4->sin_addr) != 1)
		return "not an IPv4 address (host names are not allowed)";
	*length = sizeof *ipv4;
	return parse_port(colon + 1, &ipv4->sin_port);
}

const char *config_values_parse_listen(const char *text, struct sockaddr_storage *address, socklen_t *length)
{
	memset(address, 0, sizeof *address);
	if (text[0] == '[')
		return parse_listen_ipv6(text, address, length);
	return parse_listen_ipv4(text, address, length);
}

static unsigned address_bits(int family) { return family == AF_INET ? 32 : 128; }

/* Clears the bits beyond the prefix; returns whether any was set. */
static bool clear_host_bits(struct config_network *network)
{
	bool was_set = false;

	for (unsigned bit = network->prefix_length; bit < address_bits(network->family); bit++) {
		unsigned char mask = (unsigned char)(0x80u >> (bit % 8));
		if (network->address[bit / 8] & mask)
			was_set = true;
		network->address[bit / 8] &= (unsigned char)~mask;
	}
	return was_set;
}

static const char *parse_prefix(const char *slash, struct config_network *network)
{
	uint64_t value = 0;
	enum number_problem problem;

	network->prefix_length = address_bits(network->family);
	if (slash == NULL)
		return NULL;
	problem = parse_number(slash + 1, "", NULL, address_bits(network->family), &value);
	if (problem == NUMBER_ZERO)
		return "a /0 network would trust every address (an open relay)";
	/* Wider than a /8 (IPv4) or /16 (IPv6) is no one's own network: it would relay for
	 * much of the internet, so it is refused like /0. */
	if (problem == NUMBER_OK && value < (network->family == AF_INET ? 8u : 16u))
		return network->family == AF_INET ? "networks wider than /8 would make an open relay"
		                                  : "networks wider than /16 would make an open relay";
	if (problem != NUMBER_OK)
		return network->family == AF_INET ? "prefix length must be from 1 to 32"
		                                  : "prefix length must be from 1 to 128";
	network->prefix_length = (unsigned)value;
	return NULL;
}

const char *config_values_parse_network(const char *text, struct config_network *network, bool *host_bits_set)
{
	const char *slash = strchr(text, '/');
	size_t host_length = slash ? (size_t)(slash - text) : strlen(text);
	char host[INET6_ADDRSTRLEN + 1];
	const char *problem;

	memset(network, 0, sizeof *network);
	*host_bits_set = false;
	if (host_length >= sizeof host)
		return "not an IPv4 or IPv6 address";
	memcpy(host, text, host_length);
	host[host_length] = '\0';
	network->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(network->family, host, network->address) != 1)
		return "not an IPv4 or IPv6 address";
	problem = parse_prefix(slash, network);
	if (problem == NULL)
		*host_bits_set = clear_host_bits(network);
	return problem;
}

void config_values_format_network(const struct config_network *network, char out[CONFIG_VALUES_NETWORK_TEXT_SIZE])
{
	char host[INET6_ADDRSTRLEN];

	if (inet_ntop(network->family, network->address, host, sizeof host) == NULL)
		snprintf(host, sizeof host, "?");
	snprintf(out, CONFIG_VALUES_NETWORK_TEXT_SIZE, "%s/%u", host, network->prefix_length);
}

/* The address bytes of a socket address in the network's family, or NULL if it has none. */
static const unsigned char *bytes_for_family(const struct sockaddr *address, int family)
{
	if (address->sa_family == AF_INET && family == AF_INET)
		return (const unsigned char *)&((const struct sockaddr_in *)address)->sin_addr;
	if (address->sa_family == AF_INET6) {
		const struct in6_addr *ipv6 = &((const struct sockaddr_in6 *)address)->sin6_addr;
		if (family == AF_INET6)
			return ipv6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(ipv6)) /* a dual-stack socket's IPv4 client, RFC 4291 §2.5.5.2 */
			return ipv6->s6_addr + 12;
	}
	return NULL;
}

bool config_values_network_contains(const struct config_network *network, const struct sockaddr *address)
{
	const unsigned char *bytes = bytes_for_family(address, network->family);
	unsigned full = network->prefix_length / 8, rest = network->prefix_length % 8;

	if (bytes == NULL || memcmp(bytes, network->address, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((bytes[full] ^ network->address[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}
