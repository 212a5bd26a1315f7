/* inbound_auth: what ternd concludes about a message that arrived from outside, and the
 * Authentication-Results field (RFC 8601) it adds: given the SPF outcomes of the session
 * (RFC 7208, checked at MAIL FROM), it verifies the message's DKIM signatures (RFC 6376),
 * checks DMARC (RFC 7489) from the From domain, and rewrites the message with our field under
 * our Received field and any field claiming our authserv-id removed (RFC 8601 §5). ternd's sessions and
 * `tern auth` both run it, so the admin command shows exactly what the daemon would add.
 * It decides nothing about refusing: the DMARC disposition is returned for the caller's
 * policy. Asynchronous, on the resolver's loop. */
#ifndef TERN_INBOUND_AUTH_H
#define TERN_INBOUND_AUTH_H

#include <stdbool.h>

#include "dns/resolver.h"
#include "mailauth/dkim_verify.h"
#include "mailauth/dmarc_policy.h"
#include "mailauth/org_domain.h"
#include "mailauth/spf.h"
#include "util/buffer.h"

#define INBOUND_AUTH_TEXT_MAX 256 /* a domain, a reason: copied, truncated */

/* One SPF outcome kept past its callback (spf_outcome's strings live only during it). */
struct inbound_auth_spf {
	bool checked;                        /* false: not checked (no result is written) */
	enum spf_result result;
	char domain[INBOUND_AUTH_TEXT_MAX];  /* <domain> checked */
	char reason[INBOUND_AUTH_TEXT_MAX];
};

/* Copies outcome into spf. */
void inbound_auth_keep_spf(struct inbound_auth_spf *spf, const struct spf_outcome *outcome);

struct inbound_auth_request {
	const char *authserv_id;  /* ours: the hostname */
	const char *sender;       /* MAIL FROM without brackets, "" for the null reverse-path */
	const char *helo;
	struct inbound_auth_spf spf_mailfrom; /* MAIL FROM identity (postmaster@HELO for "") */
	struct inbound_auth_spf spf_helo;     /* HELO identity, when checked */
	struct slice trace;       /* fields we put on top already (our Received): kept as they are */
	struct slice message;     /* what the client sent: header, empty line, body (CRLF) */
	struct dkim_verification *dkim; /* its signatures prepared (dkim_verify_prepare, which may run
	                                 * on a worker thread), taken; NULL: prepared here, on the loop */
};

struct inbound_auth_verdict {
	const struct dmarc_outcome *dmarc;
	struct buffer *rewritten; /* trace + A-R field + message without forged A-R fields */
	struct slice field;       /* our Authentication-Results field (CRLF), inside rewritten */
	unsigned removed;         /* forged Authentication-Results fields removed */
	size_t dkim_count;        /* signatures looked at */
	size_t dkim_passed;
};

/* Called once; the verdict and what it points to are valid only during the call. */
typedef void (*inbound_auth_callback)(void *context, const struct inbound_auth_verdict *verdict);

/* Runs DKIM verification and DMARC for request and calls done later, on the loop, exactly
 * once. The strings are copied; trace and message must stay valid until done has run.
 * rewritten's maximum is the caller's: maximum octets the rewritten message may have. No
 * cancel: keep the resolver alive until done has run. */
void inbound_auth_check(struct resolver *resolver, const struct org_domain *list,
                        const struct inbound_auth_request *request, size_t maximum, inbound_auth_callback done,
                        void *context);

#endif
