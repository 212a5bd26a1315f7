/* connection_cache: a short list of idle connections, each with its destination, key, count of
 * messages and idle timer, and a list of connections saying QUIT, whose slots are given back
 * once they are gone (so a limit counts every connection a server sees). */
#include "deliver/connection_cache.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"
#include "util/xalloc.h"

struct kept {
	struct connection_cache *cache;
	char *destination;
	char *key;
	struct client_session *session;
	unsigned uses;
	struct event *timer; /* idle: NULL while closing */
	struct kept *next;
};

struct connection_cache {
	struct event_base *base;
	struct destination_limits *limits;
	struct kept *idle;    /* most recently kept first */
	struct kept *closing; /* QUIT said, slot still held */
};

struct connection_cache *connection_cache_create(struct event_base *base, struct destination_limits *limits)
{
	struct connection_cache *cache = xcalloc(1, sizeof *cache);

	cache->base = base;
	cache->limits = limits;
	return cache;
}

static void free_kept(struct kept *kept)
{
	if (kept->timer)
		event_free(kept->timer);
	free(kept->destination);
	free(kept->key);
	free(kept);
}

static void unlink_kept(struct kept **list, struct kept *kept)
{
	while (*list != kept)
		list = &(*list)->next;
	*list = kept->next;
}

void connection_cache_free(struct connection_cache *cache)
{
	if (cache == NULL)
		return;
	for (struct kept **list = &cache->idle; list == &cache->idle || list == &cache->closing;
	     list = list == &cache->idle ? &cache->closing : NULL) {
		while (*list) {
			struct kept *next = (*list)->next;
			client_session_cancel((*list)->session);
			free_kept(*list);
			*list = next;
		}
	}
	free(cache);
}

static void closed(void *context)
{
	struct kept *kept = context;
	struct connection_cache *cache = kept->cache;
	char *destination = kept->destination;

	unlink_kept(&cache->closing, kept);
	kept->destination = NULL;
	free_kept(kept);
	destination_limits_release(cache->limits, destination); /* may start a waiter at once */
	free(destination);
}

/* Moves kept (unlinked) to the closing list and says QUIT. */
static void close_kept(struct kept *kept)
{
	struct connection_cache *cache = kept->cache;

	if (kept->timer) {
		event_free(kept->timer);
		kept->timer = NULL;
	}
	kept->next = cache->closing;
	cache->closing = kept;
	client_session_close(kept->session, closed, kept);
}

static void retire(struct connection_cache *cache, const char *destination, const char *key,
                   struct client_session *session, unsigned uses)
{
	struct kept *kept = xcalloc(1, sizeof *kept);

	*kept = (struct kept){cache, xstrdup(destination), xstrdup(key), session, uses, NULL, NULL};
	close_kept(kept);
}

/* Idle too long, or the server went away: close it. */
static void expire(struct kept *kept)
{
	unlink_kept(&kept->cache->idle, kept);
	close_kept(kept);
}

static void on_idle_timer(evutil_socket_t fd, short events, void *context) { expire(context); }
static void on_lost(void *context) { expire(context); }

void connection_cache_offer(struct connection_cache *cache, const char *destination, const char *key,
                            struct client_session *session, unsigned uses)
{
	struct timeval idle = {CONNECTION_CACHE_IDLE_SECONDS, 0};
	struct kept *kept;

	if (uses >= CONNECTION_CACHE_USES_MAX) {
		retire(cache, destination, key, session, uses);
		return;
	}
	if (destination_limits_hand_over(cache->limits, destination, key, session, uses))
		return;
	if (destination_limits_contended(cache->limits, destination)) { /* keeping it would keep someone waiting */
		retire(cache, destination, key, session, uses);
		return;
	}
	kept = xcalloc(1, sizeof *kept);
	*kept = (struct kept){cache, xstrdup(destination), xstrdup(key), session, uses, NULL, cache->idle};
	kept->timer = evtimer_new(cache->base, on_idle_timer, kept);
	cache->idle = kept;
	evtimer_add(kept->timer, &idle);
	client_session_watch_idle(session, on_lost, kept); /* last: it may call on_lost at once */
}

struct client_session *connection_cache_take(struct connection_cache *cache, const char *destination, const char *key,
                                             unsigned *uses)
{
	for (struct kept *kept = cache->idle; kept; kept = kept->next) {
		struct client_session *session = kept->session;
		if (strcasecmp(kept->destination, destination) != 0 || strcmp(kept->key, key) != 0)
			continue;
		unlink_kept(&cache->idle, kept);
		client_session_watch_idle(session, NULL, NULL);
		*uses = kept->uses;
		free_kept(kept);
		return session;
	}
	return NULL;
}

void connection_cache_close_idle(struct connection_cache *cache)
{
	while (cache->idle != NULL)
		expire(cache->idle);
}

bool connection_cache_closing(const struct connection_cache *cache)
{
	return cache->closing != NULL;
}

void connection_cache_make_room(struct connection_cache *cache, const char *destination)
{
	struct kept *chosen = NULL;

	for (struct kept *kept = cache->idle; kept; kept = kept->next)
		if (chosen == NULL || strcasecmp(kept->destination, destination) == 0)
			chosen = kept;
	if (chosen == NULL)
		return;
	log_debug("closing an idle connection to %s for a waiting delivery", chosen->destination);
	expire(chosen);
}
