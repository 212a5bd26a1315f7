/* session_commands: the command table of the SMTP server (RFC 5321 §4.1.1, §4.1.4 for
 * ordering, RFC 2920 for pipelining, RFC 3030 for BDAT) and one handler per verb. Each
 * handler changes the transaction and picks a reply; none touches the socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/recipient_policy.h"
#include "smtp/session_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

typedef void handler_fn(struct session *, const struct command *, struct session_reply *);

struct command_rule {
	unsigned legal_states; /* bit per enum session_state */
	bool ends_group;       /* RFC 2920 §3.1: must be the last command of a pipelined group */
	handler_fn *handle;
};

#define IN(state) (1u << (state))
#define ANY_COMMAND_STATE (IN(STATE_READY) | IN(STATE_HELLO) | IN(STATE_MAIL))

static void reply_with(struct session_reply *reply, enum reply_id id, const char *argument)
{
	reply->id = id;
	snprintf(reply->argument, sizeof reply->argument, "%s", argument ? argument : "");
}

static void handle_hello(struct session *session, const struct command *command, struct session_reply *reply)
{
	/* RFC 5321 §4.1.1.1: one argument, a domain or address literal. Real clients send
	 * sloppy names (underscores), so any printable word is kept; none or several are not. */
	if (command->argument.length == 0 || command->argument.length > SESSION_HELO_MAX ||
	    slice_find_byte(command->argument, ' ') >= 0) {
		reply_with(reply, REPLY_SYNTAX, NULL);
		return;
	}
	memcpy(session->helo, command->argument.data, command->argument.length);
	session->helo[command->argument.length] = '\0';
	session->ehlo = command->verb == VERB_EHLO;
	session_reset_transaction(session); /* §4.1.4: EHLO/HELO also reset the transaction */
	session_set_state(session, STATE_HELLO);
	reply_with(reply, session->ehlo ? REPLY_EHLO : REPLY_HELO, session->client_address);
}

struct client_standing session_standing(const struct session *session)
{
	struct client_standing standing = {session->role, session->tls, session->trusted,
	                                   session->user[0] ? session->user : NULL};
	return standing;
}

static void handle_mail(struct session *session, const struct command *command, struct session_reply *reply)
{
	char sender[ADDRESS_FORMAT_SIZE];
	struct client_standing standing = session_standing(session);
	const char *rule;
	enum sender_verdict verdict = sender_policy_decide(session->config, &standing, &command->address, &rule);

	address_format(&command->address, sender, sizeof sender);
	if (verdict != SENDER_OK) {
		reply_with(reply, reply_for_sender(verdict), sender);
		return;
	}
	if (!session->ehlo && (command->has_size || command->body != BODY_UNSPECIFIED || command->smtputf8)) {
		reply_with(reply, REPLY_NO_PARAMETERS_AFTER_HELO, NULL);
		return;
	}
	if (command->has_size && command->size > session->config->max_message_size) { /* RFC 1870 §6.2 */
		reply_with(reply, REPLY_MESSAGE_TOO_BIG, NULL);
		return;
	}
	session_reset_transaction(session);
	session->envelope.sender = xstrdup(sender);
	session->envelope.smtputf8 = session->smtputf8 = command->smtputf8;
	session->envelope.eightbit = command->body == BODY_8BITMIME;
	session_set_state(session, STATE_MAIL);
	if (session_checks_apply(session) && session_checks_mail(session)) {
		reply_with(reply, REPLY_NONE, NULL); /* SPF decides the reply */
		return;
	}
	reply_with(reply, REPLY_SENDER_OK, NULL);
}

static bool envelope_has(const struct envelope *envelope, const char *mailbox, const char *address)
{
	for (size_t i = 0; i < envelope->recipient_count; i++) {
		const struct envelope_recipient *r = &envelope->recipients[i];
		if (mailbox ? (r->mailbox && strcmp(r->mailbox, mailbox) == 0)
		            : (!r->mailbox && strcmp(r->address, address) == 0))
			return true;
	}
	return false;
}

static void add_targets(struct session *session, const char *rcpt, const struct recipient_decision *decision)
{
	for (size_t i = 0; i < decision->target_count; i++) {
		const struct recipient_target *target = &decision->targets[i];
		const char *address = target->mailbox ? rcpt : target->address;
		if (!envelope_has(&session->envelope, target->mailbox, address))
			envelope_add_recipient(&session->envelope, address, target->mailbox);
	}
}

