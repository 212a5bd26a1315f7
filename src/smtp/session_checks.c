/* session_checks: sender authentication of mail from outside (a port 25 client that is neither
 * authenticated nor on a trusted network). At MAIL FROM, SPF of the MAIL FROM and HELO
 * identities (RFC 7208 §2.3, §2.4) starts; with `spf reject` the reply waits for it, refusing
 * fail with 550 5.7.23 and temperror with 451 4.7.24 (RFC 7372 §3.2). At the end of the
 * message inbound_auth verifies DKIM, checks DMARC and puts the Authentication-Results field
 * on top; with `dmarc enforce`, p=reject is refused (550 5.7.1), p=quarantine goes to the Junk
 * folder, and a DNS failure is 451 4.7.1, never a permanent refusal. Mail from our users is
 * signed instead (session_message.c) and not checked. */
#include <event2/bufferevent.h>
#include <stdio.h>
#include <string.h>

#include "mailauth/inbound_auth.h"
#include "smtp/session_internal.h"
#include "util/log.h"

#define CHECKS_REWRITE_SLACK (16 * 1024) /* room for our Authentication-Results field */

bool session_checks_apply(const struct session *session)
{
	return session->role == LISTENER_SMTP && !session->trusted && session->user[0] == '\0' &&
	       session->services->resolver != NULL;
}

