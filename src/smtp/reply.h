/* reply: every reply the SMTP server sends, in one table: basic code (RFC 5321 §4.2),
 * enhanced status code (RFC 3463, RFC 2034) and text. Handlers return a reply id. */
#ifndef TERN_REPLY_H
#define TERN_REPLY_H

#include <stddef.h>

#include "policy/recipient_policy.h"
#include "policy/sender_policy.h"

enum reply_id {
	REPLY_NONE, /* no reply now (the session replies later) */
	REPLY_GREETING,
	REPLY_HELO,
	REPLY_EHLO, /* first line; the session adds the extension lines (RFC 5321 §4.1.1.1) */
	REPLY_OK,
	REPLY_SENDER_OK,
	REPLY_RECIPIENT_OK,
	REPLY_START_DATA,
	REPLY_QUEUED,
	REPLY_CHUNK_RECEIVED,
	REPLY_BYE,
	REPLY_VRFY,
	REPLY_HELP,
	REPLY_UNKNOWN_COMMAND,
	REPLY_NOT_IMPLEMENTED,
	REPLY_LINE_TOO_LONG,
	REPLY_BAD_BYTES,
	REPLY_SYNTAX,
	REPLY_BAD_SENDER_SYNTAX,
	REPLY_BAD_RECIPIENT_SYNTAX,
	REPLY_PATH_TOO_LONG,
	REPLY_NEED_SMTPUTF8,
	REPLY_BAD_UTF8,
	REPLY_UNKNOWN_PARAMETER,
	REPLY_BAD_PARAMETER,
	REPLY_NO_PARAMETERS_AFTER_HELO,
	REPLY_BAD_SEQUENCE,
	REPLY_NEED_HELLO,
	REPLY_NESTED_MAIL,
	REPLY_NEED_MAIL,
	REPLY_NO_VALID_RECIPIENTS,
	REPLY_MESSAGE_TOO_BIG,
	REPLY_TOO_MANY_RECIPIENTS,
	REPLY_UNKNOWN_USER,
	REPLY_RELAY_DENIED,
	REPLY_BARE_LINE_ENDING,
	REPLY_NUL_IN_MESSAGE,
	REPLY_DATA_LINE_TOO_LONG,
	REPLY_SPF_FAIL,
	REPLY_SPF_TEMPERROR,
	REPLY_DMARC_REJECT,
	REPLY_DMARC_TEMPERROR,
	REPLY_STORAGE_FULL,
	REPLY_LOCAL_ERROR,
	REPLY_TIMEOUT,
	REPLY_TOO_MANY_CONNECTIONS,
	REPLY_TOO_MANY_FROM_ADDRESS,
	REPLY_TOO_MANY_ERRORS,
	REPLY_SYNCHRONIZATION,
	REPLY_PREGREETING,
	REPLY_SHUTTING_DOWN,
	REPLY_TLS_READY,
	REPLY_TLS_ACTIVE,
	REPLY_TLS_UNAVAILABLE,
	REPLY_TLS_REQUIRED,
	REPLY_AUTH_REQUIRED,
	REPLY_AUTH_NOT_HERE,
	REPLY_AUTH_CHALLENGE,
	REPLY_AUTH_OK,
	REPLY_AUTH_FAILED,
	REPLY_AUTH_CANCELLED,
	REPLY_AUTH_BAD_RESPONSE,
	REPLY_AUTH_UNKNOWN_MECHANISM,
	REPLY_AUTH_ALREADY,
	REPLY_AUTH_LOCKED,
	REPLY_SENDER_NOT_OWNED,
	REPLY_COUNT
};

/* Formats the reply for id as one line ending in CRLF into out (at most size bytes incl. NUL).
 * The table text may hold %s, filled with argument (NULL counts as ""), and %h, filled with
 * hostname. Returns the length written. */
size_t reply_format(enum reply_id id, const char *hostname, const char *argument, char *out, size_t size);
#define REPLY_MAX 1024

/* The replies for the policies' verdicts, shared by the session and `tern policy`. */
enum reply_id reply_for_sender(enum sender_verdict verdict);
enum reply_id reply_for_recipient(enum recipient_verdict verdict);

/* The basic code of id (e.g. 550), for logs and for deciding whether a reply is an error. */
int reply_code(enum reply_id id);

#endif
