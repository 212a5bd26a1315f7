/* client_session: one outbound SMTP connection on the libevent loop, its I/O half: the
 * non-blocking connect (from a source address if asked), reply lines framed and read by
 * client_replies (CRLF only, at most 4 KiB a line), the timeouts of RFC 5321 §4.5.3.2 (one
 * timer per wait, and a write timeout per block of data), TLS under libevent's OpenSSL filter
 * (RFC 3207 after STARTTLS, RFC 8314 §3 from the first byte), and the end: done runs once, on
 * a fresh loop turn. What to send when is client_ehlo.c's and client_transaction.c's. It does
 * not retry, look up MX hosts, or log the outcome (the caller does). */
#include "smtp/client_session_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/tls.h"
#include "net/tls_client.h"
#include "util/log.h"
#include "util/xalloc.h"

/* RFC 5321 §4.5.3.2, in seconds: what the client waits for at most. */
#define CLIENT_SESSION_COMMAND_TIMEOUT    300          /* §4.5.3.2.1-3: the greeting, MAIL, RCPT (and the rest) */
#define CLIENT_SESSION_DATA_START_TIMEOUT 120          /* §4.5.3.2.4: the 354 */
#define CLIENT_SESSION_DATA_BLOCK_TIMEOUT 180          /* §4.5.3.2.5: each block of data to leave */
#define CLIENT_SESSION_DATA_END_TIMEOUT   600          /* §4.5.3.2.6: the reply after the end of data */
#define CLIENT_SESSION_QUIT_TIMEOUT       5            /* ours: the 221 only lets the server log a clean end
                                                          (and the 250 to RSET only keeps a connection) */
#define CLIENT_SESSION_CONNECT_TIMEOUT    30           /* ours (as Postfix), when the request says 0 */
#define CLIENT_SESSION_READ_HIGH_WATER    (256 * 1024) /* stop reading while this much is unread */

enum client_wait { WAIT_NONE, WAIT_COMMAND, WAIT_DATA_START, WAIT_DATA_END, WAIT_QUIT };

/* One row per state: the stage it reports, the words that end "connection lost ..." and
 * "timed out ...", how long to wait, and who takes the reply (none: not a reply wait). */
static const struct client_step {
	const char *name;
	const char *stage;
	const char *after;
	enum client_wait wait;
	void (*on_reply)(struct client_session *session);
} steps[CLIENT_STATE_COUNT] = {
    [CLIENT_STATE_CONNECTING] = {"connecting", "connect", "while connecting", WAIT_NONE, NULL},
    [CLIENT_STATE_TLS_IMPLICIT] = {"tls", "connect", "during the TLS handshake", WAIT_COMMAND, NULL},
    [CLIENT_STATE_GREETING] = {"greeting", "greeting", "waiting for the greeting", WAIT_COMMAND,
                               client_ehlo_on_greeting},
    [CLIENT_STATE_EHLO] = {"ehlo", "ehlo", "after EHLO", WAIT_COMMAND, client_ehlo_on_ehlo},
    [CLIENT_STATE_HELO] = {"helo", "ehlo", "after HELO", WAIT_COMMAND, client_ehlo_on_helo},
    [CLIENT_STATE_STARTTLS] = {"starttls", "starttls", "after STARTTLS", WAIT_COMMAND, client_ehlo_on_starttls},
    [CLIENT_STATE_TLS_STARTTLS] = {"tls", "starttls", "during the TLS handshake", WAIT_COMMAND, NULL},
    [CLIENT_STATE_AUTH] = {"auth", "auth", "after AUTH", WAIT_COMMAND, client_ehlo_on_auth},
    [CLIENT_STATE_AUTH_USER] = {"auth-user", "auth", "after AUTH LOGIN", WAIT_COMMAND, client_ehlo_on_auth_user},
    [CLIENT_STATE_AUTH_PASSWORD] = {"auth-password", "auth", "after the AUTH LOGIN user name", WAIT_COMMAND,
                                    client_ehlo_on_auth_password},
    [CLIENT_STATE_MAIL] = {"mail", "mail", "after MAIL FROM", WAIT_COMMAND, client_transaction_on_mail},
    [CLIENT_STATE_RCPT] = {"rcpt", "rcpt", "after RCPT TO", WAIT_COMMAND, client_transaction_on_rcpt},
    [CLIENT_STATE_DATA] = {"data", "data", "after DATA", WAIT_DATA_START, client_transaction_on_data},
    [CLIENT_STATE_CONTENT] = {"content", "data", "after the end of data", WAIT_DATA_END, client_transaction_on_content},
    [CLIENT_STATE_QUIT] = {"quit", "quit", "after QUIT", WAIT_QUIT, client_transaction_on_quit},
    /* The RSET reply only decides whether the connection is kept: no need to wait long. */
    [CLIENT_STATE_RSET] = {"rset", "rset", "after RSET", WAIT_QUIT, client_transaction_on_rset},
    [CLIENT_STATE_IDLE] = {"idle", "mail", "while idle", WAIT_NONE, NULL},
};

