/* recipient_policy: decides what happens to one RCPT: deliver locally (to which mailboxes),
 * relay, or refuse (unknown user, relay denied). It is the one place that says who may relay:
 * local domains from anyone; other domains only for clients the caller vouches for
 * (trusted network or authenticated). An open relay is impossible by construction.
 * user@HOSTNAME (our own name) counts as user in the first domain. */
#ifndef TERN_RECIPIENT_POLICY_H
#define TERN_RECIPIENT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "smtp/address.h"

enum recipient_verdict {
	RECIPIENT_ACCEPT,         /* targets say where it goes */
	RECIPIENT_UNKNOWN_USER,   /* local domain, no such user or alias: 550 5.1.1 */
	RECIPIENT_RELAY_DENIED    /* not ours, and the client may not relay: 554 5.7.1 */
};

struct recipient_target {
	char *mailbox; /* "user@domain" of a local user, or NULL for a remote address */
	char *address; /* where it goes: the local mailbox or the remote address; owned */
};

struct recipient_decision {
	enum recipient_verdict verdict;
	const char *rule; /* which rule decided, in words, for logs and `tern policy` */
	struct recipient_target *targets; /* owned */
	size_t target_count;
};

#define RECIPIENT_ALIAS_DEPTH_MAX 8      /* aliases of aliases, like sendmail's limit */
#define RECIPIENT_TARGETS_MAX 1000       /* expansion of one RCPT */

/* Decides for rcpt. client_may_relay is true for trusted networks and authenticated clients.
 * Fills *decision (free with recipient_decision_free). */
void recipient_policy_decide(const struct config *config, const struct address *rcpt, bool client_may_relay,
                             struct recipient_decision *decision);
void recipient_decision_free(struct recipient_decision *decision);

#endif
