/* client_ehlo: the opening of an outbound SMTP session, up to the mail: the greeting (RFC 5321
 * §3.1, §4.3.1), EHLO with HELO as the fallback after a 5xx (§4.1.1.1, §3.2), STARTTLS (RFC 3207
 * §4, then EHLO again per §4.2) as the request's TLS policy says, and AUTH PLAIN (RFC 4616) or
 * LOGIN for a smarthost (RFC 4954 §4), only under TLS. It reacts to replies and queues commands;
 * reading, timers and TLS itself are client_session.c's. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "smtp/client_session_internal.h"
#include "util/base64.h"
#include "util/log.h"

static bool positive(const struct client_session *session) { return session->reply.code / 100 == 2; }

static void send_ehlo(struct client_session *session)
{
	client_session_send(session, "EHLO %s", session->request->helo_name);
	client_session_expect(session, CLIENT_STATE_EHLO);
}

void client_ehlo_on_greeting(struct client_session *session)
{
	if (session->reply.code != 220) { /* §3.1: 554 (or 4xx) means no service here */
		client_session_fail_and_quit(session, NULL, CLIENT_PROTOCOL_FAILED, true, NULL);
		return;
	}
	send_ehlo(session);
}

void client_ehlo_after_tls(struct client_session *session)
{
	if (session->state == CLIENT_STATE_TLS_IMPLICIT)
		client_session_expect(session, CLIENT_STATE_GREETING);
	else
		send_ehlo(session); /* RFC 3207 §4.2: forget what the server said before TLS */
}

static bool wants_starttls(const struct client_session *session)
{
	const struct client_request *request = session->request;

	return !session->tls_active && !session->starttls_refused && request->tls_context != NULL &&
	       request->tls != CLIENT_TLS_IMPLICIT && session->extensions.starttls;
}

/* A buffer for exactly size octets, allocated once, so that no copy of a secret is left behind
 * in memory given back by a reallocation. */
static void init_secret(struct buffer *buffer, size_t size)
{
	buffer_init(buffer, size);
	buffer_printf(buffer, "%*s", (int)size, "");
	buffer_clear(buffer);
}

static void free_secret(struct buffer *buffer)
{
	if (buffer->data != NULL)
		OPENSSL_cleanse(buffer->data, buffer->capacity);
	buffer_free(buffer);
}

/* PLAIN (RFC 4616 §2): authzid (empty), NUL, user, NUL, password; base64 after "AUTH PLAIN ". */
static void send_auth_plain(struct client_session *session)
{
	const char *user = session->request->auth_user, *password = session->request->auth_password;
	size_t message_length = strlen(user) + strlen(password) + 2;
	struct buffer message, line;

	init_secret(&message, message_length);
	init_secret(&line, base64_encoded_length(message_length) + 11);
	buffer_append(&message, "", 1);
	buffer_append_string(&message, user);
	buffer_append(&message, "", 1);
	buffer_append_string(&message, password);
	buffer_append_string(&line, "AUTH PLAIN ");
	base64_encode(buffer_slice(&message), &line);
	client_session_send_secret(session, buffer_slice(&line), "AUTH PLAIN (credentials)");
	free_secret(&message);
	free_secret(&line);
	client_session_expect(session, CLIENT_STATE_AUTH);
}

/* LOGIN: each value base64-encoded on a line of its own, after a 334. */
static void send_login_value(struct client_session *session, const char *value, const char *shown)
{
	struct slice plain = slice_from_string(value);
	struct buffer line;

	init_secret(&line, base64_encoded_length(plain.length));
	base64_encode(plain, &line);
	client_session_send_secret(session, buffer_slice(&line), shown);
	free_secret(&line);
}

