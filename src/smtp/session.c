/* session: the I/O side of an SMTP server session: start and end, replies, timeouts
 * (RFC 5321 §4.5.3.2), the error limit, and framing input into command lines (CRLF only, at
 * most 512 octets, §4.5.3.1.4) or handing it to the message code (session_message.c).
 * What a command means is session_commands.c's business. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config_current.h"
#include "smtp/sasl.h"
#include "smtp/session_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SESSION_READ_HIGH_WATER (256 * 1024) /* stop reading while this much is unprocessed */

static const char *const role_names[] = {"smtp", "submission", "submissions", "local"};

void session_pump(struct session *session);
void session_close_after_reply(struct session *session);

static const char *const state_names[] = {"greeting", "ready", "hello", "mail", "data",
                                          "chunk",    "auth",  "busy",  "closing"};

void session_set_timeouts(struct session *session, unsigned seconds)
{
	struct timeval timeout = {seconds, 0};
	bufferevent_set_timeouts(session->connection, &timeout, &timeout);
}

void session_set_state(struct session *session, enum session_state state)
{
	bool was_data = session->state == STATE_DATA || session->state == STATE_CHUNK;
	bool is_data = state == STATE_DATA || state == STATE_CHUNK;

	log_debug("%s state %s -> %s", session->id, state_names[session->state], state_names[state]);
	session->state = state;
	if (was_data != is_data) /* RFC 5321 §4.5.3.2: longer patience while data flows */
		session_set_timeouts(session, is_data ? session->config->data_timeout : session->config->command_timeout);
}

static void write_ehlo_extensions(struct session *session, struct evbuffer *output)
{
	/* RFC 3207 §4: STARTTLS only before TLS; RFC 4954 §4 and RFC 8314: AUTH only under TLS,
	 * and only where users submit (the MX port takes mail for us, not from our users). */
	if (session->services->tls && !session->tls && session->role != LISTENER_LOCAL)
		evbuffer_add(output, "250-STARTTLS\r\n", 14);
	if (session->tls && (session->role == LISTENER_SUBMISSION || session->role == LISTENER_SUBMISSIONS))
		evbuffer_add(output, "250-AUTH PLAIN LOGIN\r\n", 22);
	/* RFC 5321 §4.1.1.1: "250-" continuation lines, the last one "250 ". */
	evbuffer_add_printf(output, "250-PIPELINING\r\n"         /* RFC 2920 */
	                            "250-SIZE %zu\r\n"           /* RFC 1870 */
	                            "250-8BITMIME\r\n"           /* RFC 6152 */
	                            "250-ENHANCEDSTATUSCODES\r\n" /* RFC 2034 */
	                            "250-SMTPUTF8\r\n"           /* RFC 6531 */
	                            "250 CHUNKING\r\n",          /* RFC 3030 */
	                    session->config->max_message_size);
}

static void log_refusal(struct session *session, const char *line, const char *what)
{
	char quoted[LOG_QUOTED_SIZE];
	size_t length = strlen(line);

	while (length && (line[length - 1] == '\n' || line[length - 1] == '\r'))
		length--;
	log_info("%s reject %s client=%s reply=%s", session->id, what, session->client_address,
	         log_quote(quoted, line, length));
}

/* Sends a reply; returns false when the session is now closing. */
bool session_reply(struct session *session, enum reply_id id, const char *argument, const char *what)
{
	struct evbuffer *output = bufferevent_get_output(session->connection);
	char line[REPLY_MAX];
	size_t length;
	int code = reply_code(id);

	if (id == REPLY_NONE)
		return true;
	length = reply_format(id, session->config->hostname, argument, line, sizeof line);
	if (id == REPLY_EHLO)
		line[3] = '-';
	evbuffer_add(output, line, length);
	if (id == REPLY_EHLO)
		write_ehlo_extensions(session, output);
	if (code >= 400) {
		log_refusal(session, line, what);
		if (code == 421 || id == REPLY_SYNCHRONIZATION || id == REPLY_PREGREETING) {
			session_close_after_reply(session);
			return false;
		}
		if (++session->errors >= SESSION_ERRORS_MAX) {
			session_reply(session, REPLY_TOO_MANY_ERRORS, NULL, "errors");
			return false;
		}
	}
	return true;
}

static void finish(evutil_socket_t fd, short events, void *context)
{
	struct session *session = context;

	log_info("%s disconnect client=%s", session->id, session->client_address);
	session_reset_transaction(session);
	session_auth_free(session);
	if (session->greeting_timer)
		event_free(session->greeting_timer);
	if (session->delay_timer)
		event_free(session->delay_timer);
	if (session->close_timer)
		event_free(session->close_timer);
	bufferevent_free(session->connection);
	config_current_release(session->config);
	session->on_close(session->close_context);
	free(session);
}

/* Ends the session: never at once, since callers up the stack may still look at it, but on the
 * next loop turn, with no callbacks in between. While a work-pool job holds the session, the
 * job's completion ends it instead. Safe to call more than once. */
