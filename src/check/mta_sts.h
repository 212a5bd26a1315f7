/* mta_sts: the pure parsers of MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) text: the policy
 * file served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt (§3.2), the _mta-sts TXT
 * record (§3.1), the _smtp._tls TXT record (RFC 8460 §3), and whether a policy's mx patterns
 * cover an MX host name (§4.1). Bytes in, a verdict out: no I/O, no allocation. */
#ifndef TERN_MTA_STS_H
#define TERN_MTA_STS_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/resolver.h"

#define MTA_STS_POLICY_SIZE_MAX 65536    /* ours (as common implementations): a policy is a few lines */
#define MTA_STS_MAX_AGE_MAX     31557600 /* RFC 8461 §3.2: at most a year */
#define MTA_STS_MAX_AGE_DIGITS  10       /* RFC 8461 §3.2: 1*10DIGIT */
#define MTA_STS_ID_MAX          32       /* RFC 8461 §3.1: 1*32(ALPHA / DIGIT) */
#define MTA_STS_MX_MAX          64       /* ours: mx fields kept per policy */

enum mta_sts_mode { MTA_STS_MODE_NONE, MTA_STS_MODE_TESTING, MTA_STS_MODE_ENFORCE };

struct mta_sts_policy {
	enum mta_sts_mode mode;
	unsigned long max_age; /* seconds */
	size_t mx_count;
	char mx[MTA_STS_MX_MAX]
	       [DNS_NAME_MAX + 1]; /* patterns as written, lower case: "mx.example.org", "*.example.net" */
};

enum mta_sts_result {
	MTA_STS_OK,
	MTA_STS_MALFORMED,   /* a line without "key:", NUL, a bare CR */
	MTA_STS_BAD_VERSION, /* no "version: STSv1" */
	MTA_STS_BAD_MODE,    /* mode missing or not enforce/testing/none */
	MTA_STS_BAD_MAX_AGE, /* max_age missing, not 1-10 digits, or over MTA_STS_MAX_AGE_MAX */
	MTA_STS_BAD_MX,      /* an mx value that is not a (wildcard) domain name */
	MTA_STS_NO_MX,       /* no mx field, and the mode is not none */
	MTA_STS_TOO_MANY_MX, /* over MTA_STS_MX_MAX mx fields */
	MTA_STS_TOO_LONG     /* over MTA_STS_POLICY_SIZE_MAX */
};

/* Parses a policy body (length bytes; lines end in LF or CRLF, §3.2) into policy. Unknown
 * keys are ignored (§3.2); for a repeated key other than mx the first one counts. */
enum mta_sts_result mta_sts_policy_parse(const char *text, size_t length, struct mta_sts_policy *policy);

/* Whether host (a name, any case, no trailing dot needed) matches one of the policy's mx
 * patterns: equal, or "*." and exactly one more leftmost label (§4.1). */
bool mta_sts_policy_matches(const struct mta_sts_policy *policy, const char *host);

enum mta_sts_record_result {
	MTA_STS_RECORD_OK,
	MTA_STS_RECORD_OTHER,    /* does not begin with "v=STSv1" (another TXT record at the name) */
	MTA_STS_RECORD_MALFORMED /* begins so, but without a valid id */
};

/* Parses the _mta-sts TXT record (§3.1: "v=STSv1; id=...;"); writes the id into id. */
enum mta_sts_record_result mta_sts_record_parse(const char *text, size_t length, char id[MTA_STS_ID_MAX + 1]);

/* Parses the _smtp._tls TXT record (RFC 8460 §3: "v=TLSRPTv1; rua=mailto:...,https://..."):
 * MALFORMED when there is no rua, or a rua URI is neither mailto: nor https:. */
enum mta_sts_record_result mta_sts_tlsrpt_parse(const char *text, size_t length);

/* "none", "testing", "enforce". */
const char *mta_sts_mode_name(enum mta_sts_mode mode);
/* The result in words, for a finding. */
const char *mta_sts_result_text(enum mta_sts_result result);

#endif
