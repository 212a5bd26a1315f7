/* bounce: builds a delivery status notification (a "bounce", RFC 3464) for the sender of a
 * message some recipients of which failed or are delayed: a multipart/report (RFC 6522) with a
 * human explanation, the machine-readable delivery-status, and the original header block.
 * Pure: it only writes bytes into a buffer; sending the result is the caller's job. */
#ifndef TERN_BOUNCE_H
#define TERN_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buffer.h"

/* Octets kept of any outside value (address, diagnostic, host name): with a field name in front
 * it stays under the 998 of RFC 5322 §2.1.1. */
#define BOUNCE_VALUE_MAX    900
#define BOUNCE_HEADERS_MAX  65536 /* octets of the original header block returned; whole fields only */
#define BOUNCE_BOUNDARY_MAX 70    /* RFC 2046 §5.1.1: a boundary is 1 to 70 bchars */

struct bounce_recipient {
	const char *address;    /* the recipient (Final-Recipient, rfc822;) */
	const char *original;   /* the address as given by the client if different (Original-Recipient), or NULL */
	const char *action;     /* "failed" or "delayed" (RFC 3464 §2.3.3) */
	const char *status;     /* enhanced status "5.1.1" (RFC 3463) */
	const char *remote_mta; /* "mx.example.net" or NULL (Remote-MTA: dns;) */
	const char *diagnostic; /* the remote server's reply, e.g. "550 5.1.1 <x@y>: no such user", or our own
	                         * reason; Diagnostic-Code: "smtp;" when it starts with a reply code (RFC 3464
	                         * §2.3.6), else "X-Tern;"; NULL: no Diagnostic-Code */
};

struct bounce_info {
	const char *reporting_mta; /* our hostname */
	const char *queue_id;      /* our queue id, named in the human text only; or NULL */
	const char *envelope_id;   /* the client's ENVID (RFC 3461 §4.4), xtext-decoded: Original-Envelope-Id
	                            * (RFC 3464 §2.2.1); or NULL, the usual case */
	const char *sender;        /* the original envelope sender: the DSN goes To this address. Never
	                            * empty: a message from the null sender is never bounced (RFC 5321 §4.5.5) */
	time_t arrival;            /* Arrival-Date */
	time_t now;                /* Date: and Last-Attempt-Date */
	time_t retry_until;        /* for "delayed": Will-Retry-Until; 0 otherwise */
	const struct bounce_recipient *recipients;
	size_t recipient_count;
	struct slice original;  /* the original message (CRLF), as spooled */
	bool smtputf8;          /* the original used UTF-8 addresses/headers: use message/global-delivery-status
	                         * and message/global-headers (RFC 6533) */
	const char *boundary;   /* MIME boundary chosen by the caller (random per bounce), e.g. "tern-8F3A..." */
	const char *message_id; /* for the Message-ID: header, e.g. "<id@host>" */
};

/* Appends the DSN message (header + body, CRLF line endings, lines <= 998 octets) to out:
 * From: "Mail Delivery System <MAILER-DAEMON@reporting_mta>", To: <sender>, Subject: "Undelivered
 * Mail Returned to Sender" (or "Delayed Mail (still being retried)" when every recipient is
 * delayed), Date:, Message-ID:, Auto-Submitted: auto-replied (RFC 3834 §5), MIME-Version: 1.0,
 * Content-Type: multipart/report; report-type=delivery-status; boundary="..."; then
 *  (1) text/plain; charset=utf-8: a human explanation per recipient (what happened, the remote
 *      reply quoted, and for delays when we'll give up), naming the queue id and arrival date;
 *  (2) message/delivery-status (RFC 3464 §2.2, §2.3): Reporting-MTA: dns; host,
 *      [Original-Envelope-Id], Arrival-Date, a blank line, then per recipient: Final-Recipient:
 *      rfc822; addr, [Original-Recipient], Action, Status, [Remote-MTA: dns; host],
 *      [Diagnostic-Code], Last-Attempt-Date, [Will-Retry-Until: only for "delayed" and nonzero
 *      retry_until];
 *  (3) text/rfc822-headers (RFC 6522 §4) with the original header block: the fields as
 *      header_fields_parse frames them, up to the first it rejects, at most BOUNCE_HEADERS_MAX
 *      octets. Never the original body (privacy and size).
 * Dates are written in UTC (RFC 5322 §3.3, "+0000").
 * Outside values (addresses, diagnostics, host names, ids) never break the structure: runs of
 * CR, LF, TAB and space become one space (a multi-line reply reads as one line), other control
 * octets become "?", and so do octets outside ASCII where only ASCII is allowed, or outside
 * valid UTF-8 elsewhere; each is cut to BOUNCE_VALUE_MAX octets, then folded (fields) or wrapped
 * (text) at spaces.
 * The RFC 6533 forms (message/global-delivery-status, message/global-headers, "utf-8;" for an
 * address that is not ASCII) are used when info->smtputf8 is set, and also when the sender or
 * a recipient address is not ASCII, which only SMTPUTF8 can carry.
 * A part holding 8-bit octets says "Content-Transfer-Encoding: 8bit": the result must then
 * travel with BODY=8BITMIME (or SMTPUTF8).
 * The original headers are copied as they stand, so the boundary must be random: it must not
 * occur in them.
 * Returns false, leaving out unchanged, if out's maximum was hit, or if info->boundary is not
 * 1 to 70 characters of RFC 2046 §5.1.1 bchars other than space (a caller's mistake). */
bool bounce_build(const struct bounce_info *info, struct buffer *out);

#endif