static unsigned wait_seconds(const struct client_session *session, enum client_wait wait)
{
	static const unsigned rfc[] = {[WAIT_COMMAND] = CLIENT_SESSION_COMMAND_TIMEOUT,
	                               [WAIT_DATA_START] = CLIENT_SESSION_DATA_START_TIMEOUT,
	                               [WAIT_DATA_END] = CLIENT_SESSION_DATA_END_TIMEOUT,
	                               [WAIT_QUIT] = CLIENT_SESSION_QUIT_TIMEOUT};
	unsigned chosen = session->command_timeout;

	if (chosen == 0)
		return rfc[wait];
	return wait == WAIT_QUIT && chosen > CLIENT_SESSION_QUIT_TIMEOUT ? CLIENT_SESSION_QUIT_TIMEOUT : chosen;
}

static void arm(struct client_session *session, unsigned seconds)
{
	struct timeval timeout = {(time_t)seconds, 0};

	evtimer_add(session->timer, &timeout);
}

static void set_state(struct client_session *session, enum client_state state)
{
	log_debug("%s client state %s -> %s", session->name, steps[session->state].name, steps[state].name);
	session->state = state;
	if (!session->failed)
		snprintf(session->result.stage, sizeof session->result.stage, "%s", steps[state].stage);
}

/* Octets queued on the top bufferevent (under TLS: not yet encrypted). */
static size_t unsent(const struct client_session *session)
{
	return evbuffer_get_length(bufferevent_get_output(session->connection));
}

void client_session_expect(struct client_session *session, enum client_state state)
{
	set_state(session, state);
	client_replies_start(&session->reply);
	if (state == CLIENT_STATE_EHLO)
		memset(&session->extensions, 0, sizeof session->extensions);
	evtimer_del(session->timer);
	/* §4.5.3.2.6: the wait for the final reply starts once the data has gone; until then the
	 * write timeout (§4.5.3.2.5) watches each block. */
	session->arm_on_flush = steps[state].wait == WAIT_DATA_END && unsent(session) > 0;
	if (!session->arm_on_flush && steps[state].wait != WAIT_NONE)
		arm(session, wait_seconds(session, steps[state].wait));
}

static void log_line(const struct client_session *session, const char *direction, struct slice line)
{
	char quoted[LOG_QUOTED_SIZE];

	log_debug("%s client %s %s", session->name, direction, log_quote(quoted, line.data, line.length));
}

void client_session_send(struct client_session *session, const char *format, ...)
{
	struct evbuffer *output = bufferevent_get_output(session->connection);
	char shown[LOG_VALUE_MAX + 1]; /* the log shows the start; the server gets all of it */
	va_list arguments;
	int length;

	va_start(arguments, format);
	length = vsnprintf(shown, sizeof shown, format, arguments);
	va_end(arguments);
	log_line(session, ">", slice_make(shown, length < 0 ? 0 : strlen(shown)));
	va_start(arguments, format);
	evbuffer_add_vprintf(output, format, arguments);
	va_end(arguments);
	evbuffer_add(output, "\r\n", 2);
}

