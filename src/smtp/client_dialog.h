/* client_dialog: a tiny blocking SMTP client over a connected stream socket: sends command
 * lines, reads (multi-line) replies, and sends a message as DATA with dot-stuffing. It is the
 * client side of `tern sendmail`, which talks to ternd's local socket: no TLS, no AUTH, no
 * pipelining, and no policy: what a reply code means is the caller's business. */
#ifndef TERN_CLIENT_DIALOG_H
#define TERN_CLIENT_DIALOG_H

#include <stdbool.h>

#include "util/buffer.h"

#define CLIENT_DIALOG_REPLY_MAX        (64 * 1024) /* octets of one whole reply: our cap */
#define CLIENT_DIALOG_COMMAND_TIMEOUT  300         /* RFC 5321 §4.5.3.2.1-.5: 5 minutes, seconds */
#define CLIENT_DIALOG_DATA_TIMEOUT     180         /* §4.5.3.2.6: 3 minutes per block of data */
#define CLIENT_DIALOG_DATA_END_TIMEOUT 600         /* §4.5.3.2.7: 10 minutes for the final reply */

struct client_dialog {
	int fd;              /* not owned: the caller connects and closes it */
	struct buffer input; /* received, not yet taken as reply lines */
	int code;            /* of the last reply (200..599); 0 after a failure */
	struct buffer text;  /* the last reply: every line's text after "NNN-"/"NNN ", joined by "\n" */
	char error[160];     /* why the last call returned -1, for a message to the user */
};

/* Starts a dialog on the connected socket fd. */
void client_dialog_init(struct client_dialog *dialog, int fd);
/* Releases the buffers (not the socket). NULL is a no-op. */
void client_dialog_free(struct client_dialog *dialog);

/* Reads one reply (RFC 5321 §4.2: "NNN-text" lines then "NNN text" or "NNN", all with the same
 * code) into dialog->code and dialog->text, waiting at most timeout_seconds for all of it.
 * Returns 0; or -1 on a timeout, a read error, the connection closing, a malformed reply or one
 * longer than CLIENT_DIALOG_REPLY_MAX, with dialog->error saying which and code 0. */
int client_dialog_read_reply(struct client_dialog *dialog, int timeout_seconds);

/* Sends line and CRLF, then reads the reply as above (CLIENT_DIALOG_COMMAND_TIMEOUT).
 * A line holding CR, LF or NUL is refused (-1) without sending anything. */
int client_dialog_command(struct client_dialog *dialog, const char *line);

/* Sends message, whose lines end in CRLF, as the content of DATA after the 354 (RFC 5321
 * §4.1.1.4): a "." is added to every line that starts with "." (§4.5.2), a CRLF if the last
 * line lacks one, then ".\r\n"; then reads the reply (CLIENT_DIALOG_DATA_END_TIMEOUT).
 * Only CRLF starts a line: a bare LF or CR does not (so nothing is stuffed after one). */
int client_dialog_send_message(struct client_dialog *dialog, struct slice message);

/* Whether the last reply, an EHLO reply, lists the extension keyword (RFC 5321 §4.1.1.1: the
 * keyword starts a line after the first, case-insensitively, alone or before a space). */
bool client_dialog_has_extension(const struct client_dialog *dialog, const char *keyword);

#endif
