/* session_tls: moves a session's connection under TLS, for STARTTLS (RFC 3207) once its 220
 * is queued, or from the first byte on port 465 (RFC 8314 §3.3), with libevent's OpenSSL
 * filter over the plain socket. After STARTTLS the session starts afresh (RFC 3207 §4.2):
 * no EHLO, no transaction. Certificates and protocol settings are net/tls.c's. */
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "smtp/session_internal.h"
#include "util/log.h"

void session_tls_start(struct session *session)
{
	SSL *ssl = tls_server_new_connection(session->services->tls);
	struct bufferevent *plain = session->connection;

	/* The filter takes over the plain bufferevent (and frees it with itself); the 220 already
	 * queued on it still goes out in clear, before the handshake. */
	session->connection = bufferevent_openssl_filter_new(session->services->base, plain, ssl,
	                                                     BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_openssl_set_allow_dirty_shutdown(session->connection, 1);
	session->tls = true;
	session->helo[0] = '\0';
	session->ehlo = false;
	session_reset_transaction(session);
	if (session->state != STATE_GREETING) /* 465 greets after the handshake, on its own */
		session_set_state(session, STATE_READY);
	session_watch_connection(session);
}

void session_tls_describe(struct session *session)
{
	SSL *ssl = bufferevent_openssl_get_ssl(session->connection);
	const char *name;

	if (ssl == NULL || session->tls_description[0] != '\0')
		return;
	tls_describe(ssl, session->tls_description, sizeof session->tls_description);
	name = tls_requested_name(ssl);
	log_info("%s tls %s sni=%s client=%s", session->id, session->tls_description, name ? name : "-",
	         session->client_address);
}

void session_tls_log_error(struct session *session)
{
	unsigned long error = bufferevent_get_openssl_error(session->connection);
	char text[256] = "connection closed";

	if (error != 0)
		ERR_error_string_n(error, text, sizeof text);
	log_info("%s tls error client=%s state=%s: %s", session->id, session->client_address,
	         session->tls_description[0] ? "established" : "handshake", text);
}