void session_end(struct session *session)
{
	struct timeval now = {0, 0};

	if (session->job_in_flight) {
		session->closed_by_peer = true;
		bufferevent_disable(session->connection, EV_READ | EV_WRITE);
		return;
	}
	if (session->ending)
		return;
	session->ending = true;
	bufferevent_disable(session->connection, EV_READ | EV_WRITE);
	bufferevent_setcb(session->connection, NULL, NULL, NULL, NULL);
	event_base_once(session->services->base, -1, EV_TIMEOUT, finish, session, &now);
}

/* Octets not yet handed to the kernel, including those under a TLS filter. */
static size_t unsent(const struct session *session)
{
	struct bufferevent *plain = bufferevent_get_underlying(session->connection);
	size_t length = evbuffer_get_length(bufferevent_get_output(session->connection));

	return plain ? length + evbuffer_get_length(bufferevent_get_output(plain)) : length;
}

#define SESSION_CLOSE_TICKS 1000 /* 10 ms each: how long a last reply may take to leave */

static void close_when_sent(evutil_socket_t fd, short events, void *context)
{
	struct session *session = context;
	struct timeval tick = {0, 10 * 1000};

	if (unsent(session) == 0 || ++session->close_ticks > SESSION_CLOSE_TICKS)
		session_end(session);
	else
		evtimer_add(session->close_timer, &tick);
}

void session_close_after_reply(struct session *session)
{
	struct timeval now = {0, 0};

	if (session->state == STATE_CLOSING)
		return;
	session_set_state(session, STATE_CLOSING);
	bufferevent_disable(session->connection, EV_READ);
	session->close_timer = evtimer_new(session->services->base, close_when_sent, session);
	evtimer_add(session->close_timer, &now);
}

/* --- command lines ------------------------------------------------------------------ */

/* RFC 5321 §4.5.3.1.4: 512 octets per command line; RFC 4954 §4: AUTH lines and SASL
 * responses may be up to 12288 octets. */
static size_t line_limit(const struct session *session, struct evbuffer *input)
{
	char start[5];

	if (session->state == STATE_AUTH)
		return SASL_RESPONSE_MAX + 2;
	if (evbuffer_copyout(input, start, 5) == 5 && slice_equal_string_nocase(slice_make(start, 5), "AUTH "))
		return SASL_RESPONSE_MAX + 16;
	return COMMAND_LINE_MAX;
}

/* RFC 3207 §4.2 and CVE-2011-0411: whatever the client sent after STARTTLS, before the
 * handshake, is dropped, never run as a command inside the TLS session. */
static void start_tls_after_reply(struct session *session, struct evbuffer *input)
{
	size_t pipelined = evbuffer_get_length(input);

	if (pipelined > 0) {
		log_info("%s discarded %zu octets pipelined after STARTTLS client=%s", session->id, pipelined,
		         session->client_address);
		evbuffer_drain(input, pipelined);
	}
	session_tls_start(session);
}

/* Takes one complete command line off input and runs it. Returns false when no complete
 * line is there yet. Over-long lines are answered once and discarded up to their CRLF. */
static bool next_command(struct session *session, struct evbuffer *input)
{
	size_t line_length;
	struct evbuffer_ptr end = evbuffer_search_eol(input, NULL, &line_length, EVBUFFER_EOL_CRLF_STRICT);
	char line[SASL_RESPONSE_MAX + 16];
	struct session_reply reply;
	enum command_verb verb;
	bool too_long;

	if (end.pos < 0) {
		size_t waiting = evbuffer_get_length(input);
		if (waiting >= line_limit(session, input)) { /* keep a final CR: it may start the CRLF */
			evbuffer_drain(input, waiting - 1);
			if (!session->long_line) {
				session->long_line = true;
				session_reply(session, REPLY_LINE_TOO_LONG, NULL, "command");
			}
		}
		return false;
	}
	too_long = session->long_line || (size_t)end.pos + 2 > line_limit(session, input);
	if (too_long) {
		evbuffer_drain(input, (size_t)end.pos + line_length);
		if (!session->long_line)
			session_reply(session, REPLY_LINE_TOO_LONG, NULL, "command");
		session->long_line = false;
		return true;
	}
	evbuffer_remove(input, line, (size_t)end.pos);
	evbuffer_drain(input, line_length);
	if (session->state == STATE_AUTH) {
		session_auth_response(session, slice_make(line, (size_t)end.pos));
		return true;
	}
	session_run_command(session, slice_make(line, (size_t)end.pos), evbuffer_get_length(input) > 0, &reply,
	                    &verb);
	if (!session_reply(session, reply.id, reply.argument, command_verb_name(verb)))
		return true;
	if (verb == VERB_QUIT)
		session_close_after_reply(session);
	else if (reply.id == REPLY_TLS_READY)
		start_tls_after_reply(session, input);
	return true;
}

