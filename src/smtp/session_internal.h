/* session_internal: the session structure shared by session.c (I/O, framing, data, commit)
 * and session_commands.c (the command table and its handlers). Not for other modules. */
#ifndef TERN_SESSION_INTERNAL_H
#define TERN_SESSION_INTERNAL_H

#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "mailauth/inbound_auth.h"
#include "policy/sender_policy.h"
#include "queue/envelope.h"
#include "smtp/command.h"
#include "smtp/data_decoder.h"
#include "smtp/reply.h"
#include "smtp/session.h"

#define SESSION_ERRORS_MAX 20 /* like Postfix's smtpd_hard_error_limit: then 421 and close */
#define SESSION_HELO_MAX 255  /* RFC 5321 §4.5.3.1.2: a domain */

enum session_state {
	STATE_GREETING, /* waiting out the greeting delay; any input is a protocol violation */
	STATE_READY,    /* greeted; no EHLO/HELO yet */
	STATE_HELLO,    /* EHLO/HELO done; no transaction */
	STATE_MAIL,     /* MAIL accepted; RCPTs collect; BDAT chunks may have started */
	STATE_DATA,     /* reading DATA content until <CRLF>.<CRLF> */
	STATE_CHUNK,    /* reading the octets of one BDAT chunk */
	STATE_AUTH,     /* AUTH in progress: the next line is a SASL response (RFC 4954 §4) */
	STATE_BUSY,     /* a work-pool job (commit, password check) or a delay runs; input waits */
	STATE_CLOSING   /* last reply being flushed; then the session ends */
};

struct session_reply {
	enum reply_id id;
	char argument[ADDRESS_FORMAT_SIZE];
};

struct session {
	char id[16];
	struct session_services *services;
	const struct config *config; /* a reference held for the session's lifetime */
	struct bufferevent *connection;
	enum listener_role role;
	enum session_state state;
	char client_address[INET6_ADDRSTRLEN];
	struct sockaddr_storage peer;
	bool trusted;          /* trusted network or local socket */
	bool tls;              /* the connection is TLS (STARTTLS done, or port 465) */
	char tls_description[128];
	char user[ADDRESS_FORMAT_SIZE]; /* authenticated mailbox "user@domain", or "" */
	struct session_auth *auth;      /* AUTH exchange in progress (session_auth.c), or NULL */
	struct event *delay_timer;      /* a deliberate pause before a reply (failed AUTH) */
	bool ehlo;             /* EHLO (not HELO): extensions and pipelining allowed */
	char helo[SESSION_HELO_MAX + 1];
	unsigned errors;
	bool long_line;        /* discarding the rest of an over-long command line */
	bool shutdown_requested;
	bool job_in_flight;    /* a work-pool job (commit, password check) uses the session */
	bool closed_by_peer;   /* the session ended while a job was in flight */
	bool ending;           /* session_end ran: freed on the next loop turn */
	struct event *close_timer; /* STATE_CLOSING: waits for the last reply to leave */
	unsigned close_ticks;
	struct event *greeting_timer;
	void (*on_close)(void *);
	void *close_context;

	/* The transaction (RFC 5321 §3.3). */
	struct envelope envelope;
	unsigned accepted_rcpts;  /* RCPT commands answered 250 */
	char single_rcpt[ADDRESS_FORMAT_SIZE]; /* for Received "for", when there is one */
	bool smtputf8;
	bool data_started;        /* message buffer prepared (DATA or first BDAT) */
	char queue_id[SPOOL_ID_SIZE];
	struct buffer message;
	struct data_decoder decoder;
	uint64_t chunk_remaining; /* BDAT octets still to read */
	bool chunk_last;
	enum reply_id chunk_refusal; /* BDAT refused: discard the chunk, then send this */
	size_t trace_length;      /* octets of our Received field at the top of message */

	/* Sender authentication of mail from outside (session_checks.c). */
	struct spf_check *spf_mailfrom_check, *spf_helo_check; /* in flight, or NULL */
	struct inbound_auth_spf spf_mailfrom, spf_helo;        /* their outcomes */
	bool spf_reply_pending; /* MAIL's reply waits for SPF (spf reject) */
	bool message_waiting;   /* the complete message waits for its checks */
	bool preparing;         /* a worker hashes its DKIM signatures into dkim_prepared */
	struct dkim_verification *dkim_prepared;
};

