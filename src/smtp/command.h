/* command: parses one SMTP command line (CRLF already removed) into a verb and arguments,
 * RFC 5321 §4.1.1 and the ESMTP parameters of RFC 1870 (SIZE), RFC 6152 (BODY=8BITMIME),
 * RFC 6531 (SMTPUTF8), RFC 3030 (BDAT). Pure: no I/O, no allocation, no globals.
 * It does not know session state: whether a verb or parameter is legal now is the session's. */
#ifndef TERN_COMMAND_H
#define TERN_COMMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "smtp/address.h"
#include "util/buffer.h"

#define COMMAND_LINE_MAX 512 /* RFC 5321 §4.5.3.1.4: command line incl. CRLF, octets */

enum command_verb {
	VERB_UNKNOWN,
	VERB_HELO,
	VERB_EHLO,
	VERB_MAIL,
	VERB_RCPT,
	VERB_DATA,
	VERB_BDAT,
	VERB_RSET,
	VERB_NOOP,
	VERB_QUIT,
	VERB_VRFY,
	VERB_EXPN,
	VERB_HELP,
	VERB_STARTTLS,
	VERB_AUTH,
	VERB_COUNT
};

enum command_result {
	COMMAND_OK,
	COMMAND_BAD_BYTES,         /* NUL, CR, LF, other controls, or (outside paths) 8-bit bytes */
	COMMAND_UNKNOWN_VERB,      /* 500 5.5.1 */
	COMMAND_SYNTAX,            /* arguments malformed: 501 5.5.4 (or 5.5.2) */
	COMMAND_BAD_ADDRESS,       /* the path did not parse: see command.address_result */
	COMMAND_UNKNOWN_PARAMETER, /* ESMTP keyword we do not implement: 555 5.5.4 */
	COMMAND_BAD_PARAMETER      /* known keyword, bad or repeated value: 501 5.5.4 */
};

enum command_body { BODY_UNSPECIFIED, BODY_7BIT, BODY_8BITMIME };

struct command {
	enum command_verb verb;
	/* Everything after the verb and one space, for HELO/EHLO/VRFY/EXPN/HELP/NOOP/AUTH;
	 * points into the parsed line. Empty when absent. */
	struct slice argument;
	/* MAIL and RCPT: the path; address_result says why COMMAND_BAD_ADDRESS happened. */
	struct address address;
	enum address_result address_result;
	/* MAIL parameters. */
	bool has_size;
	uint64_t size;
	enum command_body body;
	bool smtputf8;
	bool has_auth; /* AUTH= (RFC 4954 §5) was given; its value is ignored */
	/* BDAT: chunk size and whether LAST was given. */
	uint64_t chunk_size;
	bool last;
};

/* Parses line (without CRLF). The verb is case-insensitive. MAIL takes "FROM:" and RCPT
 * "TO:" with no space before the path (§4.1.1.2 and .3; a single space after the colon is
 * tolerated, as widely deployed clients send it). Paths are parsed with ADDRESS_ALLOW_UTF8;
 * for MAIL, a UTF-8 path without the SMTPUTF8 parameter yields COMMAND_BAD_ADDRESS with
 * ADDRESS_UTF8_NOT_ALLOWED. RCPT takes no parameters (any is COMMAND_UNKNOWN_PARAMETER).
 * Verbs that take no argument (DATA, RSET, QUIT, STARTTLS) yield COMMAND_SYNTAX with one. */
enum command_result command_parse(struct slice line, struct command *command);

/* The verb's canonical upper-case name ("MAIL"), for logs. */
const char *command_verb_name(enum command_verb verb);

#endif
