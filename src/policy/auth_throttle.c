/* auth_throttle: per-client failure counts for SMTP AUTH (RFC 4954), with a delay that doubles
 * with each failure and a lockout after AUTH_THROTTLE_LOCK_FAILURES, against password guessing.
 * A fixed table, scanned linearly: 4096 entries of 32 bytes take microseconds, and only on AUTH.
 * When full, the entry with the oldest last failure is evicted, so a flood of new addresses
 * pushes out the stalest ones first.
 * Not here: replying, timers, logging; the session does those. */
#include "policy/auth_throttle.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct entry {
	unsigned char key[16]; /* the address, IPv6 cut to its /64 */
	unsigned failures;     /* 0: the entry is free */
	time_t last_failure;
};

struct auth_throttle {
	struct entry entries[AUTH_THROTTLE_ENTRIES];
};

struct auth_throttle *auth_throttle_create(void) { return xcalloc(1, sizeof(struct auth_throttle)); }

void auth_throttle_free(struct auth_throttle *throttle) { free(throttle); }

static bool is_ipv4_mapped(const unsigned char address[16])
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(address, prefix, sizeof prefix) == 0;
}

/* IPv6 clients are keyed by their /64: a single end site usually gets a whole /64 (RFC 6177)
 * and can pick any address in it, so counting per address would let one attacker rotate through
 * 2^64 of them. IPv4 (mapped) addresses are kept whole. */
static void make_key(const unsigned char address[16], unsigned char key[16])
{
	memcpy(key, address, 16);
	if (!is_ipv4_mapped(address))
		memset(key + 8, 0, 8);
}

/* Whether the failures of entry still count at now: the last one less than a window ago. */
static bool is_current(const struct entry *entry, time_t now)
{
	return entry->failures > 0 && now - entry->last_failure < AUTH_THROTTLE_WINDOW;
}

static struct entry *find(struct auth_throttle *throttle, const unsigned char address[16])
{
	unsigned char key[16];

	make_key(address, key);
	for (size_t i = 0; i < AUTH_THROTTLE_ENTRIES; i++) {
		struct entry *entry = &throttle->entries[i];
		if (entry->failures > 0 && memcmp(entry->key, key, sizeof key) == 0)
			return entry;
	}
	return NULL;
}

/* A free entry, else the one with the oldest last failure, emptied. */
static struct entry *take_entry(struct auth_throttle *throttle)
{
	struct entry *oldest = &throttle->entries[0];

	for (size_t i = 0; i < AUTH_THROTTLE_ENTRIES; i++) {
		struct entry *entry = &throttle->entries[i];
		if (entry->failures == 0)
			return entry;
		if (entry->last_failure < oldest->last_failure)
			oldest = entry;
	}
	memset(oldest, 0, sizeof *oldest);
	return oldest;
}

/* The failures that count for address at now. */
static unsigned current_failures(struct auth_throttle *throttle, const unsigned char address[16], time_t now)
{
	struct entry *entry = find(throttle, address);

	return entry != NULL && is_current(entry, now) ? entry->failures : 0;
}

unsigned auth_throttle_delay_ms(struct auth_throttle *throttle, const unsigned char address[16], time_t now)
{
	unsigned failures = current_failures(throttle, address, now);
	unsigned delay = AUTH_THROTTLE_DELAY_FIRST;

	if (failures <= 1)
		return 0;
	for (unsigned i = 2; i < failures && delay < AUTH_THROTTLE_DELAY_MAX; i++)
		delay *= 2;
	return delay < AUTH_THROTTLE_DELAY_MAX ? delay : AUTH_THROTTLE_DELAY_MAX;
}

bool auth_throttle_locked(struct auth_throttle *throttle, const unsigned char address[16], time_t now)
{
	return current_failures(throttle, address, now) >= AUTH_THROTTLE_LOCK_FAILURES;
}

void auth_throttle_failure(struct auth_throttle *throttle, const unsigned char address[16], time_t now)
{
	struct entry *entry = find(throttle, address);

	if (entry == NULL) {
		entry = take_entry(throttle);
		make_key(address, entry->key);
	} else if (!is_current(entry, now)) {
		entry->failures = 0; /* the last failure is a window old: start counting again */
	}
	if (entry->failures < AUTH_THROTTLE_LOCK_FAILURES * 100) /* saturate rather than wrap */
		entry->failures++;
	entry->last_failure = now;
}

void auth_throttle_success(struct auth_throttle *throttle, const unsigned char address[16])
{
	struct entry *entry = find(throttle, address);

	if (entry != NULL)
		memset(entry, 0, sizeof *entry);
}