/* session.c */
/* Sends a reply (REPLY_NONE: nothing); what names the command for logs. A 421 or a protocol
 * violation closes the session, as does reaching the error limit. Returns false when the
 * session is now closing. */
bool session_reply(struct session *session, enum reply_id id, const char *argument, const char *what);
/* Closes once the replies queued so far are on the wire. */
void session_close_after_reply(struct session *session);
/* Ends the session now, or when its work-pool job completes. */
void session_end(struct session *session);
/* Processes whatever input is waiting, as far as the state allows. */
void session_pump(struct session *session);
/* Reads input again after a job or a delay (STATE_BUSY), and processes what waits. */
void session_resume(struct session *session);

/* Puts the connection under TLS (server side): for STARTTLS after its 220 reply, whose
 * pipelined followers have been discarded, or at once on port 465. session_tls.c. */
void session_tls_start(struct session *session);
/* Fills tls_description once the handshake is done. session_tls.c. */
void session_tls_describe(struct session *session);
/* Logs why the TLS connection failed (handshake or record errors). */
void session_tls_log_error(struct session *session);

/* session_auth.c: AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN. */
void session_auth_begin(struct session *session, const struct command *command, struct session_reply *reply);
/* One line in STATE_AUTH: a SASL response. */
void session_auth_response(struct session *session, struct slice line);
void session_auth_free(struct session *session);
/* What the policies need to know of this client. */
struct client_standing session_standing(const struct session *session);

/* session_checks.c: SPF, DKIM, DMARC and Authentication-Results for mail from outside. */
/* Whether the session's mail is checked: port 25, not authenticated, not trusted. */
bool session_checks_apply(const struct session *session);
/* MAIL was accepted into the envelope: starts SPF. Returns true when the reply must wait for it
 * (spf reject): the session is then busy, and the reply comes later. */
bool session_checks_mail(struct session *session);
/* The message is complete and sound: checks it, rewrites it with our Authentication-Results,
 * then commits it (session_message_commit) or refuses it per the DMARC policy. */
void session_checks_message(struct session *session);
/* Stops checks in flight and forgets their outcomes (the transaction ends). */
void session_checks_cancel(struct session *session);

/* session_message.c */
/* Commits the message to the spool (on the work pool) and replies when it is on disk. */
void session_message_commit(struct session *session);
/* Feeds waiting input to the decoder; true once DATA's end marker / the whole chunk is in. */
bool session_consume_data(struct session *session, struct evbuffer *input);
bool session_consume_chunk(struct session *session, struct evbuffer *input);
/* The message is complete: commit it or refuse it (what: "DATA" or "BDAT", for logs). */
void session_message_complete(struct session *session, const char *what);
/* A BDAT chunk is complete: reply, or finish the message after LAST. */
void session_chunk_complete(struct session *session);

/* (Re)attaches the session's callbacks, watermark and timeouts to session->connection, after
 * it was created or wrapped in TLS. */
void session_watch_connection(struct session *session);
void session_set_timeouts(struct session *session, unsigned seconds);

/* Changes state, logging the transition at debug level. */
void session_set_state(struct session *session, enum session_state state);
/* Forgets the transaction (RSET, EHLO, after a message). */
void session_reset_transaction(struct session *session);
/* Prepares the message buffer with the Received header; first DATA or BDAT of a message. */
void session_begin_message(struct session *session, enum data_mode mode);

/* Runs one command line (CRLF removed) through the parser and the command table and says
 * what to reply (REPLY_NONE when the reply comes later, as for BDAT). input_waiting says
 * whether the client sent more bytes before this reply: where RFC 2920 says the client must
 * wait, that is answered with REPLY_SYNCHRONIZATION instead of running the command. Sets
 * *verb to the command's verb (VERB_UNKNOWN when it did not parse). */
void session_run_command(struct session *session, struct slice line, bool input_waiting,
                         struct session_reply *reply, enum command_verb *verb);

#endif
