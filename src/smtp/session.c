/* session: the I/O side of an SMTP server session. It frames input into command lines
 * (CRLF only, at most 512 octets, RFC 5321 §4.5.3.1.4) or feeds it to the data decoder
 * (DATA, BDAT), sends replies, enforces timeouts (§4.5.3.2) and the error limit, and commits
 * each accepted message to the spool on the work pool, replying 250 only once it is durable.
 * What a command means is session_commands.c's business. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config_current.h"
#include "smtp/received.h"
#include "smtp/session_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SESSION_READ_HIGH_WATER (256 * 1024) /* stop reading while this much is unprocessed */

static void pump(struct session *session);
static void close_after_reply(struct session *session);

static const char *const state_names[] = {"greeting", "ready", "hello", "mail", "data", "chunk", "commit",
                                          "closing"};

static void set_timeouts(struct session *session, unsigned seconds)
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
		set_timeouts(session, is_data ? session->config->data_timeout : session->config->command_timeout);
}

void session_reset_transaction(struct session *session)
{
	envelope_free(&session->envelope);
	buffer_free(&session->message);
	session->accepted_rcpts = 0;
	session->single_rcpt[0] = '\0';
	session->smtputf8 = false;
	session->data_started = false;
	session->queue_id[0] = '\0';
	session->chunk_remaining = 0;
	session->chunk_last = false;
	session->chunk_refusal = REPLY_NONE;
}

void session_begin_message(struct session *session, enum data_mode mode)
{
	struct received_info info = {
		.helo = session->helo,
		.client_address = session->client_address,
		.hostname = session->config->hostname,
		.protocol = received_protocol(session->ehlo, false, false, session->smtputf8),
		.recipient = session->accepted_rcpts == 1 ? session->single_rcpt : NULL,
		.when = time(NULL),
	};

	spool_new_id(session->services->spool, session->queue_id);
	info.queue_id = session->queue_id;
	buffer_init(&session->message, 64 * 1024);
	received_append(&session->message, &info);
	/* The size limit applies to what the client sends, not to our trace header. */
	session->message.maximum = session->message.length + session->config->max_message_size;
	data_decoder_init(&session->decoder, mode, &session->message);
	session->data_started = true;
}

static void write_ehlo_extensions(struct session *session, struct evbuffer *output)
{
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
static bool send_reply(struct session *session, enum reply_id id, const char *argument, const char *what)
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
			close_after_reply(session);
			return false;
		}
		if (++session->errors >= SESSION_ERRORS_MAX) {
			send_reply(session, REPLY_TOO_MANY_ERRORS, NULL, "errors");
			return false;
		}
	}
	return true;
}

/* Ends the session, or, while the spool is still writing its message, marks it to end
 * when the commit completes (the job holds a pointer to it). */
static void session_free(struct session *session)
{
	if (session->commit_in_flight) {
		session->closed_by_peer = true;
		bufferevent_disable(session->connection, EV_READ | EV_WRITE);
		return;
	}
	log_info("%s disconnect client=%s", session->id, session->client_address);
	session_reset_transaction(session);
	if (session->greeting_timer)
		event_free(session->greeting_timer);
	bufferevent_free(session->connection);
	config_current_release(session->config);
	session->on_close(session->close_context);
	free(session);
}

static void on_drained(struct bufferevent *connection, void *context)
{
	struct session *session = context;

	if (session->state == STATE_CLOSING)
		session_free(session);
}

static void close_after_reply(struct session *session)
{
	session_set_state(session, STATE_CLOSING);
	bufferevent_disable(session->connection, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(session->connection)) == 0)
		session_free(session);
	/* otherwise on_drained frees it once the reply is on the wire */
}

/* --- committing a message ------------------------------------------------------------- */

struct commit_job {
	struct session *session;
	int result;
	int error;
};

static void commit_work(void *context)
{
	struct commit_job *job = context;
	struct session *session = job->session;

	job->result = spool_commit(session->services->spool, &session->envelope, buffer_slice(&session->message));
	job->error = errno;
}

static void log_queued(struct session *session)
{
	char sender[LOG_QUOTED_SIZE];

	log_info("%s queued session=%s client=%s helo=%s from=%s size=%zu nrcpt=%zu", session->queue_id,
	         session->id, session->client_address, session->helo,
	         log_quote(sender, session->envelope.sender, strlen(session->envelope.sender)),
	         session->message.length, session->envelope.recipient_count);
}