/* Processes whatever input is waiting, as far as the state allows. */
void session_pump(struct session *session)
{
	struct evbuffer *input = bufferevent_get_input(session->connection);

	for (;;) {
		switch (session->state) {
		case STATE_DATA:
			if (!session_consume_data(session, input))
				return;
			session_message_complete(session, "DATA");
			break;
		case STATE_CHUNK:
			if (!session_consume_chunk(session, input))
				return;
			session_chunk_complete(session);
			break;
		case STATE_READY:
		case STATE_HELLO:
		case STATE_MAIL:
		case STATE_AUTH:
			if (!next_command(session, input))
				return;
			break;
		default: /* greeting, busy, closing: input waits */
			return;
		}
	}
}

void session_resume(struct session *session)
{
	bufferevent_enable(session->connection, EV_READ);
	session_pump(session);
}

static void on_readable(struct bufferevent *connection, void *context)
{
	struct session *session = context;

	if (session->state == STATE_GREETING) { /* RFC 5321 §3.1: the client waits for 220 */
		session_reply(session, REPLY_PREGREETING, NULL, "pregreeting");
		return;
	}
	session_pump(session);
}

static void on_event(struct bufferevent *connection, short events, void *context)
{
	struct session *session = context;

	if ((events & BEV_EVENT_TIMEOUT) && session->state != STATE_CLOSING) {
		log_info("%s timeout state=%s client=%s", session->id, state_names[session->state],
		         session->client_address);
		if (session->job_in_flight)
			return; /* the job's completion replies; the write side is merely slow */
		bufferevent_enable(connection, EV_WRITE);
		session_reply(session, REPLY_TIMEOUT, NULL, "timeout");
		return;
	}
	if (events & BEV_EVENT_CONNECTED) { /* the TLS handshake is done */
		session_tls_describe(session);
		return;
	}
	if ((events & BEV_EVENT_ERROR) && session->tls)
		session_tls_log_error(session);
	session_end(session);
}

static void greet(evutil_socket_t fd, short events, void *context)
{
	struct session *session = context;

	session_set_state(session, STATE_READY);
	session_reply(session, REPLY_GREETING, NULL, "greeting");
}

/* Sets client_address and trust: a TCP peer by address; a local-socket peer by its uid. */
static void identify_client(struct session *session, evutil_socket_t fd, const struct sockaddr *peer)
{
	if (peer->sa_family == AF_UNIX) {
		struct ucred credentials;
		socklen_t length = sizeof credentials;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0)
			snprintf(session->client_address, sizeof session->client_address, "local uid=%u",
			         (unsigned)credentials.uid);
		else
			snprintf(session->client_address, sizeof session->client_address, "local");
		session->trusted = true; /* like sendmail(8): local users may send anywhere */
	} else {
		if (peer->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, session->client_address,
			          sizeof session->client_address);
		else
			inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, session->client_address,
			          sizeof session->client_address);
		session->trusted = config_is_trusted(session->config, peer);
	}
}

void session_watch_connection(struct session *session)
{
	bufferevent_setcb(session->connection, on_readable, NULL, on_event, session);
	bufferevent_setwatermark(session->connection, EV_READ, 0, SESSION_READ_HIGH_WATER);
	session_set_timeouts(session, session->state == STATE_DATA || session->state == STATE_CHUNK
	                                  ? session->config->data_timeout
	                                  : session->config->command_timeout);
	bufferevent_enable(session->connection, EV_READ | EV_WRITE);
}

struct session *session_start(struct session_services *services, evutil_socket_t fd, const struct sockaddr *peer,
                              socklen_t peer_length, enum listener_role role, void (*on_close)(void *),
                              void *context)
{
	struct session *session = xcalloc(1, sizeof *session);

	snprintf(session->id, sizeof session->id, "S%lX", ++services->sessions_started);
	session->services = services;
	session->config = config_current_retain();
	session->role = role;
	session->on_close = on_close;
	session->close_context = context;
	memcpy(&session->peer, peer, peer_length);
	identify_client(session, fd, peer);
	session->connection = bufferevent_socket_new(services->base, fd, BEV_OPT_CLOSE_ON_FREE);
	session_watch_connection(session);
	log_info("%s connect client=%s port=%s trusted=%s", session->id, session->client_address,
	         role_names[role], session->trusted ? "yes" : "no");
	if (role == LISTENER_SUBMISSIONS) /* RFC 8314 §3.3: TLS from the first byte */
		session_tls_start(session);
	if (session->config->greeting_delay > 0) {
		struct timeval delay = {session->config->greeting_delay, 0};
		session->greeting_timer = evtimer_new(services->base, greet, session);
		evtimer_add(session->greeting_timer, &delay);
	} else {
		greet(-1, 0, session);
	}
	return session;
}

void session_shutdown(struct session *session)
{
	session->shutdown_requested = true;
	switch (session->state) {
	case STATE_DATA:
	case STATE_CHUNK:
	case STATE_BUSY:
	case STATE_CLOSING:
		return; /* the transaction (or AUTH check) finishes first, then says goodbye */
	default:
		session_reply(session, REPLY_SHUTTING_DOWN, NULL, "shutdown");
	}
}
