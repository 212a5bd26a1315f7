/* connection_cache: outbound SMTP connections kept open after a transaction so that the next
 * message for the same server goes over them (RFC 5321 §3.3: a new MAIL after a completed
 * transaction), instead of a new connection, EHLO and TLS handshake per message. A kept
 * connection holds its destination's slot (destination_limits.h): it goes first to an attempt
 * waiting for the same server, else waits idle for one, at most CONNECTION_CACHE_IDLE_SECONDS
 * and never while others wait for a slot it holds; after CONNECTION_CACHE_USES_MAX messages it
 * is closed. A key names the server and how we talk to it (see remote_delivery.c): only an
 * attempt with the same key may take a connection. Loop thread only. */
#ifndef TERN_CONNECTION_CACHE_H
#define TERN_CONNECTION_CACHE_H

#include <event2/event.h>

#include "deliver/destination_limits.h"
#include "smtp/client_session.h"

#define CONNECTION_CACHE_USES_MAX     100 /* messages per connection, like Postfix's smtp_connection_reuse_count_limit */
#define CONNECTION_CACHE_IDLE_SECONDS 5   /* an idle connection waits this long for the next message */

struct connection_cache;

struct connection_cache *connection_cache_create(struct event_base *base, struct destination_limits *limits);
/* Drops every kept or closing connection at once (shutdown); their slots are not given back.
 * NULL is a no-op. */
void connection_cache_free(struct connection_cache *cache);

/* Takes a session that client_session reported reusable, holding a slot of destination, after
 * its uses-th message: hands it to an attempt waiting for key, or keeps it idle, or closes it
 * (the slot is given back once it is closed). */
void connection_cache_offer(struct connection_cache *cache, const char *destination, const char *key,
                            struct client_session *session, unsigned uses);
/* An idle connection for key with its slot of destination, or NULL; *uses: its messages so far. */
struct client_session *connection_cache_take(struct connection_cache *cache, const char *destination, const char *key,
                                             unsigned *uses);
/* Shutdown: every idle connection says QUIT and closes (connection_cache_closing tells when
 * none is left closing). */
void connection_cache_close_idle(struct connection_cache *cache);
bool connection_cache_closing(const struct connection_cache *cache);

/* Someone waits for a slot of destination: closes one idle connection, of destination when
 * there is one, else any (a slot of the total). */
void connection_cache_make_room(struct connection_cache *cache, const char *destination);

#endif