void client_session_send_secret(struct client_session *session, struct slice line, const char *shown)
{
	struct evbuffer *output = bufferevent_get_output(session->connection);

	log_line(session, ">", slice_from_string(shown));
	evbuffer_add(output, line.data, line.length);
	evbuffer_add(output, "\r\n", 2);
}

void client_session_copy_reply(const struct client_session *session, struct client_reply *out)
{
	out->code = session->reply.code;
	snprintf(out->text, sizeof out->text, "%s", session->reply.text);
}

static void record_failure(struct client_session *session, enum client_outcome outcome, bool reply, const char *text)
{
	if (session->failed)
		return;
	session->failed = true;
	session->reply_recorded = true;
	session->result.outcome = outcome;
	if (reply) {
		client_session_copy_reply(session, &session->result.reply);
	} else {
		session->result.reply.code = 0;
		snprintf(session->result.reply.text, sizeof session->result.reply.text, "%s", text);
	}
}

void client_session_fail_and_quit(struct client_session *session, const char *stage, enum client_outcome outcome,
                                  bool reply, const char *text)
{
	if (stage != NULL && !session->failed)
		snprintf(session->result.stage, sizeof session->result.stage, "%s", stage);
	record_failure(session, outcome, reply, text);
	client_transaction_quit(session);
}

void client_session_fail_now(struct client_session *session, enum client_outcome outcome, const char *text)
{
	record_failure(session, outcome, false, text);
	client_session_finish(session);
}

/* The connection broke, timed out or talked nonsense: what that means depends on the state.
 * The reply text is what, then after (NULL: the state's own words). */
static void fail_in_state(struct client_session *session, const char *what, const char *after)
{
	enum client_outcome outcome = CLIENT_PROTOCOL_FAILED;
	char text[sizeof session->result.reply.text];

	/* The transaction is over (refused, or done): nothing is lost, the connection just ends. */
	if (session->state == CLIENT_STATE_QUIT || session->state == CLIENT_STATE_RSET) {
		session->keep_open = false;
		client_session_finish(session);
		return;
	}
	if (session->state == CLIENT_STATE_CONNECTING)
		outcome = CLIENT_CONNECT_FAILED;
	else if (session->state == CLIENT_STATE_TLS_IMPLICIT || session->state == CLIENT_STATE_TLS_STARTTLS)
		outcome = CLIENT_TLS_FAILED;
	if (after == NULL)
		after = session->state == CLIENT_STATE_CONTENT && session->chunking ? "after BDAT"
		                                                                    : steps[session->state].after;
	snprintf(text, sizeof text, "%s %s", what, after);
	client_session_fail_now(session, outcome, text);
}

static const char *frame_problem(enum client_replies_frame frame)
{
	switch (frame) {
	case CLIENT_REPLIES_FRAME_TOO_LONG:
		return "reply line over 4096 octets";
	case CLIENT_REPLIES_FRAME_BARE_LF:
		return "bare LF in a reply";
	default:
		return "NUL or bare CR in a reply";
	}
}

/* Takes one line off input into the reply. Returns false when no whole line is there yet or
 * the session failed; *complete says whether the reply is now whole. */
