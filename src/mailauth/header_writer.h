/* header_writer: writes the RFC 5322 header fields a submission agent adds when a message
 * lacks them: From (§3.6.2) with a display name as atoms, a quoted-string (§3.2.4) or RFC 2047
 * encoded-words for UTF-8, Date (§3.3, §3.6.1) and Message-ID (§3.6.4). Pure: the caller
 * supplies the time and the random octets. Each field ends in CRLF. */
#ifndef TERN_HEADER_WRITER_H
#define TERN_HEADER_WRITER_H

#include <stddef.h>
#include <time.h>

#include "util/buffer.h"

/* "From: NAME <ADDRESS>" or, when name is NULL or empty, "From: ADDRESS". name is UTF-8 text
 * (not yet encoded); address is a formatted mailbox without angle brackets. */
void header_writer_from(struct buffer *out, const char *name, const char *address);
/* "Date: Sat, 28 Nov 2026 06:30:00 +0000" in local time, English names whatever the locale. */
void header_writer_date(struct buffer *out, time_t when);
/* "Message-ID: <YYYYMMDDHHMMSS.HEX@hostname>": the UTC time of when, random as hex. */
void header_writer_message_id(struct buffer *out, time_t when, const unsigned char *random, size_t length,
                              const char *hostname);

#endif