/* Reply arguments come from DNS (exp= texts): printable ASCII only, so nothing can end a line. */
static void reply_text(char *out, size_t size, const char *text)
{
	size_t i;

	for (i = 0; text[i] != '\0' && i + 1 < size; i++)
		out[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	out[i] = '\0';
}

static bool spf_done(const struct session *session)
{
	return session->spf_mailfrom_check == NULL && session->spf_helo_check == NULL;
}

/* The message's checks can start: SPF has answered and its signatures are hashed. */
static bool message_ready(const struct session *session)
{
	return session->message_waiting && !session->preparing && spf_done(session);
}

static void run_message_checks(struct session *session);

/* The MAIL reply that waited for SPF (spf reject). */
static void answer_mail(struct session *session)
{
	const struct inbound_auth_spf *spf = &session->spf_mailfrom;
	char text[ADDRESS_FORMAT_SIZE];
	enum reply_id id = REPLY_SENDER_OK;

	session->spf_reply_pending = false;
	reply_text(text, sizeof text, spf->reason);
	if (spf->result == SPF_FAIL)
		id = REPLY_SPF_FAIL;
	else if (spf->result == SPF_TEMPERROR)
		id = REPLY_SPF_TEMPERROR;
	if (id != REPLY_SENDER_OK) {
		log_info("%s reject: MAIL from=<%s> spf=%s (%s)", session->id, session->envelope.sender,
		         spf_result_name(spf->result), text);
		session_reset_transaction(session);
		session_set_state(session, STATE_HELLO);
	} else {
		session_set_state(session, STATE_MAIL);
	}
	if (session_reply(session, id, text, "MAIL"))
		session_resume(session);
}

static void on_spf_mailfrom(void *context, const struct spf_outcome *outcome)
{
	struct session *session = context;

	session->spf_mailfrom_check = NULL; /* freed by spf once this returns */
	inbound_auth_keep_spf(&session->spf_mailfrom, outcome);
	if (session->spf_reply_pending)
		answer_mail(session);
	else if (message_ready(session))
		run_message_checks(session);
}

static void on_spf_helo(void *context, const struct spf_outcome *outcome)
{
	struct session *session = context;

	session->spf_helo_check = NULL;
	inbound_auth_keep_spf(&session->spf_helo, outcome);
	if (message_ready(session))
		run_message_checks(session);
}

bool session_checks_mail(struct session *session)
{
	struct resolver *resolver = session->services->resolver;

	if (session->helo[0] != '\0')
		session->spf_helo_check = spf_check(resolver, session->client_address, session->helo, NULL, on_spf_helo, session);
	session->spf_mailfrom_check =
	    spf_check(resolver, session->client_address, session->helo, session->envelope.sender, on_spf_mailfrom, session);
	if (!session->config->spf_reject || session->spf_mailfrom_check == NULL)
		return false;
	session->spf_reply_pending = true;
	session_set_state(session, STATE_BUSY);
	bufferevent_disable(session->connection, EV_READ);
	return true;
}

void session_checks_cancel(struct session *session)
{
	spf_cancel(session->spf_mailfrom_check);
	spf_cancel(session->spf_helo_check);
	session->spf_mailfrom_check = session->spf_helo_check = NULL;
	dkim_verify_discard(session->dkim_prepared); /* never while a worker prepares: the job holds the session */
	session->dkim_prepared = NULL;
	memset(&session->spf_mailfrom, 0, sizeof session->spf_mailfrom);
	memset(&session->spf_helo, 0, sizeof session->spf_helo);
	session->spf_reply_pending = session->message_waiting = false;
}

/* What enforcing DMARC makes of the verdict: REPLY_NONE to accept. */
static enum reply_id dmarc_refusal(struct session *session, const struct dmarc_outcome *dmarc)
{
	if (!session->config->dmarc_enforce)
		return REPLY_NONE;
	if (dmarc->result == DMARC_RESULT_TEMPERROR)
		return REPLY_DMARC_TEMPERROR;
	if (dmarc->result != DMARC_RESULT_FAIL)
		return REPLY_NONE;
	if (dmarc->disposition == DMARC_POLICY_REJECT)
		return REPLY_DMARC_REJECT;
	if (dmarc->disposition == DMARC_POLICY_QUARANTINE)
		session->envelope.quarantine = true;
	return REPLY_NONE;
}

static void on_verdict(void *context, const struct inbound_auth_verdict *verdict)
{
	struct session *session = context;
	const struct dmarc_outcome *dmarc = verdict->dmarc;
	struct buffer original = session->message;
	char text[ADDRESS_FORMAT_SIZE];
	enum reply_id refusal;

	session->job_in_flight = false;
	session->message_waiting = false;
	if (session->closed_by_peer) {
		session_end(session);
		return;
	}
	/* The rewritten message replaces ours; inbound_auth frees what it gets back. */
	session->message = *verdict->rewritten;
	*verdict->rewritten = original;
	refusal = dmarc_refusal(session, dmarc);
	log_info("%s auth spf=%s dkim=%zu/%zu dmarc=%s policy=%s from_domain=%s forged_results_dropped=%u%s", session->queue_id,
	         session->spf_mailfrom.checked ? spf_result_name(session->spf_mailfrom.result) : "none",
	         verdict->dkim_passed, verdict->dkim_count, dmarc_policy_result_name(dmarc->result),
	         dmarc->has_policy ? dmarc_record_policy_name(dmarc->disposition) : "-",
	         dmarc->from_domain[0] ? dmarc->from_domain : "-", verdict->removed,
	         session->envelope.quarantine ? " quarantine" : "");
	if (refusal == REPLY_NONE) {
		session_message_commit(session);
		return;
	}
	reply_text(text, sizeof text, dmarc->why);
	log_info("%s reject: DMARC %s (%s)", session->queue_id, dmarc_policy_result_name(dmarc->result), text);
	session_reset_transaction(session);
	session_set_state(session, STATE_HELLO);
	if (session_reply(session, refusal, text, "DATA"))
		session_resume(session);
}

static void run_message_checks(struct session *session)
{
	struct inbound_auth_request request = {
	    .authserv_id = session->config->hostname,
	    .sender = session->envelope.sender,
	    .helo = session->helo,
	    .spf_mailfrom = session->spf_mailfrom,
	    .spf_helo = session->spf_helo,
	    .trace = slice_sub(buffer_slice(&session->message), 0, session->trace_length),
	    .message = slice_skip(buffer_slice(&session->message), session->trace_length),
	    .dkim = session->dkim_prepared,
	};

	session->dkim_prepared = NULL; /* taken */
	inbound_auth_check(session->services->resolver, session->services->org_domains, &request,
	                   session->message.maximum + CHECKS_REWRITE_SLACK, on_verdict, session);
}

/* On a worker: hashing a big message for several signatures would stall every session. */
static void prepare_work(void *context)
{
	struct session *session = context;

	session->dkim_prepared =
	    dkim_verify_prepare(slice_skip(buffer_slice(&session->message), session->trace_length));
}

static void prepare_done(void *context)
{
	struct session *session = context;

	session->preparing = false;
	if (session->closed_by_peer) {
		session->job_in_flight = false;
		session_end(session);
		return;
	}
	if (message_ready(session))
		run_message_checks(session);
}

void session_checks_message(struct session *session)
{
	session_set_state(session, STATE_BUSY);
	session->job_in_flight = true; /* no cancel for DKIM and DMARC: the session waits for them */
	session->message_waiting = true;
	session->preparing = true;
	bufferevent_disable(session->connection, EV_READ);
	workpool_submit(session->services->workpool, prepare_work, prepare_done, session);
}
