/* header_fields: splits the header section of a message (RFC 5322 §2.2, §3.5) into fields:
 * name, folded value, and the whole field's bytes, all as views into the caller's message.
 * Pure: no I/O, no allocation, no globals. It does not decode RFC 2047 words nor parse any
 * structured field body; it only frames fields and says where the body starts. */
#ifndef TERN_HEADER_FIELDS_H
#define TERN_HEADER_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define HEADER_FIELDS_LINE_MAX 998  /* RFC 5322 §2.1.1: characters per line, excluding CRLF */
#define HEADER_FIELDS_MAX      1000 /* fields per message: a sane cap, far above real mail */

enum header_fields_result {
	HEADER_FIELDS_OK,
	HEADER_FIELDS_BAD_BYTES,     /* NUL, or a CR or LF that is not part of a CRLF (§2.2) */
	HEADER_FIELDS_BAD_NAME,      /* a line that is not "name:" (§2.2, §3.6.8): no colon, an empty
	                              * name, a byte outside ftext in it, or a continuation first */
	HEADER_FIELDS_LINE_TOO_LONG, /* a line longer than HEADER_FIELDS_LINE_MAX */
	HEADER_FIELDS_UNTERMINATED,  /* the input ends inside a line, without its CRLF */
	HEADER_FIELDS_TOO_MANY       /* more than HEADER_FIELDS_MAX fields */
};

struct header_field {
	struct slice name;  /* the field name, without the colon and any WSP before it (§4.5.8) */
	struct slice value; /* everything after the colon up to, not including, the final CRLF;
	                     * still folded: it may contain CRLF followed by WSP (§2.2.3) */
	struct slice whole; /* the field as it stands, from its name through its final CRLF */
};

struct header_fields {
	size_t count;
	struct header_field fields[HEADER_FIELDS_MAX];
	size_t header_length; /* octets of the fields, before the empty line */
	size_t body_offset;   /* where the body starts: after the empty line, or the end of input */
	bool has_separator;   /* the empty line was there (a message may have no body, §3.5) */
	size_t error_offset;  /* on failure: start of the line at fault */
};

/* Parses the header section at the start of message: fields up to the first empty line, or to
 * the end of message when there is none. The views in *fields point into message, which must
 * outlive them. A field name is 1*ftext (printable ASCII but ":"); WSP between the name and the
 * colon is accepted as in obs-optional (§4.5.8). Values may hold any octet but NUL, CR and LF
 * (8-bit too, RFC 6532 §3.2). On failure fields->error_offset says which line was at fault, and
 * the fields before it are in fields[0 .. count); the rest of *fields is unspecified. */
enum header_fields_result header_fields_parse(struct slice message, struct header_fields *fields);

/* Index of the first field at or after index from whose name equals name, ASCII
 * case-insensitively (§1.2.2), or -1 when there is none. */
long header_fields_find(const struct header_fields *fields, const char *name, size_t from);

/* Appends the unfolded value of field to out (§2.2.3: every CRLF that is followed by WSP
 * removed; the WSP kept). Returns false, leaving out unchanged, past the buffer's maximum. */
bool header_fields_unfold(const struct header_field *field, struct buffer *out);

#endif
