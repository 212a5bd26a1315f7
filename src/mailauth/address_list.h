/* address_list: the address-list of RFC 5322 §3.4 (To:, Cc:, Bcc:, and a sendmail command
 * line) into the addr-specs it names, each checked as an SMTP mailbox (RFC 5321 §4.1.2, UTF-8
 * per RFC 6531). Display names, comments and group names are read and dropped.
 * Pure: no I/O, no globals; the list grows up to a maximum the caller sets. */
#ifndef TERN_ADDRESS_LIST_H
#define TERN_ADDRESS_LIST_H

#include <stddef.h>

#include "smtp/address.h"
#include "util/buffer.h"

#define ADDRESS_LIST_MAX 1000 /* addresses per list: a sane cap, far above real mail */

enum address_list_result {
	ADDRESS_LIST_OK,
	ADDRESS_LIST_EMPTY,       /* neither an address nor a group: only CFWS and commas */
	ADDRESS_LIST_BAD_BYTES,   /* NUL, a control other than HTAB, or a CR or LF that is not a
	                           * fold (CRLF followed by WSP, RFC 5322 §3.2.2) */
	ADDRESS_LIST_SYNTAX,      /* not an address-list of §3.4 */
	ADDRESS_LIST_BAD_ADDRESS, /* an addr-spec SMTP cannot carry: see list.address_result */
	ADDRESS_LIST_TOO_MANY     /* the list would grow past its maximum */
};

struct address_list {
	struct address *addresses; /* owned; count of them */
	size_t count;
	size_t maximum;
	size_t capacity;                    /* private: addresses allocated */
	enum address_result address_result; /* why the last ADDRESS_LIST_BAD_ADDRESS happened */
};

/* Starts an empty list that will never hold more than maximum addresses. */
void address_list_init(struct address_list *list, size_t maximum);
/* Releases the addresses; the list is empty (and reusable) afterwards. NULL is a no-op. */
void address_list_free(struct address_list *list);

/* Parses text, an address-list (a field value, still folded or not), and appends the address of
 * every mailbox in it, in order, groups included (§3.4: group = display-name ":"
 * [group-list] ";"). Each mailbox is [display-name] angle-addr or a bare addr-spec; CFWS may
 * stand between any two tokens (§3.2.2, nested comments included), and the obsolete forms of
 * §4.4 are accepted where SMTP can still carry the result: empty list elements, a route in an
 * angle-addr (dropped), CFWS around the dots of a local part or domain. "<>" is refused.
 * When unqualified_domain is not NULL, a mailbox without "@domain" (a bare user name, as cron
 * passes to sendmail) gets "@" unqualified_domain; when NULL it is ADDRESS_LIST_SYNTAX.
 * Every addr-spec goes through address_parse_mailbox with ADDRESS_ALLOW_UTF8.
 * On failure the list is as it was before the call. */
enum address_list_result address_list_parse(struct slice text, const char *unqualified_domain,
                                            struct address_list *list);

#endif
