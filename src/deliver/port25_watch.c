/* port25_watch: a small memory of recent unreachable destinations. Several different domains
 * unreachable within a window, and nothing reached since, is what a blocked port 25 looks
 * like (one broken MX is not). The verdict is logged loudly once, as is its end. */
#include "deliver/port25_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/resolver.h"
#include "util/log.h"
#include "util/xalloc.h"

struct port25_watch {
	char domains[PORT25_BLOCKED_DOMAINS][DNS_NAME_MAX + 1];
	time_t when[PORT25_BLOCKED_DOMAINS];
	size_t count;
	bool blocked;
	time_t last_probe;
};

struct port25_watch *port25_watch_create(void) { return xcalloc(1, sizeof(struct port25_watch)); }

void port25_watch_free(struct port25_watch *watch) { free(watch); }

static void forget_old(struct port25_watch *watch, time_t now)
{
	size_t kept = 0;

	for (size_t i = 0; i < watch->count; i++) {
		if (now - watch->when[i] > PORT25_WINDOW)
			continue;
		memmove(watch->domains[kept], watch->domains[i], sizeof watch->domains[i]);
		watch->when[kept++] = watch->when[i];
	}
	watch->count = kept;
}

void port25_watch_unreachable(struct port25_watch *watch, const char *domain, time_t now)
{
	forget_old(watch, now);
	for (size_t i = 0; i < watch->count; i++)
		if (strcasecmp(watch->domains[i], domain) == 0)
			return; /* the same domain again says nothing new */
	if (watch->count == PORT25_BLOCKED_DOMAINS)
		return;
	snprintf(watch->domains[watch->count], sizeof watch->domains[0], "%s", domain);
	watch->when[watch->count++] = now;
	if (watch->count == PORT25_BLOCKED_DOMAINS && !watch->blocked) {
		watch->blocked = true;
		watch->last_probe = now;
		log_error("outbound port 25 looks blocked: the mail servers of %s, %s and %s could not be reached while "
		          "DNS works. Mail goes through the fallback relay (if one is configured: relay URL ... fallback) "
		          "until port 25 works again",
		          watch->domains[0], watch->domains[1], watch->domains[2]);
	}
}

void port25_watch_reachable(struct port25_watch *watch, time_t now)
{
	watch->count = 0;
	if (watch->blocked)
		log_info("outbound port 25 works again: delivering directly");
	watch->blocked = false;
}

bool port25_watch_blocked(struct port25_watch *watch, time_t now)
{
	if (!watch->blocked)
		return false;
	if (now - watch->last_probe >= PORT25_PROBE_INTERVAL) {
		watch->last_probe = now;
		return false; /* this one goes direct: the probe */
	}
	return true;
}
