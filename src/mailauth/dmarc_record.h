/* dmarc_record: the DMARC policy record of RFC 7489 §6.3 (tags and their meaning) and §6.4
 * (grammar), as published in a TXT record at _dmarc.<domain>, parsed into a struct with the
 * defaults of §6.3 filled in. Pure: no I/O, no globals; the report URI lists are views into
 * the caller's bytes. It does not look the record up (dmarc.h does), nor send any report, nor
 * check the external-destination authorization of §7.1. */
#ifndef TERN_DMARC_RECORD_H
#define TERN_DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define DMARC_RECORD_LENGTH_MAX       4096  /* octets of a record: a sane cap, far above real ones */
#define DMARC_RECORD_PERCENT_MAX      100   /* RFC 7489 §6.3 pct: an integer from 0 to 100 */
#define DMARC_RECORD_INTERVAL_DIGITS  9     /* ri= (1*DIGIT, §6.4) kept well within 32 bits */
#define DMARC_RECORD_INTERVAL_DEFAULT 86400 /* §6.3 ri: one day */

enum dmarc_record_result {
	DMARC_RECORD_OK,
	DMARC_RECORD_NOT_DMARC,      /* §6.3 v: the first tag is not v=DMARC1: the record MUST be ignored */
	DMARC_RECORD_BAD_SYNTAX,     /* not a tag-list (§6.4), a byte outside it, or too long */
	DMARC_RECORD_DUPLICATE_TAG,  /* a tag twice (RFC 6376 §3.2, whose tag-list §6.4 follows) */
	DMARC_RECORD_MISSING_POLICY, /* §6.3 p: REQUIRED; the rest was read (see §6.6.3 step 6) */
	DMARC_RECORD_BAD_POLICY,     /* p= or sp= is not none/quarantine/reject; the rest was read */
	DMARC_RECORD_BAD_VALUE,      /* another known tag's value breaks §6.4 */
};

enum dmarc_policy { DMARC_POLICY_NONE, DMARC_POLICY_QUARANTINE, DMARC_POLICY_REJECT };

enum dmarc_alignment { DMARC_ALIGNMENT_RELAXED, DMARC_ALIGNMENT_STRICT };

/* fo= options (§6.3), as bits. */
#define DMARC_RECORD_FO_ALL  1u /* "0": report when all mechanisms fail to align (the default) */
#define DMARC_RECORD_FO_ANY  2u /* "1": when any fails */
#define DMARC_RECORD_FO_DKIM 4u /* "d": when DKIM fails */
#define DMARC_RECORD_FO_SPF  8u /* "s": when SPF fails */

struct dmarc_record {
	bool has_policy;                     /* p= was there and valid */
	enum dmarc_policy policy;            /* p= */
	bool has_subdomain_policy;           /* sp= was there and valid; else p= applies (§6.3) */
	enum dmarc_policy subdomain_policy;  /* sp= */
	enum dmarc_alignment dkim_alignment; /* adkim=, default relaxed */
	enum dmarc_alignment spf_alignment;  /* aspf=, default relaxed */
	unsigned percent;                    /* pct=, default 100 */
	unsigned report_interval;            /* ri=, seconds, default 86400 */
	unsigned failure_options;            /* fo=, DMARC_RECORD_FO_* bits, default "0" */
	bool report_format_afrf;             /* rf= lists "afrf" (the default, and the only one) */
	struct slice aggregate_uris;         /* rua=, as written ("" when absent) */
	size_t aggregate_uri_count;          /* its URIs, each checked for §6.4's dmarc-uri */
	struct slice failure_uris;           /* ruf= */
	size_t failure_uri_count;
	struct slice error_tag; /* on failure: the tag at fault, if any */
};

/* Whether text starts like a DMARC record, "v" *WSP "=" *WSP "DMARC1" then the end or a
 * separator (§6.3 v: other TXT records at _dmarc are discarded, §6.6.3 steps 2 and 4). */
bool dmarc_record_is_dmarc(struct slice text);

/* Parses text, a TXT record's strings joined. Tag names and keyword values are ASCII
 * case-insensitive (RFC 5234 §2.3, as §6.4's ABNF is written), "DMARC1" is exact (§6.3);
 * unknown tags are ignored (§6.3). Returns DMARC_RECORD_OK, or the first error; for
 * MISSING_POLICY and BAD_POLICY every other tag was read and is in *record, so the caller can
 * apply §6.6.3 step 6 (a valid rua= makes it p=none). error_tag names the tag at fault. */
enum dmarc_record_result dmarc_record_parse(struct slice text, struct dmarc_record *record);

/* "none", "quarantine" or "reject". */
const char *dmarc_record_policy_name(enum dmarc_policy policy);

/* In words, for logs and Authentication-Results reasons: "missing p= tag", ... */
const char *dmarc_record_result_name(enum dmarc_record_result result);

#endif
