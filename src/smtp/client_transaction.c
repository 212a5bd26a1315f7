/* client_transaction: the mail transaction of an outbound SMTP session and its end: MAIL FROM
 * with SIZE (RFC 1870), BODY=8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531 §3.4) as offered, one
 * RCPT TO per recipient (RFC 5321 §4.1.1.3), all sent in one go with DATA when PIPELINING is
 * offered (RFC 2920 §3.1) and the replies read in order, then DATA with dot-stuffing (§4.5.2)
 * or BDAT LAST (RFC 3030 §2), and QUIT (§4.1.1.10), or, on a connection kept for the next
 * message, RSET after an abandoned transaction (§4.1.1.5). Each recipient gets its final reply: a
 * refusal at MAIL or RCPT, or the reply after the content. It never rewrites the message (no
 * 8-bit downgrade) and sends nothing a server said in advance it would refuse. */
#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

#include "smtp/client_session_internal.h"
#include "util/log.h"

static bool positive(const struct client_session *session) { return session->reply.code / 100 == 2; }

void client_transaction_quit(struct client_session *session)
{
	if (!session->reply_recorded) {
		client_session_copy_reply(session, &session->result.reply);
		session->reply_recorded = true;
	}
	client_session_send(session, "QUIT");
	client_session_expect(session, CLIENT_STATE_QUIT);
}

void client_transaction_on_quit(struct client_session *session) { client_session_finish(session); }

/* RFC 5321 §3.8: a 421 means the server is closing the connection, whatever it was a reply to. */
static bool server_closing(const struct client_session *session) { return session->reply.code == 421; }

void client_transaction_end(struct client_session *session)
{
	if (!session->keep_open || session->failed || server_closing(session)) {
		client_transaction_quit(session);
		return;
	}
	if (!session->reply_recorded) { /* as QUIT would: the last reply of the transaction */
		client_session_copy_reply(session, &session->result.reply);
		session->reply_recorded = true;
	}
	if (session->transaction_open) { /* §4.1.1.5: RSET abandons it before the next MAIL */
		client_session_send(session, "RSET");
		client_session_expect(session, CLIENT_STATE_RSET);
		return;
	}
	client_reuse_go_idle(session);
}

void client_transaction_on_rset(struct client_session *session)
{
	if (session->reply.code / 100 != 2) { /* out of step: not worth keeping */
		session->keep_open = false;
		client_transaction_quit(session);
		return;
	}
	session->transaction_open = false;
	client_reuse_go_idle(session);
}

/* Every recipient gets the same reply, made here: the server said in advance it would refuse. */
static void refuse_all(struct client_session *session, int code, const char *text)
{
	struct client_message *message = session->message;

	for (size_t i = 0; i < message->recipient_count; i++) {
		message->recipients[i].reply.code = code;
		snprintf(message->recipients[i].reply.text, sizeof message->recipients[i].reply.text, "%s", text);
	}
	session->result.reply.code = code;
	snprintf(session->result.reply.text, sizeof session->result.reply.text, "%s", text);
	session->reply_recorded = true;
	client_transaction_end(session);
}

static void send_mail(struct client_session *session)
{
	const struct client_message *message = session->message;
	const struct client_extensions *extensions = &session->extensions;
	char size[32] = "";

	if (extensions->size) /* RFC 1870 §6: only to a server that listed SIZE */
		snprintf(size, sizeof size, " SIZE=%zu", message->content.length);
	client_session_send(session, "MAIL FROM:<%s>%s%s%s", message->sender, size,
	                    message->eightbit && extensions->eightbitmime ? " BODY=8BITMIME" : "",
	                    message->smtputf8 ? " SMTPUTF8" : "");
}

static void send_rcpt(struct client_session *session, size_t index)
{
	client_session_send(session, "RCPT TO:<%s>", session->message->recipients[index].address);
}

void client_transaction_begin(struct client_session *session)
{
	const struct client_message *message = session->message;
	const struct client_extensions *extensions = &session->extensions;

	if (message->recipient_count == 0) {
		client_transaction_end(session);
		return;
	}
	if (message->smtputf8 && !extensions->smtputf8) { /* RFC 6531 §3.2: no downgrade here */
		refuse_all(session, 553, "553 5.6.7 the receiving server does not support SMTPUTF8");
		return;
	}
	if (extensions->size_limit > 0 && message->content.length > extensions->size_limit) { /* RFC 1870 §5 */
		refuse_all(session, 552, "552 5.3.4 message size exceeds the server's SIZE limit");
		return;
	}
	if (message->eightbit && !extensions->eightbitmime)
		log_debug("%s client 8-bit message sent to a server without 8BITMIME", session->name);
	session->pipelined = extensions->pipelining;
	session->chunking = extensions->chunking;
	send_mail(session);
	for (size_t i = 0; session->pipelined && i < message->recipient_count; i++)
		send_rcpt(session, i);
	if (session->pipelined && !session->chunking && !session->request->rcpt_only) /* RFC 2920 §3.1 */
		client_session_send(session, "DATA");
	client_session_expect(session, CLIENT_STATE_MAIL);
}