static bool take_line(struct client_session *session, struct evbuffer *input, bool *complete)
{
	size_t waiting = evbuffer_get_length(input);
	size_t want = waiting < CLIENT_REPLIES_LINE_MAX ? waiting : CLIENT_REPLIES_LINE_MAX;
	const char *bytes = want > 0 ? (const char *)evbuffer_pullup(input, (ev_ssize_t)want) : "";
	struct slice line;
	size_t consumed;
	enum client_replies_frame frame = client_replies_frame(slice_make(bytes, want), &line, &consumed);
	enum client_replies_result result;

	if (frame == CLIENT_REPLIES_FRAME_INCOMPLETE)
		return false;
	if (frame != CLIENT_REPLIES_FRAME_LINE) {
		fail_in_state(session, frame_problem(frame), NULL);
		return false;
	}
	log_line(session, "<", line);
	result = client_replies_take(&session->reply, line,
	                             session->state == CLIENT_STATE_EHLO ? &session->extensions : NULL);
	evbuffer_drain(input, consumed);
	if (result == CLIENT_REPLIES_MALFORMED || result == CLIENT_REPLIES_TOO_LONG) {
		fail_in_state(session,
		              result == CLIENT_REPLIES_MALFORMED ? "malformed reply" : "reply over 65536 octets", NULL);
		return false;
	}
	*complete = result == CLIENT_REPLIES_COMPLETE;
	return true;
}

/* Reads every whole reply waiting, in order (pipelined replies come in a row, RFC 2920 §3.1),
 * and hands each to its state's handler. */
static void pump(struct client_session *session)
{
	while (!session->ending && steps[session->state].on_reply != NULL) {
		bool complete = false;
		if (!take_line(session, bufferevent_get_input(session->connection), &complete))
			return;
		if (complete) {
			evtimer_del(session->timer);
			steps[session->state].on_reply(session);
		}
	}
}

static void on_read(struct bufferevent *connection, void *context)
{
	struct client_session *session = context;

	if (session->state == CLIENT_STATE_IDLE) /* nothing is due: a 421 or garbage, either way the end */
		client_reuse_lost(session);
	else
		pump(session);
}

static void on_write(struct bufferevent *connection, void *context)
{
	struct client_session *session = context;

	if (session->arm_on_flush && unsent(session) == 0) {
		session->arm_on_flush = false;
		arm(session, wait_seconds(session, steps[session->state].wait));
	}
}

static void tls_established(struct client_session *session)
{
	SSL *ssl = bufferevent_openssl_get_ssl(session->connection);

	evtimer_del(session->timer);
	tls_describe(ssl, session->result.tls, sizeof session->result.tls);
	session->result.tls_verified = tls_client_verified(ssl);
	session->tls_active = true;
	log_debug("%s client tls %s verified=%s", session->name, session->result.tls,
	          session->result.tls_verified ? "yes" : "no");
	if (session->request->on_tls != NULL)
		session->request->on_tls(session->context, ssl);
	if (session->request->tls != CLIENT_TLS_OPPORTUNISTIC && !session->result.tls_verified) {
		client_session_fail_now(session, CLIENT_TLS_FAILED, "certificate not verified");
		return;
	}
	client_ehlo_after_tls(session);
}

static void tls_failed(struct client_session *session)
{
	char text[sizeof session->result.reply.text];
	char reason[256];
	unsigned long error = bufferevent_get_openssl_error(session->connection);

	tls_client_explain_failure(bufferevent_openssl_get_ssl(session->connection), error, reason, sizeof reason);
	snprintf(text, sizeof text, "TLS handshake failed: %s", reason);
	client_session_fail_now(session, CLIENT_TLS_FAILED, text);
}

static void connected(struct client_session *session)
{
	evtimer_del(session->timer);
	if (session->request->tls != CLIENT_TLS_IMPLICIT) {
		client_session_expect(session, CLIENT_STATE_GREETING);
		return;
	}
	if (session->request->tls_context == NULL) {
		client_session_fail_now(session, CLIENT_TLS_FAILED, "implicit TLS without a TLS context");
		return;
	}
	client_session_start_tls(session, CLIENT_STATE_TLS_IMPLICIT);
}