static void commit_done(void *context)
{
	struct commit_job *job = context;
	struct session *session = job->session;
	bool committed = job->result == 0;
	int error = job->error;

	free(job);
	session->commit_in_flight = false;
	if (committed) {
		log_queued(session);
		scheduler_enqueue(session->services->scheduler, session->queue_id, true);
	} else {
		log_error("%s spool commit failed: %s", session->queue_id, strerror(error));
	}
	if (session->closed_by_peer) {
		session_free(session);
		return;
	}
	session_set_state(session, STATE_HELLO);
	if (committed)
		send_reply(session, REPLY_QUEUED, session->queue_id, "DATA");
	else
		send_reply(session, error == ENOSPC || error == EDQUOT ? REPLY_STORAGE_FULL : REPLY_LOCAL_ERROR, NULL,
		           "DATA");
	session_reset_transaction(session);
	if (session->state == STATE_CLOSING)
		return;
	if (session->shutdown_requested) {
		send_reply(session, REPLY_SHUTTING_DOWN, NULL, "shutdown");
		return;
	}
	bufferevent_enable(session->connection, EV_READ);
	pump(session);
}

static void commit_message(struct session *session)
{
	struct commit_job *job = xcalloc(1, sizeof *job);
	time_t now = time(NULL);

	job->session = session;
	session->envelope.id = xstrdup(session->queue_id);
	session->envelope.created = now;
	session->envelope.next_attempt = now;
	session->envelope.eightbit |= session->decoder.has_8bit;
	session->envelope.client = xasprintf("%s %s", session->client_address, session->helo);
	session_set_state(session, STATE_COMMIT);
	session->commit_in_flight = true;
	/* Input waits while the spool writes; pipelined commands are read after the reply. */
	bufferevent_disable(session->connection, EV_READ);
	workpool_submit(session->services->workpool, commit_work, commit_done, job);
}

/* --- message data ------------------------------------------------------------------- */

static enum reply_id data_error_reply(unsigned errors)
{
	if (errors & DATA_ERROR_TOO_BIG)
		return REPLY_MESSAGE_TOO_BIG;
	if (errors & (DATA_ERROR_BARE_LF | DATA_ERROR_BARE_CR))
		return REPLY_BARE_LINE_ENDING;
	if (errors & DATA_ERROR_NUL)
		return REPLY_NUL_IN_MESSAGE;
	return REPLY_DATA_LINE_TOO_LONG;
}

/* The whole message is in: commit it, or refuse it and forget the transaction. */
static void message_complete(struct session *session, const char *what)
{
	unsigned errors = session->decoder.errors;

	if (errors == 0) {
		commit_message(session);
		return;
	}
	session_reset_transaction(session);
	session_set_state(session, STATE_HELLO);
	send_reply(session, data_error_reply(errors), NULL, what);
}

/* Feeds all waiting DATA input to the decoder; returns true if the end marker was reached. */
static bool consume_data(struct session *session, struct evbuffer *input)
{
	struct evbuffer_iovec pieces[8];

	while (!session->decoder.ended && evbuffer_get_length(input) > 0) {
		int count = evbuffer_peek(input, -1, NULL, pieces, 8);
		size_t consumed = 0;

		for (int i = 0; i < count && i < 8 && !session->decoder.ended; i++)
			consumed += data_decoder_feed(&session->decoder, slice_make(pieces[i].iov_base, pieces[i].iov_len));
		if (consumed == 0)
			break; /* the decoder takes every byte until the end marker; never spin */
		evbuffer_drain(input, consumed);
	}
	return session->decoder.ended;
}

/* Reads what is here of the current BDAT chunk; returns true when the chunk is complete. */
static bool consume_chunk(struct session *session, struct evbuffer *input)
{
	struct evbuffer_iovec pieces[8];

	while (session->chunk_remaining > 0 && evbuffer_get_length(input) > 0) {
		int count = evbuffer_peek(input, -1, NULL, pieces, 8);
		size_t consumed = 0;

		for (int i = 0; i < count && i < 8 && session->chunk_remaining > 0; i++) {
			size_t length = pieces[i].iov_len;
			if (length > session->chunk_remaining)
				length = (size_t)session->chunk_remaining;
			if (session->chunk_refusal == REPLY_NONE)
				data_decoder_feed(&session->decoder, slice_make(pieces[i].iov_base, length));
			session->chunk_remaining -= length;
			consumed += length;
		}
		evbuffer_drain(input, consumed);
	}
	return session->chunk_remaining == 0;
}

static void chunk_complete(struct session *session)
{
	char octets[32];

	if (session->chunk_refusal != REPLY_NONE) {
		enum reply_id refusal = session->chunk_refusal;
		/* RFC 3030 §2: a failed BDAT fails the transaction. */
		session_reset_transaction(session);
		session_set_state(session, session->helo[0] ? STATE_HELLO : STATE_READY);
		send_reply(session, refusal, NULL, "BDAT");
		return;
	}
	session_set_state(session, STATE_MAIL);
	if (session->chunk_last) {
		session->decoder.errors |= data_decoder_finish(&session->decoder);
		message_complete(session, "BDAT");
		return;
	}
	snprintf(octets, sizeof octets, "%zu", session->message.length);
	send_reply(session, REPLY_CHUNK_RECEIVED, octets, "BDAT");
}

