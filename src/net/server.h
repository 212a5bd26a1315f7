/* server: the listening sockets and the connection limits in front of the SMTP sessions.
 * It binds every configured listener (before privileges are dropped), accepts connections,
 * refuses those over the total or per-address limit with 421, and starts a session for each
 * of the others. */
#ifndef TERN_SERVER_H
#define TERN_SERVER_H

#include "conf/config.h"
#include "smtp/session.h"

struct server;

/* Binds the listeners of config. Returns NULL after logging which address failed. */
struct server *server_create(struct session_services *services, const struct config *config);
/* Closes the listeners: no new connections. */
void server_stop_listening(struct server *server);
/* Asks every session to end (421 now, or after its transaction). */
void server_shutdown_sessions(struct server *server);
unsigned server_session_count(const struct server *server);
/* Frees the server; every session must have ended. NULL is a no-op. */
void server_free(struct server *server);

#endif
