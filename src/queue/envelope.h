/* envelope: the small text file that travels with each spooled message: sender, one status
 * line per recipient, attempts, next retry. `key: value` lines a person can cat, ending with
 * an `end` line; a file without it is incomplete and never delivered.
 * Pure: encode and decode only; storage is spool.c's job. */
#ifndef TERN_ENVELOPE_H
#define TERN_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buffer.h"

#define ENVELOPE_MAX_SIZE (4u * 1024 * 1024) /* a decoded envelope file never exceeds this */

enum recipient_state {
	RECIPIENT_PENDING,   /* not yet delivered; will be tried */
	RECIPIENT_DELIVERED, /* done (2xx or written to the mailbox) */
	RECIPIENT_FAILED     /* permanently failed; a bounce is owed or was sent */
};

struct envelope_recipient {
	char *address;   /* as the client gave it (formatted, no brackets); owned */
	char *mailbox;   /* local user to deliver to, or NULL for a remote recipient; owned */
	enum recipient_state state;
	unsigned attempts;
	char *last_error; /* last failure text, or NULL; owned; no CR/LF */
	char **history;   /* the latest attempts, oldest first: "TIME WHERE tls=... REPLY"; owned */
	size_t history_count;
};

#define ENVELOPE_HISTORY_MAX 10 /* attempts remembered per recipient */

struct envelope {
	char *id;            /* queue id; owned */
	char *sender;        /* reverse-path without brackets; "" for the null path; owned */
	time_t created;      /* when it was accepted */
	time_t next_attempt; /* when the scheduler may try again */
	bool smtputf8;       /* the transaction used SMTPUTF8 */
	bool eightbit;       /* BODY=8BITMIME, or 8-bit octets seen */
	char *client;        /* "address helo-name" of the sending client, informational; owned */
	bool held;           /* an admin put it on hold (`tern queue hold`): not delivered until released */
	bool warned;         /* the sender was told of the delay (delay-warning) */
	bool quarantine;     /* failed DMARC under p=quarantine: local copies go to the Junk folder */
	size_t recipient_count;
	struct envelope_recipient *recipients; /* owned array */
};

enum envelope_result {
	ENVELOPE_OK,
	ENVELOPE_INCOMPLETE, /* no final "end" line: a crash interrupted the write */
	ENVELOPE_SYNTAX      /* a line that is not what encode writes */
};

/* Appends the text form of envelope to out. Returns false, leaving out unchanged, if out's
 * maximum was hit or a value cannot be written safely (CR or LF in it, an unsafe id, an
 * empty address, a mailbox with a space, a negative time): never a line that decodes as
 * something else. */
bool envelope_encode(const struct envelope *envelope, struct buffer *out);

/* Parses text into *envelope (zeroed first; free with envelope_free even on failure). */
enum envelope_result envelope_decode(struct slice text, struct envelope *envelope);

/* Adds a recipient (copies the strings). */
void envelope_add_recipient(struct envelope *envelope, const char *address, const char *mailbox);

/* Records one attempt for recipient as "YYYY-MM-DDTHH:MM:SS text" (local time of when; text
 * copied, CR/LF replaced by spaces), forgetting the oldest beyond ENVELOPE_HISTORY_MAX. */
void envelope_note_attempt(struct envelope_recipient *recipient, time_t when, const char *text);

/* Frees what the envelope owns and zeroes it. NULL is a no-op. */
void envelope_free(struct envelope *envelope);

/* Whether some recipient is still RECIPIENT_PENDING. */
bool envelope_has_pending(const struct envelope *envelope);

#endif