/* --- command lines ------------------------------------------------------------------ */

/* Takes one complete command line off input and runs it. Returns false when no complete
 * line is there yet. Over-long lines are answered once and discarded up to their CRLF. */
static bool next_command(struct session *session, struct evbuffer *input)
{
	size_t line_length;
	struct evbuffer_ptr end = evbuffer_search_eol(input, NULL, &line_length, EVBUFFER_EOL_CRLF_STRICT);
	char line[COMMAND_LINE_MAX];
	struct session_reply reply;
	enum command_verb verb;
	bool too_long;

	if (end.pos < 0) {
		size_t waiting = evbuffer_get_length(input);
		if (waiting >= COMMAND_LINE_MAX) { /* keep a final CR: it may start the CRLF */
			evbuffer_drain(input, waiting - 1);
			if (!session->long_line) {
				session->long_line = true;
				send_reply(session, REPLY_LINE_TOO_LONG, NULL, "command");
			}
		}
		return false;
	}
	too_long = session->long_line || (size_t)end.pos + 2 > COMMAND_LINE_MAX;
	if (too_long) {
		evbuffer_drain(input, (size_t)end.pos + line_length);
		if (!session->long_line)
			send_reply(session, REPLY_LINE_TOO_LONG, NULL, "command");
		session->long_line = false;
		return true;
	}
	evbuffer_remove(input, line, (size_t)end.pos);
	evbuffer_drain(input, line_length);
	session_run_command(session, slice_make(line, (size_t)end.pos), evbuffer_get_length(input) > 0, &reply,
	                    &verb);
	if (send_reply(session, reply.id, reply.argument, command_verb_name(verb)) && verb == VERB_QUIT)
		close_after_reply(session);
	return true;
}

/* Processes whatever input is waiting, as far as the state allows. */
static void pump(struct session *session)
{
	struct evbuffer *input = bufferevent_get_input(session->connection);

	for (;;) {
		switch (session->state) {
		case STATE_DATA:
			if (!consume_data(session, input))
				return;
			message_complete(session, "DATA");
			break;
		case STATE_CHUNK:
			if (!consume_chunk(session, input))
				return;
			chunk_complete(session);
			break;
		case STATE_READY:
		case STATE_HELLO:
		case STATE_MAIL:
			if (!next_command(session, input))
				return;
			break;
		default: /* greeting, commit, closing: input waits */
			return;
		}
	}
}

static void on_readable(struct bufferevent *connection, void *context)
{
	struct session *session = context;

	if (session->state == STATE_GREETING) { /* RFC 5321 §3.1: the client waits for 220 */
		send_reply(session, REPLY_PREGREETING, NULL, "pregreeting");
		return;
	}
	pump(session);
}

static void on_event(struct bufferevent *connection, short events, void *context)
{
	struct session *session = context;

	if ((events & BEV_EVENT_TIMEOUT) && session->state != STATE_CLOSING) {
		log_info("%s timeout state=%s client=%s", session->id, state_names[session->state],
		         session->client_address);
		if (session->commit_in_flight)
			return; /* commit_done replies; the write side is merely slow */
		bufferevent_enable(connection, EV_WRITE);
		send_reply(session, REPLY_TIMEOUT, NULL, "timeout");
		return;
	}
	session_free(session);
}

static void greet(evutil_socket_t fd, short events, void *context)
{
	struct session *session = context;

	session_set_state(session, STATE_READY);
	send_reply(session, REPLY_GREETING, NULL, "greeting");
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
	if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, session->client_address,
		          sizeof session->client_address);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, session->client_address,
		          sizeof session->client_address);
	session->client_may_relay = config_is_trusted(session->config, peer);
	session->connection = bufferevent_socket_new(services->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(session->connection, on_readable, on_drained, on_event, session);
	bufferevent_setwatermark(session->connection, EV_READ, 0, SESSION_READ_HIGH_WATER);
	set_timeouts(session, session->config->command_timeout);
	bufferevent_enable(session->connection, EV_READ | EV_WRITE);
	log_info("%s connect client=%s trusted=%s", session->id, session->client_address,
	         session->client_may_relay ? "yes" : "no");
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
	case STATE_COMMIT:
	case STATE_CLOSING:
		return; /* the transaction finishes first; commit_done says goodbye */
	default:
		send_reply(session, REPLY_SHUTTING_DOWN, NULL, "shutdown");
	}
}
