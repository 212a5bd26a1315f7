/* dmarc_policy: the DMARC verdict of RFC 7489 §6.6.2-§6.6.4 from plain inputs: the Author
 * Domain, whether SPF passed and for which domain, the d= of the DKIM signatures that passed,
 * and what policy discovery (§6.6.3, dmarc.h) found. It decides identifier alignment (§3.1),
 * the result (RFC 8601 §2.7.x / RFC 7489 §11.2 words), the policy that applies (p= or sp=),
 * and what to do after pct= sampling (§6.6.4). Pure but for the default random source
 * (arc4random); it looks nothing up and sends no report. */
#ifndef TERN_DMARC_POLICY_H
#define TERN_DMARC_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "mailauth/dmarc_record.h"
#include "mailauth/org_domain.h"

#define DMARC_POLICY_DOMAIN_SIZE 256  /* RFC 5321 §4.5.3.1.2: 255 octets and the NUL */
#define DMARC_POLICY_WHY_SIZE    1024 /* room for three domains and the words around them */

enum dmarc_result {
	DMARC_RESULT_NONE,      /* no policy published (or no DMARC processing, §6.6.3) */
	DMARC_RESULT_PASS,      /* an aligned SPF or DKIM pass (§4.2) */
	DMARC_RESULT_FAIL,      /* a policy, and neither aligned */
	DMARC_RESULT_TEMPERROR, /* DNS trouble during discovery: try again later, never reject */
	DMARC_RESULT_PERMERROR, /* a broken record, or a message with no usable Author Domain */
};

/* What the message brought: the caller's SPF and DKIM outcomes as plain values. */
struct dmarc_inputs {
	const char *from_domain;         /* the Author Domain (dmarc_from.h); "" or NULL: none usable */
	bool spf_pass;                   /* SPF's result was "pass" */
	const char *spf_domain;          /* the domain SPF checked: MAIL FROM's, or HELO's for a null
	                                  * reverse-path (RFC 7489 §4.1) */
	size_t dkim_count;               /* signatures that verified ("pass", RFC 6376 §6.3) */
	const char *const *dkim_domains; /* their d= */
};

enum dmarc_discovery_status {
	DMARC_DISCOVERY_FOUND,     /* exactly one DMARC record, in record */
	DMARC_DISCOVERY_NONE,      /* none at the Author Domain nor its Organizational Domain */
	DMARC_DISCOVERY_SEVERAL,   /* several at the one asked: no DMARC processing (§6.6.3 step 5) */
	DMARC_DISCOVERY_TEMPERROR, /* a lookup failed temporarily */
};

/* What policy discovery found. */
struct dmarc_discovery {
	enum dmarc_discovery_status status;
	const char *record; /* FOUND: the TXT text */
	const char *domain; /* where it was asked or found (without "_dmarc.") */
	bool at_org_domain; /* found at the Organizational Domain, not the Author Domain */
	const char *why;    /* TEMPERROR: what went wrong */
};

/* A source of random numbers for pct= sampling; NULL means arc4random. Tests pass their own. */
struct dmarc_sampler {
	unsigned (*next)(void *context);
	void *context;
};

struct dmarc_outcome {
	enum dmarc_result result;
	bool has_policy;               /* a record applied (result pass or fail) */
	enum dmarc_policy policy;      /* the published policy that applies: sp= for a subdomain
	                                * when the record is the Organizational Domain's, else p= */
	enum dmarc_policy disposition; /* what to do: none on pass; on fail the policy, or one step
	                                * lighter when pct= sampled the message out (§6.6.4) */
	bool subdomain_policy;         /* policy is the record's sp= */
	bool sampled_out;
	bool spf_aligned;
	bool dkim_aligned;
	char dkim_domain[DMARC_POLICY_DOMAIN_SIZE];   /* the first aligned signature's d= */
	char from_domain[DMARC_POLICY_DOMAIN_SIZE];   /* the Author Domain (header.from) */
	char record_domain[DMARC_POLICY_DOMAIN_SIZE]; /* where the record was found */
	char why[DMARC_POLICY_WHY_SIZE];              /* in words, for logs and reason= */
};

/* Fills *outcome from inputs and what discovery found; sampler may be NULL. Never fails. */
void dmarc_policy_evaluate(const struct org_domain *list, const struct dmarc_inputs *inputs,
                           const struct dmarc_discovery *discovery, const struct dmarc_sampler *sampler,
                           struct dmarc_outcome *outcome);

/* "none", "pass", "fail", "temperror", "permerror" (RFC 8601 §2.7.x words). */
const char *dmarc_policy_result_name(enum dmarc_result result);

#endif
