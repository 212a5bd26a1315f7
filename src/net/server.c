/* server: listeners (libevent evconnlistener) and the connection table. Limits are checked at
 * accept time: over max-connections or max-connections-per-ip the client gets one 421 line
 * (RFC 5321 §3.8) and the socket is closed, without a session ever starting. */
#include "net/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/config_current.h"
#include "smtp/reply.h"
#include "util/address_key.h"
#include "util/log.h"
#include "util/xalloc.h"

struct connection {
	struct server *server;
	struct session *session;
	unsigned char address[16]; /* client IP, v4-mapped into 16 bytes, for per-address counts */
	struct connection *previous;
	struct connection *next;
};

struct listener {
	struct server *server;
	struct evconnlistener *socket;
	enum listener_role role;
};

struct server {
	struct session_services *services;
	struct listener *listeners;
	size_t listener_count;
	struct connection *connections;
	unsigned connection_count;
};

static unsigned connections_from(const struct server *server, const unsigned char key[16])
{
	unsigned count = 0;
	for (const struct connection *c = server->connections; c; c = c->next)
		count += memcmp(c->address, key, 16) == 0;
	return count;
}

static void refuse(evutil_socket_t fd, enum reply_id id, const char *hostname, const char *client)
{
	char line[REPLY_MAX];
	size_t length = reply_format(id, hostname, NULL, line, sizeof line);

	/* Best effort and never blocking: the socket is fresh, its send buffer empty. */
	if (send(fd, line, length, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("refuse send failed: %s", strerror(errno));
	line[length - 2] = '\0';
	log_info("refuse client=%s reply=\"%s\"", client, line);
	close(fd);
}

static void connection_closed(void *context)
{
	struct connection *connection = context;
	struct server *server = connection->server;

	if (connection->previous)
		connection->previous->next = connection->next;
	else
		server->connections = connection->next;
	if (connection->next)
		connection->next->previous = connection->previous;
	server->connection_count--;
	free(connection);
}

static void on_accept(struct evconnlistener *socket, evutil_socket_t fd, struct sockaddr *peer, int peer_length,
                      void *context)
{
	struct listener *listener = context;
	struct server *server = listener->server;
	const struct config *config = config_current();
	struct connection *connection;
	unsigned char key[16];
	char client[INET6_ADDRSTRLEN] = "?";

	address_key_from(peer, key);
	inet_ntop(AF_INET6, key, client, sizeof client);
	if (server->connection_count >= config->max_connections) {
		refuse(fd, REPLY_TOO_MANY_CONNECTIONS, config->hostname, client);
		return;
	}
	if (connections_from(server, key) >= config->max_connections_per_ip) {
		refuse(fd, REPLY_TOO_MANY_FROM_ADDRESS, config->hostname, client);
		return;
	}
	connection = xcalloc(1, sizeof *connection);
	connection->server = server;
	memcpy(connection->address, key, 16);
	connection->next = server->connections;
	if (server->connections)
		server->connections->previous = connection;
	server->connections = connection;
	server->connection_count++;
	connection->session = session_start(server->services, fd, peer, (socklen_t)peer_length, listener->role,
	                                    connection_closed, connection);
}

static void on_accept_error(struct evconnlistener *socket, void *context)
{
	/* EMFILE and friends: log and carry on; libevent retries on the next readiness. */
	log_error("accept failed: %s", strerror(errno));
}

/* The local socket of `tern sendmail`: any local user may connect (mode 0666), as any user may
 * run sendmail(8); the session learns the uid from SO_PEERCRED. */
static struct evconnlistener *listen_local(struct session_services *services, const char *path, void *context)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	evutil_socket_t fd;
	struct evconnlistener *listener;

	if (strlen(path) >= sizeof address.sun_path) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(address.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	unlink(path); /* a socket left by an earlier run */
	if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || chmod(path, 0666) != 0 ||
	    (listener = evconnlistener_new(services->base, on_accept, context, LEV_OPT_CLOSE_ON_FREE, 128, fd)) == NULL) {
		int saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	return listener;
}

static bool add_local_listener(struct server *server, const struct config *config)
{
	struct listener *listener = &server->listeners[server->listener_count];

	listener->server = server;
	listener->role = LISTENER_LOCAL;
	listener->socket = listen_local(server->services, config->local_socket, listener);
	if (listener->socket == NULL) {
		log_error("cannot listen on %s: %s", config->local_socket, strerror(errno));
		return false;
	}
	evconnlistener_set_error_cb(listener->socket, on_accept_error);
	server->listener_count++;
	log_info("listening on %s local", config->local_socket);
	return true;
}

struct server *server_create(struct session_services *services, const struct config *config)
{
	struct server *server = xcalloc(1, sizeof *server);

	server->services = services;
	server->listeners = xcalloc(config->listener_count + 1, sizeof *server->listeners);
	for (size_t i = 0; i < config->listener_count; i++) {
		const struct config_listener *wanted = &config->listeners[i];
		struct listener *listener = &server->listeners[i];

		listener->server = server;
		listener->role = wanted->role;
		listener->socket = evconnlistener_new_bind(
		    services->base, on_accept, listener,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 511,
		    (const struct sockaddr *)&wanted->address, (int)wanted->address_length);
		if (listener->socket == NULL) {
			log_error("cannot listen on %s: %s", wanted->text, strerror(errno));
			server->listener_count = i;
			server_free(server);
			return NULL;
		}
		evconnlistener_set_error_cb(listener->socket, on_accept_error);
		server->listener_count = i + 1;
		log_info("listening on %s %s", wanted->text,
		         wanted->role == LISTENER_SMTP ? "smtp" : wanted->role == LISTENER_SUBMISSION ? "submission" : "submissions");
	}
	if (config->local_socket != NULL && !add_local_listener(server, config)) {
		server_free(server);
		return NULL;
	}
	return server;
}

void server_stop_listening(struct server *server)
{
	for (size_t i = 0; i < server->listener_count; i++) {
		if (server->listeners[i].socket)
			evconnlistener_free(server->listeners[i].socket);
		server->listeners[i].socket = NULL;
	}
}

void server_shutdown_sessions(struct server *server)
{
	struct connection *connection = server->connections;

	while (connection != NULL) { /* a session may end (and unlink itself) right here */
		struct connection *next = connection->next;
		session_shutdown(connection->session);
		connection = next;
	}
}

unsigned server_session_count(const struct server *server) { return server->connection_count; }

void server_free(struct server *server)
{
	if (server == NULL)
		return;
	server_stop_listening(server);
	free(server->listeners);
	free(server);
}
