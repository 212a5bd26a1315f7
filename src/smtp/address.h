/* address: the path grammar of RFC 5321 §4.1.2 with the UTF-8 extension of RFC 6531 §3.3.
 * Pure: no I/O, no allocation, no globals. */
#ifndef TERN_ADDRESS_H
#define TERN_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define ADDRESS_LOCAL_MAX 64   /* RFC 5321 §4.5.3.1.1: local part, octets */
#define ADDRESS_DOMAIN_MAX 255 /* RFC 5321 §4.5.3.1.2: domain, octets */
#define ADDRESS_PATH_MAX 256   /* RFC 5321 §4.5.3.1.3: path incl. "<" and ">" */

enum address_result {
	ADDRESS_OK,
	ADDRESS_SYNTAX,         /* not a path per RFC 5321 §4.1.2 */
	ADDRESS_TOO_LONG,       /* a length limit of §4.5.3.1 is exceeded */
	ADDRESS_BAD_UTF8,       /* non-ASCII bytes that are not well-formed UTF-8 */
	ADDRESS_UTF8_NOT_ALLOWED /* well-formed UTF-8, but the caller did not allow it */
};

enum address_domain_kind {
	ADDRESS_DOMAIN_NONE,    /* null path "<>" or bare "<postmaster>" */
	ADDRESS_DOMAIN_NAME,    /* a (possibly U-label) domain name */
	ADDRESS_DOMAIN_IPV4,    /* "[192.0.2.1]" */
	ADDRESS_DOMAIN_IPV6,    /* "[IPv6:2001:db8::1]" */
	ADDRESS_DOMAIN_GENERAL  /* "[tag:content]", a general address literal */
};

/* Flags for address_parse_path. */
#define ADDRESS_ALLOW_NULL 1u       /* "<>" is acceptable (reverse-path) */
#define ADDRESS_ALLOW_POSTMASTER 2u /* "<postmaster>" without domain (RCPT, §4.1.1.3) */
#define ADDRESS_ALLOW_UTF8 4u       /* UTF-8 in local part and domain (RFC 6531) */

struct address {
	/* The local part decoded: quotes removed and quoted-pairs unescaped. NUL-terminated. */
	char local[ADDRESS_LOCAL_MAX + 1];
	/* The domain as written, brackets included for literals; empty for null/postmaster. */
	char domain[ADDRESS_DOMAIN_MAX + 1];
	enum address_domain_kind domain_kind;
	bool is_null;       /* "<>" */
	bool is_postmaster; /* "<postmaster>" with no domain (case-insensitive) */
	bool was_quoted;    /* the local part was a quoted-string */
	bool has_utf8;      /* some byte >= 0x80 in local part or domain */
};

/* Parses a path at the start of text: "<>" or "<" [A-d-l ":"] Mailbox ">" (a source route is
 * accepted and ignored, §4.1.2 and Appendix C). On ADDRESS_OK fills *address and sets *consumed
 * to the number of bytes used (up to and including ">"); what follows is the caller's.
 * Rejects NUL, CR, LF and all controls. On failure *address is unspecified. */
enum address_result address_parse_path(struct slice text, unsigned flags, struct address *address,
                                       size_t *consumed);

/* Parses a bare mailbox "local@domain" (no brackets) occupying all of text, e.g. from a config
 * file or an aliases(5) entry. Same rules as inside a path. */
enum address_result address_parse_mailbox(struct slice text, unsigned flags, struct address *address);

/* Formats the address as it goes on the wire without brackets: "local@domain", the local part
 * re-quoted if it needs quoting; "" for the null path, "postmaster" for bare postmaster.
 * Writes at most size bytes including the NUL; returns the length it needed (snprintf-like).
 * A buffer of ADDRESS_PATH_MAX * 2 + 8 bytes always suffices. */
size_t address_format(const struct address *address, char *out, size_t size);
#define ADDRESS_FORMAT_SIZE (ADDRESS_PATH_MAX * 2 + 8)

/* Whether the domain is a syntactically valid domain name per §4.1.2 ("Domain"), ASCII only
 * unless allow_utf8. Used for EHLO arguments and config values. */
bool address_domain_is_valid(struct slice domain, bool allow_utf8);

#endif