static void start_auth(struct client_session *session)
{
	if (!session->tls_active) { /* never a password in clear */
		client_session_fail_and_quit(session, "auth", CLIENT_PROTOCOL_FAILED, false,
		                             "AUTH refused without TLS: the server did not offer STARTTLS");
		return;
	}
	if (session->extensions.auth_plain) {
		send_auth_plain(session);
	} else if (session->extensions.auth_login) {
		client_session_send(session, "AUTH LOGIN");
		client_session_expect(session, CLIENT_STATE_AUTH_USER);
	} else {
		client_session_fail_and_quit(session, "auth", CLIENT_PROTOCOL_FAILED, false,
		                             "the server offers neither AUTH PLAIN nor AUTH LOGIN");
	}
}

/* After a 2xx to EHLO or HELO: TLS first if the policy wants it, then AUTH, then the mail. */
static void after_hello(struct client_session *session)
{
	const struct client_request *request = session->request;

	if (wants_starttls(session)) {
		client_session_send(session, "STARTTLS");
		client_session_expect(session, CLIENT_STATE_STARTTLS);
	} else if (!session->tls_active && request->tls == CLIENT_TLS_REQUIRED) {
		client_session_fail_and_quit(session, "starttls", CLIENT_TLS_FAILED, false,
		                             request->tls_context ? "STARTTLS not offered by the server"
		                                                  : "TLS required but no TLS context given");
	} else if (request->auth_user != NULL) {
		start_auth(session);
	} else {
		client_transaction_begin(session);
	}
}

void client_ehlo_on_ehlo(struct client_session *session)
{
	if (positive(session) && !session->tls_active && session->extensions.starttls)
		session->result.starttls_offered = true;
	if (positive(session)) {
		after_hello(session);
	} else if (session->reply.code / 100 == 5) { /* §3.2: an old server; say HELO instead */
		client_session_send(session, "HELO %s", session->request->helo_name);
		client_session_expect(session, CLIENT_STATE_HELO);
	} else {
		client_session_fail_and_quit(session, NULL, CLIENT_PROTOCOL_FAILED, true, NULL);
	}
}

void client_ehlo_on_helo(struct client_session *session)
{
	if (!positive(session)) {
		client_session_fail_and_quit(session, NULL, CLIENT_PROTOCOL_FAILED, true, NULL);
		return;
	}
	memset(&session->extensions, 0, sizeof session->extensions); /* HELO: no extensions at all */
	after_hello(session);
}

void client_ehlo_on_starttls(struct client_session *session)
{
	if (session->reply.code == 220) {
		client_session_start_tls(session, CLIENT_STATE_TLS_STARTTLS);
		return;
	}
	if (session->request->tls == CLIENT_TLS_REQUIRED) {
		client_session_fail_and_quit(session, NULL, CLIENT_TLS_FAILED, true, NULL);
		return;
	}
	/* Opportunistic (RFC 7435): a refused STARTTLS leaves the session as it was, in plaintext. */
	log_debug("%s client STARTTLS refused (%d): going on in plaintext", session->name, session->reply.code);
	session->starttls_refused = true;
	after_hello(session);
}

void client_ehlo_on_auth(struct client_session *session)
{
	if (session->reply.code != 235) { /* RFC 4954 §6: 535 bad credentials, 454, 534, ... */
		client_session_fail_and_quit(session, NULL, CLIENT_PROTOCOL_FAILED, true, NULL);
		return;
	}
	client_transaction_begin(session);
}

void client_ehlo_on_auth_user(struct client_session *session)
{
	if (session->reply.code != 334) {
		client_session_fail_and_quit(session, NULL, CLIENT_PROTOCOL_FAILED, true, NULL);
		return;
	}
	send_login_value(session, session->request->auth_user, "(user name)");
	client_session_expect(session, CLIENT_STATE_AUTH_PASSWORD);
}

void client_ehlo_on_auth_password(struct client_session *session)
{
	if (session->reply.code != 334) {
		client_session_fail_and_quit(session, NULL, CLIENT_PROTOCOL_FAILED, true, NULL);
		return;
	}
	send_login_value(session, session->request->auth_password, "(password)");
	client_session_expect(session, CLIENT_STATE_AUTH);
}
