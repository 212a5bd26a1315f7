/* session_message: the message of a transaction: the Received header, DATA and BDAT octets
 * through the data decoder (RFC 5321 §4.1.1.4, RFC 3030), and the commit to the spool on the
 * work pool (batched with other sessions' by commit_queue), replying 250 only once message,
 * envelope and directory are on stable storage. */
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailauth/message_signing.h"
#include "smtp/received.h"
#include "smtp/session_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

void session_reset_transaction(struct session *session)
{
	session_checks_cancel(session);
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
	session->trace_length = 0;
}

void session_begin_message(struct session *session, enum data_mode mode)
{
	struct received_info info = {
		.helo = session->helo,
		.client_address = session->client_address,
		.hostname = session->config->hostname,
		.protocol = received_protocol(session->ehlo, session->tls, session->user[0] != '\0', session->smtputf8),
		.recipient = session->accepted_rcpts == 1 ? session->single_rcpt : NULL,
		.when = time(NULL),
	};

	if (session->tls) {
		session_tls_describe(session);
		info.tls = session->tls_description;
	}
	spool_new_id(session->services->spool, session->queue_id);
	info.queue_id = session->queue_id;
	buffer_init(&session->message, 64 * 1024);
	received_append(&session->message, &info);
	session->trace_length = session->message.length;
	/* The size limit applies to what the client sends, not to our trace header. */
	session->message.maximum = session->message.length + session->config->max_message_size;
	data_decoder_init(&session->decoder, mode, &session->message);
	session->data_started = true;
}

/* --- committing a message ------------------------------------------------------------- */

struct signing_job {
	struct session *session;
	const struct config_domain *signer; /* sign with this domain's DKIM keys */
	bool signed_ok;
};

static void commit_done(void *context, int result, int error);

/* RFC 6376 §5: our users' mail leaves signed. The fields go on top of the stored message.
 * On a worker: hashing a large message must not hold up the loop. */
static void sign_work(void *context)
{
	struct signing_job *job = context;
	struct session *session = job->session;
	struct buffer signed_message;

	buffer_init(&signed_message, session->message.maximum + 64 * 1024);
	job->signed_ok = message_signing_sign(job->signer, buffer_slice(&session->message), &signed_message) &&
	                 buffer_append_slice(&signed_message, buffer_slice(&session->message));
	if (job->signed_ok) {
		buffer_free(&session->message);
		session->message = signed_message;
	} else {
		buffer_free(&signed_message);
	}
}

static void sign_done(void *context)
{
	struct signing_job *job = context;
	struct session *session = job->session;

	if (!job->signed_ok)
		log_warning("%s DKIM signing for %s failed: sent unsigned", session->queue_id, job->signer->name);
	free(job);
	commit_queue_add(session->services->commits, &session->envelope, buffer_slice(&session->message), commit_done,
	                 session);
}

static void log_queued(struct session *session)
{
	char sender[LOG_QUOTED_SIZE];

	log_info("%s queued session=%s client=%s helo=%s from=%s size=%zu nrcpt=%zu", session->queue_id,
	         session->id, session->client_address, session->helo,
	         log_quote(sender, session->envelope.sender, strlen(session->envelope.sender)),
	         session->message.length, session->envelope.recipient_count);
}

static void commit_done(void *context, int result, int error)
{
	struct session *session = context;
	bool committed = result == 0;

	session->job_in_flight = false;
	if (committed) {
		log_queued(session);
		scheduler_enqueue(session->services->scheduler, session->queue_id, true);
	} else {
		log_error("%s spool commit failed: %s", session->queue_id, strerror(error));
	}
	if (session->closed_by_peer) {
		session_end(session);
		return;
	}
	session_set_state(session, STATE_HELLO);
	if (committed)
		session_reply(session, REPLY_QUEUED, session->queue_id, "DATA");
	else
		session_reply(session, error == ENOSPC || error == EDQUOT ? REPLY_STORAGE_FULL : REPLY_LOCAL_ERROR, NULL,
		           "DATA");
	session_reset_transaction(session);
	if (session->state == STATE_CLOSING)
		return;
	if (session->shutdown_requested) {
		session_reply(session, REPLY_SHUTTING_DOWN, NULL, "shutdown");
		return;
	}
	session_resume(session);
}

void session_message_commit(struct session *session)
{
	const struct config_domain *signer = NULL;
	time_t now = time(NULL);

	if (session->user[0] || session->trusted) /* mail from our users, not mail to them */
		signer = message_signing_domain(session->config, buffer_slice(&session->message));
	session->envelope.id = xstrdup(session->queue_id);
	session->envelope.created = now;
	session->envelope.next_attempt = now;
	session->envelope.eightbit |= session->decoder.has_8bit;
	session->envelope.client = xasprintf("%s %s", session->client_address, session->helo);
	session_set_state(session, STATE_BUSY);
	session->job_in_flight = true;
	/* Input waits while the spool writes; pipelined commands are read after the reply. */
	bufferevent_disable(session->connection, EV_READ);
	if (signer != NULL) {
		struct signing_job *job = xcalloc(1, sizeof *job);

		job->session = session;
		job->signer = signer;
		workpool_submit(session->services->workpool, sign_work, sign_done, job);
		return;
	}
	commit_queue_add(session->services->commits, &session->envelope, buffer_slice(&session->message), commit_done,
	                 session);
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
void session_message_complete(struct session *session, const char *what)
{
	unsigned errors = session->decoder.errors;

	if (errors == 0 && session_checks_apply(session)) {
		session_checks_message(session);
		return;
	}
	if (errors == 0) {
		session_message_commit(session);
		return;
	}
	session_reset_transaction(session);
	session_set_state(session, STATE_HELLO);
	session_reply(session, data_error_reply(errors), NULL, what);
}

/* Feeds all waiting DATA input to the decoder; returns true if the end marker was reached. */
bool session_consume_data(struct session *session, struct evbuffer *input)
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
bool session_consume_chunk(struct session *session, struct evbuffer *input)
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

void session_chunk_complete(struct session *session)
{
	char octets[32];

	if (session->chunk_refusal != REPLY_NONE) {
		enum reply_id refusal = session->chunk_refusal;
		/* RFC 3030 §2: a failed BDAT fails the transaction. */
		session_reset_transaction(session);
		session_set_state(session, session->helo[0] ? STATE_HELLO : STATE_READY);
		session_reply(session, refusal, NULL, "BDAT");
		return;
	}
	session_set_state(session, STATE_MAIL);
	if (session->chunk_last) {
		session->decoder.errors |= data_decoder_finish(&session->decoder);
		session_message_complete(session, "BDAT");
		return;
	}
	snprintf(octets, sizeof octets, "%zu", session->message.length);
	session_reply(session, REPLY_CHUNK_RECEIVED, octets, "BDAT");
}

