/* client_session: one outbound SMTP connection (RFC 5321 as the client) on the libevent
 * loop: connect, greeting, EHLO (HELO fallback), STARTTLS when offered (RFC 3207),
 * optional AUTH for a smarthost (RFC 4954), then one message: MAIL, RCPT per recipient
 * (PIPELINING when offered, RFC 2920), DATA with dot-stuffing (or BDAT when offered),
 * QUIT, or, when asked, the connection kept for the next message (RFC 5321 §3.3: a new MAIL
 * after a completed transaction; RSET after an abandoned one, §4.1.1.5). Timeouts per RFC
 * 5321 §4.5.3.2. The outcome is reported per recipient. */
#ifndef TERN_CLIENT_SESSION_H
#define TERN_CLIENT_SESSION_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "util/buffer.h"

enum client_tls_policy {
	CLIENT_TLS_OPPORTUNISTIC, /* STARTTLS if offered, certificate not checked; else plaintext */
	CLIENT_TLS_REQUIRED,      /* STARTTLS must succeed and the certificate verify for host_name */
	CLIENT_TLS_IMPLICIT       /* TLS from the first byte (port 465), certificate verified */
};

/* Where the connection stands when it ends, for "why is it stuck". */
enum client_outcome {
	CLIENT_DONE,            /* the dialog ran to its end; see each recipient's reply */
	CLIENT_CONNECT_FAILED,  /* refused, unreachable or connect timeout: try the next address */
	CLIENT_PROTOCOL_FAILED, /* greeting/EHLO/MAIL/DATA refused, lost connection, timeout: see reply */
	CLIENT_TLS_FAILED       /* STARTTLS required but missing, handshake or verification failed */
};

struct client_reply {
	int code;            /* 0 when no reply came (connection lost) */
	char text[512];      /* the whole last line, e.g. "550 5.1.1 <x@y>: user unknown" (CR/LF removed) */
};

struct client_recipient {
	const char *address;        /* forward-path without brackets; not owned */
	struct client_reply reply;  /* filled in: the RCPT reply, or the DATA reply for accepted ones */
	bool delivered;             /* 2xx after DATA (or LAST BDAT) */
};

struct client_message {
	const char *sender;          /* "" for the null reverse-path; not owned */
	struct slice content;        /* the message, CRLF line endings, not dot-stuffed; not owned */
	bool eightbit;               /* needs 8BITMIME (BODY=8BITMIME) */
	bool smtputf8;               /* needs SMTPUTF8 */
	struct client_recipient *recipients;
	size_t recipient_count;
};

struct client_request {
	struct sockaddr_storage address;  /* where to connect (port included) */
	socklen_t address_length;
	const char *host_name;            /* the MX or smarthost name: SNI and certificate check */
	const char *helo_name;            /* our hostname for EHLO */
	const struct sockaddr *source;    /* outbound source address, or NULL */
	socklen_t source_length;
	enum client_tls_policy tls;
	SSL_CTX *tls_context;             /* client context (trust store loaded); NULL: no TLS at all */
	const char *auth_user;            /* smarthost AUTH PLAIN/LOGIN, or NULL */
	const char *auth_password;
	unsigned connect_timeout;         /* seconds for the TCP connect; 0: 30 */
	unsigned command_timeout;         /* seconds for every wait on the server (greeting, each reply,
	                                     the TLS handshake, each block of data, the final reply);
	                                     0: RFC 5321 §4.5.3.2's own (5 min; 2 min for DATA;
	                                     3 min per data block; 10 min after the end of data) */
	struct client_message *message;   /* recipients' replies are written here */
	bool keep_open;                   /* after the transaction keep the connection if it is in
	                                     step (result.reusable) instead of saying QUIT */
	bool rcpt_only;                   /* a probe (tern check's open-relay test): MAIL and RCPT, then
	                                     QUIT; never DATA, whatever the replies */
	void (*on_tls)(void *context, SSL *ssl); /* or NULL: called with done's context right after each
	                                            completed handshake, to inspect the peer's certificate */
};

struct client_result {
	enum client_outcome outcome;
	struct client_reply reply;  /* the reply that ended it (for PROTOCOL/TLS failures), or the QUIT-time last */
	char tls[128];              /* "TLS1.3 TLS_AES_256_GCM_SHA384", or "" for plaintext */
	bool tls_verified;          /* the certificate verified for host_name */
	bool starttls_offered;      /* the EHLO reply before TLS listed STARTTLS */
	bool mail_refused;          /* MAIL FROM got a non-2xx reply (each recipient's reply is that one) */
	char stage[16];             /* where it ended: "connect", "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "quit" */
	bool reusable;              /* keep_open was asked and granted: the connection is open, idle, no
	                               transaction open, and the session now belongs to the caller, who
	                               must end it with client_session_close or client_session_continue */
};

struct client_session;

/* Starts delivering request->message; done(context, result) runs once on the loop thread when
 * the connection is over (request and message must stay valid until then). */
struct client_session *client_session_start(struct event_base *base, const struct client_request *request,
                                            void (*done)(void *context, const struct client_result *result),
                                            void *context);
/* Aborts: closes the connection and frees the session; done is not called. Not after done has
 * run (the session is gone by then), unless done reported it reusable. NULL is a no-op. */
void client_session_cancel(struct client_session *session);

/* On a session done reported reusable: delivers request->message on the same connection, with
 * the same meaning of done as client_session_start (the request's address, TLS and AUTH fields
 * are not used again: the connection has them already). A connection that was lost while idle
 * ends with CLIENT_PROTOCOL_FAILED at stage "mail" and reply code 0, before anything is sent. */
void client_session_continue(struct client_session *session, const struct client_request *request,
                             void (*done)(void *context, const struct client_result *result), void *context);
/* While a reusable session waits: lost(context) runs once if the server closes the connection
 * or sends anything unasked (then only client_session_close is left to do). NULL: stop. */
void client_session_watch_idle(struct client_session *session, void (*lost)(void *context), void *context);
/* Ends a reusable session politely: QUIT, the 221 (or a short timeout), then frees it and runs
 * closed(context) on a later loop turn (closed may be NULL). */
void client_session_close(struct client_session *session, void (*closed)(void *context), void *context);

#endif
