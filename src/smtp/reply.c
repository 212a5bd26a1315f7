/* reply: the table of server replies. Basic codes follow RFC 5321 §4.2 and §4.5.3.1.10,
 * enhanced codes RFC 3463 and the RFC that defines each case (cited per row). Texts say
 * what went wrong in words an admin can search for. */
#include "smtp/reply.h"

#include <stdio.h>
#include <string.h>

struct reply_entry {
	int code;
	const char *enhanced; /* NULL: no enhanced code (greeting, 354) */
	const char *text;     /* "%h" is the hostname, "%s" the argument */
};

static const struct reply_entry replies[REPLY_COUNT] = {
	[REPLY_NONE] = {0, NULL, ""},
	[REPLY_GREETING] = {220, NULL, "%h ESMTP tern"},
	[REPLY_HELO] = {250, NULL, "%h"},
	[REPLY_EHLO] = {250, NULL, "%h greets %s"},
	[REPLY_OK] = {250, "2.0.0", "Ok"},
	[REPLY_SENDER_OK] = {250, "2.1.0", "Sender ok"},
	[REPLY_RECIPIENT_OK] = {250, "2.1.5", "Recipient ok"},
	[REPLY_START_DATA] = {354, NULL, "End data with <CR><LF>.<CR><LF>"},
	[REPLY_QUEUED] = {250, "2.0.0", "Ok: queued as %s"},
	[REPLY_CHUNK_RECEIVED] = {250, "2.0.0", "%s octets received"},
	[REPLY_BYE] = {221, "2.0.0", "Bye"},
	[REPLY_VRFY] = {252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery"},
	[REPLY_HELP] = {214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP"},
	[REPLY_UNKNOWN_COMMAND] = {500, "5.5.1", "Command unrecognized"},
	[REPLY_NOT_IMPLEMENTED] = {502, "5.5.1", "Command not implemented"},
	[REPLY_LINE_TOO_LONG] = {500, "5.5.2", "Line too long"},               /* §4.5.3.1.4 */
	[REPLY_BAD_BYTES] = {500, "5.5.2", "Syntax error: invalid characters in command"},
	[REPLY_SYNTAX] = {501, "5.5.4", "Syntax error in parameters or arguments"},
	[REPLY_BAD_SENDER_SYNTAX] = {501, "5.1.7", "Bad sender address syntax"},
	[REPLY_BAD_RECIPIENT_SYNTAX] = {501, "5.1.3", "Bad recipient address syntax"},
	[REPLY_PATH_TOO_LONG] = {501, "5.5.4", "Path too long"},                /* §4.5.3.1.10 */
	[REPLY_NEED_SMTPUTF8] = {553, "5.6.7", "Non-ASCII address requires SMTPUTF8"}, /* RFC 6531 §3.6.2 */
	[REPLY_BAD_UTF8] = {501, "5.6.7", "Address is not valid UTF-8"},
	[REPLY_UNKNOWN_PARAMETER] = {555, "5.5.4", "Unsupported MAIL or RCPT parameter"}, /* §4.1.1.11 */
	[REPLY_BAD_PARAMETER] = {501, "5.5.4", "Invalid MAIL parameter"},
	[REPLY_NO_PARAMETERS_AFTER_HELO] = {555, "5.5.4", "Parameters require EHLO"},
	[REPLY_BAD_SEQUENCE] = {503, "5.5.1", "Bad sequence of commands"},
	[REPLY_NEED_HELLO] = {503, "5.5.1", "Send EHLO or HELO first"},
	[REPLY_NESTED_MAIL] = {503, "5.5.1", "Sender already specified"},
	[REPLY_NEED_MAIL] = {503, "5.5.1", "Send MAIL first"},
	[REPLY_NO_VALID_RECIPIENTS] = {554, "5.5.1", "No valid recipients"},     /* §3.3 */
	[REPLY_MESSAGE_TOO_BIG] = {552, "5.3.4", "Message size exceeds fixed limit"}, /* RFC 1870 §6 */
	[REPLY_TOO_MANY_RECIPIENTS] = {452, "4.5.3", "Too many recipients"},   /* §4.5.3.1.10 */
	[REPLY_UNKNOWN_USER] = {550, "5.1.1", "<%s>: Recipient address rejected: User unknown"},
	[REPLY_RELAY_DENIED] = {554, "5.7.1", "<%s>: Relay access denied"},
	[REPLY_BARE_LINE_ENDING] = {550, "5.5.2", "Message contains bare CR or bare LF; only CRLF ends a line"},
	[REPLY_NUL_IN_MESSAGE] = {550, "5.6.0", "Message contains NUL octets"},
	[REPLY_DATA_LINE_TOO_LONG] = {550, "5.6.0", "Message has a line longer than 998 octets"}, /* §4.5.3.1.6 */
	[REPLY_SPF_FAIL] = {550, "5.7.23", "SPF: %s"},                          /* RFC 7372 §3.2 */
	[REPLY_SPF_TEMPERROR] = {451, "4.7.24", "SPF: %s; try again later"},     /* RFC 7372 §3.2 */
	[REPLY_DMARC_REJECT] = {550, "5.7.1", "DMARC: %s"},                     /* RFC 7489 §6.6.4 */
	[REPLY_DMARC_TEMPERROR] = {451, "4.7.1", "DMARC: %s; try again later"},
	[REPLY_STORAGE_FULL] = {452, "4.3.1", "Insufficient system storage"},
	[REPLY_LOCAL_ERROR] = {451, "4.3.0", "Local error in processing, try again later"},
	[REPLY_TIMEOUT] = {421, "4.4.2", "%h Error: timeout exceeded"},
	[REPLY_TOO_MANY_CONNECTIONS] = {421, "4.7.0", "%h Too many connections, try again later"},
	[REPLY_TOO_MANY_FROM_ADDRESS] = {421, "4.7.0", "%h Too many connections from your address"},
	[REPLY_TOO_MANY_ERRORS] = {421, "4.7.0", "%h Too many errors, closing connection"},
	[REPLY_SYNCHRONIZATION] = {554, "5.5.0", "SMTP synchronization error: command sent before reply"},
	[REPLY_PREGREETING] = {554, "5.5.0", "SMTP protocol violation: talked before the greeting"},
	[REPLY_SHUTTING_DOWN] = {421, "4.3.2", "%h Service shutting down, try again later"},
	[REPLY_TLS_READY] = {220, "2.0.0", "Ready to start TLS"},                   /* RFC 3207 §4 */
	[REPLY_TLS_ACTIVE] = {503, "5.5.1", "TLS already active"},
	[REPLY_TLS_UNAVAILABLE] = {454, "4.7.0", "TLS not available"},              /* RFC 3207 §4 */
	[REPLY_TLS_REQUIRED] = {530, "5.7.0", "Must issue a STARTTLS command first"}, /* RFC 3207 §4 */
	[REPLY_AUTH_REQUIRED] = {530, "5.7.0", "Authentication required"},          /* RFC 4954 §6 */
	[REPLY_AUTH_NOT_HERE] = {502, "5.5.1", "AUTH is offered on the submission ports only"},
	[REPLY_AUTH_CHALLENGE] = {334, NULL, "%s"},                                  /* RFC 4954 §4 */
	[REPLY_AUTH_OK] = {235, "2.7.0", "Authentication successful"},
	[REPLY_AUTH_FAILED] = {535, "5.7.8", "Authentication credentials invalid"},
	[REPLY_AUTH_CANCELLED] = {501, "5.0.0", "Authentication cancelled"},
	[REPLY_AUTH_BAD_RESPONSE] = {501, "5.5.2", "Cannot decode the authentication response"},
	[REPLY_AUTH_UNKNOWN_MECHANISM] = {504, "5.5.4", "Unrecognized authentication type"},
	[REPLY_AUTH_ALREADY] = {503, "5.5.1", "Already authenticated"},
	[REPLY_AUTH_LOCKED] = {454, "4.7.0", "Too many failed authentication attempts, try again later"},
	[REPLY_SENDER_NOT_OWNED] = {553, "5.7.1", "<%s>: Sender address rejected: not owned by the authenticated user"},
};

static void expand(const struct reply_entry *entry, const char *hostname, const char *argument, char *out,
                   size_t size)
{
	size_t used = 0;

	if (entry->enhanced)
		used = (size_t)snprintf(out, size, "%d %s ", entry->code, entry->enhanced);
	else
		used = (size_t)snprintf(out, size, "%d ", entry->code);
	for (const char *p = entry->text; *p && used + 1 < size; p++) {
		const char *insert = NULL;
		if (p[0] == '%' && p[1] == 'h')
			insert = hostname;
		else if (p[0] == '%' && p[1] == 's')
			insert = argument;
		if (insert != NULL) {
			int written = snprintf(out + used, size - used, "%s", insert);
			used = written < 0 ? used : used + (size_t)written;
			if (used >= size)
				used = size - 1;
			p++;
			continue;
		}
		out[used++] = *p;
	}
	out[used < size ? used : size - 1] = '\0';
}

size_t reply_format(enum reply_id id, const char *hostname, const char *argument, char *out, size_t size)
{
	size_t length;

	expand(&replies[id], hostname, argument ? argument : "", out, size - 2);
	length = strlen(out);
	memcpy(out + length, "\r\n", 3);
	return length + 2;
}

enum reply_id reply_for_sender(enum sender_verdict verdict)
{
	static const enum reply_id replies_for[] = {
	    [SENDER_OK] = REPLY_SENDER_OK,
	    [SENDER_TLS_REQUIRED] = REPLY_TLS_REQUIRED,
	    [SENDER_AUTH_REQUIRED] = REPLY_AUTH_REQUIRED,
	    [SENDER_NOT_OWNED] = REPLY_SENDER_NOT_OWNED,
	};
	return replies_for[verdict];
}

enum reply_id reply_for_recipient(enum recipient_verdict verdict)
{
	static const enum reply_id replies_for[] = {
	    [RECIPIENT_ACCEPT] = REPLY_RECIPIENT_OK,
	    [RECIPIENT_UNKNOWN_USER] = REPLY_UNKNOWN_USER,
	    [RECIPIENT_RELAY_DENIED] = REPLY_RELAY_DENIED,
	};
	return replies_for[verdict];
}

int reply_code(enum reply_id id) { return replies[id].code; }