static void on_event(struct bufferevent *connection, short events, void *context)
{
	struct client_session *session = context;
	bool handshaking = session->state == CLIENT_STATE_TLS_IMPLICIT || session->state == CLIENT_STATE_TLS_STARTTLS;
	char text[128];

	if (session->state == CLIENT_STATE_IDLE) {
		client_reuse_lost(session);
		return;
	}
	if (events & BEV_EVENT_CONNECTED) {
		if (session->state == CLIENT_STATE_CONNECTING)
			connected(session);
		else if (handshaking)
			tls_established(session);
		return;
	}
	if (events & BEV_EVENT_TIMEOUT) { /* §4.5.3.2.5: a block of data did not leave in time */
		if (session->state == CLIENT_STATE_CONTENT)
			fail_in_state(session, "timed out", "sending the message");
		else
			fail_in_state(session, "timed out sending", NULL);
		return;
	}
	pump(session); /* replies that came just before the end still count */
	if (session->ending)
		return;
	if (session->state == CLIENT_STATE_CONNECTING) {
		snprintf(text, sizeof text, "connect: %s", strerror(EVUTIL_SOCKET_ERROR()));
		client_session_fail_now(session, CLIENT_CONNECT_FAILED, text);
	} else if (handshaking) {
		tls_failed(session);
	} else {
		fail_in_state(session, "connection lost", NULL);
	}
}

static void on_timer(evutil_socket_t fd, short events, void *context)
{
	struct client_session *session = context;
	char text[64];

	if (session->state != CLIENT_STATE_CONNECTING) {
		fail_in_state(session, "timed out", NULL);
		return;
	}
	snprintf(text, sizeof text, "connect timed out");
	client_session_fail_now(session, CLIENT_CONNECT_FAILED, text);
}

static void watch(struct client_session *session)
{
	unsigned block =
	    session->request->command_timeout ? session->request->command_timeout : CLIENT_SESSION_DATA_BLOCK_TIMEOUT;
	struct timeval write_timeout = {(time_t)block, 0};
	struct bufferevent *plain = bufferevent_get_underlying(session->connection);

	bufferevent_setcb(session->connection, on_read, on_write, on_event, session);
	bufferevent_setwatermark(session->connection, EV_READ, 0, CLIENT_SESSION_READ_HIGH_WATER);
	bufferevent_set_timeouts(session->connection, NULL, &write_timeout);
	if (plain != NULL) /* the socket under a TLS filter is where writes can stall */
		bufferevent_set_timeouts(plain, NULL, &write_timeout);
	bufferevent_enable(session->connection, EV_READ | EV_WRITE);
}

