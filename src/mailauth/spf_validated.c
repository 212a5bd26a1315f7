/* spf_validated: RFC 7208 §5.5's validation of a client's PTR names, one question at a time:
 * the PTR records of the reverse name (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa),
 * then the addresses of each of the first 10 names (§4.6.4) in the client's family. A name
 * whose lookup fails is skipped, as §5.5 says; nothing here is a permanent error. */
#include "mailauth/spf_validated.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailauth/spf.h"
#include "util/xalloc.h"

#define NAME_SIZE (DNS_NAME_MAX + 1)

struct spf_validated {
	struct resolver *resolver;
	void (*done)(void *context);
	void *context;
	bool ready;
	unsigned char address[16];
	bool ipv6;
	char names[SPF_NAMES_MAX][NAME_SIZE]; /* the PTR names to confirm */
	size_t name_count, next;
	char valid[SPF_NAMES_MAX][NAME_SIZE]; /* the confirmed ones */
	size_t valid_count;
};

static void reverse_name(const unsigned char *address, bool ipv6, char out[NAME_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t length = 0;

	if (!ipv6) {
		snprintf(out, NAME_SIZE, "%u.%u.%u.%u.in-addr.arpa", address[3], address[2], address[1], address[0]);
		return;
	}
	for (int i = 15; i >= 0; i--) {
		out[length++] = hex[address[i] & 15];
		out[length++] = '.';
		out[length++] = hex[address[i] >> 4];
		out[length++] = '.';
	}
	snprintf(out + length, NAME_SIZE - length, "ip6.arpa");
}

static void next_name(struct spf_validated *validated);

static void on_address(void *context, const struct dns_answer *answer)
{
	struct spf_validated *validated = context;
	size_t size = validated->ipv6 ? 16 : 4;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		if (memcmp(answer->records[i].address, validated->address, size) == 0) {
			memcpy(validated->valid[validated->valid_count++], validated->names[validated->next - 1], NAME_SIZE);
			break;
		}
	}
	next_name(validated);
}

static void next_name(struct spf_validated *validated)
{
	if (validated->next == validated->name_count) {
		validated->ready = true;
		validated->done(validated->context); /* may free validated: nothing after this */
		return;
	}
	resolver_query(validated->resolver, validated->names[validated->next++], validated->ipv6 ? DNS_AAAA : DNS_A,
	               on_address, validated);
}

static void on_names(void *context, const struct dns_answer *answer)
{
	struct spf_validated *validated = context;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count && validated->name_count < SPF_NAMES_MAX; i++)
		if (answer->records[i].name[0])
			memcpy(validated->names[validated->name_count++], answer->records[i].name, NAME_SIZE);
	next_name(validated);
}

struct spf_validated *spf_validated_start(struct resolver *resolver, const unsigned char address[16], bool ipv6,
                                          void (*done)(void *context), void *context)
{
	struct spf_validated *validated = xcalloc(1, sizeof *validated);
	char name[NAME_SIZE];

	validated->resolver = resolver;
	validated->done = done;
	validated->context = context;
	memcpy(validated->address, address, 16);
	validated->ipv6 = ipv6;
	reverse_name(address, ipv6, name);
	resolver_query(resolver, name, DNS_PTR, on_names, validated);
	return validated;
}

bool spf_validated_ready(const struct spf_validated *validated) { return validated->ready; }

/* name is domain, or ends in "." domain */
static bool is_within(const char *name, const char *domain)
{
	size_t name_length = strlen(name), domain_length = strlen(domain);

	if (name_length == domain_length)
		return strcasecmp(name, domain) == 0;
	return name_length > domain_length && name[name_length - domain_length - 1] == '.' &&
	       strcasecmp(name + name_length - domain_length, domain) == 0;
}

const char *spf_validated_pick(const struct spf_validated *validated, const char *domain)
{
	if (validated == NULL || validated->valid_count == 0)
		return NULL;
	for (size_t i = 0; i < validated->valid_count; i++)
		if (strcasecmp(validated->valid[i], domain) == 0)
			return validated->valid[i];
	for (size_t i = 0; i < validated->valid_count; i++)
		if (is_within(validated->valid[i], domain))
			return validated->valid[i];
	return validated->valid[0];
}

bool spf_validated_has_within(const struct spf_validated *validated, const char *domain)
{
	char bare[NAME_SIZE];
	size_t length;

	snprintf(bare, sizeof bare, "%s", domain);
	length = strlen(bare);
	if (length > 0 && bare[length - 1] == '.')
		bare[length - 1] = '\0';
	for (size_t i = 0; validated && i < validated->valid_count; i++)
		if (is_within(validated->valid[i], bare))
			return true;
	return false;
}

void spf_validated_free(struct spf_validated *validated)
{
	if (validated == NULL)
		return;
	resolver_cancel(validated->resolver, validated);
	free(validated);
}
