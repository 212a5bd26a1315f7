/* client_reuse: an outbound SMTP connection between two transactions. RFC 5321 §3.3 lets a
 * client start a new transaction with MAIL once the previous one is complete (§4.1.1.4) or
 * reset (§4.1.1.5); client_transaction.c leaves the session idle in that state when the
 * request asked to keep it. Here: reporting it idle, noticing a server that closes it or
 * speaks out of turn (nothing is due from the server while idle), the next transaction on it,
 * and the polite end (QUIT, §4.1.1.10). It does not decide which messages share a connection
 * nor how long one stays idle: the caller (deliver/connection_cache.c) does. */
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/client_session_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

void client_reuse_go_idle(struct client_session *session)
{
	client_session_expect(session, CLIENT_STATE_IDLE); /* no timer: no reply is due */
	session->result.reusable = true;
	session->request = NULL; /* the caller may free both now: nothing reads them while idle */
	session->message = NULL;
	client_session_finish(session); /* done runs; the connection keeps listening */
}

void client_reuse_lost(struct client_session *session)
{
	if (session->idle_lost)
		return;
	session->idle_lost = true;
	log_debug("%s client idle connection lost", session->name);
	bufferevent_disable(session->connection, EV_READ | EV_WRITE);
	bufferevent_setcb(session->connection, NULL, NULL, NULL, NULL);
	if (session->lost != NULL && !session->ending)
		session->lost(session->lost_context);
}

void client_session_watch_idle(struct client_session *session, void (*lost)(void *context), void *context)
{
	session->lost = lost;
	session->lost_context = context;
	if (lost != NULL && session->idle_lost && !session->ending)
		lost(context); /* it went before anyone watched */
}

/* Clears what the last transaction left, for the next one. */
static void reset_transaction(struct client_session *session, const struct client_request *request)
{
	struct client_message *message = request->message;

	session->request = request;
	session->message = message;
	session->command_timeout = request->command_timeout;
	session->keep_open = request->keep_open;
	free(session->accepted);
	session->accepted = xcalloc(message->recipient_count ? message->recipient_count : 1, sizeof(bool));
	session->accepted_count = 0;
	session->rcpt_index = 0;
	session->mail_refused = false;
	session->pipelined = session->chunking = false;
	session->failed = session->reply_recorded = false;
	session->result.outcome = CLIENT_DONE;
	session->result.reusable = false;
	memset(&session->result.reply, 0, sizeof session->result.reply);
	for (size_t i = 0; i < message->recipient_count; i++) {
		message->recipients[i].reply.code = 0;
		message->recipients[i].reply.text[0] = '\0';
		message->recipients[i].delivered = false;
	}
}

void client_session_continue(struct client_session *session, const struct client_request *request,
                             void (*done)(void *context, const struct client_result *result), void *context)
{
	session->done = done;
	session->context = context;
	session->lost = NULL;
	reset_transaction(session, request);
	snprintf(session->result.stage, sizeof session->result.stage, "mail");
	if (session->idle_lost) {
		client_session_fail_now(session, CLIENT_PROTOCOL_FAILED, "connection lost while idle");
		return;
	}
	if (!client_session_request_is_safe(request)) {
		client_session_fail_now(session, CLIENT_PROTOCOL_FAILED, "CR or LF in an address");
		return;
	}
	client_transaction_begin(session);
}

void client_session_close(struct client_session *session, void (*closed)(void *context), void *context)
{
	session->closing = true;
	session->closed = closed;
	session->closed_context = context;
	session->lost = NULL;
	session->keep_open = false;
	session->failed = true; /* nothing of the result matters any more */
	if (session->idle_lost) {
		client_session_finish(session);
		return;
	}
	client_session_send(session, "QUIT");
	client_session_expect(session, CLIENT_STATE_QUIT);
}
