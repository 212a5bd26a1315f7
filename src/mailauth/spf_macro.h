/* spf_macro: SPF macro-strings (RFC 7208 §7): checking their syntax (§7.1) and expanding them
 * (§7.2 letters, §7.3 transformers, delimiters and URL escaping, §7.4's rules for domain
 * names). Pure: the values to substitute come in a struct; the one letter that needs DNS, "p"
 * (the validated name of the client), is looked up by the caller, which asks
 * spf_macro_uses_validated first. */
#ifndef TERN_SPF_MACRO_H
#define TERN_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define SPF_MACRO_DOMAIN_MAX 253   /* §7.3: a name used in a query is cut to 253 characters */
#define SPF_MACRO_LABEL_MAX  63    /* RFC 1035 §2.3.4 */
#define SPF_MACRO_OUTPUT_MAX 8192  /* bytes of one expansion: a sane cap (a TXT record's string
                                    * is 255, an explanation a line of text) */

/* Where a macro-string stands; it decides which characters and letters are allowed. */
enum spf_macro_kind {
	SPF_MACRO_DOMAIN,      /* domain-spec (§7.1): no SP; c, r and t are for exp text only (§7.2) */
	SPF_MACRO_MODIFIER,    /* an unknown-modifier's value (§6, §12): a macro-string, any letter */
	SPF_MACRO_EXPLANATION, /* explain-string (§6.2): SP allowed, every letter */
};

enum spf_macro_result {
	SPF_MACRO_OK,
	SPF_MACRO_SYNTAX,   /* not a macro-string of that kind (§7.1): a lone "%", an unknown or
	                     * forbidden letter, a zero digit transformer, a byte outside %x21-7E */
	SPF_MACRO_TOO_LONG, /* the expansion exceeds SPF_MACRO_OUTPUT_MAX */
};

/* The values the letters stand for (§7.2). Strings are NUL-terminated and borrowed. */
struct spf_macro_values {
	const char *sender;        /* s: <sender>, local-part@domain */
	const char *local_part;    /* l */
	const char *sender_domain; /* o */
	const char *domain;        /* d: the <domain> being checked */
	unsigned char address[16]; /* i, c: IPv4 in the first 4 bytes, or IPv6 */
	bool ipv6;                 /* v: "ip6" or "in-addr" */
	const char *validated;     /* p: the validated name of <ip>; NULL is "unknown" */
	const char *helo;          /* h: the HELO/EHLO name */
	const char *receiver;      /* r: our name; NULL is "unknown" */
	unsigned long long now;    /* t: seconds since the epoch */
};

/* Whether text is a macro-string of kind (§7.1 grammar; the letters allowed per §7.2).
 * For SPF_MACRO_DOMAIN this checks the macro-string only; spf_macro_is_domain_spec adds
 * domain-end. */
bool spf_macro_is_valid(struct slice text, enum spf_macro_kind kind);

/* Whether text is a domain-spec (§7.1): a macro-string without c, r, t, ending in
 * "." toplabel ["."] or in a macro-expand. */
bool spf_macro_is_domain_spec(struct slice text);

/* Whether text names the letter p (so the caller must look the validated name up first). */
bool spf_macro_uses_validated(struct slice text);

/* Appends the expansion of text (a macro-string of kind) to out. Returns SPF_MACRO_OK, or
 * the fault (out may then hold part of the expansion). */
enum spf_macro_result spf_macro_expand(struct slice text, enum spf_macro_kind kind,
                                       const struct spf_macro_values *values, struct buffer *out);

/* Expands a domain-spec into the name to query (§7.3): a trailing dot dropped, then labels
 * removed from the left until at most SPF_MACRO_DOMAIN_MAX characters are left. out has
 * SPF_MACRO_DOMAIN_MAX + 1 bytes. Returns SPF_MACRO_OK or the fault. */
enum spf_macro_result spf_macro_expand_domain(struct slice domain_spec, const struct spf_macro_values *values,
                                              char out[SPF_MACRO_DOMAIN_MAX + 1]);

#endif
