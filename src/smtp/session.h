/* session: one SMTP server session (RFC 5321) over a libevent bufferevent: it frames bytes
 * into command lines or message data, asks the parsers, applies the command table, and
 * commits accepted messages to the spool before replying 250. */
#ifndef TERN_SESSION_H
#define TERN_SESSION_H

#include <event2/event.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "net/tls.h"
#include "policy/auth_throttle.h"
#include "queue/scheduler.h"
#include "queue/spool.h"
#include "queue/commit_queue.h"
#include "util/workpool.h"

struct session;
struct resolver;
struct org_domain;

/* What sessions share, owned by the daemon. */
struct session_services {
	struct event_base *base;
	struct spool *spool;
	struct workpool *workpool;
	struct commit_queue *commits; /* spool commits of finished messages, batched */
	struct scheduler *scheduler;
	unsigned long sessions_started; /* numbers session ids */
	struct tls_server *tls;         /* NULL without certificates; replaced on reload */
	struct auth_throttle *auth_throttle;
	struct resolver *resolver;           /* for SPF, DKIM, DMARC of inbound mail; NULL: unchecked */
	const struct org_domain *org_domains; /* the Public Suffix List, for DMARC */
};

/* Starts a session on an accepted socket (which it owns from now on). on_close(context) is
 * called once when the session ends, after which the session is gone. */
struct session *session_start(struct session_services *services, evutil_socket_t fd, const struct sockaddr *peer,
                              socklen_t peer_length, enum listener_role role, void (*on_close)(void *),
                              void *context);

/* Asks the session to end: at once with 421 if no transaction is under way, otherwise right
 * after the current message's reply. */
void session_shutdown(struct session *session);

#endif
