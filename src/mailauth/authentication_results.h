/* authentication_results: the Authentication-Results header field of RFC 8601. Writing: the
 * field for our authserv-id from plain results (spf §2.7.2, dkim §2.7.1 with RFC 6008's
 * header.b, dmarc RFC 7489 §11.2, iprev §2.7.3), folded to 78 columns (RFC 5322 §2.1.1).
 * Reading: the authserv-id of a field that arrived (§2.2, CFWS and quoted-strings), and which
 * fields of a header section claim ours and must go (§5). Pure: no I/O, no globals.
 * Not here: ARC-Authentication-Results (RFC 8617), reading the resinfo after the authserv-id. */
#ifndef TERN_AUTHENTICATION_RESULTS_H
#define TERN_AUTHENTICATION_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "mailauth/header_fields.h"
#include "util/buffer.h"

#define AUTHENTICATION_RESULTS_COLUMNS        78  /* RFC 5322 §2.1.1: SHOULD be at most 78 */
#define AUTHENTICATION_RESULTS_B_PREFIX       8   /* RFC 6008 §4: header.b= carries the first 8 */
#define AUTHENTICATION_RESULTS_PROPERTIES_MAX 4   /* propspecs per resinfo: dkim uses four */
#define AUTHENTICATION_RESULTS_ID_MAX         255 /* authserv-id octets: a domain name at most (§2.5) */
#define AUTHENTICATION_RESULTS_COMMENT_DEPTH  16  /* nested comments: a sane cap on recursion */

/* One property: "smtp.mailfrom" (ptype.property, §2.2) and its value. */
struct authentication_results_property {
	const char *name;
	const char *value;
};

/* One resinfo (§2.2): method=result [reason=...] [ptype.property=value ...]. */
struct authentication_results_method {
	const char *method;
	const char *result;
	const char *reason; /* NULL or "": none */
	size_t property_count;
	struct authentication_results_property properties[AUTHENTICATION_RESULTS_PROPERTIES_MAX];
};

/* The methods, filled from plain values; a NULL or empty value leaves its property out. All
 * strings are the caller's and must outlive the method. */
/* spf (§2.7.2): smtp.mailfrom= (the address, or empty for a null reverse-path), smtp.helo=. */
void authentication_results_spf(struct authentication_results_method *method, const char *result, const char *mailfrom,
                                const char *helo, const char *reason);
/* dkim (§2.7.1, RFC 6008): header.d=, header.s=, header.b= (the b= value, FWS removed; the first
 * AUTHENTICATION_RESULTS_B_PREFIX characters are written), header.a= (RFC 8601 §2.7.1). The b=
 * prefix is kept in prefix, which must live as long as the method. */
void authentication_results_dkim(struct authentication_results_method *method, const char *result, const char *domain,
                                 const char *selector, const char *b, const char *algorithm, const char *reason,
                                 char prefix[AUTHENTICATION_RESULTS_B_PREFIX + 1]);
/* dmarc (RFC 7489 §11.2): header.from=; policy.dmarc= the policy applied, when not NULL. */
void authentication_results_dmarc(struct authentication_results_method *method, const char *result,
                                  const char *from_domain, const char *policy, const char *reason);
/* iprev (§2.7.3): policy.iprev= the client's address. */
void authentication_results_iprev(struct authentication_results_method *method, const char *result, const char *address,
                                  const char *reason);

/* Appends "Authentication-Results: <authserv-id>;\r\n\t<resinfo>;\r\n\t...\r\n" to out, one resinfo
 * a line, longer ones folded at spaces to AUTHENTICATION_RESULTS_COLUMNS (a single word longer
 * than a line is the one exception); "; none" when count is 0 (§2.2 no-result). Values are
 * written bare when they are a token or local-part@domain (§2.2 pvalue), else as a
 * quoted-string; control characters in a value are dropped, so nothing the caller passes can
 * end the field. Returns false, leaving out unchanged, past out's maximum. */
bool authentication_results_format(const char *authserv_id, const struct authentication_results_method *methods,
                                   size_t count, struct buffer *out);

enum authentication_results_result {
	AUTHENTICATION_RESULTS_OK,
	AUTHENTICATION_RESULTS_BAD_BYTES, /* NUL, a control, or a CR or LF that is not a fold */
	AUTHENTICATION_RESULTS_SYNTAX,    /* no authserv-id, or not followed by a version, ";" or end */
	AUTHENTICATION_RESULTS_TOO_LONG,  /* an authserv-id past AUTHENTICATION_RESULTS_ID_MAX, or
	                                   * comments nested past AUTHENTICATION_RESULTS_COMMENT_DEPTH */
};

/* Reads the authserv-id at the start of value, a field body after "Authentication-Results:"
 * (still folded or not): [CFWS] authserv-id [CFWS [version [CFWS]]] then ";" or the end (§2.2;
 * RFC 7601's bare "id" without resinfo is accepted). The id (a token, or a quoted-string
 * unquoted) goes into id, NUL-terminated (AUTHENTICATION_RESULTS_ID_MAX + 1 bytes). */
enum authentication_results_result authentication_results_parse_id(struct slice value,
                                                                   char id[AUTHENTICATION_RESULTS_ID_MAX + 1]);

/* §5: the Authentication-Results fields of a parsed header section that must be removed before
 * we add ours: those whose authserv-id equals authserv_id (ASCII case-insensitively, as a
 * domain name), and those that do not parse, since a reader could take them as ours. Writes
 * their indexes into fields->fields, in order, to drop (room for fields->count) and returns
 * how many. */
size_t authentication_results_to_remove(const struct header_fields *fields, const char *authserv_id, size_t *drop);

#endif
