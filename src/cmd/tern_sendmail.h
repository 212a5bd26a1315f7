/* tern_sendmail: what the command-line side (tern_sendmail.c: options, the SMTP dialog with
 * ternd) and the message side (tern_sendmail_message.c) share. */
#ifndef TERN_SENDMAIL_H
#define TERN_SENDMAIL_H

#include <stdbool.h>

#include "mailauth/address_list.h"
#include "mailauth/header_fields.h"
#include "smtp/address.h"
#include "util/buffer.h"

#define MESSAGE_MAX    (100u * 1024 * 1024) /* octets read from stdin: generous, and a hard cap */
#define FULL_NAME_MAX  200                  /* octets of -F: the From: line stays far below 998 */
#define ADDED_MAX      4096                 /* octets of the header fields we add */
#define READ_CHUNK     65536 /* octets read from stdin at a time */

struct options {
	bool recipients_from_headers; /* -t */
	bool dot_ends_input;          /* neither -i nor -oi */
	const char *sender;           /* -f / -r */
	const char *full_name;        /* -F */
	char **operands;              /* recipients */
	int operand_count;
};

struct submission {
	struct options options;
	struct buffer message;                 /* stdin, CRLF line endings */
	struct header_fields *fields;          /* of message */
	struct slice body;                     /* of message */
	char hostname[ADDRESS_DOMAIN_MAX + 1]; /* the server's, from its greeting */
	bool server_8bitmime;
	struct address author; /* login name @ hostname */
	struct address sender; /* the envelope sender */
	struct address_list recipients;
	struct buffer outgoing; /* the message as it is sent */
};

/* "sendmail: " and the message on stderr. */
void sendmail_complain(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Each returns a sysexits(3) status (EX_OK to go on), having complained otherwise. */
/* Reads stdin into submission->message (CRLF line endings). */
int sendmail_read_message(struct submission *submission);
/* Splits submission->message into its header fields and body. */
int sendmail_split_header(struct submission *submission);
/* The recipients: the operands, and with -t those of To:, Cc: and Bcc:. Needs the hostname. */
int sendmail_collect_recipients(struct submission *submission);
/* The envelope sender: -f, else login name @ hostname. */
int sendmail_resolve_sender(struct submission *submission);
/* submission->outgoing: the message as it is sent. */
void sendmail_build_outgoing(struct submission *submission);

#endif
