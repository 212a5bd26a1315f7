/* client_replies: what an SMTP client reads from a server, parsed without I/O: framing reply
 * lines (CRLF only), assembling multi-line replies (RFC 5321 §4.2, §4.2.1) and reading the
 * extensions an EHLO reply lists (§4.1.1.1; SIZE RFC 1870, PIPELINING RFC 2920, 8BITMIME
 * RFC 6152, SMTPUTF8 RFC 6531, CHUNKING RFC 3030, STARTTLS RFC 3207, AUTH RFC 4954).
 * Server replies are untrusted input: every limit is a named constant here. */
#ifndef TERN_CLIENT_REPLIES_H
#define TERN_CLIENT_REPLIES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

/* Octets of one reply line with its CRLF. RFC 5321 §4.5.3.1.5 allows 512; real servers send
 * longer ones, so we take up to 4 KiB and call anything longer a protocol failure. */
#define CLIENT_REPLIES_LINE_MAX 4096
/* Octets of one whole (multi-line) reply, CRLFs included: our cap against endless replies. */
#define CLIENT_REPLIES_REPLY_MAX (64 * 1024)
/* Bytes kept of a reply's last line, NUL included (the size of struct client_reply's text). */
#define CLIENT_REPLIES_TEXT_SIZE 512

enum client_replies_frame {
	CLIENT_REPLIES_FRAME_LINE,       /* a whole line: *line (without CRLF) and *consumed are set */
	CLIENT_REPLIES_FRAME_INCOMPLETE, /* no CRLF yet and still under the limit: read more */
	CLIENT_REPLIES_FRAME_TOO_LONG,   /* no CRLF within CLIENT_REPLIES_LINE_MAX octets */
	CLIENT_REPLIES_FRAME_BARE_LF,    /* an LF without a CR before it */
	CLIENT_REPLIES_FRAME_BAD_OCTET   /* a NUL or a CR not followed by LF inside the line */
};

/* Finds the first reply line at the start of input (the unread bytes; at least the first
 * CLIENT_REPLIES_LINE_MAX of them when that many are waiting). On a LINE, *line views input
 * up to the CRLF and *consumed counts the line and its CRLF; otherwise they are untouched. */
enum client_replies_frame client_replies_frame(struct slice input, struct slice *line, size_t *consumed);

enum client_replies_result {
	CLIENT_REPLIES_MORE,      /* a "NNN-" line: the reply goes on */
	CLIENT_REPLIES_COMPLETE,  /* the last line ("NNN " or "NNN"): the reply is whole */
	CLIENT_REPLIES_MALFORMED, /* no valid code, no separator, or the code changed between lines */
	CLIENT_REPLIES_TOO_LONG   /* the reply passed CLIENT_REPLIES_REPLY_MAX octets */
};

/* The extensions an EHLO reply lists. Keywords are case-insensitive (§4.1.1.1). */
struct client_extensions {
	bool starttls, pipelining, eightbitmime, smtputf8, chunking, enhanced_status_codes;
	bool size;                     /* SIZE was listed */
	unsigned long long size_limit; /* its argument (RFC 1870 §4); 0 when absent, 0 or not a number: no limit */
	bool auth_plain, auth_login;   /* among the AUTH mechanisms (also the old "AUTH=" form) */
};

/* One reply being read, line by line. */
struct client_replies {
	int code;                            /* 200..599 once the first line is in; 0 before */
	size_t lines;                        /* lines taken so far */
	size_t octets;                       /* their octets, CRLFs counted */
	char text[CLIENT_REPLIES_TEXT_SIZE]; /* the latest line, truncated, NUL-terminated */
};

/* Starts reading a new reply. */
void client_replies_start(struct client_replies *reply);

/* Takes one line (from client_replies_frame, without its CRLF) of the reply. When extensions
 * is not NULL, every line after the first is read as an EHLO keyword line and what it lists is
 * set in *extensions (clear it first); unknown keywords are ignored. A line that makes the
 * reply MALFORMED or TOO_LONG leaves reply unusable. */
enum client_replies_result client_replies_take(struct client_replies *reply, struct slice line,
                                               struct client_extensions *extensions);

/* Reads one EHLO keyword line (the text after "250-" or "250 ") into *extensions. Exposed for
 * tests; client_replies_take calls it. */
void client_replies_parse_extension(struct slice text, struct client_extensions *extensions);

#endif