void client_session_start_tls(struct client_session *session, enum client_state state)
{
	const struct client_request *request = session->request;
	SSL *ssl = tls_client_new_connection(request->tls_context, request->host_name,
	                                     request->tls != CLIENT_TLS_OPPORTUNISTIC);
	struct evbuffer *early = bufferevent_get_input(session->connection);
	struct bufferevent *filter;

	set_state(session, state);
	/* RFC 3207 §4.2 (and CVE-2011-1575's kind): plaintext that came after the 220 to STARTTLS
	 * may be an attacker's; it never counts as part of the TLS session. */
	if (evbuffer_get_length(early) > 0) {
		log_debug("%s client discarded %zu octets after the 220 to STARTTLS", session->name,
		          evbuffer_get_length(early));
		evbuffer_drain(early, evbuffer_get_length(early));
	}
	filter = ssl == NULL ? NULL
	                     : bufferevent_openssl_filter_new(session->base, session->connection, ssl,
	                                                      BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (filter == NULL) {
		client_session_fail_now(session, CLIENT_TLS_FAILED, "cannot start TLS: out of memory");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	session->connection = filter;
	watch(session);
	arm(session, wait_seconds(session, WAIT_COMMAND));
}

static void on_finish(evutil_socket_t fd, short events, void *context)
{
	struct client_session *session = context;
	struct client_result result = session->result;
	void (*done)(void *, const struct client_result *) = session->done;
	void *done_context = session->context;

	if (session->closing) {
		void (*closed)(void *) = session->closed;
		void *closed_context = session->closed_context;
		client_session_cancel(session);
		if (closed)
			closed(closed_context);
		return;
	}
	if (result.reusable) { /* the caller owns the session now (client_session.h) */
		session->ending = false;
		done(done_context, &result);
		return;
	}
	client_session_cancel(session);
	done(done_context, &result);
}

void client_session_finish(struct client_session *session)
{
	if (session->ending)
		return;
	session->ending = true;
	evtimer_del(session->timer);
	/* An idle connection kept for the next message still listens, to notice its loss. */
	if (session->connection != NULL && session->state != CLIENT_STATE_IDLE) {
		bufferevent_disable(session->connection, EV_READ | EV_WRITE);
		bufferevent_setcb(session->connection, NULL, NULL, NULL, NULL);
	}
	event_active(session->finisher, EV_TIMEOUT, 0);
}

void client_session_cancel(struct client_session *session)
{
	if (session == NULL)
		return;
	if (session->connection != NULL)
		bufferevent_free(session->connection);
	event_free(session->timer);
	event_free(session->finisher);
	free(session->accepted);
	free(session);
}

static void describe_address(struct client_session *session)
{
	const struct sockaddr_storage *address = &session->request->address;
	char text[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (address->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
		inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
		port = ntohs(v6->sin6_port);
	} else if (address->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
		inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
		port = ntohs(v4->sin_port);
	}
	snprintf(session->name, sizeof session->name, "[%s]:%u", text, port);
}

bool client_session_request_is_safe(const struct client_request *request)
{
	const struct client_message *message = request->message;

	if (strpbrk(request->helo_name, "\r\n") || strpbrk(message->sender, "\r\n"))
		return false;
	for (size_t i = 0; i < message->recipient_count; i++)
		if (strpbrk(message->recipients[i].address, "\r\n"))
			return false;
	return true;
}

static void connect_now(struct client_session *session)
{
	const struct client_request *request = session->request;
	unsigned seconds = request->connect_timeout ? request->connect_timeout : CLIENT_SESSION_CONNECT_TIMEOUT;
	int fd = socket(request->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char text[128];

	if (fd < 0 || (request->source != NULL && bind(fd, request->source, request->source_length) != 0)) {
		snprintf(text, sizeof text, "%s: %s", fd < 0 ? "socket" : "bind", strerror(errno));
		if (fd >= 0)
			close(fd);
		client_session_fail_now(session, CLIENT_CONNECT_FAILED, text);
		return;
	}
	session->connection = bufferevent_socket_new(session->base, fd, BEV_OPT_CLOSE_ON_FREE);
	watch(session);
	arm(session, seconds);
	if (bufferevent_socket_connect(session->connection, (const struct sockaddr *)&request->address,
	                               (int)request->address_length) != 0) {
		snprintf(text, sizeof text, "connect: %s", strerror(errno));
		client_session_fail_now(session, CLIENT_CONNECT_FAILED, text);
	}
}

struct client_session *client_session_start(struct event_base *base, const struct client_request *request,
                                            void (*done)(void *context, const struct client_result *result),
                                            void *context)
{
	struct client_session *session = xcalloc(1, sizeof *session);
	struct client_message *message = request->message;

	session->base = base;
	session->request = request;
	session->message = message;
	session->done = done;
	session->context = context;
	session->command_timeout = request->command_timeout;
	session->keep_open = request->keep_open;
	session->timer = evtimer_new(base, on_timer, session);
	session->finisher = event_new(base, -1, 0, on_finish, session);
	session->accepted = xcalloc(message->recipient_count ? message->recipient_count : 1, sizeof(bool));
	for (size_t i = 0; i < message->recipient_count; i++) {
		message->recipients[i].reply.code = 0;
		message->recipients[i].reply.text[0] = '\0';
		message->recipients[i].delivered = false;
	}
	session->result.outcome = CLIENT_DONE;
	describe_address(session);
	session->state = CLIENT_STATE_CONNECTING;
	snprintf(session->result.stage, sizeof session->result.stage, "%s", steps[CLIENT_STATE_CONNECTING].stage);
	if (!client_session_request_is_safe(request))
		client_session_fail_now(session, CLIENT_PROTOCOL_FAILED, "CR or LF in the HELO name or an address");
	else
		connect_now(session);
	return session;
}
