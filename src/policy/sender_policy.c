/* sender_policy: MAIL FROM decisions for the submission ports, and who may relay. Ownership
 * reuses the recipient rules: an address is the user's when mail to it would reach the user's
 * mailbox. It does no I/O and logs nothing. */
#include "policy/sender_policy.h"

#include <string.h>

#include "policy/recipient_policy.h"

static bool is_submission(enum listener_role role)
{
	return role == LISTENER_SUBMISSION || role == LISTENER_SUBMISSIONS;
}

static bool owned_by(const struct config *config, const char *user, const struct address *sender)
{
	struct recipient_decision decision;
	bool owned = false;

	recipient_policy_decide(config, sender, false, &decision);
	for (size_t i = 0; decision.verdict == RECIPIENT_ACCEPT && i < decision.target_count; i++)
		owned |= decision.targets[i].mailbox && strcmp(decision.targets[i].mailbox, user) == 0;
	recipient_decision_free(&decision);
	return owned;
}

enum sender_verdict sender_policy_decide(const struct config *config, const struct client_standing *client,
                                         const struct address *sender, const char **rule)
{
	if (is_submission(client->role) && !client->tls) {
		*rule = "submission requires TLS before MAIL";
		return SENDER_TLS_REQUIRED;
	}
	if (is_submission(client->role) && client->user == NULL && !client->trusted) {
		*rule = "submission requires authentication (or a trusted network)";
		return SENDER_AUTH_REQUIRED;
	}
	if (client->user != NULL && !sender->is_null && !owned_by(config, client->user, sender)) {
		*rule = "an authenticated user may only send as their own addresses and aliases";
		return SENDER_NOT_OWNED;
	}
	*rule = client->user ? "authenticated user, own address" : "sender accepted";
	return SENDER_OK;
}

bool sender_policy_may_relay(const struct client_standing *client) { return client->trusted || client->user != NULL; }