static void handle_rcpt(struct session *session, const struct command *command, struct session_reply *reply)
{
	struct recipient_decision decision;
	char rcpt[ADDRESS_FORMAT_SIZE];
	struct client_standing standing = session_standing(session);

	address_format(&command->address, rcpt, sizeof rcpt);
	if (command->address.has_utf8 && !session->smtputf8) { /* RFC 6531 §3.6.2 */
		reply_with(reply, REPLY_NEED_SMTPUTF8, NULL);
		return;
	}
	if (session->accepted_rcpts >= session->config->max_recipients) { /* RFC 5321 §4.5.3.1.10 */
		reply_with(reply, REPLY_TOO_MANY_RECIPIENTS, NULL);
		return;
	}
	recipient_policy_decide(session->config, &command->address, sender_policy_may_relay(&standing), &decision);
	switch (decision.verdict) {
	case RECIPIENT_UNKNOWN_USER:
	case RECIPIENT_RELAY_DENIED:
		reply_with(reply, reply_for_recipient(decision.verdict), rcpt);
		break;
	case RECIPIENT_ACCEPT:
		add_targets(session, rcpt, &decision);
		if (session->accepted_rcpts++ == 0)
			snprintf(session->single_rcpt, sizeof session->single_rcpt, "%s", rcpt);
		reply_with(reply, REPLY_RECIPIENT_OK, NULL);
		break;
	}
	recipient_decision_free(&decision);
}

static void handle_data(struct session *session, const struct command *command, struct session_reply *reply)
{
	if (session->data_started) { /* RFC 3030 §2: no DATA after BDAT in one transaction */
		reply_with(reply, REPLY_BAD_SEQUENCE, NULL);
		return;
	}
	if (session->accepted_rcpts == 0) { /* RFC 5321 §3.3 */
		reply_with(reply, REPLY_NO_VALID_RECIPIENTS, NULL);
		return;
	}
	session_begin_message(session, DATA_MODE_DOT);
	session_set_state(session, STATE_DATA);
	reply_with(reply, REPLY_START_DATA, NULL);
}

static void handle_bdat(struct session *session, const struct command *command, struct session_reply *reply)
{
	/* RFC 3030 §2: the chunk's octets follow whatever we answer, so a refused BDAT still
	 * reads (and discards) them; the refusal is sent once they are consumed. */
	session->chunk_refusal = REPLY_NONE;
	if (session->state == STATE_READY)
		session->chunk_refusal = REPLY_NEED_HELLO;
	else if (!session->ehlo)
		session->chunk_refusal = REPLY_BAD_SEQUENCE;
	else if (session->state != STATE_MAIL)
		session->chunk_refusal = REPLY_NEED_MAIL;
	else if (session->accepted_rcpts == 0)
		session->chunk_refusal = REPLY_NO_VALID_RECIPIENTS;
	else if (!session->data_started)
		session_begin_message(session, DATA_MODE_CHUNK);
	session->chunk_remaining = command->chunk_size;
	session->chunk_last = command->last;
	session_set_state(session, STATE_CHUNK);
	reply_with(reply, REPLY_NONE, NULL);
}

static void handle_rset(struct session *session, const struct command *command, struct session_reply *reply)
{
	session_reset_transaction(session);
	session_set_state(session, session->helo[0] ? STATE_HELLO : STATE_READY);
	reply_with(reply, REPLY_OK, NULL);
}

static void handle_noop(struct session *session, const struct command *command, struct session_reply *reply)
{
	reply_with(reply, REPLY_OK, NULL);
}

static void handle_quit(struct session *session, const struct command *command, struct session_reply *reply)
{
	reply_with(reply, REPLY_BYE, NULL);
}

static void handle_vrfy(struct session *session, const struct command *command, struct session_reply *reply)
{
	/* RFC 5321 §3.5.3: 252 neither confirms nor denies, so VRFY cannot enumerate users. */
	reply_with(reply, command->argument.length ? REPLY_VRFY : REPLY_SYNTAX, NULL);
}

static void handle_help(struct session *session, const struct command *command, struct session_reply *reply)
{
	reply_with(reply, REPLY_HELP, NULL);
}

static void handle_starttls(struct session *session, const struct command *command, struct session_reply *reply)
{
	if (session->tls)
		reply_with(reply, REPLY_TLS_ACTIVE, NULL);
	else if (session->services->tls == NULL || session->role == LISTENER_LOCAL)
		reply_with(reply, REPLY_NOT_IMPLEMENTED, NULL); /* not offered */
	else
		reply_with(reply, REPLY_TLS_READY, NULL); /* the session switches once this is queued */
}

static void handle_auth(struct session *session, const struct command *command, struct session_reply *reply)
{
	session_auth_begin(session, command, reply);
}

