/* route_order: which MX hosts to try and in what order (RFC 5321 §5.1: by preference, equal
 * ones shuffled), the null MX (RFC 7505 §3), which addresses of a host (AAAA, then A), address
 * literals (RFC 5321 §4.1.3) and domain syntax (RFC 1035 §2.3.1). Pure: the caller does the
 * lookups and supplies the random numbers. Not here: dropping our own host and the ones after
 * it from the list (RFC 5321 §5.1), which needs to know who we are. */
#include "deliver/route_order.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

#define ROUTE_LITERAL_MAX 64  /* "IPv6:" and the longest IPv6 text, with room to spare */
#define ROUTE_DOMAIN_MAX  253 /* RFC 1035 §2.3.4: 255 octets on the wire */
#define ROUTE_LABEL_MAX   63  /* RFC 1035 §2.3.4 */

void route_order_note(char *why, size_t size, const char *format, ...)
{
	size_t used = strnlen(why, size);
	va_list arguments;

	if (used + 1 >= size)
		return;
	if (used > 0) {
		snprintf(why + used, size - used, "; ");
		used = strnlen(why, size);
	}
	va_start(arguments, format);
	vsnprintf(why + used, size - used, format, arguments);
	va_end(arguments);
}

/* An exchange that is an IP address in text, not a name (RFC 5321 §5.1 requires a name). */
static bool is_address_text(const char *name)
{
	unsigned char binary[16];

	return name[0] == '[' || inet_pton(AF_INET, name, binary) == 1 || inet_pton(AF_INET6, name, binary) == 1;
}

/* Fisher-Yates over all, then a stable sort by preference: equal preferences end up in
 * random order (RFC 5321 §5.1 "MUST randomize them"). */
static void order_by_preference(struct route_exchange *exchanges, size_t count, route_random random)
{
	for (size_t i = count; i > 1; i--) {
		size_t j = random((uint32_t)i);
		struct route_exchange swap = exchanges[i - 1];
		exchanges[i - 1] = exchanges[j];
		exchanges[j] = swap;
	}
	for (size_t i = 1; i < count; i++) { /* insertion sort: stable, and lists are short */
		struct route_exchange moving = exchanges[i];
		size_t j = i;
		for (; j > 0 && exchanges[j - 1].preference > moving.preference; j--)
			exchanges[j] = exchanges[j - 1];
		exchanges[j] = moving;
	}
}

static bool already_listed(const struct route_exchange *out, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(out[i].name, name) == 0)
			return true;
	return false;
}

/* Copies the usable exchanges into kept; counts the "." and address ones. */
static size_t keep_usable(const struct dns_record *records, size_t count, struct route_exchange *kept,
                          size_t *null_count, char *why, size_t why_size)
{
	size_t used = 0;

	*null_count = 0;
	for (size_t i = 0; i < count; i++) {
		if (records[i].type != DNS_MX)
			continue;
		if (records[i].name[0] == '\0') {
			(*null_count)++;
			continue;
		}
		if (is_address_text(records[i].name)) {
			route_order_note(why, why_size,
			                 "MX %u %s is an address, not a name (RFC 5321 section 5.1): skipped",
			                 records[i].preference, records[i].name);
			continue;
		}
		snprintf(kept[used].name, sizeof kept[used].name, "%s", records[i].name);
		kept[used++].preference = records[i].preference;
	}
	return used;
}

enum route_order_result route_order_mx(const struct dns_record *records, size_t count, route_random random,
                                       struct route_exchange *out, size_t maximum, size_t *out_count, char *why,
                                       size_t why_size)
{
	struct route_exchange *kept = xcalloc(count ? count : 1, sizeof *kept);
	size_t null_count, kept_count = keep_usable(records, count, kept, &null_count, why, why_size);
	enum route_order_result result = ROUTE_ORDER_HOSTS;

	*out_count = 0;
	if (kept_count == 0) {
		/* RFC 7505 §3: "." alone. With skipped address exchanges, the domain still wants mail. */
		result = null_count > 0 && null_count == count ? ROUTE_ORDER_NULL_MX : ROUTE_ORDER_NO_HOST;
		if (result == ROUTE_ORDER_NO_HOST && count == 0)
			route_order_note(why, why_size, "no MX records");
		goto done;
	}
	if (null_count > 0)
		route_order_note(why, why_size, "a null MX among other MX records: ignored (RFC 7505 section 3)");
	order_by_preference(kept, kept_count, random);
	for (size_t i = 0; i < kept_count; i++) {
		if (already_listed(out, *out_count, kept[i].name))
			continue;
		if (*out_count == maximum) {
			route_order_note(why, why_size, "more than %zu MX hosts: the rest ignored", maximum);
			break;
		}
		out[(*out_count)++] = kept[i];
	}
done:
	free(kept);
	return result;
}

static void add_address(struct route_host *host, int family, const unsigned char *bytes, unsigned port)
{
	struct sockaddr_storage *storage = &host->addresses[host->address_count];

	memset(storage, 0, sizeof *storage);
	if (family == AF_INET6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)storage;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		memcpy(&v6->sin6_addr, bytes, 16);
		host->lengths[host->address_count++] = sizeof *v6;
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)storage;
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		memcpy(&v4->sin_addr, bytes, 4);
		host->lengths[host->address_count++] = sizeof *v4;
	}
}

static size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

void route_order_addresses(struct route_host *host, const unsigned char (*aaaa)[16], size_t aaaa_count,
                           const unsigned char (*a)[4], size_t a_count, unsigned port)
{
	size_t take_a = smaller(a_count, ROUTE_ADDRESSES_MAX / 2);
	size_t take_aaaa = smaller(aaaa_count, ROUTE_ADDRESSES_MAX - take_a);

	take_a = smaller(a_count, ROUTE_ADDRESSES_MAX - take_aaaa);
	host->address_count = 0;
	for (size_t i = 0; i < take_aaaa; i++)
		add_address(host, AF_INET6, aaaa[i], port);
	for (size_t i = 0; i < take_a; i++)
		add_address(host, AF_INET, a[i], port);
}

enum route_literal route_order_literal(const char *domain, unsigned port, struct sockaddr_storage *address,
                                       socklen_t *length)
{
	char inner[ROUTE_LITERAL_MAX + 1];
	unsigned char bytes[16];
	size_t size = strlen(domain);
	struct route_host host = {0};

	if (domain[0] != '[')
		return ROUTE_LITERAL_NONE;
	if (size < 3 || domain[size - 1] != ']' || size - 2 > ROUTE_LITERAL_MAX)
		return ROUTE_LITERAL_INVALID;
	memcpy(inner, domain + 1, size - 2);
	inner[size - 2] = '\0';
	if (strncasecmp(inner, "IPv6:", 5) == 0 && inet_pton(AF_INET6, inner + 5, bytes) == 1)
		add_address(&host, AF_INET6, bytes, port); /* IPv6-address-literal */
	else if (inet_pton(AF_INET, inner, bytes) == 1)
		add_address(&host, AF_INET, bytes, port); /* IPv4-address-literal */
	else
		return ROUTE_LITERAL_INVALID;
	*address = host.addresses[0];
	*length = host.lengths[0];
	return ROUTE_LITERAL_ADDRESS;
}

static bool is_label_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool route_order_valid_domain(const char *name)
{
	size_t length = strlen(name), label = 0;

	if (length > 0 && name[length - 1] == '.')
		length--;
	if (length == 0 || length > ROUTE_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (!is_label_byte(name[i]) || ++label > ROUTE_LABEL_MAX) {
			return false;
		}
	}
	return label > 0;
}
