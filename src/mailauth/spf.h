/* spf: the check_host() function of RFC 7208 §4, asynchronous over the resolver on the
 * libevent loop: record lookup and selection (§4.4, §4.5), evaluation of mechanisms and
 * modifiers (§5, §6), the limits of §4.6.4 (10 DNS-querying terms, 2 void lookups, 10 MX or PTR
 * names), macros (§7, spf_macro) and the explanation of a fail (§6.2). The HELO identity and
 * the MAIL FROM identity (§2.3, §2.4) are both one call. It never blocks. */
#ifndef TERN_SPF_H
#define TERN_SPF_H

#include "dns/resolver.h"

#define SPF_LOOKUPS_MAX        10 /* §4.6.4: terms that query DNS, per check */
#define SPF_VOID_LOOKUPS_MAX   2  /* §4.6.4: lookups answering NXDOMAIN or no records */
#define SPF_NAMES_MAX          10 /* §4.6.4: MX names per mx, PTR names per ptr or %{p} */
#define SPF_DEADLINE_SECONDS   20 /* §4.6.4: a check may take at least 20 s, then temperror */

/* §2.6, in the words of §8 */
enum spf_result { SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL, SPF_TEMPERROR, SPF_PERMERROR };

/* What the callback gets; valid only during the callback. */
struct spf_outcome {
	enum spf_result result;
	const char *identity;    /* "mailfrom" or "helo" (§2.3, §2.4) */
	const char *sender;      /* <sender> as checked: postmaster@HELO for a null sender (§4.3) */
	const char *domain;      /* <domain>: the one whose policy was checked */
	const char *mechanism;   /* the term of <domain>'s record that matched, "" when none did */
	const char *reason;      /* why, in words ("1.2.3.4 matched ip4:1.2.3.0/24 in the record of
	                          * example.com", "no SPF record at example.com", the DNS error...) */
	const char *explanation; /* for fail: the domain's exp= text (§6.2), "" when it gave none */
};

typedef void (*spf_callback)(void *context, const struct spf_outcome *outcome);

struct spf_check;

/* Starts check_host() for the client at client_ip (IPv4 or IPv6 text; an IPv4-mapped IPv6
 * address counts as IPv4, §5). sender: the MAIL FROM address ("" for the null sender, which
 * checks postmaster@helo); NULL checks the HELO identity instead. helo: the HELO/EHLO name
 * (may be NULL or "" when there was none). callback runs later on the loop, exactly once,
 * unless spf_cancel comes first. Returns NULL (and never calls back) when client_ip is not an
 * address. Inputs are copied. */
struct spf_check *spf_check(struct resolver *resolver, const char *client_ip, const char *helo, const char *sender,
                            spf_callback callback, void *context);

/* Stops a check before its callback: it never runs; everything is freed. Not inside the
 * check's own callback (the check is freed when that returns). NULL is a no-op. */
void spf_cancel(struct spf_check *check);

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror" (§2.6, RFC 8601 §2.7.2) */
const char *spf_result_name(enum spf_result result);

#endif