static void handle_not_implemented(struct session *session, const struct command *command,
                                   struct session_reply *reply)
{
	reply_with(reply, REPLY_NOT_IMPLEMENTED, NULL);
}

static const struct command_rule command_rules[VERB_COUNT] = {
	[VERB_HELO] = {ANY_COMMAND_STATE, true, handle_hello},
	[VERB_EHLO] = {ANY_COMMAND_STATE, true, handle_hello},
	[VERB_MAIL] = {IN(STATE_HELLO), false, handle_mail},
	[VERB_RCPT] = {IN(STATE_MAIL), false, handle_rcpt},
	[VERB_DATA] = {IN(STATE_MAIL), true, handle_data},
	[VERB_BDAT] = {ANY_COMMAND_STATE, false, handle_bdat},
	[VERB_RSET] = {ANY_COMMAND_STATE, false, handle_rset},
	[VERB_NOOP] = {ANY_COMMAND_STATE, true, handle_noop},
	[VERB_QUIT] = {ANY_COMMAND_STATE, false, handle_quit},
	[VERB_VRFY] = {ANY_COMMAND_STATE, true, handle_vrfy},
	[VERB_EXPN] = {ANY_COMMAND_STATE, true, handle_not_implemented},
	[VERB_HELP] = {ANY_COMMAND_STATE, true, handle_help},
	[VERB_STARTTLS] = {IN(STATE_READY) | IN(STATE_HELLO), true, handle_starttls},
	[VERB_AUTH] = {IN(STATE_HELLO), true, handle_auth}, /* RFC 4954 §4: after EHLO, outside a transaction */
};

static enum reply_id address_error(const struct command *command)
{
	switch (command->address_result) {
	case ADDRESS_TOO_LONG:
		return REPLY_PATH_TOO_LONG;
	case ADDRESS_UTF8_NOT_ALLOWED:
		return REPLY_NEED_SMTPUTF8;
	case ADDRESS_BAD_UTF8:
		return REPLY_BAD_UTF8;
	default:
		return command->verb == VERB_MAIL ? REPLY_BAD_SENDER_SYNTAX : REPLY_BAD_RECIPIENT_SYNTAX;
	}
}

static enum reply_id parse_error(enum command_result result, const struct command *command)
{
	switch (result) {
	case COMMAND_BAD_BYTES:
		return REPLY_BAD_BYTES;
	case COMMAND_UNKNOWN_VERB:
		return REPLY_UNKNOWN_COMMAND;
	case COMMAND_BAD_ADDRESS:
		return address_error(command);
	case COMMAND_UNKNOWN_PARAMETER:
		return REPLY_UNKNOWN_PARAMETER;
	case COMMAND_BAD_PARAMETER:
		return REPLY_BAD_PARAMETER;
	default:
		return REPLY_SYNTAX;
	}
}

static enum reply_id out_of_sequence(const struct session *session, enum command_verb verb)
{
	if (session->state == STATE_READY)
		return REPLY_NEED_HELLO;
	if (verb == VERB_MAIL)
		return REPLY_NESTED_MAIL;
	if (verb == VERB_RCPT || verb == VERB_DATA)
		return REPLY_NEED_MAIL;
	return REPLY_BAD_SEQUENCE;
}

void session_run_command(struct session *session, struct slice line, bool input_waiting,
                         struct session_reply *reply, enum command_verb *verb)
{
	struct command command;
	enum command_result result = command_parse(line, &command);
	const struct command_rule *rule;

	*verb = result == COMMAND_OK ? command.verb : VERB_UNKNOWN;
	if (result != COMMAND_OK) {
		reply_with(reply, parse_error(result, &command), NULL);
		return;
	}
	rule = &command_rules[command.verb];
	/* RFC 2920 §3.1: after a group-ending command (and after any command of a client that
	 * was not offered PIPELINING) the client waits for our reply. Bytes already here were
	 * sent without waiting: refuse rather than guess what they mean. */
	/* STARTTLS is the exception: what follows it is discarded, not refused (RFC 3207 §4.2). */
	if (input_waiting && command.verb != VERB_QUIT && command.verb != VERB_BDAT && command.verb != VERB_STARTTLS &&
	    (rule->ends_group || !session->ehlo)) {
		reply_with(reply, REPLY_SYNCHRONIZATION, NULL);
		return;
	}
	if (rule->handle == NULL) {
		reply_with(reply, REPLY_UNKNOWN_COMMAND, NULL);
		return;
	}
	if (!(rule->legal_states & IN(session->state))) {
		reply_with(reply, out_of_sequence(session, command.verb), NULL);
		return;
	}
	rule->handle(session, &command, reply);
}
