/* spf_record: an SPF record (RFC 7208 §4.5, §4.6, §5, §6, §12), parsed strictly into its
 * mechanisms and modifiers. Pure: no I/O, no globals; domain-specs are views into the
 * caller's bytes, checked as macro-strings (spf_macro) but not expanded. It evaluates nothing:
 * spf.c does, with DNS. */
#ifndef TERN_SPF_RECORD_H
#define TERN_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define SPF_RECORD_TERMS_MAX 128 /* directives in one record: a sane cap; §4.6.4 lets only 10 of
                                  * them query DNS, and a record fits one 512-octet answer
                                  * (§3.4) in practice */
#define SPF_RECORD_CIDR4_MAX 32  /* §5.6 ip4-cidr-length */
#define SPF_RECORD_CIDR6_MAX 128 /* §5.6 ip6-cidr-length */

/* §4.6.2: the qualifier is the result a match gives. */
enum spf_qualifier { SPF_QUALIFIER_PASS, SPF_QUALIFIER_FAIL, SPF_QUALIFIER_SOFTFAIL, SPF_QUALIFIER_NEUTRAL };

enum spf_mechanism_kind {
	SPF_MECHANISM_ALL,     /* §5.1 */
	SPF_MECHANISM_INCLUDE, /* §5.2 */
	SPF_MECHANISM_A,       /* §5.3 */
	SPF_MECHANISM_MX,      /* §5.4 */
	SPF_MECHANISM_PTR,     /* §5.5 */
	SPF_MECHANISM_IP4,     /* §5.6 */
	SPF_MECHANISM_IP6,     /* §5.6 */
	SPF_MECHANISM_EXISTS,  /* §5.7 */
};

struct spf_mechanism {
	enum spf_qualifier qualifier;
	enum spf_mechanism_kind kind;
	struct slice term;        /* the whole directive as written, for messages */
	struct slice domain_spec; /* include, a, mx, ptr, exists; empty: the current <domain> */
	unsigned cidr4, cidr6;    /* a, mx, ip4, ip6: prefix lengths (default 32 and 128) */
	unsigned char address[16]; /* ip4 (first 4 bytes) and ip6 */
};

enum spf_record_result {
	SPF_RECORD_OK,
	SPF_RECORD_BAD_TERM,     /* a term breaks §12's grammar (unknown mechanism, bad argument,
	                          * bad cidr, bad domain-spec or macro) or a byte outside %x21-7E
	                          * and SP (§4.6.1, §3.1: records are 7-bit ASCII) */
	SPF_RECORD_DUPLICATE,    /* §6: redirect or exp more than once */
	SPF_RECORD_TOO_MANY,     /* more than SPF_RECORD_TERMS_MAX directives */
	SPF_RECORD_NOT_SPF,      /* no "v=spf1" version (§4.5): not an SPF record at all */
};

struct spf_record {
	size_t mechanism_count;
	struct spf_mechanism mechanisms[SPF_RECORD_TERMS_MAX];
	bool has_redirect;      /* §6.1 */
	struct slice redirect;  /* its domain-spec */
	bool has_explanation;   /* §6.2 exp= */
	struct slice explanation;
	struct slice error_term; /* on failure: the term at fault */
};

/* §4.5: whether text is an SPF record of version 1: "v=spf1" (any case) followed by SP or
 * nothing. Other TXT records are none of SPF's business. */
bool spf_record_is_spf(struct slice text);

/* Parses text (one TXT record's strings concatenated, §3.3) into *record; its slices point into
 * text. Unknown modifiers are checked (§6: name "=" macro-string) and ignored. Returns
 * SPF_RECORD_OK or the first fault, with error_term naming the term at fault. */
enum spf_record_result spf_record_parse(struct slice text, struct spf_record *record);

/* "+", "-", "~" or "?" */
const char *spf_record_qualifier_text(enum spf_qualifier qualifier);

#endif
