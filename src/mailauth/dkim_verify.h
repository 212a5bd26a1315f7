/* dkim_verify: every DKIM-Signature of a message verified (RFC 6376 §6.1), each key fetched
 * asynchronously from DNS (SELECTOR._domainkey.DOMAIN TXT, §3.6.2) with the resolver, on the
 * loop; one result per signature, of RFC 8601 §2.7.1, for the Authentication-Results header.
 * The checks themselves are dkim_check's. It does not build the header, nor apply any policy
 * (DMARC decides what the results mean). */
#ifndef TERN_DKIM_VERIFY_H
#define TERN_DKIM_VERIFY_H

#include <stddef.h>

#include "dns/resolver.h"
#include "mailauth/dkim_check.h"
#include "util/buffer.h"

#define DKIM_VERIFY_SIGNATURES_MAX                                                                                     \
	8 /* signatures verified per message, from the top; the rest                                                   \
	   * are ignored. RFC 6376 §6.1 lets verifiers cap them: each                                                 \
	   * costs a DNS lookup and hashes of the message. */

/* Called once with the results, in the order the fields appear in the header (top first);
 * count is 0 for a message with no DKIM-Signature field (dkim=none). results are valid only
 * during the call. */
typedef void (*dkim_verify_callback)(void *context, const struct dkim_check_result *results, size_t count);

struct dkim_verification;

/* The first half, without DNS: frames the header section and, for each signature, parses it
 * and hashes the body and header (the costly part on a big message). Touches nothing shared,
 * so it may run on a worker thread. Never NULL; message may be freed when it returns. */
struct dkim_verification *dkim_verify_prepare(struct slice message);
/* The second half, on the resolver's loop: fetches the keys, checks each signature, and calls
 * done later, exactly once, as dkim_verify_message says; takes verification (freed after done). */
void dkim_verify_finish(struct resolver *resolver, struct dkim_verification *verification,
                        dkim_verify_callback done, void *context);
/* Frees a prepared verification that will not be finished. NULL is a no-op. */
void dkim_verify_discard(struct dkim_verification *verification);

/* Both halves at once: verifies message (header, empty line, body, CRLF line endings) at the current time. All the
 * hashing is done before it returns, so the caller may free message at once. done runs later,
 * on the resolver's loop, exactly once (also with no signature, or no lookup to make), unless
 * the resolver is freed first: as with route_lookup there is no cancel, so free the resolver
 * only when no verification is in flight. A header section that does not frame gives its
 * signatures permerror. */
void dkim_verify_message(struct resolver *resolver, struct slice message, dkim_verify_callback done, void *context);

#endif
