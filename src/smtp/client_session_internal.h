/* client_session_internal: what the three files of the outbound SMTP client share.
 * client_session.c owns the connection (I/O, timers, TLS, the end), client_ehlo.c the opening
 * (greeting, EHLO/HELO, STARTTLS, AUTH), client_transaction.c the mail (MAIL, RCPT, DATA or
 * BDAT, RSET, QUIT), client_reuse.c the time between transactions on a kept connection. Not for use outside them: the contract is client_session.h. */
#ifndef TERN_CLIENT_SESSION_INTERNAL_H
#define TERN_CLIENT_SESSION_INTERNAL_H

#include <event2/bufferevent.h>

#include "smtp/client_replies.h"
#include "smtp/client_session.h"

/* What the session waits for. Each state has one row in client_session.c's step table: its
 * stage name, its timeout and the function that takes the reply. */
enum client_state {
	CLIENT_STATE_CONNECTING,   /* TCP connect */
	CLIENT_STATE_TLS_IMPLICIT, /* TLS handshake from the first byte (RFC 8314 §3) */
	CLIENT_STATE_GREETING,     /* the 220 */
	CLIENT_STATE_EHLO,
	CLIENT_STATE_HELO,
	CLIENT_STATE_STARTTLS,      /* the 220 to STARTTLS */
	CLIENT_STATE_TLS_STARTTLS,  /* TLS handshake after STARTTLS */
	CLIENT_STATE_AUTH,          /* the 235 (or refusal) */
	CLIENT_STATE_AUTH_USER,     /* AUTH LOGIN: the 334 asking for the user name */
	CLIENT_STATE_AUTH_PASSWORD, /* AUTH LOGIN: the 334 asking for the password */
	CLIENT_STATE_MAIL,
	CLIENT_STATE_RCPT,    /* the reply to recipient rcpt_index */
	CLIENT_STATE_DATA,    /* the 354 */
	CLIENT_STATE_CONTENT, /* the reply after the end of data, or to BDAT LAST */
	CLIENT_STATE_QUIT,
	CLIENT_STATE_RSET,    /* the 250 to RSET after an abandoned transaction (RFC 5321 §4.1.1.5) */
	CLIENT_STATE_IDLE,    /* between transactions on a kept connection: no reply is due */
	CLIENT_STATE_COUNT
};

struct client_session {
	struct event_base *base;
	const struct client_request *request;
	struct client_message *message;
	void (*done)(void *context, const struct client_result *result);
	void *context;
	struct bufferevent *connection; /* the socket's, or the TLS filter over it */
	struct event *timer;            /* the deadline of the current wait */
	struct event *finisher;         /* runs done on a fresh loop turn */
	char name[64];                  /* "[address]:port", for debug lines */
	enum client_state state;
	struct client_replies reply;         /* the reply being read, then the last one read */
	struct client_extensions extensions; /* from the last EHLO reply */
	struct client_result result;
	bool ending;         /* finished: done is scheduled */
	bool failed;         /* result holds a failure; QUIT no longer changes it */
	bool reply_recorded; /* result.reply is set (a failure's or a synthetic reply) */
	bool tls_active;
	bool starttls_refused; /* opportunistic: the server refused STARTTLS, go on in plaintext */
	bool arm_on_flush;     /* start the reply timer once the output has left */
	bool pipelined;        /* MAIL, the RCPTs (and DATA) went out together (RFC 2920) */
	bool chunking;         /* the content goes as BDAT (RFC 3030) */
	bool mail_refused;
	size_t rcpt_index; /* whose RCPT reply comes next */
	bool *accepted;    /* per recipient: 2xx at RCPT */
	size_t accepted_count;
	unsigned command_timeout; /* the request's: the request may be gone while idle */
	bool keep_open;           /* the request's: after the transaction, keep the connection */
	bool transaction_open;    /* MAIL accepted and no reply to the content yet */
	bool idle_lost;           /* while idle the server closed or spoke out of turn */
	void (*lost)(void *context); /* told when idle_lost becomes true (client_session_watch_idle) */
	void *lost_context;
	bool closing;                /* client_session_close: QUIT, then closed(closed_context) */
	void (*closed)(void *context);
	void *closed_context;
};

/* client_session.c */
/* Queues one command line (CRLF added) and logs it at debug level. */
void client_session_send(struct client_session *session, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Queues a line holding a secret: it is logged as shown instead. */
void client_session_send_secret(struct client_session *session, struct slice line, const char *shown);
/* Moves to state and starts waiting for its reply with the state's timeout. */
void client_session_expect(struct client_session *session, enum client_state state);
/* Copies the reply just read into out (code and last line). */
void client_session_copy_reply(const struct client_session *session, struct client_reply *out);
/* Records a failure at stage (NULL: the current state's) with the reply just read (reply
 * true) or code 0 and text (reply false), then says QUIT politely; done follows the 221 (or
 * its timeout). */
void client_session_fail_and_quit(struct client_session *session, const char *stage, enum client_outcome outcome,
                                  bool reply, const char *text);
/* Records a failure (code 0, text) and ends at once, without QUIT. */
void client_session_fail_now(struct client_session *session, enum client_outcome outcome, const char *text);
/* Puts the connection under TLS (client_session_tls_done follows the handshake). */
void client_session_start_tls(struct client_session *session, enum client_state state);
/* Ends the session: done runs on the next loop turn. */
void client_session_finish(struct client_session *session);
/* A line break in anything we put on a command line would inject commands. */
bool client_session_request_is_safe(const struct client_request *request);

/* client_ehlo.c: the reply handlers of the opening, and what follows a handshake. */
void client_ehlo_on_greeting(struct client_session *session);
void client_ehlo_on_ehlo(struct client_session *session);
void client_ehlo_on_helo(struct client_session *session);
void client_ehlo_on_starttls(struct client_session *session);
void client_ehlo_on_auth(struct client_session *session);
void client_ehlo_on_auth_user(struct client_session *session);
void client_ehlo_on_auth_password(struct client_session *session);
/* After a completed handshake: the greeting (implicit TLS) or EHLO again (RFC 3207 §4.2). */
void client_ehlo_after_tls(struct client_session *session);

/* client_transaction.c: the mail, after the opening; the reply handlers. */
void client_transaction_begin(struct client_session *session);
void client_transaction_on_mail(struct client_session *session);
void client_transaction_on_rcpt(struct client_session *session);
void client_transaction_on_data(struct client_session *session);
void client_transaction_on_content(struct client_session *session);
void client_transaction_on_quit(struct client_session *session);
void client_transaction_on_rset(struct client_session *session);
/* Says QUIT (result.reply becomes the last reply unless a failure set it). */
void client_transaction_quit(struct client_session *session);
/* The transaction is over without a failure: keep the connection (after RSET if a transaction
 * was left open) when the request asked for it and the server is not closing, else QUIT. */
void client_transaction_end(struct client_session *session);

/* client_reuse.c: between transactions. */
/* Reports the connection as idle and reusable: done runs (the session stays alive). */
void client_reuse_go_idle(struct client_session *session);
/* The server closed an idle connection or spoke out of turn: the session is good for nothing
 * but client_session_close. */
void client_reuse_lost(struct client_session *session);

#endif
