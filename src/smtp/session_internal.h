/* session_internal: the session structure shared by session.c (I/O, framing, data, commit)
 * and session_commands.c (the command table and its handlers). Not for other modules. */
#ifndef TERN_SESSION_INTERNAL_H
#define TERN_SESSION_INTERNAL_H

#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

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
	STATE_COMMIT,   /* the spool is writing the message; input waits */
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
	bool client_may_relay; /* trusted network (or, later, authenticated) */
	bool ehlo;             /* EHLO (not HELO): extensions and pipelining allowed */
	char helo[SESSION_HELO_MAX + 1];
	unsigned errors;
	bool long_line;        /* discarding the rest of an over-long command line */
	bool shutdown_requested;
	bool commit_in_flight; /* a work-pool job is writing this session's message */
	bool closed_by_peer;   /* the session ended while the spool was committing */
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
};

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
