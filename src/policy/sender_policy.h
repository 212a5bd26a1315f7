/* sender_policy: may this client use this envelope sender (MAIL FROM)? On the submission
 * ports the client must be under TLS (RFC 8314, RFC 3207) and authenticated or trusted
 * (RFC 4954 §6); an authenticated user may only use addresses that lead to their own mailbox
 * (itself, user+tag, an alias of theirs) or the null sender. */
#ifndef TERN_SENDER_POLICY_H
#define TERN_SENDER_POLICY_H

#include <stdbool.h>

#include "conf/config.h"
#include "smtp/address.h"

/* What is known of the client when it says MAIL FROM. */
struct client_standing {
	enum listener_role role;
	bool tls;
	bool trusted;     /* a trusted network, or the local socket */
	const char *user; /* authenticated mailbox "user@domain", or NULL */
};

enum sender_verdict {
	SENDER_OK,
	SENDER_TLS_REQUIRED,  /* 530 5.7.0 */
	SENDER_AUTH_REQUIRED, /* 530 5.7.0 */
	SENDER_NOT_OWNED      /* 553 5.7.1 */
};

/* Decides for sender; *rule says why, in words. */
enum sender_verdict sender_policy_decide(const struct config *config, const struct client_standing *client,
                                         const struct address *sender, const char **rule);

/* Whether the client may send to other domains: trusted or authenticated. */
bool sender_policy_may_relay(const struct client_standing *client);

#endif