void client_transaction_on_mail(struct client_session *session)
{
	struct client_message *message = session->message;

	if (!positive(session)) { /* every recipient shares the sender's fate */
		for (size_t i = 0; i < message->recipient_count; i++)
			client_session_copy_reply(session, &message->recipients[i].reply);
		session->mail_refused = true;
		session->result.mail_refused = true;
		if (!session->pipelined) {
			client_transaction_end(session);
			return;
		}
	} else {
		session->transaction_open = true;
	}
	session->rcpt_index = 0;
	if (!session->pipelined)
		send_rcpt(session, 0);
	client_session_expect(session, CLIENT_STATE_RCPT);
}

static bool ends_with_crlf(struct slice content)
{
	return content.length >= 2 && memcmp(content.data + content.length - 2, "\r\n", 2) == 0;
}

/* Queues bytes of the message without copying them: the caller keeps the message valid until
 * done runs (client_session.h). */
static void add_content(struct evbuffer *output, struct slice bytes)
{
	if (bytes.length > 0)
		evbuffer_add_reference(output, bytes.data, bytes.length, NULL, NULL);
}

/* Sends the message as DATA content: a "." before every line that starts with one (RFC 5321
 * §4.5.2), a CRLF if the last line lacks one, then ".". Only CRLF starts a line, so the
 * lines to stuff are the first and each one after a CRLF: the runs between go out whole. */
static void send_stuffed(struct client_session *session)
{
	struct evbuffer *output = bufferevent_get_output(session->connection);
	struct slice rest = session->message->content;

	if (rest.length > 0 && rest.data[0] == '.')
		evbuffer_add(output, ".", 1);
	while (rest.length > 0) {
		const char *found = memmem(rest.data, rest.length, "\r\n.", 3);
		size_t run = found ? (size_t)(found - rest.data) + 2 : rest.length;

		add_content(output, slice_sub(rest, 0, run));
		if (found)
			evbuffer_add(output, ".", 1);
		rest = slice_skip(rest, run);
	}
	if (session->message->content.length > 0 && !ends_with_crlf(session->message->content))
		evbuffer_add(output, "\r\n", 2);
	evbuffer_add(output, ".\r\n", 3);
	log_debug("%s client > (%zu octets of content and \".\")", session->name, session->message->content.length);
}

/* RFC 3030 §2: the whole message as one last chunk; no reply comes between BDAT and its octets. */
static void send_chunk(struct client_session *session)
{
	struct evbuffer *output = bufferevent_get_output(session->connection);
	struct slice content = session->message->content;

	client_session_send(session, "BDAT %zu LAST", content.length);
	add_content(output, content);
}

static void after_recipients(struct client_session *session)
{
	if (session->request->rcpt_only) {
		client_transaction_quit(session);
	} else if (session->pipelined && !session->chunking) {
		client_session_expect(session, CLIENT_STATE_DATA); /* its reply is on its way */
	} else if (session->accepted_count == 0) {
		client_transaction_end(session);
	} else if (session->chunking) {
		send_chunk(session);
		client_session_expect(session, CLIENT_STATE_CONTENT);
	} else {
		client_session_send(session, "DATA");
		client_session_expect(session, CLIENT_STATE_DATA);
	}
}

void client_transaction_on_rcpt(struct client_session *session)
{
	size_t index = session->rcpt_index++;

	if (!session->mail_refused && positive(session)) {
		session->accepted[index] = true;
		session->accepted_count++;
		if (session->request->rcpt_only) /* a probe: no DATA reply will come to replace it */
			client_session_copy_reply(session, &session->message->recipients[index].reply);
	} else if (!session->mail_refused) {
		client_session_copy_reply(session, &session->message->recipients[index].reply);
	}
	if (session->rcpt_index < session->message->recipient_count) {
		if (!session->pipelined)
			send_rcpt(session, session->rcpt_index);
		client_session_expect(session, CLIENT_STATE_RCPT);
		return;
	}
	after_recipients(session);
}

/* The reply to DATA or to the content goes to every recipient accepted at RCPT. */
static void reply_to_accepted(struct client_session *session)
{
	struct client_message *message = session->message;

	for (size_t i = 0; i < message->recipient_count; i++) {
		if (!session->accepted[i])
			continue;
		client_session_copy_reply(session, &message->recipients[i].reply);
		message->recipients[i].delivered = positive(session);
	}
}

void client_transaction_on_data(struct client_session *session)
{
	if (session->reply.code != 354) {
		reply_to_accepted(session);
		client_transaction_end(session);
	} else if (session->accepted_count == 0) {
		/* RFC 2920 §3.1: a 354 after every RCPT failed takes an empty message, ended at once */
		client_session_send(session, ".");
		client_session_expect(session, CLIENT_STATE_CONTENT);
	} else {
		send_stuffed(session);
		client_session_expect(session, CLIENT_STATE_CONTENT);
	}
}

void client_transaction_on_content(struct client_session *session)
{
	reply_to_accepted(session);
	session->transaction_open = false; /* §4.1.1.4: any reply to the content ends the transaction */
	client_transaction_end(session);
}
